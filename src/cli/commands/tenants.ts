import { Command } from 'commander';
import { addTargetOptions, type TargetOptions, withBackend } from '../backend/open.js';
import type { CliContext } from '../context.js';
import { table, tsv } from '../lib/table.js';
import { outputMode } from './output.js';

export function tenantsCommand(ctx: CliContext): Command {
  const { io } = ctx;
  const tenants = new Command('tenants').description(
    'Manage tenants: locally (--db, no credential) or on a server (--url with the admin token).',
  );

  addTargetOptions(
    tenants
      .command('create')
      .description('Create a tenant.')
      .argument('<id>', 'tenant id: letters, digits, . _ - (up to 64)')
      .option('--name <name>', 'display name (defaults to the id)')
      .option('--json', 'print the tenant as JSON'),
  ).action(async (id: string, opts: TargetOptions & { name?: string; json?: boolean }) => {
    const tenant = await withBackend(ctx, opts, { create: true }, (b) => b.createTenant(id, opts.name));
    const mode = outputMode(io, opts.json);
    io.stdout.write(
      mode === 'json'
        ? `${JSON.stringify(tenant)}\n`
        : mode === 'human'
          ? `Created tenant ${tenant.id} (${tenant.name}).\n`
          : `${tenant.id}\n`,
    );
  });

  addTargetOptions(
    tenants.command('list').description('List tenants.').option('--json', 'print a JSON array'),
  ).action(async (opts: TargetOptions & { json?: boolean }) => {
    const list = await withBackend(ctx, opts, {}, (b) => b.listTenants());
    const rows = list.map((t) => [t.id, t.name, t.created_at]);
    const mode = outputMode(io, opts.json);
    if (mode === 'json') io.stdout.write(`${JSON.stringify(list)}\n`);
    else if (mode === 'plain') io.stdout.write(tsv(rows));
    else if (rows.length === 0)
      io.stdout.write('No tenants yet. Create one with `trailkeep tenants create <id>`.\n');
    else io.stdout.write(table(['ID', 'NAME', 'CREATED'], rows));
  });

  return tenants;
}
