import type { TestApp } from './app.js';

const FINAL = ['succeeded', 'failed', 'cancelled'];

/** Polls `fn` until it returns something truthy; fails after `timeoutMs`. */
export async function until<T>(
  fn: () => Promise<T | null | undefined | false>,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

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

/** Ingests events in batches of 1,000; returns their seqs in order. */
export async function ingest(
  t: TestApp,
  token: string,
  events: Record<string, unknown>[],
): Promise<number[]> {
  const seqs: number[] = [];
  for (let i = 0; i < events.length; i += 1000) {
    const res = await t.call(token, {
      method: 'POST',
      url: '/v1/events',
      payload: { events: events.slice(i, i + 1000) },
    });
    if (res.statusCode !== 201) throw new Error(`ingest: ${res.statusCode} ${res.body}`);
    seqs.push(...res.json<{ events: { seq: number }[] }>().events.map((e) => e.seq));
  }
  return seqs;
}

/** A minimal RFC 4180 reader, enough to check what the exporter wrote. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(cell);
      cell = '';
    } else if (c === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
    } else if (c !== '\r') cell += c;
  }
  if (cell !== '' || row.length > 0) rows.push([...row, cell]);
  return rows;
}
