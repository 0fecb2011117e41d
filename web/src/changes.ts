import { css, html } from 'lit';
import type { StoredEvent } from './api.js';

/** An event's changes as a before/after table: one row per field, its old and new values. */

export const changesStyles = css`
  table.changes {
    width: 100%;
    border-collapse: collapse;
    font-size: 0.95em;
  }
  table.changes th,
  table.changes td {
    text-align: start;
    vertical-align: top;
    padding: 0.3rem 0.5rem;
    border: 1px solid var(--tk-border);
    overflow-wrap: anywhere;
  }
  table.changes thead th {
    background: var(--tk-surface);
  }
  table.changes td.before {
    background: var(--tk-removed);
  }
  table.changes td.after {
    background: var(--tk-added);
  }
  table.changes .none {
    color: var(--tk-muted);
    font-style: italic;
  }
`;

const values = (v: string[] | undefined) =>
  v === undefined || v.length === 0 ? html`<span class="none">none</span>` : v.join(', ');

export function changesTable(event: StoredEvent) {
  const changes = event.changes ?? [];
  if (changes.length === 0) return html`<p class="muted">No changes recorded.</p>`;
  return html`<table class="changes">
    <caption class="visually-hidden">Changes, before and after</caption>
    <thead>
      <tr><th scope="col">Field</th><th scope="col">Before</th><th scope="col">After</th></tr>
    </thead>
    <tbody>
      ${changes.map(
        (c) => html`<tr>
          <th scope="row">${c.field}</th>
          <td class="before">${values(c.old)}</td>
          <td class="after">${values(c.new)}</td>
        </tr>`,
      )}
    </tbody>
  </table>`;
}
