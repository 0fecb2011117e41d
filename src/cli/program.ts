import { Command } from 'commander';
import { describeConfig } from '../config/config.js';
import { exportCommand } from './commands/export.js';
import { ingestCommand } from './commands/ingest.js';
import { keysCommand, operatorKeysCommand } from './commands/keys.js';
import { migrateCommand } from './commands/migrate.js';
import { queryCommand } from './commands/query.js';
import { serveCommand } from './commands/serve.js';
import { tenantsCommand } from './commands/tenants.js';
import { verifyCommand } from './commands/verify.js';
import { type CliIo, createContext } from './context.js';

/** Applies settings to a command and all its subcommands (addCommand does not inherit them). */
function eachCommand(cmd: Command, fn: (c: Command) => void): void {
  fn(cmd);
  for (const sub of cmd.commands) eachCommand(sub, fn);
}

/**
 * The `trailkeep` command. Nothing here reads globals: the process's environment and streams
 * come in through `io`. Errors are thrown to the caller (main.ts), which prints and exits.
 */
export function buildCli(io: CliIo): Command {
  const ctx = createContext(io);
  const program = new Command('trailkeep')
    .description('Trailkeep audit-trail server and command-line client.')
    .addHelpText(
      'after',
      `\nEach data command works on a server (--url and --token, or TRAILKEEP_URL and TRAILKEEP_TOKEN)\nor directly on a database (--db, or TRAILKEEP_DB). See docs/cli.md.\n\nEnvironment:\n${describeConfig()
        .map((l) => `  ${l}`)
        .join('\n')}\n`,
    );
  for (const make of [
    serveCommand,
    migrateCommand,
    tenantsCommand,
    keysCommand,
    operatorKeysCommand,
    ingestCommand,
    queryCommand,
    exportCommand,
    verifyCommand,
  ]) {
    program.addCommand(make(ctx));
  }
  eachCommand(program, (c) => {
    c.exitOverride();
    c.showHelpAfterError('(add --help for usage)');
    c.configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
    });
  });
  return program;
}
