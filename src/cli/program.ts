import { Command } from 'commander';
import { ConfigError, describeConfig, loadConfig } from '../config/config.js';
import { startServer } from '../server.js';

/** Reads the configuration once; an invalid one ends the process with the list of problems. */
export function configOrExit() {
  try {
    return loadConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
}

export function buildCli(): Command {
  const program = new Command('trailkeep')
    .description('Trailkeep audit-trail server and command-line client.')
    .addHelpText(
      'after',
      `\nEnvironment:\n${describeConfig()
        .map((l) => `  ${l}`)
        .join('\n')}\n`,
    );

  program
    .command('serve')
    .description('Run the HTTP server (settings from the environment).')
    .action(async () => {
      const config = configOrExit();
      const server = await startServer(config);
      const stop = () => {
        server.close().then(
          () => process.exit(0),
          () => process.exit(1),
        );
      };
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
    });

  return program;
}
