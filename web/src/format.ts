import type { StoredEvent } from './api.js';

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** A time in the browser's time zone, to the second: `2026-03-01 13:05:09`. */
export function localTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** The browser's time zone, as the table's Time column is shown in it. */
export const timeZone = (): string => Intl.DateTimeFormat().resolvedOptions().timeZone || 'local time';

/** Who acted, in a few words: the actor's name, else its id, else its type. */
export function actorLabel(e: StoredEvent): string {
  return e.actor?.name ?? e.actor?.id ?? e.actor?.type ?? '—';
}

/** What was acted on: `type/id`, its name when it has one. */
export function targetLabel(e: StoredEvent): string {
  const t = e.target;
  if (!t) return '—';
  const ref = [t.type, t.id].filter((x) => x !== undefined).join('/');
  return t.name ? `${t.name} (${ref})` : ref || '—';
}

export const count = (n: number): string => n.toLocaleString('en-US');

export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}
