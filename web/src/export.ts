import { css, html, LitElement, nothing } from 'lit';
import { type Api, ApiError, type ExportJob } from './api.js';
import { bytes, count } from './format.js';
import { base } from './styles.js';

/**
 * Export of the current search through the export jobs (`POST /v1/exports`, docs/jobs.md): the
 * "Export" button opens a small panel to choose CSV or NDJSON; the job's state shows while it
 * runs (a job reports its state, then its rows and bytes when done), then the file is read with
 * the credential, its bytes counted against its length, and offered as a download link.
 *
 * Properties: `api`, `filters` (the search's, as an export body takes them). Emits `api-error`
 * (detail: the ApiError) when the credential has expired, for the viewer to end the session.
 */

type Phase = 'idle' | 'starting' | 'queued' | 'running' | 'downloading' | 'ready' | 'failed';

const POLL_MS = 400;

export class Export extends LitElement {
  static override properties = {
    api: { attribute: false },
    filters: { attribute: false },
    open: { state: true },
    phase: { state: true },
    message: { state: true },
    done: { state: true },
    total: { state: true },
    link: { state: true },
  };

  declare api: Api | null;
  declare filters: Record<string, string | string[]>;
  declare open: boolean;
  declare phase: Phase;
  declare message: string;
  declare done: number;
  declare total: number | null;
  declare link: { href: string; name: string } | null;

  private run = 0;

  constructor() {
    super();
    this.api = null;
    this.filters = {};
    this.open = false;
    this.phase = 'idle';
    this.message = '';
    this.done = 0;
    this.total = null;
    this.link = null;
  }

  static override styles = [
    base,
    css`
      :host {
        position: relative;
        display: inline-block;
      }
      .panel {
        position: absolute;
        inset-inline-end: 0;
        top: calc(100% + 0.35rem);
        z-index: 5;
        width: min(22rem, calc(100vw - 1.5rem));
        padding: 0.75rem;
        border: 1px solid var(--tk-border);
        border-radius: var(--tk-radius);
        background: var(--tk-bg);
        box-shadow: 0 6px 24px rgb(0 0 0 / 18%);
      }
      .panel p {
        margin: 0 0 0.5rem;
      }
      .formats {
        display: flex;
        gap: 0.5rem;
      }
      progress {
        width: 100%;
        margin-top: 0.5rem;
      }
      .actions {
        display: flex;
        gap: 0.75rem;
        align-items: center;
        margin-top: 0.5rem;
      }
    `,
  ];

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.reset();
  }

  private reset(): void {
    this.run += 1;
    if (this.link) URL.revokeObjectURL(this.link.href);
    this.link = null;
    this.phase = 'idle';
    this.message = '';
    this.done = 0;
    this.total = null;
  }

  private async start(format: 'csv' | 'ndjson'): Promise<void> {
    const api = this.api;
    if (!api) return;
    this.reset();
    const run = this.run;
    const current = () => run === this.run;
    this.phase = 'starting';
    this.message = `Starting a ${format.toUpperCase()} export…`;
    try {
      let job: ExportJob = await api.startExport(format, this.filters);
      while (current() && (job.state === 'queued' || job.state === 'running')) {
        this.phase = job.state;
        this.message =
          job.state === 'queued' ? 'Queued: waiting for a worker…' : 'Writing the file on the server…';
        await new Promise((resolve) => setTimeout(resolve, POLL_MS));
        job = await api.exportJob(job.id);
      }
      if (!current()) return;
      if (job.state !== 'succeeded') {
        this.phase = 'failed';
        this.message = `The export ${job.state}${job.error ? `: ${job.error}` : ''}.`;
        return;
      }
      const rows = job.rows ?? 0;
      this.phase = 'downloading';
      this.total = job.bytes;
      this.message = `Downloading ${count(rows)} events…`;
      const blob = await api.download(job, (done, total) => {
        if (!current()) return;
        this.done = done;
        this.total = total;
      });
      if (!current()) return;
      const name = `trailkeep-export-${job.id}.${format}`;
      this.link = { href: URL.createObjectURL(blob), name };
      this.phase = 'ready';
      this.message = `Ready: ${count(rows)} events, ${bytes(blob.size)}.`;
    } catch (err) {
      if (!current()) return;
      this.phase = 'failed';
      this.message = `The export failed: ${(err as Error).message}`;
      // The panel shows every failure; the viewer hears of an expired credential, which ends the session.
      if (err instanceof ApiError && err.expired) {
        this.dispatchEvent(new CustomEvent('api-error', { detail: err, bubbles: true, composed: true }));
      }
    }
  }

  /** Escape closes the panel, focus back on its button. */
  private onKey(e: KeyboardEvent): void {
    if (e.key !== 'Escape') return;
    e.stopPropagation();
    this.open = false;
    this.renderRoot.querySelector<HTMLButtonElement>('button')?.focus();
  }

  private progress() {
    if (this.phase === 'downloading' && this.total) {
      return html`<progress aria-label="Export progress" max=${this.total} value=${this.done}></progress>`;
    }
    if (this.phase === 'ready')
      return html`<progress aria-label="Export progress" max="1" value="1"></progress>`;
    if (this.phase === 'idle' || this.phase === 'failed') return nothing;
    // The job reports no fraction while it runs: an indeterminate bar.
    return html`<progress aria-label="Export progress"></progress>`;
  }

  override render() {
    const busy = ['starting', 'queued', 'running', 'downloading'].includes(this.phase);
    return html`<button
        aria-expanded=${this.open ? 'true' : 'false'}
        aria-controls="export-panel"
        @click=${() => {
          this.open = !this.open;
        }}
      >
        Export
      </button>
      <div id="export-panel" class="panel" ?hidden=${!this.open} @keydown=${this.onKey}>
        <p>Export every event of the current search, oldest first:</p>
        <div class="formats">
          <button ?disabled=${busy} @click=${() => this.start('csv')}>CSV</button>
          <button ?disabled=${busy} @click=${() => this.start('ndjson')}>NDJSON</button>
        </div>
        ${this.progress()}
        <p role="status" class=${this.phase === 'failed' ? 'error' : ''}>${this.message}</p>
        ${
          this.link
            ? html`<div class="actions">
                <a href=${this.link.href} download=${this.link.name}>Download ${this.link.name}</a>
              </div>`
            : nothing
        }
      </div>`;
  }
}

if (!customElements.get('trailkeep-export')) customElements.define('trailkeep-export', Export);
