import { Command } from 'commander';
import { startServer } from '../../server.js';
import type { CliContext } from '../context.js';

export function serveCommand(ctx: CliContext): Command {
  return new Command('serve')
    .description('Run the HTTP server (settings from the environment).')
    .action(async () => {
      const server = await startServer(ctx.config());
      const stop = () => {
        server.close().then(
          () => process.exit(0),
          () => process.exit(1),
        );
      };
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
    });
}
