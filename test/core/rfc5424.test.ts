import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  escapeParamValue,
  formatMessage,
  frame,
  type SyslogMessage,
  timestamp5424,
} from '../../src/core/streams/rfc5424.js';

/** RFC 5424 messages and RFC 6587 octet-counted frames, checked against the RFCs' grammar. */

const base: SyslogMessage = {
  facility: 13,
  severity: 6,
  timestamp: '2025-03-04T05:06:07.089Z',
  hostname: 'node-1',
  appName: 'trailkeep',
  procId: null,
  msgId: 'audit',
  structuredData: [{ id: 'trailkeep@32473', params: [['tenant', 'acme']] }],
  msg: '{"a":1}',
};

describe('rfc5424', () => {
  it('writes the header, the structured data and a BOM before the message', () => {
    assert.equal(
      formatMessage(base),
      '<110>1 2025-03-04T05:06:07.089Z node-1 trailkeep - audit [trailkeep@32473 tenant="acme"] \uFEFF{"a":1}',
    );
  });

  it('escapes ", \\ and ] in parameter values, and only those (§6.3.3)', () => {
    assert.equal(escapeParamValue('a"b\\c]d[e=f g'), 'a\\"b\\\\c\\]d[e=f g');
    const text = formatMessage({
      ...base,
      structuredData: [
        {
          id: 'x@1',
          params: [
            ['v', '"]\\'],
            ['w', ''],
          ],
        },
        { id: 'y@1', params: [] },
      ],
    });
    assert.match(text, / \[x@1 v="\\"\\]\\\\" w=""\]\[y@1\] /);
  });

  it('writes NILVALUEs for what is absent, and "-" for no structured data', () => {
    const text = formatMessage({
      ...base,
      timestamp: null,
      hostname: '',
      appName: null,
      msgId: null,
      structuredData: [],
    });
    assert.equal(text, '<110>1 - - - - - - \uFEFF{"a":1}');
  });

  it('header fields keep to printable US-ASCII and their lengths (§6.2)', () => {
    const text = formatMessage({
      ...base,
      hostname: 'höst name',
      appName: 'a'.repeat(60),
      msgId: 'm'.repeat(40),
    });
    assert.equal(text.split(' ')[2], 'h_st_name');
    assert.equal(text.split(' ')[3], 'a'.repeat(48));
    assert.equal(text.split(' ')[5], 'm'.repeat(32));
  });

  it('PRI is facility × 8 + severity; out-of-range values and bad SD names throw', () => {
    assert.ok(formatMessage({ ...base, facility: 0, severity: 0 }).startsWith('<0>1 '));
    assert.ok(formatMessage({ ...base, facility: 23, severity: 7 }).startsWith('<191>1 '));
    assert.throws(() => formatMessage({ ...base, facility: 24 }));
    assert.throws(() => formatMessage({ ...base, severity: 8 }));
    assert.throws(() => formatMessage({ ...base, structuredData: [{ id: 'a b', params: [] }] }));
    assert.throws(() => formatMessage({ ...base, structuredData: [{ id: 'x@1', params: [['a=b', 'v']] }] }));
  });

  it('timestamps: upper-case T and Z, at most six digits of a second, offsets kept, others NIL', () => {
    assert.equal(timestamp5424('2025-03-04t05:06:07z'), '2025-03-04T05:06:07Z');
    assert.equal(timestamp5424('2025-03-04T05:06:07.123456789Z'), '2025-03-04T05:06:07.123456Z');
    assert.equal(timestamp5424('2025-03-04T05:06:07.5+02:00'), '2025-03-04T05:06:07.5+02:00');
    assert.equal(timestamp5424('4 March 2025'), '-');
    assert.equal(timestamp5424(null), '-');
  });

  it('frames count octets of the UTF-8, not characters (RFC 6587 §3.4.1)', () => {
    const message = formatMessage({ ...base, msg: 'é—\n🙂' });
    const bytes = frame(message);
    const text = new TextDecoder().decode(bytes);
    const [len, ...rest] = text.split(' ');
    const body = rest.join(' ');
    assert.equal(body, message);
    assert.equal(Number(len), Buffer.byteLength(message, 'utf8'));
    assert.ok(Number(len) > message.length, 'multi-byte characters counted as their bytes');
  });
});
