/**
 * Syslog messages as RFC 5424 writes them, framed by octet counting (RFC 6587 §3.4.1, which
 * RFC 5425 requires over TLS): pure, no I/O. Written here because the npm syslog clients either
 * leave structured data out, frame by newline (which a record's newlines would break), or bring
 * their own transport; this is the 5424 grammar and nothing else.
 */

/** One structured-data element: `[id name="value" …]`. */
export interface SdElement {
  id: string;
  params: readonly (readonly [name: string, value: string])[];
}

export interface SyslogMessage {
  /** 0–23; 13 is "log audit". */
  facility: number;
  /** 0–7; 6 is "informational". */
  severity: number;
  /** RFC 3339; written to RFC 5424's stricter form, or the NILVALUE when it is not a date-time. */
  timestamp: string | null;
  hostname: string | null;
  appName: string | null;
  procId: string | null;
  msgId: string | null;
  structuredData: readonly SdElement[];
  /** UTF-8 text, written after a BOM as §6.4 asks for a message that is UTF-8. */
  msg: string;
}

const NIL = '-';
const BOM = '\uFEFF';

/** Header fields are printable US-ASCII (33–126) of bounded length (§6.2); anything else becomes `_`. */
function headerField(value: string | null, max: number): string {
  if (value === null || value === '') return NIL;
  return value.replace(/[^\x21-\x7e]/g, '_').slice(0, max);
}

/** An SD-ID or PARAM-NAME: 1–32 printable US-ASCII but `=`, space, `]` and `"` (§6.3.2); ours are constants. */
const SD_NAME = /^[\x21-\x7e]{1,32}$/;
function sdName(name: string): string {
  if (!SD_NAME.test(name) || /[= \]"]/.test(name)) throw new Error(`not an RFC 5424 SD-NAME: ${name}`);
  return name;
}

/** A PARAM-VALUE with `"`, `\` and `]` escaped by a backslash (§6.3.3). */
export const escapeParamValue = (value: string): string => value.replace(/["\\\]]/g, '\\$&');

const DATE_TIME = /^(\d{4}-\d{2}-\d{2})[Tt](\d{2}:\d{2}:\d{2})(?:\.(\d+))?([Zz]|[+-]\d{2}:\d{2})$/;

/** RFC 3339 as §6.2.3 takes it: upper-case `T` and `Z`, at most six digits of a second. */
export function timestamp5424(value: string | null): string {
  const m = value === null ? null : DATE_TIME.exec(value);
  if (!m) return NIL;
  const [, date, time, frac, zone] = m;
  return `${date}T${time}${frac ? `.${frac.slice(0, 6)}` : ''}${zone?.toUpperCase()}`;
}

/** The message text: `<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID SD BOM MSG`. */
export function formatMessage(m: SyslogMessage): string {
  if (!(Number.isInteger(m.facility) && m.facility >= 0 && m.facility <= 23))
    throw new Error(`facility ${m.facility} is not 0–23`);
  if (!(Number.isInteger(m.severity) && m.severity >= 0 && m.severity <= 7))
    throw new Error(`severity ${m.severity} is not 0–7`);
  const sd = m.structuredData.length
    ? m.structuredData
        .map(
          (e) =>
            `[${sdName(e.id)}${e.params.map(([name, value]) => ` ${sdName(name)}="${escapeParamValue(value)}"`).join('')}]`,
        )
        .join('')
    : NIL;
  return [
    `<${m.facility * 8 + m.severity}>1`,
    timestamp5424(m.timestamp),
    headerField(m.hostname, 255),
    headerField(m.appName, 48),
    headerField(m.procId, 128),
    headerField(m.msgId, 32),
    sd,
    `${BOM}${m.msg}`,
  ].join(' ');
}

const encoder = new TextEncoder();

/** One frame for a stream transport: `MSG-LEN SP SYSLOG-MSG`, the length in octets of its UTF-8. */
export function frame(message: string): Uint8Array {
  const body = encoder.encode(message);
  const head = encoder.encode(`${body.byteLength} `);
  const out = new Uint8Array(head.byteLength + body.byteLength);
  out.set(head, 0);
  out.set(body, head.byteLength);
  return out;
}
