import { stat } from 'node:fs/promises';
import { Command, InvalidArgumentError, Option } from 'commander';
import { parseVerifier, type Verifier } from '../../core/log/note.js';
import { type CliContext, CliError, UsageError, write } from '../context.js';

interface VerifyOptions {
  key: string;
  url?: string;
  token?: string;
  tenant?: string;
  state?: string;
  full?: boolean;
  sample: number;
  s3Endpoint?: string;
  s3PathStyle?: boolean;
  fromSeq?: number;
}

const isDirectory = (path: string): Promise<boolean> =>
  stat(path).then(
    (s) => s.isDirectory(),
    () => false,
  );

/** `trailkeep verify <dir | s3://bucket/prefix>`: a stream's received batches. */
async function verifyReceived(ctx: CliContext, target: string, verifier: Verifier, opts: VerifyOptions) {
  const { verifyBatches, failureLines } = await import('../lib/batch-files.js');
  const report = await verifyBatches(target, verifier, {
    env: ctx.io.env,
    ...(opts.s3Endpoint === undefined ? {} : { s3Endpoint: opts.s3Endpoint }),
    ...(opts.s3PathStyle ? { s3PathStyle: true } : {}),
    ...(opts.fromSeq === undefined ? {} : { fromSeq: opts.fromSeq }),
  });
  const sum = (f: (t: (typeof report.tenants)[number]) => number) =>
    report.tenants.reduce((n, t) => n + f(t), 0);
  const redacted = sum((t) => t.redacted);
  const unchecked = redacted ? ` ${redacted} redacted could not be recomputed.` : '';
  if (report.ok) {
    ctx.io.stdout.write(
      `OK: ${sum((t) => t.events)} events of ${report.tenants.length} tenant(s) in ${report.objects} file(s): no gap, nothing altered; ${sum((t) => t.checked)} hashes recomputed.${unchecked}\n`,
    );
    return;
  }
  const lines = failureLines(report);
  for (const line of lines) await write(ctx.io.stdout, `${line}\n`);
  const count = (kind: string) => lines.filter((l) => l.startsWith(kind)).length;
  throw new CliError(
    `Verification failed: ${count('GAP')} gap(s), ${count('ALTERED')} altered event(s), ${count('CHECKPOINT')} bad checkpoint(s), ${count('ERROR')} unreadable line(s) in ${report.objects} file(s).`,
  );
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
        'signatures, hashes, inclusion, completeness and that the log only ever grew. Exit 0 when all holds.\n' +
        "Given a directory or s3://bucket/prefix of a stream's received batches: each gap as a seq range,\n" +
        'each altered event by seq, and the checkpoints’ signatures.',
    )
    .argument(
      '[file]',
      'an export made with "proofs": true, a directory of received batches, or s3://bucket/prefix',
    )
    .requiredOption('--key <verifier-key>', "the log's verifier key (GET /v1/log/key: verifier_key)")
    .addOption(new Option('--url <url>', 'monitor this server (env TRAILKEEP_URL)'))
    .addOption(new Option('--token <secret>', 'credential with events:read (env TRAILKEEP_TOKEN)'))
    .option('--tenant <id>', 'the tenant whose log to monitor')
    .option('--state <file>', 'where the monitor keeps the checkpoint it trusts between runs')
    .option('--full', 'check every event, not a sample')
    .addOption(
      new Option('--sample <n>', 'events whose inclusion a run checks').argParser(positive).default(100),
    )
    .option(
      '--s3-endpoint <url>',
      'with s3://: the endpoint of an S3-compatible store (env AWS_ENDPOINT_URL_S3)',
    )
    .option('--s3-path-style', 'with s3://: address the bucket in the path, not the host name')
    .addOption(
      new Option('--from-seq <n>', 'with received batches: the first seq the stream sent').argParser(
        positive,
      ),
    )
    .action(async (file: string | undefined, opts: VerifyOptions) => {
      const verifier: Verifier | null = parseVerifier(opts.key);
      if (!verifier) throw new UsageError('--key is not a verifier key (<name>+<8 hex>+<base64 key>).');
      if (file !== undefined) {
        if (opts.url !== undefined || opts.state !== undefined)
          throw new UsageError('Give a FILE to check offline, or --url and --state to monitor, not both.');
        if (file.startsWith('s3://') || (await isDirectory(file))) {
          await verifyReceived(ctx, file, verifier, opts);
          return;
        }
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
