import { css, html, LitElement, nothing, type PropertyValues, type TemplateResult } from 'lit';
import type { StoredEvent } from './api.js';
import { changesStyles, changesTable } from './changes.js';
import { localTime } from './format.js';
import { termText } from './query.js';
import { base } from './styles.js';
import { type MarkState, markStyles, verifiedMark } from './verified-mark.js';
import type { Verdict } from './verify/verify.js';

/**
 * The whole event in a modal dialog named "Event details": who, what, when, where, the
 * target, the changes as a before/after table, seq and hash with the verified mark, and the
 * raw JSON. A modal <dialog> makes the rest of the page inert and closes on Escape; Tab and
 * Shift+Tab also wrap inside it, and the viewer puts focus back on the row that opened it.
 *
 * Events: `close`; `filter` (detail: a query term) from the "Filter" buttons beside a value.
 */

/** How often, and how many times, a not-yet-checkpointed event is checked again while shown. */
const RECHECK_MS = 1_500;
const RECHECKS = 20;

type Row = [label: string, value: unknown, filter?: string];

const FOCUSABLE = 'button, [href], summary, [tabindex]:not([tabindex="-1"]), input, select';

export class Details extends LitElement {
  static override properties = {
    event: { attribute: false },
    verify: { attribute: false },
    mark: { state: true },
  };

  declare event: StoredEvent | null;
  /** Checks an event against the log (verify/verify.ts); throws when the log cannot be read. */
  declare verify: ((event: StoredEvent) => Promise<Verdict>) | null;
  declare mark: MarkState;

  private checking = 0;
  private recheck: ReturnType<typeof setTimeout> | undefined;

  constructor() {
    super();
    this.event = null;
    this.verify = null;
    this.mark = { state: 'checking' };
  }

  static override styles = [
    base,
    changesStyles,
    markStyles,
    css`
      dialog {
        width: min(56rem, calc(100vw - 2rem));
        max-height: calc(100dvh - 2rem);
        padding: 0;
        border: 1px solid var(--tk-border);
        border-radius: var(--tk-radius);
        background: var(--tk-bg);
        color: var(--tk-fg);
      }
      dialog::backdrop {
        background: rgb(0 0 0 / 45%);
      }
      header {
        position: sticky;
        top: 0;
        display: flex;
        align-items: center;
        justify-content: space-between;
        gap: 1rem;
        padding: 0.75rem 1rem;
        border-bottom: 1px solid var(--tk-border);
        background: var(--tk-surface);
        z-index: 1;
      }
      h2 {
        margin: 0;
        font-size: 1.15rem;
      }
      .content {
        padding: 0.5rem 1rem 1rem;
      }
      .summary {
        margin: 0.5rem 0 0;
        font-size: 1.05rem;
      }
      .summary time {
        white-space: nowrap;
      }
      section {
        margin-top: 1rem;
      }
      h3 {
        margin: 0 0 0.4rem;
        font-size: 0.95rem;
        text-transform: uppercase;
        letter-spacing: 0.04em;
        color: var(--tk-muted);
      }
      .grid {
        display: grid;
        grid-template-columns: repeat(auto-fit, minmax(16rem, 1fr));
        gap: 0 1.5rem;
      }
      dl {
        display: grid;
        grid-template-columns: max-content 1fr;
        gap: 0.2rem 0.75rem;
        margin: 0;
      }
      dt {
        color: var(--tk-muted);
      }
      dd {
        margin: 0;
        min-width: 0;
        overflow-wrap: anywhere;
      }
      dd button.link {
        margin-inline-start: 0.5rem;
        font-size: 0.85em;
      }
      .hash {
        font-family: var(--tk-mono);
        font-size: 0.9em;
      }
      .mark {
        margin-top: 0.5rem;
      }
      pre {
        margin: 0;
        max-height: 24rem;
        overflow: auto;
        padding: 0.75rem;
        border: 1px solid var(--tk-border);
        border-radius: var(--tk-radius);
        background: var(--tk-surface);
        font-size: 0.85em;
        white-space: pre-wrap;
        overflow-wrap: anywhere;
      }
      @media (max-width: 40rem) {
        dialog {
          width: 100vw;
          max-width: 100vw;
          height: 100dvh;
          max-height: 100dvh;
          margin: 0;
          border-radius: 0;
        }
      }
    `,
  ];

  private dialog(): HTMLDialogElement | null {
    return this.renderRoot.querySelector('dialog');
  }

  protected override updated(changed: PropertyValues<this>): void {
    const dialog = this.dialog();
    if (!changed.has('event') || !dialog) return;
    if (this.event && !dialog.open) {
      dialog.showModal();
      this.renderRoot.querySelector<HTMLElement>('.close')?.focus();
    } else if (!this.event && dialog.open) {
      dialog.close();
    }
    if (this.event && this.event !== changed.get('event')) void this.check(this.event, 0);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    clearTimeout(this.recheck);
  }

  private async check(event: StoredEvent, attempt: number): Promise<void> {
    clearTimeout(this.recheck);
    const run = ++this.checking;
    if (attempt === 0) this.mark = { state: 'checking' };
    let mark: MarkState;
    try {
      mark = this.verify
        ? await this.verify(event)
        : { state: 'unavailable', reason: 'no log to check against' };
    } catch (err) {
      mark = { state: 'unavailable', reason: `the log could not be read: ${(err as Error).message}` };
    }
    if (run !== this.checking || this.event !== event) return;
    this.mark = mark;
    if (mark.state === 'pending' && attempt < RECHECKS) {
      this.recheck = setTimeout(() => void this.check(event, attempt + 1), RECHECK_MS);
    }
  }

  private close(): void {
    this.dispatchEvent(new CustomEvent('close'));
  }

  /** Tab and Shift+Tab wrap around inside the dialog. */
  private onKey(e: KeyboardEvent): void {
    if (e.key !== 'Tab') return;
    const all = [...this.renderRoot.querySelectorAll<HTMLElement>(FOCUSABLE)].filter(
      (el) => !el.hasAttribute('disabled') && el.offsetParent !== null,
    );
    const first = all[0];
    const last = all.at(-1);
    const active = this.shadowRoot?.activeElement;
    if (e.shiftKey && active === first) {
      e.preventDefault();
      last?.focus();
    } else if (!e.shiftKey && active === last) {
      e.preventDefault();
      first?.focus();
    }
  }

  private filterButton(term: string | undefined, label: string): TemplateResult | typeof nothing {
    if (!term) return nothing;
    return html`<button
      class="link"
      aria-label=${`Filter by ${label}`}
      @click=${() => this.dispatchEvent(new CustomEvent('filter', { detail: { term } }))}
    >
      filter
    </button>`;
  }

  private list(rows: Row[]) {
    const shown = rows.filter(([, v]) => v !== undefined && v !== null && v !== '');
    if (shown.length === 0) return html`<p class="muted">Not recorded.</p>`;
    return html`<dl>
      ${shown.map(
        ([label, value, filter]) => html`<dt>${label}</dt>
          <dd>${Array.isArray(value) ? value.join(', ') : String(value)}${this.filterButton(filter, `${label.toLowerCase()} ${String(value)}`)}</dd>`,
      )}
    </dl>`;
  }

  private section(title: string, body: unknown) {
    return html`<section><h3>${title}</h3>${body}</section>`;
  }

  private body(e: StoredEvent) {
    const a = e.actor ?? {};
    const t = e.target ?? {};
    const s = e.source ?? {};
    const ctx = e.context ?? {};
    const location = ctx.location ?? ctx.geo ?? ctx.country ?? ctx.city;
    const targetTerm = t.type ? termText('target', t.id ? `${t.type}/${t.id}` : t.type) : undefined;
    const parents = Array.isArray(t.parents)
      ? (t.parents as { type?: string; id?: string }[]).map((p) => `${p.type}/${p.id}`)
      : undefined;
    const message = (e.message as { text?: string } | undefined)?.text;
    return html`<p class="summary">
        <strong>${a.name ?? a.id ?? 'Someone'}</strong> · <code>${e.action}</code> ·
        <time datetime=${e.occurred_at} title=${e.occurred_at}>${localTime(e.occurred_at)}</time>
      </p>
      <div class="grid">
        ${this.section(
          'Who',
          this.list([
            ['Name', a.name],
            ['Id', a.id, a.id ? termText('actor', a.id) : undefined],
            ['Email', a.email],
            ['Login', a.login],
            ['Type', a.type],
            ['Client', (e.client as { name?: string; id?: string } | undefined)?.name ?? e.client?.id],
          ]),
        )}
        ${this.section(
          'What',
          this.list([
            ['Action', e.action, termText('action', e.action)],
            ['Outcome', e.outcome, e.outcome ? termText('outcome', e.outcome) : undefined],
            ['Category', e.category],
            ['Service', e.service, e.service ? termText('service', e.service) : undefined],
            ['Description', e.description ?? message],
            ['Occurred', e.occurred_at],
            ['Received', e.received_at],
          ]),
        )}
        ${this.section(
          'Where',
          this.list([
            ['IP', s.ip],
            ['User agent', s.user_agent ?? a.user_agent],
            ['Location', location],
            ['Session', s.session_id],
            ['Request', s.request_id],
            ['Trace', s.trace_id],
          ]),
        )}
        ${this.section(
          'Target',
          this.list([
            ['Type', t.type],
            ['Id', t.id, targetTerm],
            ['Name', t.name],
            ['Parents', parents],
          ]),
        )}
      </div>
      ${this.section('Changes', changesTable(e))}
      ${this.section(
        'Integrity',
        html`<dl>
            <dt>Seq</dt>
            <dd data-field="seq">${e.seq}</dd>
            <dt>Hash</dt>
            <dd class="hash" data-field="hash">${e.hash}</dd>
            <dt>Tenant</dt>
            <dd>${e.tenant}</dd>
            <dt>Id</dt>
            <dd>${e.id}</dd>
          </dl>
          ${verifiedMark(this.mark)}`,
      )}
      ${this.section(
        'Raw JSON',
        html`<pre tabindex="0" aria-label="Raw JSON">${JSON.stringify(e, null, 2)}</pre>`,
      )}`;
  }

  override render() {
    const e = this.event;
    return html`<dialog aria-labelledby="title" @close=${this.close} @keydown=${this.onKey}>
      <header>
        <h2 id="title">Event details</h2>
        <button class="close" @click=${this.close}>Close</button>
      </header>
      <div class="content">${e ? this.body(e) : nothing}</div>
    </dialog>`;
  }
}

if (!customElements.get('trailkeep-details')) customElements.define('trailkeep-details', Details);
