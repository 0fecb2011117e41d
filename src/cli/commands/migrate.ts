import { Command } from 'commander';
import type { CliContext } from '../context.js';

export function migrateCommand(ctx: CliContext): Command {
  return new Command('migrate')
    .description(
      'Create or upgrade the configured database: apply pending migrations, print the schema version.',
    )
    .option('--db <path>', 'the database (env TRAILKEEP_DB)')
    .option('--json', 'print {"engine","schema_version","database"} as JSON')
    .action(async (opts: { db?: string; json?: boolean }) => {
      const config = ctx.config({ TRAILKEEP_DB: opts.db });
      const { openStore, sqlitePath } = await import('../../store/open.js');
      const store = await openStore(config.TRAILKEEP_DB, { exportDir: config.TRAILKEEP_EXPORT_DIR });
      try {
        await store.migrate();
        const version = await store.schemaVersion();
        // Never echo a server URL: it may carry a password.
        const database = sqlitePath(config.TRAILKEEP_DB) ?? `${store.engine} database`;
        ctx.io.stdout.write(
          opts.json
            ? `${JSON.stringify({ engine: store.engine, schema_version: version, database })}\n`
            : `${database}: ${store.engine} schema version ${version}, up to date.\n`,
        );
      } finally {
        await store.close();
      }
    });
}
