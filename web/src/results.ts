import { virtualize, virtualizerRef } from '@lit-labs/virtualizer/virtualize.js';
import { css, html, LitElement, type PropertyValues } from 'lit';
import type { StoredEvent } from './api.js';
import { actorLabel, localTime, targetLabel, timeZone } from './format.js';
import { base } from './styles.js';

/**
 * The results: a table (ARIA table, row, columnheader and cell) named "Audit events", whose
 * body is virtualized, so tens of thousands of rows scroll smoothly with a few dozen in the
 * DOM. Near the end it asks for more (`more`), and the viewer fetches the next cursor page.
 *
 * Keyboard: one row is in the tab order (a roving tabindex, kept by seq so rows that arrive
 * above it do not move it); arrow keys or j/k move, Home/End and Page Up/Down jump, Enter
 * opens the row (`open`).
 */

/** How close to the end (in rows) the next page is asked for. */
const AHEAD = 40;
const PAGE_STEP = 10;

interface VirtualizerHost extends HTMLElement {
  [virtualizerRef]?: {
    element(index: number): { scrollIntoView(o?: ScrollIntoViewOptions): void } | undefined;
  };
}

export class Results extends LitElement {
  static override properties = {
    rows: { attribute: false },
    order: {},
    more: { type: Boolean },
    active: { state: true },
  };

  declare rows: StoredEvent[];
  declare order: 'desc' | 'asc';
  /** Whether pages remain after these rows. */
  declare more: boolean;
  /** The seq of the row in the tab order. */
  declare active: number | null;

  private visible = { first: 0, last: -1 };

  constructor() {
    super();
    this.rows = [];
    this.order = 'desc';
    this.more = false;
    this.active = null;
  }

  static override styles = [
    base,
    css`
      :host {
        display: flex;
        flex-direction: column;
        min-height: 0;
        container-type: inline-size;
      }
      .table {
        display: flex;
        flex-direction: column;
        flex: 1;
        min-height: 0;
        border: 1px solid var(--tk-border);
        border-radius: var(--tk-radius);
        background: var(--tk-bg);
      }
      .head,
      .body {
        scrollbar-gutter: stable;
      }
      .head {
        overflow: hidden;
        border-bottom: 1px solid var(--tk-border);
        background: var(--tk-surface);
        border-radius: var(--tk-radius) var(--tk-radius) 0 0;
      }
      .body {
        flex: 1;
        min-height: 0;
      }
      .row {
        display: grid;
        grid-template-columns: minmax(10.5rem, 1fr) minmax(7rem, 1.1fr) minmax(7rem, 1.1fr) minmax(7rem, 1.3fr) 6rem;
        gap: 0 0.75rem;
        width: 100%;
        padding: 0.45rem 0.75rem;
        align-items: baseline;
      }
      .body .row {
        border-bottom: 1px solid var(--tk-border);
        cursor: pointer;
      }
      .body .row:hover {
        background: var(--tk-hover);
      }
      .body .row:focus-visible {
        outline-offset: -2px;
        background: var(--tk-selected);
      }
      [role='columnheader'] {
        font-weight: 600;
        text-align: start;
      }
      [role='cell'] {
        min-width: 0;
        /* Room below the baseline, so overflow: hidden keeps underscores and descenders. */
        line-height: 1.5;
        overflow: hidden;
        text-overflow: ellipsis;
        white-space: nowrap;
      }
      .time {
        font-variant-numeric: tabular-nums;
      }
      .action {
        font-family: var(--tk-mono);
        font-size: 0.95em;
      }
      .outcome-failure {
        color: var(--tk-danger);
        font-weight: 600;
      }
      .outcome-warning {
        color: var(--tk-warning);
        font-weight: 600;
      }
      .outcome-success {
        color: var(--tk-success);
      }
      .zone {
        font-weight: normal;
        color: var(--tk-muted);
      }
      /* A phone: each row is a small card; the header stays for assistive technology only. */
      @container (max-width: 40rem) {
        .head {
          position: absolute;
          width: 1px;
          height: 1px;
          overflow: hidden;
          clip-path: inset(50%);
        }
        .row {
          grid-template-columns: 1fr auto;
          grid-template-areas: 'time outcome' 'actor action' 'target target';
          gap: 0.15rem 0.5rem;
        }
        .time {
          grid-area: time;
          color: var(--tk-muted);
        }
        .outcome {
          grid-area: outcome;
          justify-self: end;
        }
        .actor {
          grid-area: actor;
          font-weight: 600;
        }
        .action {
          grid-area: action;
          text-align: end;
        }
        .target {
          grid-area: target;
          color: var(--tk-muted);
        }
      }
    `,
  ];

  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('rows')) {
      const keep = this.active !== null && this.rows.some((r) => r.seq === this.active);
      if (!keep) this.active = this.rows[0]?.seq ?? null;
    }
  }

  private body(): VirtualizerHost | null {
    return this.renderRoot.querySelector<VirtualizerHost>('.body');
  }

  private indexOf(seq: number | null): number {
    return seq === null ? -1 : this.rows.findIndex((r) => r.seq === seq);
  }

  /** Moves the tab stop to row `index`, scrolls it into view and focuses it. */
  async focusIndex(index: number): Promise<void> {
    const row = this.rows[Math.max(0, Math.min(index, this.rows.length - 1))];
    if (!row) return;
    this.active = row.seq;
    await this.focusSeq(row.seq);
  }

  /** Focuses the row of `seq` (the tab stop), scrolling to it first if it is not drawn. */
  async focusSeq(seq: number): Promise<void> {
    const index = this.indexOf(seq);
    if (index < 0) return;
    this.active = seq;
    this.body()?.[virtualizerRef]?.element(index)?.scrollIntoView({ block: 'nearest' });
    for (let tries = 0; tries < 30; tries++) {
      await this.updateComplete;
      const el = this.renderRoot.querySelector<HTMLElement>(`[data-seq="${seq}"]`);
      if (el) {
        el.focus({ preventScroll: false });
        return;
      }
      await new Promise((resolve) => requestAnimationFrame(resolve));
    }
  }

  private open(index: number): void {
    const row = this.rows[index];
    if (!row) return;
    this.active = row.seq;
    this.dispatchEvent(new CustomEvent('open', { detail: { event: row } }));
  }

  private onKey(e: KeyboardEvent): void {
    const row = (e.target as HTMLElement).closest<HTMLElement>('[role="row"]');
    if (!row?.dataset.seq) return;
    const index = this.indexOf(Number(row.dataset.seq));
    const moves: Record<string, number> = {
      ArrowDown: index + 1,
      j: index + 1,
      ArrowUp: index - 1,
      k: index - 1,
      PageDown: index + PAGE_STEP,
      PageUp: index - PAGE_STEP,
      Home: 0,
      End: this.rows.length - 1,
    };
    if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      this.open(index);
    } else if (e.key in moves && !e.altKey && !e.ctrlKey && !e.metaKey) {
      e.preventDefault();
      void this.focusIndex(moves[e.key] as number);
    }
  }

  private onVisible(e: Event): void {
    const { first, last } = e as Event & { first: number; last: number };
    this.visible = { first, last };
    // The tab stop stays on a drawn row, so Tab always reaches the table.
    const active = this.indexOf(this.active);
    const focused = this.shadowRoot?.activeElement !== null;
    if (!focused && (active < first || active > last) && this.rows[first]) this.active = this.rows[first].seq;
    if (this.more && last >= this.rows.length - AHEAD) this.dispatchEvent(new CustomEvent('more'));
  }

  /** Back to the first row, for a new search. */
  scrollToTop(): void {
    const body = this.body();
    if (body) body.scrollTop = 0;
  }

  /** The rows shown, first and last index: the bench and the tests read it. */
  get shown(): { first: number; last: number } {
    return this.visible;
  }

  private renderRow = (e: StoredEvent, index: number) => {
    const outcome = e.outcome ?? 'success';
    return html`<div
      role="row"
      class="row"
      aria-rowindex=${index + 2}
      data-seq=${e.seq}
      tabindex=${e.seq === this.active ? 0 : -1}
      @click=${() => this.open(index)}
    >
      <div role="cell" class="time"><time datetime=${e.occurred_at} title=${e.occurred_at}>${localTime(e.occurred_at)}</time></div>
      <div role="cell" class="actor" title=${e.actor?.id ?? ''}>${actorLabel(e)}</div>
      <div role="cell" class="action">${e.action}</div>
      <div role="cell" class="target">${targetLabel(e)}</div>
      <div role="cell" class="outcome outcome-${outcome}">${outcome}</div>
    </div>`;
  };

  override render() {
    const sort = this.order === 'asc' ? 'ascending' : 'descending';
    return html`<div
      role="table"
      class="table"
      aria-label="Audit events"
      aria-rowcount=${this.more ? -1 : this.rows.length + 1}
    >
      <div role="rowgroup" class="head">
        <div role="row" class="row" aria-rowindex="1">
          <div role="columnheader" aria-sort=${sort}>Time <span class="zone">(${timeZone()})</span></div>
          <div role="columnheader">Actor</div>
          <div role="columnheader">Action</div>
          <div role="columnheader">Target</div>
          <div role="columnheader">Outcome</div>
        </div>
      </div>
      <div role="rowgroup" class="body" @keydown=${this.onKey} @visibilityChanged=${this.onVisible}>
        ${virtualize({
          items: this.rows,
          scroller: true,
          keyFunction: (e: StoredEvent) => e.seq,
          renderItem: this.renderRow,
        })}
      </div>
    </div>`;
  }
}

if (!customElements.get('trailkeep-results')) customElements.define('trailkeep-results', Results);
