import { Command, InvalidArgumentError, Option } from 'commander';
import { parseVerifier, type Verifier } from '../../core/log/note.js';
import { type CliContext, UsageError } from '../context.js';

interface VerifyOptions {
  key: string;
  url?: string;
  token?: string;
  tenant?: string;
  state?: string;
  full?: boolean;
  sample: number;
}

const positive = (text: string): number => {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 1)
    throw new InvalidArgumentError('must be a whole number of at least 1.');
  return n;
};

/**
 * `trailkeep verify`: checks a proof-carrying export offline, or, with --url, monitors a
 * tenant's log on a server. Needs nothing but the log's verifier key (docs/log.md).
 */
export function verifyCommand(ctx: CliContext): Command {
  const { io } = ctx;
  return new Command('verify')
    .description(
      "Check a proof-carrying NDJSON export offline (FILE), or monitor a tenant's log on a server (--url):\n" +
        'signatures, hashes, inclusion, completeness and that the log only ever grew. Exit 0 when all holds.',
    )
    .argument('[file]', 'an export made with "proofs": true')
    .requiredOption('--key <verifier-key>', "the log's verifier key (GET /v1/log/key: verifier_key)")
    .addOption(new Option('--url <url>', 'monitor this server (env TRAILKEEP_URL)'))
    .addOption(new Option('--token <secret>', 'credential with events:read (env TRAILKEEP_TOKEN)'))
    .option('--tenant <id>', 'the tenant whose log to monitor')
    .option('--state <file>', 'where the monitor keeps the checkpoint it trusts between runs')
    .option('--full', 'check every event, not a sample')
    .addOption(
      new Option('--sample <n>', 'events whose inclusion a run checks').argParser(positive).default(100),
    )
    .action(async (file: string | undefined, opts: VerifyOptions) => {
      const verifier: Verifier | null = parseVerifier(opts.key);
      if (!verifier) throw new UsageError('--key is not a verifier key (<name>+<8 hex>+<base64 key>).');
      if (file !== undefined) {
        if (opts.url !== undefined || opts.state !== undefined)
          throw new UsageError('Give a FILE to check offline, or --url and --state to monitor, not both.');
        const { verifyExportFile } = await import('../lib/proof-file.js');
        const started = performance.now();
        const summary = await verifyExportFile(file, verifier);
        const seconds = (performance.now() - started) / 1000;
        io.stdout.write(
          `OK: ${summary.events} events of ${summary.checkpoint.origin} are in its log of ${summary.checkpoint.size}, unaltered (${Math.round(summary.events / Math.max(seconds, 1e-3))} events/s).\n` +
            (summary.complete
              ? `Complete: the file holds ${summary.complete}.\n`
              : 'Completeness is not proven: the export was filtered, or names no range.\n'),
        );
        return;
      }
      const config = ctx.config({ TRAILKEEP_URL: opts.url, TRAILKEEP_TOKEN: opts.token });
      if (!config.TRAILKEEP_URL || !config.TRAILKEEP_TOKEN || !opts.tenant || !opts.state)
        throw new UsageError('Give a FILE, or monitor with --url, --token, --tenant and --state.');
      const [{ HttpClient }, { monitor }] = await Promise.all([
        import('../backend/http.js'),
        import('../lib/monitor.js'),
      ]);
      const http = new HttpClient(config.TRAILKEEP_URL, config.TRAILKEEP_TOKEN, {
        'trailkeep-tenant': opts.tenant,
      });
      const report = await monitor(http, verifier, opts.tenant, {
        statePath: opts.state,
        full: opts.full === true,
        sample: opts.sample,
      });
      const { origin, size } = report.checkpoint;
      io.stdout.write(
        `OK: ${origin} at size ${size}${report.before === null ? ' (first run: trusted from now on)' : `, consistent with size ${report.before}`}; ${report.checked} events checked.\n`,
      );
    });
}
