import { css, html } from 'lit';
import { KEYS } from './query.js';

/** The page's help: the query language and the keyboard, as docs/viewer.md gives them too. */

export const helpStyles = css`
  .help {
    margin-top: 0.75rem;
    padding: 0.75rem 1rem;
    border: 1px solid var(--tk-border);
    border-radius: var(--tk-radius);
    background: var(--tk-surface);
  }
  .help h2 {
    margin: 0 0 0.5rem;
    font-size: 1rem;
  }
  .help h3 {
    margin: 0.75rem 0 0.25rem;
    font-size: 0.95rem;
  }
  .help table {
    border-collapse: collapse;
  }
  .help th,
  .help td {
    text-align: start;
    vertical-align: top;
    padding: 0.15rem 0.75rem 0.15rem 0;
  }
  .help kbd,
  .help code {
    font-family: var(--tk-mono);
  }
  .help p {
    margin: 0.25rem 0;
  }
`;

const SHORTCUTS: [string, string][] = [
  ['/', 'Focus the search box'],
  ['Enter', 'Run the search; on a row, open its details'],
  ['↓ ↑ or j k', 'Next or previous row'],
  ['Home End, Page Up Page Down', 'First or last loaded row; ten rows on'],
  ['Delete or Backspace', 'On a chip, remove its term'],
  ['Escape', 'Close the details'],
];

export const helpPanel = () => html`<section class="help" aria-labelledby="help-title">
  <h2 id="help-title">Searching</h2>
  <p>
    Terms are separated by spaces and must all match. <code>key:value</code> filters a field; a key
    repeated matches any of its values; anything else is free text, every word of which must appear.
    Quote a value or phrase with spaces: <code>actor:"Ada Lovelace"</code>, <code>"reset password"</code>.
  </p>
  <table>
    <caption class="visually-hidden">Search keys</caption>
    <tbody>
      ${Object.entries(KEYS).map(
        ([key, what]) => html`<tr><th scope="row"><code>${key}:</code></th><td>${what}</td></tr>`,
      )}
      <tr>
        <th scope="row"><code>service:</code>, <code>ip:</code>, …</th>
        <td>any other filter of the API by its name, such as <code>category:auth</code>, <code>session_id:s-1</code></td>
      </tr>
    </tbody>
  </table>
  <p>
    Dates and times without an offset are in your time zone; <code>before:</code> is exclusive. Example:
    <code>actor:ada action:user.* outcome:failure target:ticket/123 after:2026-01-01 "free text"</code>.
  </p>
  <h3>Keyboard</h3>
  <table>
    <caption class="visually-hidden">Keyboard shortcuts</caption>
    <tbody>
      ${SHORTCUTS.map(([keys, what]) => html`<tr><th scope="row"><kbd>${keys}</kbd></th><td>${what}</td></tr>`)}
    </tbody>
  </table>
</section>`;
