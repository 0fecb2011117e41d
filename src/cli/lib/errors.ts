import { TrailkeepError } from '../../core/errors.js';
import type { Problem } from '../../core/schema.js';
import { ApiError } from '../backend/http.js';
import { CliError } from '../context.js';

/** The located problems an error carries (schema and event validation), if any. */
export function problemsOf(err: unknown): Problem[] {
  const details = err instanceof TrailkeepError || err instanceof ApiError ? err.details : undefined;
  if (!Array.isArray(details)) return [];
  return details.filter(
    (d): d is Problem => typeof d?.path === 'string' && typeof (d as Problem).message === 'string',
  );
}

/** The catalogue code of a core or server error (`invalid_event`, `unauthorized` …), if it is one. */
export function codeOf(err: unknown): string | undefined {
  return err instanceof TrailkeepError || err instanceof ApiError ? err.code : undefined;
}

/** What the CLI prints for an error (the first line after `trailkeep: `), and its exit code. */
export function renderError(err: unknown): { lines: string[]; exitCode: number } {
  if (err instanceof CliError) return { lines: [err.message, ...err.detailLines], exitCode: err.exitCode };
  if (err instanceof ApiError || err instanceof TrailkeepError) {
    const where =
      err instanceof ApiError
        ? ` (HTTP ${err.status}${err.requestId ? `, request ${err.requestId}` : ''})`
        : '';
    const problems = problemsOf(err).map((p) => `  ${p.path}: ${p.message}`);
    return { lines: [`${err.message}${where}`, ...problems], exitCode: 1 };
  }
  return { lines: [err instanceof Error ? err.message : String(err)], exitCode: 1 };
}
