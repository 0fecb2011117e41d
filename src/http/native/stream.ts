import { PassThrough } from 'node:stream';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyBaseLogger, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { invalidParameter, TrailkeepError } from '../../core/errors.js';
import { FilterQuerySchema, toEventFilter } from '../../core/filters.js';
import type { EventFilter, EventRow } from '../../core/query.js';
import type { Services } from '../../services/index.js';
import type { Sink, TailHub } from '../../services/tail/hub.js';
import { stillGrants, tenantFor } from '../auth.js';
import { type Frame, frameCache, HEARTBEAT, idOnly, retryHint, SSE_TYPE } from '../sse.js';
import { ownersOf, releaseWhenClosed, Tally } from '../tally.js';
import { ErrorResponses } from './schemas.js';

/** How long a client waits before reconnecting after a drop: the stream's `retry:`. */
const RECONNECT_MS = 2_000;

/**
 * What a stream holds for its client beyond the socket's own buffers before the hub stops
 * feeding it (backpressure): a full frame, about one more, and the socket's 16 KiB.
 */
const STREAM_BUFFER_BYTES = 64 * 1024;

/** A stream frees when a client closes one, which nothing predicts: the client is asked to retry soon. */
const RETRY_AFTER_S = 1;

const StreamHeaders = Type.Object({
  'last-event-id': Type.Optional(
    Type.String({
      maxLength: 64,
      description:
        'The id (seq) of the last event received: the stream resumes strictly after it. EventSource sends it when it reconnects.',
    }),
  ),
});

/** A seq as the stream sends it in `id:`: digits, no sign, within what a number holds exactly. */
const SEQ = /^[0-9]{1,15}$/;

/** The seq a Last-Event-ID names, or undefined without one; a 400 naming it when it is not a seq. */
function lastEventId(req: FastifyRequest<{ Headers: { 'last-event-id'?: string } }>): number | undefined {
  const value = req.headers['last-event-id'];
  if (value === undefined) return undefined;
  if (!SEQ.test(value)) {
    invalidParameter(
      'Last-Event-ID',
      'must be the id of the last event received: a seq, written in digits.',
      'headers["last-event-id"]',
    );
  }
  return Number(value);
}

const STREAM_SUMMARY =
  'Live tail: matching events as they are committed, as Server-Sent Events (docs/live-tail.md). Takes the list’s filters; each event is a message with id = seq and data = the stored event JSON, in seq order. Resumes after Last-Event-ID, else from min_seq, else with events committed after it opened; a heartbeat comment keeps a quiet stream open.';

interface StreamDeps {
  tails: TailHub;
  heartbeatMs: number;
  frames: (rows: readonly EventRow[]) => Frame[];
  log: FastifyBaseLogger;
  /** Whether the stream's credential still grants it (asked at each heartbeat). */
  stillGranted: () => Promise<boolean>;
}

/**
 * The body of a live tail: the retry hint, then the hub's events as they come, heartbeats while
 * quiet. Writes follow the stream's backpressure: a frame the stream cannot take at once makes
 * the tail wait for 'drain', and a heartbeat is skipped while data waits anyway. At each
 * heartbeat the credential is checked again: revoked, or an expired token, the stream ends. The
 * client gone (the stream destroyed), the tail leaves the hub and the heartbeat stops.
 */
function tailStream(deps: StreamDeps, tenant: string, filter: EventFilter, after: number): PassThrough {
  const stream = new PassThrough({ highWaterMark: STREAM_BUFFER_BYTES });
  /** The id the client holds last. */
  let sent = after;
  const sink: Sink = {
    write(rows) {
      let taken = 0;
      for (const frame of deps.frames(rows)) {
        if (!stream.writable) break;
        const more = stream.write(frame.bytes);
        taken = frame.through;
        sent = rows[taken - 1]?.seq ?? sent;
        if (!more) return { taken, more: false };
      }
      return { taken, more: stream.writable };
    },
    end() {
      if (!stream.writable) return;
      // Past max_seq, the client's last id becomes max_seq: it reconnects to a 204 and stops.
      const { maxSeq } = filter;
      if (maxSeq !== undefined && tail.position >= maxSeq && sent < maxSeq) stream.write(idOnly(maxSeq));
      stream.end();
    },
    fail(err) {
      deps.log.warn({ err, tenant }, 'live tail ended: the store could not be read');
      if (stream.writable) stream.end();
    },
  };
  stream.write(retryHint(RECONNECT_MS));
  const tail = deps.tails.open(tenant, filter, after, sink);
  let checking = false;
  const beat = setInterval(() => {
    // Ended or gone, the stream takes no more writes; its 'close' stops this.
    if (!stream.writable) return;
    if (!stream.writableNeedDrain) stream.write(HEARTBEAT);
    if (checking) return;
    checking = true;
    void deps.stillGranted().then((granted) => {
      checking = false;
      if (granted || !stream.writable) return;
      tail.close();
      stream.end();
    });
  }, deps.heartbeatMs);
  stream.on('drain', () => tail.resume());
  stream.on('close', () => {
    clearInterval(beat);
    tail.close();
  });
  return stream;
}

/** `GET /v1/events/stream`: the live tail (services/tail/hub.ts), one SSE stream per request. */
export const streamRoutes: FastifyPluginAsyncTypebox<Pick<Services, 'tails' | 'auth' | 'config'>> = async (
  app,
  { tails, auth, config },
) => {
  const frames = frameCache();
  /** Streams open on this node, per credential. */
  const open = new Tally();
  const max = config.TRAILKEEP_STREAMS_PER_CREDENTIAL;

  /** A stream slot of the request's credential until the response is over; 429 past the cap. */
  const holdSlot = (req: FastifyRequest, reply: FastifyReply) => {
    const release = open.take([{ key: ownersOf(req).caller, amount: 1, max }]);
    if (!release) {
      throw new TrailkeepError(
        'rate_limited',
        `This credential has ${max} live-tail streams open on this node, the most it may; close one first.`,
        { retry_after: RETRY_AFTER_S, max_streams: max },
      );
    }
    releaseWhenClosed(reply, release);
  };

  // An open stream never ends by itself: the server's close ends them, or it would wait for them.
  app.addHook('preClose', async () => {
    await tails.close();
  });

  app.get(
    '/events/stream',
    {
      // A HEAD of an endless body would hold a connection open for nothing.
      exposeHeadRoute: false,
      schema: {
        tags: ['events'],
        summary: STREAM_SUMMARY,
        querystring: Type.Object(FilterQuerySchema.properties, { additionalProperties: false }),
        headers: StreamHeaders,
        response: {
          200: {
            description:
              'An endless text/event-stream: `retry:` first, then per event `id: <seq>` and `data: <stored event JSON>`, and `: heartbeat` comments while quiet.',
            content: { 'text/event-stream': { schema: Type.String() } },
          },
          204: {
            description:
              'Every event up to max_seq has been sent already (Last-Event-ID or min_seq past it): nothing more will come, and EventSource stops reconnecting.',
            type: 'null',
          },
          ...ErrorResponses,
        },
      },
    },
    async (req, reply) => {
      const tenant = tenantFor(req, 'events:read');
      // Every condition a stream reads under is in this filter: narrowing a credential's reads
      // (viewer tokens) is ANDed in here.
      const filter = toEventFilter(req.query);
      const resumeAfter = lastEventId(req);
      holdSlot(req, reply);
      const head = await tails.head(tenant);
      const after = resumeAfter ?? (filter.minSeq !== undefined ? filter.minSeq - 1 : head);
      if (resumeAfter !== undefined && after > head) {
        invalidParameter(
          'Last-Event-ID',
          `is ${after}, past the last event of this tenant (${head}): send the id of the last event this stream sent.`,
          'headers["last-event-id"]',
        );
      }
      if (filter.maxSeq !== undefined && Math.max(after, (filter.minSeq ?? 1) - 1) >= filter.maxSeq) {
        return reply.code(204).send(null);
      }
      const stream = tailStream(
        {
          tails,
          heartbeatMs: config.TRAILKEEP_STREAM_HEARTBEAT * 1000,
          frames,
          log: req.log,
          stillGranted: () => stillGrants(req, auth, 'events:read', tenant),
        },
        tenant,
        filter,
        after,
      );
      return (
        reply
          .type(SSE_TYPE)
          .header('cache-control', 'no-cache')
          // nginx buffers responses unless told not to; an event stream must pass as it is written.
          .header('x-accel-buffering', 'no')
          // Its end (the server closing) closes the connection: nothing reuses it, nor waits for it.
          .header('connection', 'close')
          // The response schema documents the messages; the body is the stream, written as events come.
          .send(stream as never)
      );
    },
  );
};
