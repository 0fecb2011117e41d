/**
 * The log part's last measure before new events: a proof-carrying export of the whole tenant,
 * written by the product's own export code against its latest checkpoint, then checked by
 * `trailkeep verify FILE --key …` run as a user runs it (a child process of the CLI). The same
 * export without proofs is written first, so the proof line's cost stands beside it.
 */
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import { loadConfig } from '../src/config/config.js';
import { CsvRenderer } from '../src/services/exports/csv-renderer.js';
import { provenExport } from '../src/services/exports/proofs.js';
import { writeExport } from '../src/services/exports/writer.js';
import { loadLogSigner } from '../src/services/log/signer.js';
import { openStore } from '../src/store/open.js';
import { cliCommand } from './server.js';

export interface VerifyCost {
  events: number;
  /** Writing the NDJSON export without, then with, its proof line. */
  exportSeconds: number;
  provenExportSeconds: number;
  fileBytes: number;
  proofLineBytes: number;
  /** `trailkeep verify FILE` wall time, start-up included. */
  verifySeconds: number;
  eventsPerSecond: number;
}

function runVerify(file: string, key: string): Promise<string> {
  const { args } = cliCommand('verify');
  const child = spawn(process.execPath, [...args, file, '--key', key], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => {
    out += s;
  });
  child.stderr.setEncoding('utf8').on('data', (s: string) => {
    out += s;
  });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`trailkeep verify: ${out}`))));
  });
}

export async function verifyCost(db: string, tenant: string): Promise<VerifyCost> {
  const dir = await mkdtemp(join(tmpdir(), 'trailkeep-bench-verify-'));
  const store = await openStore(db);
  const csv = new CsvRenderer();
  try {
    // The server's own settings (the defaults): the same log name, so the same stored key.
    const signer = await loadLogSigner(loadConfig({}), store.settings);
    const checkpoint = await store.log.latest(tenant);
    if (!checkpoint) throw new Error('verify: the tenant has no checkpoint');
    const write = async (name: string, proven: ReturnType<typeof provenExport> | null) => {
      const path = join(dir, name);
      const out = createWriteStream(path);
      const started = performance.now();
      const filter = proven?.filter ?? { maxSeq: checkpoint.size };
      const rows = await writeExport({ events: store.events, csv }, tenant, filter, 'ndjson', out, {
        ...(proven && { onRows: proven.onRows, trailer: proven.trailer }),
      });
      out.end();
      await finished(out);
      if (rows !== checkpoint.size) throw new Error(`verify: exported ${rows} of ${checkpoint.size}`);
      return { path, seconds: (performance.now() - started) / 1000, bytes: (await stat(path)).size };
    };
    const plain = await write('plain.ndjson', null);
    const proven = await write('proven.ndjson', provenExport(store.log, tenant, checkpoint, {}));
    const started = performance.now();
    const said = await runVerify(proven.path, signer.text);
    const verifySeconds = (performance.now() - started) / 1000;
    if (!said.includes(`OK: ${checkpoint.size} events`)) throw new Error(`verify said: ${said}`);
    return {
      events: checkpoint.size,
      exportSeconds: plain.seconds,
      provenExportSeconds: proven.seconds,
      fileBytes: proven.bytes,
      proofLineBytes: proven.bytes - plain.bytes,
      verifySeconds,
      eventsPerSecond: checkpoint.size / verifySeconds,
    };
  } finally {
    await csv.close();
    await store.close();
    await rm(dir, { recursive: true, force: true });
  }
}
