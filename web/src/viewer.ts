import { css, html, LitElement, nothing, type PropertyValues } from 'lit';
import { Api, ApiError, type StoredEvent } from './api.js';
import type { Details } from './details.js';
import { count } from './format.js';
import { type LiveState, LiveTail } from './live.js';
import { storedTheme, storedToken, storeTheme, storeToken, takeFragmentToken } from './page-session.js';
import { type Param, withTerm } from './query.js';
import type { Results } from './results.js';
import type { Search } from './search.js';
import {
  EMPTY_SEARCH,
  filtersBody,
  paramsFromJson,
  type Request,
  requestOf,
  type SearchState,
  searchFromUrl,
  searchToUrl,
} from './search-state.js';
import { base, theme } from './styles.js';
import { type Verdict, verifyEvent } from './verify/verify.js';
import './details.js';
import './export.js';
import './results.js';
import './search.js';
import './sign-in.js';

/**
 * `<trailkeep-viewer server="…" token="…">`: Trailkeep's audit events, searchable, live and
 * exportable, in any page. Attributes:
 *
 * - `server`: the Trailkeep base URL; by default the server this script was loaded from;
 * - `token`: the credential (a viewer token minted for the signed-in user, or any key with
 *   `events:read`); changing it retries, so a host answers `trailkeep-expired` with a new one;
 * - `query`: the initial search, in the query language; `filters`: a JSON object of filter
 *   parameters always applied (the search narrows them, never widens them);
 * - `theme`: `auto` (the system's), `light` or `dark`; `verifier-key`: the log's verifier key,
 *   pinned, instead of the one the server serves;
 * - `page`: the standalone page's behaviour (sign-in form, `#token=` fragment, session storage,
 *   the search in the URL); without it the element never touches the host page's URL.
 *
 * Events (bubbling, composed): `trailkeep-expired` (detail `{message}`), `trailkeep-error`
 * (detail `{status, code, message}`), `trailkeep-search` (detail: the search and its filters),
 * `trailkeep-open` (detail `{event}`).
 */

/** Rows in the first page (drawn as soon as they arrive) and in each page after it. */
export const FIRST_PAGE = 100;
export const NEXT_PAGE = 500;

type Auth = 'signed-out' | 'no-token' | 'checking' | 'ready' | 'expired';

const LIVE_TEXT: Record<LiveState, string> = {
  off: '',
  connecting: 'Connecting…',
  live: 'Connected',
  reconnecting: 'Reconnecting…',
  ended: 'Up to date: no newer event can match this search',
  failed: 'Stopped',
};

/** The server this script was served by: `<base>/viewer/trailkeep-viewer.js` → `<base>/`. */
const scriptServer = (): string => new URL(/* @vite-ignore */ '../', import.meta.url).href;

export class TrailkeepViewer extends LitElement {
  static override properties = {
    server: {},
    token: {},
    query: {},
    filters: {},
    theme: { reflect: true },
    page: { type: Boolean },
    verifierKey: { attribute: 'verifier-key' },
    auth: { state: true },
    authMessage: { state: true },
    search: { state: true },
    request: { state: true },
    rows: { state: true },
    cursor: { state: true },
    loading: { state: true },
    listError: { state: true },
    selected: { state: true },
    live: { state: true },
    liveState: { state: true },
    liveDetail: { state: true },
  };

  declare server: string | null;
  declare token: string | null;
  declare query: string | null;
  declare filters: string | null;
  declare theme: 'auto' | 'light' | 'dark';
  declare page: boolean;
  declare verifierKey: string | null;
  declare auth: Auth;
  declare authMessage: string;
  declare search: SearchState;
  declare request: Request | null;
  declare rows: StoredEvent[];
  declare cursor: string | null;
  declare loading: 'first' | 'more' | null;
  declare listError: string | null;
  declare selected: StoredEvent | null;
  declare live: boolean;
  declare liveState: LiveState;
  declare liveDetail: string;

  private api: Api | null = null;
  private keyText: Promise<string> | null = null;
  private run = 0;
  private seen = new Set<number>();
  private tail: LiveTail | null = null;
  private arrived = 0;
  /** The seq the page's URL asks to open (`?event=`), once its search has loaded. */
  private pendingOpen: string | null = null;
  private started = false;

  constructor() {
    super();
    this.server = null;
    this.token = null;
    this.query = null;
    this.filters = null;
    this.theme = 'auto';
    this.page = false;
    this.verifierKey = null;
    this.auth = 'no-token';
    this.authMessage = '';
    this.search = EMPTY_SEARCH;
    this.request = null;
    this.rows = [];
    this.cursor = null;
    this.loading = null;
    this.listError = null;
    this.selected = null;
    this.live = false;
    this.liveState = 'off';
    this.liveDetail = '';
  }

  static override styles = [
    theme,
    base,
    css`
      :host {
        display: block;
        height: 36rem;
        container-type: inline-size;
        background: var(--tk-bg);
        color: var(--tk-fg);
      }
      .app {
        display: flex;
        flex-direction: column;
        gap: 0.75rem;
        height: 100%;
        padding: 0.75rem;
      }
      .top {
        display: flex;
        flex-wrap: wrap;
        gap: 0.5rem 1rem;
        align-items: center;
        justify-content: space-between;
      }
      h1 {
        margin: 0;
        font-size: 1.25rem;
      }
      h1 span {
        font-weight: normal;
        color: var(--tk-muted);
      }
      .tools {
        display: flex;
        flex-wrap: wrap;
        gap: 0.5rem;
        align-items: center;
        margin-inline-start: auto;
      }
      [role='switch'] {
        display: inline-flex;
        align-items: center;
        gap: 0.5rem;
      }
      [role='switch']::before {
        content: '';
        width: 2rem;
        height: 1.1rem;
        border-radius: 999px;
        border: 1px solid var(--tk-muted);
        background: radial-gradient(circle at 0.55rem 50%, var(--tk-muted) 0.38rem, transparent 0.42rem);
      }
      [role='switch'][aria-checked='true']::before {
        border-color: var(--tk-success);
        background: var(--tk-success)
          radial-gradient(circle at 1.45rem 50%, var(--tk-bg) 0.38rem, transparent 0.42rem);
      }
      trailkeep-results {
        flex: 1;
        min-height: 0;
      }
      .foot {
        margin: 0;
        min-height: 1.25rem;
      }
      .panel {
        margin: 2rem auto;
        width: min(32rem, 100%);
        padding: 1.5rem;
        border: 1px solid var(--tk-border);
        border-radius: var(--tk-radius);
        background: var(--tk-surface);
      }
      .panel h2 {
        margin: 0 0 0.5rem;
      }
      @container (max-width: 40rem) {
        .app {
          padding: 0.5rem;
          gap: 0.5rem;
        }
        .tools {
          margin-inline-start: 0;
        }
        .tools > button,
        .tools > select {
          padding-inline: 0.5rem;
        }
      }
    `,
  ];

  override connectedCallback(): void {
    super.connectedCallback();
    if (this.page) {
      this.token = takeFragmentToken() ?? this.token ?? storedToken();
      if (this.token) storeToken(this.token);
      const theme = storedTheme();
      if (theme === 'light' || theme === 'dark' || theme === 'auto') this.theme = theme;
      this.fromLocation();
      addEventListener('popstate', this.onPopState);
      addEventListener('hashchange', this.onHashChange);
      document.addEventListener('keydown', this.onShortcut);
    } else {
      this.search = { ...EMPTY_SEARCH, query: this.query ?? '' };
      this.addEventListener('keydown', this.onShortcut);
    }
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    removeEventListener('popstate', this.onPopState);
    removeEventListener('hashchange', this.onHashChange);
    document.removeEventListener('keydown', this.onShortcut);
    this.removeEventListener('keydown', this.onShortcut);
    this.stopLive();
    this.run += 1;
  }

  /**
   * Before rendering, so the first page's request is on its way while the element draws itself
   * for the first time (which takes as long as the request on a first visit).
   */
  protected override willUpdate(changed: PropertyValues<this>): void {
    if (changed.has('server') || changed.has('token')) {
      this.api = this.token ? new Api(this.server || scriptServer(), this.token) : null;
      this.keyText = null;
    }
    const requery = changed.has('query') && changed.get('query') !== undefined && !this.page;
    if (requery) this.search = { ...this.search, query: this.query ?? '' };
    const reload = ['server', 'token', 'filters'].some((p) => changed.has(p as keyof TrailkeepViewer));
    if (reload || !this.started) {
      this.started = true;
      this.start();
    } else if (requery) {
      void this.runSearch();
    }
  }

  private emit(name: string, detail: unknown): void {
    this.dispatchEvent(new CustomEvent(name, { detail, bubbles: true, composed: true }));
  }

  /** Starts over with the current server and credential. */
  private start(): void {
    this.stopLive();
    this.rows = [];
    this.seen.clear();
    this.selected = null;
    if (!this.api) {
      this.auth = this.page ? 'signed-out' : 'no-token';
      return;
    }
    this.auth = 'ready';
    void this.runSearch();
  }

  private fixed(): Param[] {
    try {
      return paramsFromJson(this.filters);
    } catch (err) {
      this.listError = `The filters attribute is not valid: ${(err as Error).message}`;
      return [];
    }
  }

  /** Runs the current search from its first page. */
  private async runSearch(): Promise<void> {
    const api = this.api;
    if (!api || this.auth !== 'ready') return;
    const run = ++this.run;
    this.listError = null;
    const request = requestOf(this.search, this.fixed(), Date.now());
    this.request = request;
    if (request.error) {
      this.rows = [];
      this.cursor = null;
      return;
    }
    this.loading = 'first';
    try {
      const page = await api.list(request.params, { order: this.search.order, limit: FIRST_PAGE });
      if (run !== this.run) return;
      this.rows = page.data;
      this.seen = new Set(page.data.map((e) => e.seq));
      this.cursor = page.next_cursor;
      this.renderRoot.querySelector<Results>('trailkeep-results')?.scrollToTop();
      if (this.live) this.startLive();
      void this.openPending();
    } catch (err) {
      if (run === this.run) this.failed(err);
    } finally {
      if (run === this.run) this.loading = null;
    }
  }

  /** The next cursor page, appended: the table asks as its end comes near. */
  private async loadMore(): Promise<void> {
    const api = this.api;
    const cursor = this.cursor;
    if (!api || !cursor || this.loading) return;
    const run = this.run;
    this.loading = 'more';
    try {
      const page = await api.list([], { order: this.search.order, limit: NEXT_PAGE, cursor });
      if (run !== this.run) return;
      const fresh = page.data.filter((e) => !this.seen.has(e.seq));
      for (const e of fresh) this.seen.add(e.seq);
      this.rows = [...this.rows, ...fresh];
      this.cursor = page.next_cursor;
    } catch (err) {
      if (run === this.run) this.failed(err);
    } finally {
      if (run === this.run) this.loading = null;
    }
  }

  private failed(err: unknown): void {
    if (err instanceof ApiError && err.expired) {
      this.expire(err.message);
      return;
    }
    const message = err instanceof Error ? err.message : String(err);
    this.listError = message;
    this.emit('trailkeep-error', {
      status: err instanceof ApiError ? err.status : 0,
      code: err instanceof ApiError ? err.code : 'network_error',
      message,
    });
  }

  private expire(message: string): void {
    if (this.auth === 'expired') return;
    this.run += 1;
    this.stopLive();
    this.live = false;
    this.selected = null;
    this.auth = 'expired';
    this.authMessage = message;
    this.emit('trailkeep-expired', { message });
  }

  // --- the page's location ---

  private fromLocation(): void {
    this.search = searchFromUrl(location.search);
    this.pendingOpen = new URLSearchParams(location.search).get('event');
  }

  private onPopState = (): void => {
    this.fromLocation();
    this.selected = null;
    void this.runSearch();
  };

  private onHashChange = (): void => {
    const token = takeFragmentToken();
    if (token) this.signedIn(token);
  };

  private writeLocation(push: boolean): void {
    if (!this.page) return;
    const extra: Record<string, string> = this.selected ? { event: String(this.selected.seq) } : {};
    const url = `${location.pathname}${searchToUrl(this.search, extra)}`;
    if (push) history.pushState(null, '', url);
    else history.replaceState(history.state, '', url);
  }

  private async openPending(): Promise<void> {
    const id = this.pendingOpen;
    this.pendingOpen = null;
    if (!id || !this.api) return;
    try {
      this.open(this.rows.find((e) => String(e.seq) === id) ?? (await this.api.event(id)));
    } catch (err) {
      this.failed(err);
    }
  }

  // --- interactions ---

  private onSearch(e: CustomEvent<SearchState>): void {
    this.search = e.detail;
    this.writeLocation(true);
    void this.runSearch().then(() => {
      this.emit('trailkeep-search', { ...this.search, params: this.request?.params ?? [] });
    });
  }

  private open(event: StoredEvent): void {
    this.selected = event;
    this.writeLocation(false);
    this.emit('trailkeep-open', { event });
  }

  private closeDetails(): void {
    const seq = this.selected?.seq;
    if (seq === undefined) return;
    this.selected = null;
    this.writeLocation(false);
    void this.renderRoot.querySelector<Results>('trailkeep-results')?.focusSeq(seq);
  }

  private onFilter(e: CustomEvent<{ term: string }>): void {
    this.selected = null;
    this.onSearch(
      new CustomEvent('search', {
        detail: { ...this.search, query: withTerm(this.search.query, e.detail.term) },
      }),
    );
  }

  private onShortcut = (e: KeyboardEvent): void => {
    if (e.key !== '/' || e.ctrlKey || e.metaKey || e.altKey || this.selected) return;
    const target = e.composedPath()[0] as HTMLElement | undefined;
    if (target && (/^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName) || target.isContentEditable)) return;
    const search = this.renderRoot.querySelector<Search>('trailkeep-search');
    if (!search) return;
    e.preventDefault();
    search.focusInput();
  };

  private async signedIn(token: string): Promise<void> {
    const api = new Api(this.server || scriptServer(), token);
    this.auth = 'checking';
    this.authMessage = '';
    try {
      await api.list([], { order: 'desc', limit: 1 });
    } catch (err) {
      this.auth = 'signed-out';
      this.authMessage =
        err instanceof ApiError && err.status === 401
          ? `The server refused this credential: ${err.message}`
          : err instanceof ApiError && err.status === 403
            ? `This credential cannot read events: ${err.message}`
            : `Could not reach the server: ${(err as Error).message}`;
      return;
    }
    storeToken(token);
    this.token = token;
  }

  private signOut(): void {
    storeToken(null);
    this.token = null;
    this.authMessage = '';
  }

  private setTheme(e: Event): void {
    const value = (e.target as HTMLSelectElement).value as TrailkeepViewer['theme'];
    this.theme = value;
    if (this.page) storeTheme(value);
  }

  // --- live tail ---

  private toggleLive(): void {
    this.live = !this.live;
    if (this.live) this.startLive();
    else this.stopLive();
  }

  private startLive(): void {
    this.tail?.stop();
    this.tail = null;
    this.arrived = 0;
    const api = this.api;
    const request = this.request;
    if (!api || !request || request.error) return;
    let newest: number | null = null;
    if (this.search.order === 'desc') for (const seq of this.seen) newest = Math.max(newest ?? seq, seq);
    this.tail = new LiveTail(
      api,
      request.params,
      {
        event: (e) => this.onLiveEvent(e),
        state: (state, detail) => {
          this.liveState = state;
          this.liveDetail = detail ?? '';
        },
        error: (err) => this.failed(err),
      },
      newest,
    );
    this.tail.start();
  }

  private stopLive(): void {
    this.tail?.stop();
    this.tail = null;
    this.liveState = 'off';
  }

  private onLiveEvent(e: StoredEvent): void {
    if (this.seen.has(e.seq)) return;
    if (this.search.order === 'desc') {
      this.seen.add(e.seq);
      this.rows = [e, ...this.rows];
    } else if (!this.cursor) {
      this.seen.add(e.seq);
      this.rows = [...this.rows, e];
    } else {
      return;
    }
    this.arrived += 1;
    this.liveDetail = `${count(this.arrived)} new`;
  }

  private verify = async (event: StoredEvent): Promise<Verdict> => {
    const api = this.api;
    if (!api) throw new Error('signed out');
    this.keyText ??= api.logKey().then((k) => k.verifier_key);
    const keyText = this.keyText;
    return verifyEvent(
      event,
      {
        key: () => keyText,
        checkpoint: () => api.checkpoint(),
        inclusion: (seq, size) => api.inclusion(seq, size),
      },
      this.verifierKey ?? undefined,
    );
  };

  // --- rendering ---

  private status(): string {
    if (this.listError) return this.listError;
    if (this.loading === 'first') return 'Loading…';
    const n = count(this.rows.length);
    if (this.rows.length === 0) return this.request?.error ? '' : 'No events match this search.';
    if (this.loading === 'more') return `${n} events shown; loading more…`;
    return this.cursor ? `${n} events shown; more load as you scroll.` : `${n} events.`;
  }

  private tools() {
    const on = this.live;
    const liveText =
      this.liveState === 'off'
        ? ''
        : `${LIVE_TEXT[this.liveState]}${this.liveDetail ? ` · ${this.liveDetail}` : ''}`;
    return html`<div class="tools">
      <button role="switch" aria-checked=${on ? 'true' : 'false'} @click=${this.toggleLive}>Live</button>
      <span class="live-state muted" role="status">${liveText}</span>
      <trailkeep-export
        .api=${this.api}
        .filters=${filtersBody(this.request?.params ?? [])}
        @api-error=${(e: CustomEvent<ApiError>) => this.failed(e.detail)}
      ></trailkeep-export>
      <select aria-label="Theme" .value=${this.theme} @change=${this.setTheme}>
        <option value="auto" ?selected=${this.theme === 'auto'}>Auto</option>
        <option value="light" ?selected=${this.theme === 'light'}>Light</option>
        <option value="dark" ?selected=${this.theme === 'dark'}>Dark</option>
      </select>
      ${this.page ? html`<button @click=${this.signOut}>Sign out</button>` : nothing}
    </div>`;
  }

  private main() {
    switch (this.auth) {
      case 'signed-out':
      case 'checking':
        return html`<trailkeep-sign-in
          .server=${new URL(this.server || scriptServer()).host}
          .message=${this.authMessage}
          ?busy=${this.auth === 'checking'}
          @sign-in=${(e: CustomEvent<{ token: string }>) => this.signedIn(e.detail.token)}
        ></trailkeep-sign-in>`;
      case 'no-token':
        return html`<div class="panel" role="alert">
          <h2>No credential</h2>
          <p>Give the element a <code>token</code> attribute: a viewer token, or a key that can read events.</p>
        </div>`;
      case 'expired':
        return html`<div class="panel" role="alert">
          <h2>Session expired</h2>
          <p>${this.authMessage || 'The credential is no longer accepted.'}</p>
          ${
            this.page
              ? html`<button class="primary" @click=${this.signOut}>Sign in again</button>`
              : html`<p class="muted">The page that shows this viewer can give it a new token.</p>`
          }
        </div>`;
      default:
        return html`<trailkeep-search
            .state=${this.search}
            .error=${this.request?.error ?? null}
            @search=${this.onSearch}
          ></trailkeep-search>
          <trailkeep-results
            .rows=${this.rows}
            .order=${this.search.order}
            ?more=${this.cursor !== null}
            aria-busy=${this.loading === 'first' ? 'true' : 'false'}
            @more=${this.loadMore}
            @open=${(e: CustomEvent<{ event: StoredEvent }>) => this.open(e.detail.event)}
          ></trailkeep-results>
          <p class="foot ${this.listError ? 'error' : 'muted'}" role="status">${this.status()}</p>
          <trailkeep-details
            .event=${this.selected}
            .verify=${this.verify}
            @close=${this.closeDetails}
            @filter=${this.onFilter}
          ></trailkeep-details>`;
    }
  }

  override render() {
    const ready = this.auth === 'ready';
    return html`<div class="app">
      ${
        this.page || ready
          ? html`<div class="top">
              ${this.page ? html`<h1>Trailkeep <span>audit events</span></h1>` : nothing}
              ${ready ? this.tools() : nothing}
            </div>`
          : nothing
      }
      ${this.main()}
    </div>`;
  }
}

export type { Details };

if (!customElements.get('trailkeep-viewer')) customElements.define('trailkeep-viewer', TrailkeepViewer);
