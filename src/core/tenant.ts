/**
 * What a tenant id looks like, wherever one is named: a path, a body, the `Trailkeep-Tenant`
 * header, an event's `tenant` field.
 */
export const TENANT_ID_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$';

const TENANT_ID = new RegExp(TENANT_ID_PATTERN);

export const isTenantId = (id: string): boolean => TENANT_ID.test(id);

export interface Tenant {
  id: string;
  name: string;
  created_at: string;
  /**
   * Whether every read through a viewer token is recorded as an `audit.log.view` event of the
   * tenant (docs/embedding.md); on unless the tenant turns it off.
   */
  record_viewer_reads: boolean;
}

/** What may change of a tenant once it exists (`PATCH /v1/tenants/{id}`): the rest is fixed. */
export type TenantChanges = Partial<Pick<Tenant, 'name' | 'record_viewer_reads'>>;
