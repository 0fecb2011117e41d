import type { Command } from 'commander';
import { Option } from 'commander';
import type { CliContext } from '../context.js';
import { UsageError } from '../context.js';
import type { Backend } from './types.js';

/** Where a command acts: flags shared by every command that reads or writes Trailkeep data. */
export interface TargetOptions {
  url?: string;
  token?: string;
  db?: string;
  tenant?: string;
}

/** Adds --url/--token (remote) and --db (local); with `tenant`, also --tenant for local data. */
export function addTargetOptions(cmd: Command, { tenant = false } = {}): Command {
  cmd
    .addOption(new Option('--url <url>', 'talk to this server (env TRAILKEEP_URL)'))
    .addOption(
      new Option(
        '--token <secret>',
        'bearer credential for --url (env TRAILKEEP_TOKEN, which keeps it out of `ps`)',
      ),
    )
    .addOption(
      new Option('--db <path>', 'use this database directly instead of a server (env TRAILKEEP_DB)'),
    );
  if (tenant) {
    cmd.addOption(
      new Option(
        '--tenant <id>',
        'the tenant to act on: in local mode, or with --url and an operator key (sent as Trailkeep-Tenant)',
      ),
    );
  }
  return cmd;
}

/**
 * Opens the backend the flags and configuration select: remote when --url is given, or when
 * TRAILKEEP_URL is set and --db is not; local otherwise. `create` lets a local command create a
 * new database; other local commands refuse a database file that does not exist.
 */
export async function openBackend(
  ctx: CliContext,
  opts: TargetOptions,
  { create = false, needsTenant = false } = {},
): Promise<Backend> {
  if (opts.url !== undefined && opts.db !== undefined) throw new UsageError('Give --url or --db, not both.');
  const config = ctx.config({ TRAILKEEP_DB: opts.db, TRAILKEEP_URL: opts.url, TRAILKEEP_TOKEN: opts.token });
  const remote = opts.url !== undefined || (opts.db === undefined && config.TRAILKEEP_URL !== undefined);
  if (remote && config.TRAILKEEP_URL) {
    if (!config.TRAILKEEP_TOKEN)
      throw new UsageError('A server needs a credential: give --token or set TRAILKEEP_TOKEN.');
    const { RemoteBackend } = await import('./remote.js');
    return new RemoteBackend(config.TRAILKEEP_URL, config.TRAILKEEP_TOKEN, opts.tenant);
  }
  if (needsTenant && opts.tenant === undefined) {
    throw new UsageError('Local mode needs --tenant <id> (or --url and --token to use a server).');
  }
  // Each backend is loaded only when chosen: a remote command never loads the store and the
  // services, the bulk of the CLI's start-up time.
  const { LocalBackend } = await import('./local.js');
  return LocalBackend.open(config, {
    create,
    ...(opts.tenant !== undefined ? { tenant: opts.tenant } : {}),
    onAdminToken: (token) =>
      ctx.io.stderr.write(
        `\nThis new database generated an admin token for \`trailkeep serve\`. It is shown only this once; keep it safe:\n\n  ${token}\n\n`,
      ),
  });
}

/** Runs `fn` with a backend and closes it afterwards, whatever happens. */
export async function withBackend<T>(
  ctx: CliContext,
  opts: TargetOptions,
  flags: { create?: boolean; needsTenant?: boolean },
  fn: (backend: Backend) => Promise<T>,
): Promise<T> {
  const backend = await openBackend(ctx, opts, flags);
  try {
    return await fn(backend);
  } finally {
    await backend.close();
  }
}
