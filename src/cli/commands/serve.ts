import { Command } from 'commander';
import type { CliContext } from '../context.js';

/** Beyond the shutdown's own deadline, the time closing the store and exiting may take. */
const EXIT_MARGIN_MS = 1_500;

export function serveCommand(ctx: CliContext): Command {
  return new Command('serve')
    .description('Run the HTTP server (settings from the environment).')
    .action(async () => {
      const config = ctx.config();
      // Loaded here, not at the top: every other command (and --help) starts without the
      // server's modules, about half a second of loading.
      const { SHUTDOWN_MS, startServer } = await import('../../server.js');
      const { createLogger } = await import('../../http/log.js');
      const log = createLogger(config);
      const server = await startServer(config, log);
      let stopping = false;
      const stop = (signal: NodeJS.Signals) => {
        if (stopping) {
          log.warn({ signal }, 'second signal during shutdown; exiting now');
          process.exit(1);
        }
        stopping = true;
        const started = Date.now();
        log.info({ signal, deadline_ms: SHUTDOWN_MS }, 'shutting down');
        // Whatever hangs (a stuck disk, a database that stopped answering), the process ends.
        setTimeout(() => {
          log.error({ ms: Date.now() - started }, 'shutdown did not complete; exiting');
          process.exit(1);
        }, SHUTDOWN_MS + EXIT_MARGIN_MS).unref();
        server.close().then(
          () => {
            log.info({ ms: Date.now() - started }, 'shut down');
            process.exit(0);
          },
          (err: unknown) => {
            log.error({ err }, 'shutdown failed');
            process.exit(1);
          },
        );
      };
      process.on('SIGTERM', stop);
      process.on('SIGINT', stop);
    });
}
