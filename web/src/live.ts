import { createParser } from 'eventsource-parser';
import { type Api, ApiError, errorOf, query, type StoredEvent } from './api.js';
import type { Param } from './query.js';

/**
 * The live tail: `GET /v1/events/stream` (Server-Sent Events) read with fetch, since the
 * browser's EventSource cannot send an Authorization header. Each message is `id: <seq>` and
 * `data: <stored event>`; comments are heartbeats. After a drop it reconnects with
 * `Last-Event-ID` set to the last seq it received, so nothing is missed or shown twice, waiting
 * longer after each failure (the server's `retry:` first, then doubling up to 30 s). A 401 ends
 * it: the credential is gone, and retrying cannot bring it back.
 */

export type LiveState = 'off' | 'connecting' | 'live' | 'reconnecting' | 'ended' | 'failed';

export interface LiveHandlers {
  event(event: StoredEvent): void;
  state(state: LiveState, detail?: string): void;
  /** The stream refused the credential (401) or the request (4xx): it has stopped. */
  error(error: ApiError): void;
}

/** A connection that hears nothing, not even a heartbeat, for this long is taken as dropped. */
export const SILENCE_MS = 45_000;
const MAX_WAIT_MS = 30_000;

export class LiveTail {
  private controller: AbortController | null = null;
  private lastId: string | null;
  /** The wait after a drop: the server's `retry:` once it has sent one. */
  private base = 1_000;
  private wait = 1_000;
  private stopped = false;

  constructor(
    private readonly api: Api,
    private readonly params: readonly Param[],
    private readonly on: LiveHandlers,
    /** Resume after this seq (the newest one the list shows), or from now when null. */
    after: number | null,
  ) {
    this.lastId = after === null ? null : String(after);
  }

  start(): void {
    void this.run();
  }

  stop(): void {
    this.stopped = true;
    this.controller?.abort();
    this.on.state('off');
  }

  private async run(): Promise<void> {
    let first = true;
    while (!this.stopped) {
      this.on.state(first ? 'connecting' : 'reconnecting');
      first = false;
      try {
        if ((await this.connect()) === 'ended') {
          this.stopped = true;
          this.on.state('ended');
          return;
        }
      } catch (err) {
        if (this.stopped) return;
        if (err instanceof ApiError && err.status >= 400 && err.status < 500 && err.status !== 429) {
          this.stopped = true;
          this.on.state('failed', err.message);
          this.on.error(err);
          return;
        }
      }
      if (this.stopped) return;
      this.on.state('reconnecting');
      await new Promise((resolve) => setTimeout(resolve, this.wait));
      this.wait = Math.min(this.wait * 2, MAX_WAIT_MS);
    }
  }

  /**
   * One connection, until it ends, drops or goes silent; 'ended' when the server says no event
   * can come any more (204: the search's max_seq is behind).
   */
  private async connect(): Promise<'ended' | undefined> {
    const controller = new AbortController();
    this.controller = controller;
    let silence: ReturnType<typeof setTimeout> | undefined;
    const heard = () => {
      clearTimeout(silence);
      silence = setTimeout(() => controller.abort(), SILENCE_MS);
    };
    try {
      heard();
      const res = await fetch(this.api.url(`/v1/events/stream${query(this.params)}`), {
        headers: this.api.headers({
          accept: 'text/event-stream',
          ...(this.lastId === null ? {} : { 'last-event-id': this.lastId }),
        }),
        signal: controller.signal,
      });
      if (!res.ok) throw await errorOf(res);
      if (res.status === 204) return 'ended';
      if (!res.body) throw new Error('the stream has no body');
      this.on.state('live');
      const parser = createParser({
        onEvent: (message) => {
          if (message.id !== undefined && message.id !== '') this.lastId = message.id;
          if (message.event !== undefined && message.event !== 'message') return;
          try {
            this.on.event(JSON.parse(message.data) as StoredEvent);
          } catch {
            // A message that is not an event (none is sent today) is skipped, not fatal.
          }
        },
        onRetry: (ms) => {
          this.base = ms;
          this.wait = ms;
        },
      });
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        heard();
        // A connection that delivered something has recovered: the next drop waits the least.
        this.wait = this.base;
        parser.feed(value);
      }
      return undefined;
    } finally {
      clearTimeout(silence);
    }
  }
}
