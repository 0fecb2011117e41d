/** Renders rows as aligned columns; the last column is cut to fit `width` when one is given. */
export function table(headers: string[], rows: string[][], width?: number): string {
  const all = [headers, ...rows];
  const widths = headers.map((_, c) => Math.max(...all.map((r) => (r[c] ?? '').length)));
  const last = headers.length - 1;
  if (width !== undefined && last >= 0) {
    const before = widths.slice(0, last).reduce((a, b) => a + b + 2, 0);
    widths[last] = Math.max(10, (headers[last] ?? '').length, Math.min(widths[last] ?? 0, width - before));
  }
  return `${all
    .map((r) =>
      r
        .map((cell, c) => (c === last ? truncate(cell, widths[c] ?? 0) : cell.padEnd(widths[c] ?? 0)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n')}\n`;
}

export function truncate(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ');
  return flat.length <= max ? flat : `${flat.slice(0, Math.max(0, max - 1))}…`;
}

/** Tab-separated lines without a header, for `cut` and `awk`; tabs and newlines in values become spaces. */
export function tsv(rows: string[][]): string {
  return rows.map((r) => `${r.map((c) => c.replace(/[\t\r\n]+/g, ' ')).join('\t')}\n`).join('');
}
