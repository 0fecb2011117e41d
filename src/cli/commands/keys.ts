import { Command, Option } from 'commander';
import type { Credential } from '../../core/credentials.js';
import { OPERATOR_SCOPES, SCOPES } from '../../services/auth/principal.js';
import { addTargetOptions, type TargetOptions, withBackend } from '../backend/open.js';
import { type CliContext, UsageError } from '../context.js';
import { repeatable } from '../lib/filters.js';
import { table, tsv } from '../lib/table.js';
import { outputMode } from './output.js';

const keyRow = (k: Credential) => [k.id, k.name, k.scopes.join(' '), k.created_at, k.revoked_at ?? 'active'];

/** Commander passes the positional arguments, then the options: a tenant's commands take the tenant first. */
const split = (operator: boolean, args: unknown[]): { tenant: string | null; rest: unknown[] } =>
  operator ? { tenant: null, rest: args } : { tenant: args[0] as string, rest: args.slice(1) };

/** `keys` (a tenant's API keys) and `operator-keys` (keys that act for any tenant): the same commands. */
function keyCommands(ctx: CliContext, operator: boolean): Command {
  const { io } = ctx;
  const noun = operator ? 'operator key' : 'key';
  const scopes: readonly string[] = operator ? OPERATOR_SCOPES : SCOPES;
  const of = (tenant: string | null) => (tenant === null ? '' : ` of tenant ${tenant}`);
  const keys = new Command(operator ? 'operator-keys' : 'keys').description(
    operator
      ? 'Manage operator keys, which write and read for many tenants: locally (--db) or on a server (--url with the admin token).'
      : "Manage a tenant's API keys: locally (--db) or on a server (--url with the admin token or a tenant:admin key).",
  );
  const withTenant = (cmd: Command, what: string) => (operator ? cmd : cmd.argument('<tenant>', what));

  addTargetOptions(
    withTenant(keys.command('create'), 'the tenant the key belongs to')
      .description(`Create an ${noun}. Its secret is printed this once and never again.`)
      .requiredOption('--name <name>', 'what the key is for')
      .addOption(
        new Option('--scope <scope>', `a scope to grant, repeatable: ${scopes.join(', ')}`)
          .argParser(repeatable)
          .makeOptionMandatory(),
      )
      .option('--json', 'print the key with its secret as JSON')
      .addHelpText(
        'after',
        operator
          ? '\nOn a terminal the key is described and its secret shown; when piped only the secret is printed.\n'
          : '\nOn a terminal the key is described and its secret shown; when piped only the secret is printed,\nso `TRAILKEEP_TOKEN=$(trailkeep keys create acme --name ci --scope events:write)` works.\n',
      ),
  ).action(async (...args: unknown[]) => {
    const { tenant, rest } = split(operator, args);
    const opts = rest[0] as TargetOptions & { name: string; scope: string[]; json?: boolean };
    const unknown = opts.scope.filter((s) => !scopes.includes(s));
    if (unknown.length)
      throw new UsageError(`Unknown scope ${unknown.join(', ')}; known: ${scopes.join(', ')}.`);
    if (opts.name.trim() === '') throw new UsageError('--name must not be empty.');
    const { key, secret } = await withBackend(ctx, opts, {}, (b) =>
      b.createKey(tenant, opts.name, [...new Set(opts.scope)]),
    );
    const mode = outputMode(io, opts.json);
    if (mode === 'json') io.stdout.write(`${JSON.stringify({ ...key, secret })}\n`);
    else if (mode === 'plain') io.stdout.write(`${secret}\n`);
    else {
      io.stdout.write(
        `Created ${noun} ${key.id} "${key.name}"${tenant === null ? '' : ` for tenant ${tenant}`} (scopes: ${key.scopes.join(' ')}).\n` +
          `Its secret is shown only this once; keep it safe:\n\n  ${secret}\n\n`,
      );
    }
  });

  addTargetOptions(
    withTenant(keys.command('list'), 'the tenant')
      .description(
        `List ${operator ? 'the operator' : "a tenant's"} keys, revoked ones included (secrets are never shown).`,
      )
      .option('--json', 'print a JSON array'),
  ).action(async (...args: unknown[]) => {
    const { tenant, rest } = split(operator, args);
    const opts = rest[0] as TargetOptions & { json?: boolean };
    const list = await withBackend(ctx, opts, {}, (b) => b.listKeys(tenant));
    const mode = outputMode(io, opts.json);
    if (mode === 'json') io.stdout.write(`${JSON.stringify(list)}\n`);
    else if (mode === 'plain') io.stdout.write(tsv(list.map(keyRow)));
    else if (list.length === 0)
      io.stdout.write(tenant === null ? 'There are no operator keys.\n' : `Tenant ${tenant} has no keys.\n`);
    else io.stdout.write(table(['ID', 'NAME', 'SCOPES', 'CREATED', 'REVOKED'], list.map(keyRow)));
  });

  addTargetOptions(
    withTenant(keys.command('revoke'), 'the tenant')
      .description(
        `Revoke an ${noun}: it stops working at once${operator ? ', with the access tokens it minted' : ''}.`,
      )
      .argument('<id>', `the key id (${operator ? 'opk' : 'key'}_…), as \`${keys.name()} list\` shows it`),
  ).action(async (...args: unknown[]) => {
    const { tenant, rest } = split(operator, args);
    const [id, opts] = rest as [string, TargetOptions];
    await withBackend(ctx, opts, {}, (b) => b.revokeKey(tenant, id));
    io.stdout.write(`Revoked ${noun} ${id}${of(tenant)}.\n`);
  });

  return keys;
}

export const keysCommand = (ctx: CliContext): Command => keyCommands(ctx, false);
export const operatorKeysCommand = (ctx: CliContext): Command => keyCommands(ctx, true);
