/** What the log part times over HTTP (bench/log-driver.ts), in the order it times them. */
export const LOG_KINDS = [
  { name: 'checkpoint', label: 'GET /v1/log/checkpoint: the latest signed checkpoint (the floor)' },
  { name: 'inclusion', label: 'GET /v1/log/inclusion?seq=: a random event' },
  { name: 'consistency', label: 'GET /v1/log/consistency?from=&to=: a random older size to the latest' },
  { name: 'tile', label: 'GET /v1/log/tile/0/N: a random full level-0 tile (256 hashes)' },
  { name: 'tile-partial', label: "GET /v1/log/tile/L/N.p/W: a random level's partial right-edge tile" },
  { name: 'entries', label: 'GET /v1/log/tile/entries/N: a random full entry bundle (256 entries)' },
] as const;
export type LogKind = (typeof LOG_KINDS)[number]['name'];
