/** The states a job passes through: queued → running → succeeded | failed, or cancelled before it ends. */
export const JOB_STATES = ['queued', 'running', 'succeeded', 'failed', 'cancelled'] as const;
export type JobState = (typeof JOB_STATES)[number];
export type JobKind = 'query' | 'export';

/** An asynchronous query or export of one tenant, as the store keeps it and dialects show it. */
export interface Job {
  id: string;
  tenant: string;
  kind: JobKind;
  state: JobState;
  /** What the job was asked to do (filters, format …), as given at creation. */
  params: Record<string, unknown>;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
  /** After this the job and its results are gone. null while unfinished. */
  expires_at: number | null;
  rows: number | null;
  /** The log position the results were frozen at. */
  snapshot_seq: number | null;
  error: string | null;
  /** The size of a succeeded export's file; null for queries and for exports not (yet) succeeded. */
  bytes: number | null;
  attempts: number;
  lease_owner: string | null;
  lease_until: number | null;
}
