import type { StoredEvent } from '../../core/event/schema.js';
import type { AuditLogMessageT } from './schemas.js';

/**
 * Canonical event → Genesys AuditLogMessage (docs/event-model.md §3). Fields the event lacks are
 * left out rather than sent empty; enum values are upper-cased exactly as the SDKs expect.
 */
export interface MappingOptions {
  /** `expand=user`: the actor's name goes into `user.name`. */
  expandUser: boolean;
}

const uri = (base: string, id: string) => `${base}/${encodeURIComponent(id)}`;

export function toAuditLogMessage(e: StoredEvent, options: MappingOptions): AuditLogMessageT {
  const m: AuditLogMessageT = {
    id: e.id,
    level: e.level === 'system' ? 'SYSTEM' : 'USER',
    eventDate: new Date(e.occurred_at).toISOString(),
    action: e.action,
    status: e.outcome === 'failure' ? 'FAILURE' : e.outcome === 'warning' ? 'WARNING' : 'SUCCESS',
  };
  const { actor, client, target } = e;
  if (actor?.home_org_id !== undefined) m.userHomeOrgId = actor.home_org_id;
  if (actor?.id !== undefined) {
    m.user = {
      id: actor.id,
      ...(options.expandUser && actor.name !== undefined ? { name: actor.name } : {}),
      selfUri: uri('/api/v2/users', actor.id),
    };
  }
  if (client?.id !== undefined)
    m.client = { id: client.id, selfUri: uri('/api/v2/oauth/clients', client.id) };
  if (client?.name !== undefined) m.application = client.name;
  if (e.source?.ip !== undefined) m.remoteIp = e.source.ip;
  if (e.service !== undefined) m.serviceName = e.service;
  const text = e.message?.text ?? e.description;
  if (e.message !== undefined || text !== undefined) {
    m.message = {
      ...(e.message?.code !== undefined ? { localizableMessageCode: e.message.code } : {}),
      ...(text !== undefined ? { message: text } : {}),
      ...(e.message?.template !== undefined ? { messageWithParams: e.message.template } : {}),
      ...(e.message?.params !== undefined ? { messageParams: e.message.params } : {}),
    };
  }
  if (target?.id !== undefined || target?.name !== undefined) {
    m.entity = {
      ...(target.id !== undefined ? { id: target.id } : {}),
      ...(target.name !== undefined ? { name: target.name } : {}),
    };
  }
  if (target?.type !== undefined) m.entityType = target.type;
  if (e.transaction_id !== undefined) m.initiatingAction = { transactionId: e.transaction_id };
  if (e.transaction_initiator !== undefined) m.transactionInitiator = e.transaction_initiator;
  if (e.changes !== undefined) {
    m.propertyChanges = e.changes.map((c) => ({
      property: c.field,
      oldValues: c.old ?? [],
      newValues: c.new ?? [],
    }));
  }
  if (e.context !== undefined) m.context = e.context;
  return m;
}

/** Maps stored event JSON, as the store returns it. */
export const messageOf = (json: string, options: MappingOptions): AuditLogMessageT =>
  toAuditLogMessage(JSON.parse(json) as StoredEvent, options);
