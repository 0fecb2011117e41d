import { createReadStream } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { type ExportProof, readProofLine } from '../../core/log/export-proof.js';
import type { Verifier } from '../../core/log/note.js';
import { type ExportSummary, ExportVerifier, ProofFailure } from '../../core/log/verify-export.js';
import { CliError } from '../context.js';

const CHUNK = 64 * 1024;

/** Where the file's last line starts, read backwards from its end (it ends in a newline). */
async function lastLineStart(file: FileHandle, size: number): Promise<number> {
  const end = size > 0 ? size - 1 : 0;
  const buf = Buffer.alloc(CHUNK);
  for (let to = end; to > 0; to -= CHUNK) {
    const from = Math.max(0, to - CHUNK);
    const { bytesRead } = await file.read(buf, 0, to - from, from);
    const at = buf.subarray(0, bytesRead).lastIndexOf(0x0a);
    if (at >= 0) return from + at + 1;
  }
  return 0;
}

/** The proof line at the end of `path` and where it starts. */
async function readProof(path: string): Promise<{ proof: ExportProof; start: number }> {
  const file = await open(path, 'r');
  try {
    const { size } = await file.stat();
    const start = await lastLineStart(file, size);
    const buf = Buffer.alloc(size - start);
    await file.read(buf, 0, buf.length, start);
    const proof = readProofLine(buf.toString('utf8'));
    if (typeof proof === 'string') throw new ProofFailure(proof);
    return { proof, start };
  } finally {
    await file.close();
  }
}

/**
 * Verifies a proof-carrying NDJSON export offline: reads its proof line from the end, then
 * streams the events before it through the verifier. Throws CliError naming the first failure.
 */
export async function verifyExportFile(path: string, verifier: Verifier): Promise<ExportSummary> {
  try {
    const { proof, start } = await readProof(path);
    const check = new ExportVerifier(proof, verifier);
    if (start > 0) {
      const lines = createInterface({
        input: createReadStream(path, { end: start - 1 }),
        crlfDelay: Infinity,
      });
      let n = 0;
      for await (const line of lines) check.event(line, ++n);
    }
    return check.finish();
  } catch (err) {
    if (err instanceof ProofFailure) throw new CliError(`Verification failed: ${err.message}`);
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new CliError(`No such file: ${path}`);
    throw err;
  }
}
