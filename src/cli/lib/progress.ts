import { Presets, SingleBar } from 'cli-progress';
import type { CliIo } from '../context.js';

export interface Progress {
  /** Sets the position, and optionally a new total and the text fields the format shows. */
  update(value: number, fields?: { total?: number } & Record<string, string | number>): void;
  stop(): void;
}

const none: Progress = { update() {}, stop() {} };

/**
 * A progress bar on stderr, only when stderr is a terminal, so piped or logged output stays
 * clean. `format` is used while the total is known, `formatUnknown` otherwise; both may name
 * the fields passed to `update` as `{name}`.
 */
export function progressBar(
  io: CliIo,
  {
    format,
    formatUnknown,
    total,
    fields = {},
  }: { format: string; formatUnknown: string; total?: number; fields?: Record<string, string | number> },
): Progress {
  if (!io.stderr.isTTY) return none;
  const make = (fmt: string) =>
    new SingleBar(
      { stream: io.stderr, format: fmt, hideCursor: true, clearOnComplete: true, etaBuffer: 50 },
      Presets.shades_classic,
    );
  let known = total !== undefined && total > 0;
  let bar = make(known ? format : formatUnknown);
  let payload: Record<string, string | number> = { ...fields };
  bar.start(known ? (total as number) : 0, 0, payload);
  return {
    update(value, { total: t, ...fields } = {}) {
      payload = { ...payload, ...fields };
      if (t !== undefined && t > 0) {
        if (!known) {
          bar.stop();
          bar = make(format);
          bar.start(t, value, payload);
          known = true;
        }
        bar.setTotal(t);
      }
      bar.update(value, payload);
    },
    stop() {
      bar.stop();
    },
  };
}

/** 12,345 */
export const count = (n: number): string => n.toLocaleString('en-US');
