/** What the log part times over HTTP (bench/log-driver.ts), in the order it times them. */
export const LOG_KINDS = [
  {
    name: 'checkpoint',
    route: 'GET /v1/log/checkpoint',
    label: 'the latest signed checkpoint: one row read, the floor of the log routes',
  },
  {
    name: 'inclusion',
    route: 'GET /v1/log/inclusion',
    label: "?seq= a random event &tree_size= the checkpoint's, as an auditor holding it asks",
  },
  {
    name: 'inclusion-latest',
    route: 'GET /v1/log/inclusion (latest)',
    label: '?seq= a random event, the tree size left to the server: the latest checkpoint is read first',
  },
  {
    name: 'consistency',
    route: 'GET /v1/log/consistency',
    label: '?from= a random older size &to= the latest',
  },
  { name: 'tile', route: 'GET /v1/log/tile/0/N', label: 'a random full level-0 tile (256 hashes)' },
  {
    name: 'tile-partial',
    route: 'GET /v1/log/tile/L/N.p/W',
    label: "a random level's partial tile at the right edge",
  },
  { name: 'entries', route: 'GET /v1/log/tile/entries/N', label: 'a random full entry bundle (256 entries)' },
] as const;
export type LogKind = (typeof LOG_KINDS)[number]['name'];

/** The kinds the inclusion target applies to. */
export const isInclusion = (kind: string): boolean => kind.startsWith('inclusion');
