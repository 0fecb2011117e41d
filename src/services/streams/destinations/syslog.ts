import { X509Certificate } from 'node:crypto';
import type { Socket } from 'node:net';
import { Type } from 'typebox';
import { invalidParameter } from '../../../core/errors.js';
import { FORMATS } from '../../../core/streams/formats/index.js';
import { formatMessage, frame, type SyslogMessage } from '../../../core/streams/rfc5424.js';
import { deliver } from './syslog-socket.js';
import type { DestinationModule, OutBatch } from './types.js';

const settings = Type.Object({
  host: Type.String({
    minLength: 1,
    maxLength: 253,
    pattern: '^[A-Za-z0-9.:_\\[\\]-]+$',
    description: 'The receiver’s host name or address.',
  }),
  port: Type.Integer({ minimum: 1, maximum: 65535, description: 'The receiver’s TCP port (6514 for TLS).' }),
  tls: Type.Optional(
    Type.Boolean({ description: 'TLS (RFC 5425), on unless `false`; `false` sends over plain TCP.' }),
  ),
  ca: Type.Optional(
    Type.String({
      maxLength: 65_536,
      description: 'PEM of the CA certificates to trust for the receiver, instead of the system’s.',
    }),
  ),
  app_name: Type.Optional(
    Type.String({
      pattern: '^[!-~]{1,48}$',
      description: 'APP-NAME of each message; `trailkeep` when absent.',
    }),
  ),
  facility: Type.Optional(
    Type.Integer({
      minimum: 0,
      maximum: 23,
      description: 'The syslog facility, 0–23; 13 ("log audit") when absent.',
    }),
  ),
  hostname: Type.Optional(
    Type.String({
      pattern: '^[!-~]{1,255}$',
      description: 'HOSTNAME of each message; the server’s host name when absent.',
    }),
  ),
});

/**
 * The SD-ID of Trailkeep's structured data: a private one (`name@PEN`, RFC 5424 §7.2.2). 32473
 * is the enterprise number RFC 5612 sets aside for documentation; it stands in until Trailkeep
 * has one of its own from IANA, and receivers match on it (docs/streams/syslog.md).
 */
export const SD_ID = 'trailkeep@32473';

/** "log audit": what RFC 5424 names for audit records, so receivers file them apart from auth logs. */
export const DEFAULT_FACILITY = 13;
/** Informational: an audit event is a record of something done, not an alarm. */
const SEVERITY = 6;

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g;

/** One or more PEM certificates that parse; node:tls would otherwise ignore what it cannot read. */
function isPemCertificates(pem: string): boolean {
  const blocks = pem.match(PEM_CERTIFICATE) ?? [];
  try {
    for (const block of blocks) new X509Certificate(block);
  } catch {
    return false;
  }
  return blocks.length > 0;
}

type Settings = { app_name?: string; facility?: number; hostname?: string };

/** Each record as one message, then the checkpoint as one more when the tenant has one. */
export function batchMessages(batch: OutBatch, s: Settings, defaultHostname: string): SyslogMessage[] {
  const common = {
    facility: s.facility ?? DEFAULT_FACILITY,
    severity: SEVERITY,
    hostname: s.hostname ?? defaultHostname,
    appName: s.app_name ?? 'trailkeep',
    procId: null,
  };
  /** One message: `params` between the batch's tenant and stream and its delivery id, in Trailkeep's SD element. */
  const message = (timestamp: string, msgId: string, params: (readonly [string, string])[], msg: string) => ({
    ...common,
    timestamp,
    msgId,
    structuredData: [
      {
        id: SD_ID,
        params: [
          ['tenant', batch.tenant] as const,
          ['stream', batch.stream] as const,
          ...params,
          ['delivery', batch.id] as const,
        ],
      },
    ],
    msg,
  });
  const format = FORMATS[batch.format];
  const messages: SyslogMessage[] = batch.records.map((r) => {
    const hash = format?.proof(r.record)?.hash;
    return message(
      r.occurredAt,
      'audit',
      [['seq', String(r.seq)], ...(hash === undefined ? [] : [['hash', hash] as const])],
      r.json,
    );
  });
  if (batch.checkpoint !== null)
    messages.push(
      message(
        new Date(batch.createdAt).toISOString(),
        'checkpoint',
        [
          ['from_seq', String(batch.fromSeq)],
          ['to_seq', String(batch.toSeq)],
        ],
        batch.checkpoint,
      ),
    );
  return messages;
}

/**
 * Syslog over TCP or TLS (docs/streams/syslog.md): RFC 5424 messages framed by octet counting,
 * so a value's newlines stay inside its message. A connection per batch, closed gracefully:
 * the batch is accepted when the receiver has closed its side, having read every byte.
 */
export const syslog: DestinationModule<typeof settings> = {
  type: 'syslog',
  settings,
  secrets: [],
  validate(s, net) {
    net.checkHost(s.host, 'host');
    if (s.ca === undefined) return;
    if (s.tls === false)
      invalidParameter('ca', 'is for TLS; it is set while tls is false.', 'destination.ca');
    if (!isPemCertificates(s.ca)) invalidParameter('ca', 'is not PEM of CA certificates.', 'destination.ca');
  },
  open(s, { net, hostname }) {
    const open = new Set<Socket>();
    const to = { host: s.host.replace(/^\[|\]$/g, ''), port: s.port, tls: s.tls ?? true, ca: s.ca };
    return {
      async send(batch, signal) {
        const frames = batchMessages(batch, s, hostname).map((m) => frame(formatMessage(m)));
        if (!frames.length) return { kind: 'accepted' };
        return deliver(net, to, Buffer.concat(frames), signal, open);
      },
      async close() {
        for (const socket of open) socket.destroy();
      },
    };
  },
};
