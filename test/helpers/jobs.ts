import Papa from 'papaparse';
import type { TestApp } from './app.js';
import { until } from './wait.js';

// Polling lives in wait.ts; re-exported for the tests that wait on jobs.
export { until };

const FINAL = ['succeeded', 'failed', 'cancelled'];

export type JobJson = Record<string, unknown> & { id: string; state: string };

/** GETs a job (`/v1/queries/<id>` or `/v1/exports/<id>`) until it has ended. */
export function settled(t: TestApp, token: string, path: string): Promise<JobJson> {
  return until(async () => {
    const res = await t.call(token, { method: 'GET', url: path });
    if (res.statusCode !== 200) throw new Error(`GET ${path}: ${res.statusCode} ${res.body}`);
    const job = res.json<JobJson>();
    return FINAL.includes(job.state) ? job : null;
  });
}

/** Runs a Genesys async audit query over `interval` to Succeeded; returns its transaction id. */
export async function succeededGenesysQuery(t: TestApp, token: string, interval: string): Promise<string> {
  const made = await t.call(token, { method: 'POST', url: '/api/v2/audits/query', payload: { interval } });
  if (made.statusCode !== 200) throw new Error(`Genesys query: ${made.statusCode} ${made.body}`);
  const { id } = made.json<{ id: string }>();
  await until(async () => {
    const res = await t.call(token, { method: 'GET', url: `/api/v2/audits/query/${id}` });
    return res.json<{ state: string }>().state === 'Succeeded';
  });
  return id;
}

/** Ingests events in batches of `batch` (at most 1,000 a request); returns their seqs in order. */
export async function ingest(
  t: TestApp,
  token: string,
  events: Record<string, unknown>[],
  batch = 1000,
): Promise<number[]> {
  const seqs: number[] = [];
  for (let i = 0; i < events.length; i += batch) {
    const res = await t.call(token, {
      method: 'POST',
      url: '/v1/events',
      payload: { events: events.slice(i, i + batch) },
    });
    if (res.statusCode !== 201) throw new Error(`ingest: ${res.statusCode} ${res.body}`);
    seqs.push(...res.json<{ events: { seq: number }[] }>().events.map((e) => e.seq));
  }
  return seqs;
}

/** The rows of a CSV file, read by the CSV library's parser (not the writer under test). */
export function parseCsv(text: string): string[][] {
  const { data, errors } = Papa.parse<string[]>(text, { skipEmptyLines: true });
  if (errors.length) throw new Error(`Malformed CSV: ${errors[0]?.message}`);
  return data;
}
