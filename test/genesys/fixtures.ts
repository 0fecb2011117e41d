/**
 * Audit events for the Genesys dialect tests, and what each must look like as a Genesys
 * AuditLogMessage, written from docs/event-model.md §3 independently of src/http/genesys/mapping.ts.
 */
import { DAY, interval, MINUTE } from '../helpers/intervals.js';

export { DAY, interval, MINUTE };

export type Input = Record<string, unknown> & { id: string; occurred_at: string };

const SERVICES = ['Architect', 'Directory', 'Routing'];
const OUTCOMES = ['success', 'failure', 'warning'];

/**
 * 24 events in the two days before `now`, one a minute from `now - 2 days`, except that events
 * 10 and 11 share a timestamp (order then follows ingest order, i.e. seq). Four transactions of
 * six events; every field of the canonical event that Genesys shows appears somewhere.
 */
export function recentEvents(now: number, prefix = 'ev'): Input[] {
  const base = now - 2 * DAY;
  return Array.from({ length: 24 }, (_, i) => {
    const at = base + (i === 11 ? 10 : i) * MINUTE;
    const e: Input = {
      id: `${prefix}-${String(i).padStart(2, '0')}`,
      occurred_at: new Date(at).toISOString(),
      action: i % 2 === 0 ? 'Update' : 'Create',
      service: SERVICES[i % 3],
      outcome: OUTCOMES[i % 3],
      level: i % 4 === 3 ? 'system' : 'user',
      actor: {
        id: `u-${i % 4}`,
        name: `User ${i % 4}`,
        home_org_id: i % 5 === 0 ? 'org-trustee' : 'org-home',
      },
      target: { type: i % 2 === 0 ? 'Flow' : 'Queue', id: `t-${i % 6}`, name: `Target ${i % 6}` },
      transaction_id: `tx-${Math.floor(i / 6)}`,
      transaction_initiator: i % 6 === 0,
    };
    if (i % 3 !== 2) e.client = { id: `c-${i % 2}`, name: `App ${i % 2}` };
    if (i % 2 === 0) e.source = { ip: ['203.0.113.5', '2001:db8::1'] };
    if (i % 4 === 0)
      e.changes = [
        { field: 'name', old: ['a'], new: ['b'] },
        { field: 'added', new: ['x'] },
      ];
    if (i % 3 === 0) e.description = `Event ${i} happened`;
    if (i % 5 === 1) {
      e.message = { code: 'FlowPublished', template: 'Flow {name} published', params: { name: `F${i}` } };
    }
    if (i % 7 === 0) e.context = { version: String(i) };
    return e;
  });
}

/** Three events 20 days before `now`, of a service no recent event has. */
export const oldEvents = (now: number, prefix = 'old'): Input[] =>
  [0, 1, 2].map((i) => ({
    id: `${prefix}-${i}`,
    occurred_at: new Date(now - 20 * DAY + i * MINUTE).toISOString(),
    action: 'Delete',
    service: 'Telephony',
    actor: { id: 'u-0' },
    target: { type: 'Trunk', id: `trunk-${i}` },
  }));

type Obj = Record<string, unknown>;

/** The AuditLogMessage an input must come back as. */
export function expectedMessage(e: Input, expandUser: boolean): Obj {
  const actor = e.actor as Obj | undefined;
  const client = e.client as Obj | undefined;
  const target = e.target as Obj | undefined;
  const message = e.message as Obj | undefined;
  const m: Obj = {
    id: e.id,
    level: (e.level ?? 'user') === 'user' ? 'USER' : 'SYSTEM',
    eventDate: new Date(e.occurred_at).toISOString(),
    action: e.action,
    status: String(e.outcome ?? 'success').toUpperCase(),
  };
  if (actor?.home_org_id) m.userHomeOrgId = actor.home_org_id;
  if (actor?.id) {
    m.user =
      expandUser && actor.name
        ? { id: actor.id, name: actor.name, selfUri: `/api/v2/users/${actor.id}` }
        : { id: actor.id, selfUri: `/api/v2/users/${actor.id}` };
  }
  if (client) m.client = { id: client.id, selfUri: `/api/v2/oauth/clients/${client.id}` };
  if (client?.name) m.application = client.name;
  if (e.source) m.remoteIp = (e.source as Obj).ip;
  if (e.service) m.serviceName = e.service;
  if (message || e.description) {
    const info: Obj = {};
    if (message?.code) info.localizableMessageCode = message.code;
    if (message?.text ?? e.description) info.message = message?.text ?? e.description;
    if (message?.template) info.messageWithParams = message.template;
    if (message?.params) info.messageParams = message.params;
    m.message = info;
  }
  if (target?.id || target?.name) {
    m.entity = { ...(target.id ? { id: target.id } : {}), ...(target.name ? { name: target.name } : {}) };
  }
  if (target?.type) m.entityType = target.type;
  if (e.transaction_id) m.initiatingAction = { transactionId: e.transaction_id };
  if (e.transaction_initiator !== undefined) m.transactionInitiator = e.transaction_initiator;
  if (e.changes) {
    m.propertyChanges = (e.changes as Obj[]).map((c) => ({
      property: c.field,
      oldValues: c.old ?? [],
      newValues: c.new ?? [],
    }));
  }
  if (e.context) m.context = e.context;
  return m;
}

/** Inputs in Genesys order: by occurred_at, ties by ingest order (seq), reversed for descending. */
export function ordered(inputs: Input[], order: 'ascending' | 'descending'): Input[] {
  const asc = inputs
    .map((e, i) => ({ e, i }))
    .sort((a, b) => Date.parse(a.e.occurred_at) - Date.parse(b.e.occurred_at) || a.i - b.i)
    .map((x) => x.e);
  return order === 'ascending' ? asc : asc.reverse();
}
