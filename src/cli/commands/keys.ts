import { Command, Option } from 'commander';
import { SCOPES } from '../../services/auth/principal.js';
import type { Credential } from '../../store/types.js';
import { addTargetOptions, type TargetOptions, withBackend } from '../backend/open.js';
import { type CliContext, UsageError } from '../context.js';
import { repeatable } from '../lib/filters.js';
import { table, tsv } from '../lib/table.js';
import { outputMode } from './output.js';

const keyRow = (k: Credential) => [k.id, k.name, k.scopes.join(' '), k.created_at, k.revoked_at ?? 'active'];

export function keysCommand(ctx: CliContext): Command {
  const { io } = ctx;
  const keys = new Command('keys').description(
    "Manage a tenant's API keys: locally (--db) or on a server (--url with the admin token or a tenant:admin key).",
  );

  addTargetOptions(
    keys
      .command('create')
      .description('Create an API key. Its secret is printed this once and never again.')
      .argument('<tenant>', 'the tenant the key belongs to')
      .requiredOption('--name <name>', 'what the key is for')
      .addOption(
        new Option('--scope <scope>', `a scope to grant, repeatable: ${SCOPES.join(', ')}`)
          .argParser(repeatable)
          .makeOptionMandatory(),
      )
      .option('--json', 'print the key with its secret as JSON')
      .addHelpText(
        'after',
        '\nOn a terminal the key is described and its secret shown; when piped only the secret is printed,\nso `TRAILKEEP_TOKEN=$(trailkeep keys create acme --name ci --scope events:write)` works.\n',
      ),
  ).action(
    async (tenant: string, opts: TargetOptions & { name: string; scope: string[]; json?: boolean }) => {
      const unknown = opts.scope.filter((s) => !(SCOPES as readonly string[]).includes(s));
      if (unknown.length)
        throw new UsageError(`Unknown scope ${unknown.join(', ')}; known: ${SCOPES.join(', ')}.`);
      if (opts.name.trim() === '') throw new UsageError('--name must not be empty.');
      const { key, secret } = await withBackend(ctx, opts, {}, (b) =>
        b.createKey(tenant, opts.name, [...new Set(opts.scope)]),
      );
      const mode = outputMode(io, opts.json);
      if (mode === 'json') io.stdout.write(`${JSON.stringify({ ...key, secret })}\n`);
      else if (mode === 'plain') io.stdout.write(`${secret}\n`);
      else {
        io.stdout.write(
          `Created key ${key.id} "${key.name}" for tenant ${tenant} (scopes: ${key.scopes.join(' ')}).\n` +
            `Its secret is shown only this once; keep it safe:\n\n  ${secret}\n\n`,
        );
      }
    },
  );

  addTargetOptions(
    keys
      .command('list')
      .description("List a tenant's keys, revoked ones included (secrets are never shown).")
      .argument('<tenant>', 'the tenant')
      .option('--json', 'print a JSON array'),
  ).action(async (tenant: string, opts: TargetOptions & { json?: boolean }) => {
    const list = await withBackend(ctx, opts, {}, (b) => b.listKeys(tenant));
    const mode = outputMode(io, opts.json);
    if (mode === 'json') io.stdout.write(`${JSON.stringify(list)}\n`);
    else if (mode === 'plain') io.stdout.write(tsv(list.map(keyRow)));
    else if (list.length === 0) io.stdout.write(`Tenant ${tenant} has no keys.\n`);
    else io.stdout.write(table(['ID', 'NAME', 'SCOPES', 'CREATED', 'REVOKED'], list.map(keyRow)));
  });

  addTargetOptions(
    keys
      .command('revoke')
      .description('Revoke a key: it stops working at once.')
      .argument('<tenant>', 'the tenant')
      .argument('<id>', 'the key id (key_…), as `keys list` shows it'),
  ).action(async (tenant: string, id: string, opts: TargetOptions) => {
    await withBackend(ctx, opts, {}, (b) => b.revokeKey(tenant, id));
    io.stdout.write(`Revoked key ${id} of tenant ${tenant}.\n`);
  });

  return keys;
}
