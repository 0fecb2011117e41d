import { css, html, LitElement, nothing, type PropertyValues } from 'lit';
import { helpPanel, helpStyles } from './help.js';
import { parseQuery, type Term, withoutTerm } from './query.js';
import { type Order, RANGES, type Range, type SearchState } from './search-state.js';
import { base } from './styles.js';

/**
 * The search form: the query box (a searchbox named "Search"), the time-range presets and the
 * order, and below them one chip per term of the applied query; a chip removes its term on
 * click, Delete or Backspace. The query runs on Enter (or the Search button); presets, order
 * and chips apply at once. Errors of the query show inline, under the box, pointing at the term.
 *
 * Emits `search` (detail: the new SearchState).
 */
export class Search extends LitElement {
  static override properties = {
    state: { attribute: false },
    error: {},
    draft: { state: true },
    help: { state: true },
  };

  declare state: SearchState;
  /** Why the applied search cannot run (its query's error, or the viewer's). */
  declare error: string | null;
  declare draft: string;
  declare help: boolean;

  constructor() {
    super();
    this.state = { query: '', range: '', order: 'desc' };
    this.error = null;
    this.draft = '';
    this.help = false;
  }

  static override styles = [
    base,
    helpStyles,
    css`
      :host {
        display: block;
        container-type: inline-size;
      }
      form {
        display: flex;
        flex-wrap: wrap;
        gap: 0.5rem;
        align-items: center;
      }
      .query {
        flex: 1 1 20rem;
        display: flex;
        gap: 0.5rem;
        min-width: 0;
      }
      .query input {
        flex: 1;
        min-width: 0;
        font-family: var(--tk-mono);
      }
      input[aria-invalid='true'] {
        border-color: var(--tk-danger);
      }
      .error {
        margin: 0.35rem 0 0;
      }
      @container (max-width: 40rem) {
        .query {
          flex-basis: 100%;
        }
        select {
          flex: 1 1 0;
          min-width: 0;
          padding-inline: 0.4rem;
        }
      }
      .chips {
        display: flex;
        flex-wrap: wrap;
        gap: 0.35rem;
        margin: 0.5rem 0 0;
        padding: 0;
        list-style: none;
      }
      .chips button {
        min-height: 1.75rem;
        padding: 0.1rem 0.6rem;
        border-radius: 999px;
        font-family: var(--tk-mono);
        font-size: 0.9em;
      }
      .chips .x {
        margin-inline-start: 0.35rem;
        color: var(--tk-muted);
      }
    `,
  ];

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('state')) this.draft = this.state.query;
  }

  /** Puts the cursor in the query box (the `/` shortcut). */
  focusInput(): void {
    const input = this.renderRoot.querySelector<HTMLInputElement>('input');
    input?.focus();
    input?.select();
  }

  private emit(state: SearchState): void {
    this.dispatchEvent(new CustomEvent('search', { detail: state }));
  }

  private submit(e: Event): void {
    e.preventDefault();
    this.emit({ ...this.state, query: this.draft.trim() });
  }

  private removeTerm(term: Term, index: number): void {
    const query = withoutTerm(this.state.query, term);
    this.emit({ ...this.state, query });
    // Focus goes to the chip that takes its place, or back to the box.
    void this.updateComplete.then(() => {
      const chips = this.renderRoot.querySelectorAll<HTMLButtonElement>('.chips button');
      (chips[Math.min(index, chips.length - 1)] ?? this.renderRoot.querySelector('input'))?.focus();
    });
  }

  private chipKey(e: KeyboardEvent, term: Term, index: number): void {
    if (e.key === 'Delete' || e.key === 'Backspace') {
      e.preventDefault();
      this.removeTerm(term, index);
    }
  }

  override render() {
    const applied = parseQuery(this.state.query);
    const draftError = this.draft === this.state.query ? null : parseQuery(this.draft).error;
    const error = draftError?.message ?? this.error;
    return html`<form role="search" aria-label="Events" @submit=${this.submit}>
        <div class="query">
          <label class="visually-hidden" for="q">Search</label>
          <input
            id="q"
            type="search"
            autocomplete="off"
            spellcheck="false"
            placeholder='actor:ada action:user.* outcome:failure "free text"'
            .value=${this.draft}
            aria-invalid=${error ? 'true' : 'false'}
            aria-describedby=${error ? 'query-error' : nothing}
            @input=${(e: InputEvent) => {
              this.draft = (e.target as HTMLInputElement).value;
            }}
          />
          <button type="submit" class="primary">Search</button>
        </div>
        <select
          aria-label="Time range"
          .value=${this.state.range}
          @change=${(e: Event) => this.emit({ ...this.state, range: (e.target as HTMLSelectElement).value as Range })}
        >
          ${RANGES.map((r) => html`<option value=${r.value} ?selected=${r.value === this.state.range}>${r.label}</option>`)}
        </select>
        <select
          aria-label="Order"
          .value=${this.state.order}
          @change=${(e: Event) => this.emit({ ...this.state, order: (e.target as HTMLSelectElement).value as Order })}
        >
          <option value="desc" ?selected=${this.state.order === 'desc'}>Newest first</option>
          <option value="asc" ?selected=${this.state.order === 'asc'}>Oldest first</option>
        </select>
        <button
          type="button"
          aria-expanded=${this.help ? 'true' : 'false'}
          aria-controls="help"
          @click=${() => {
            this.help = !this.help;
          }}
        >
          Help
        </button>
      </form>
      ${error ? html`<p id="query-error" class="error" role="alert">${error}</p>` : nothing}
      ${
        applied.terms.length > 0
          ? html`<ul class="chips" aria-label="Search terms">
              ${applied.terms.map(
                (term, i) => html`<li>
                  <button
                    type="button"
                    aria-label=${`Remove ${term.text}`}
                    title="Remove (Delete)"
                    @click=${() => this.removeTerm(term, i)}
                    @keydown=${(e: KeyboardEvent) => this.chipKey(e, term, i)}
                  >
                    ${term.text}<span class="x" aria-hidden="true">×</span>
                  </button>
                </li>`,
              )}
            </ul>`
          : nothing
      }
      <div id="help" ?hidden=${!this.help}>${this.help ? helpPanel() : nothing}</div>`;
  }
}

if (!customElements.get('trailkeep-search')) customElements.define('trailkeep-search', Search);
