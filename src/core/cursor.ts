import { createHmac, timingSafeEqual } from 'node:crypto';
import { strictBase64url } from './base64url.js';
import { TrailkeepError } from './errors.js';
import type { Order, Position } from './query.js';

/**
 * Opaque, signed keyset cursors. The MAC covers the tenant and a scope (which list it pages),
 * so a cursor is useless to another tenant or another endpoint, and any edit is detected.
 */
export interface CursorState extends Position {
  order: Order;
}

export class CursorSigner {
  constructor(private readonly key: Buffer) {}

  private mac(tenant: string, scope: string, payload: string): Buffer {
    return createHmac('sha256', this.key)
      .update(`cursor\n${tenant}\n${scope}\n${payload}`)
      .digest()
      .subarray(0, 16);
  }

  sign(tenant: string, scope: string, state: CursorState): string {
    const payload = `${state.order === 'asc' ? 'a' : 'd'}.${state.occurredAt}.${state.seq}`;
    return `${Buffer.from(payload).toString('base64url')}.${this.mac(tenant, scope, payload).toString('base64url')}`;
  }

  verify(tenant: string, scope: string, cursor: string): CursorState {
    const [p, m, extra] = cursor.split('.');
    const decoded = p && m && extra === undefined ? strictBase64url(p) : null;
    const given = m ? strictBase64url(m) : null;
    if (decoded && given) {
      const payload = decoded.toString();
      const want = this.mac(tenant, scope, payload);
      const match = /^([ad])\.(-?\d{1,16})\.(\d{1,16})$/.exec(payload);
      if (match && given.length === want.length && timingSafeEqual(given, want)) {
        return {
          order: match[1] === 'a' ? 'asc' : 'desc',
          occurredAt: Number(match[2]),
          seq: Number(match[3]),
        };
      }
    }
    throw new TrailkeepError('invalid_cursor');
  }
}
