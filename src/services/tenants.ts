import { TrailkeepError } from '../core/errors.js';
import { isTenantId, TENANT_ID_PATTERN, type Tenant, type TenantChanges } from '../core/tenant.js';
import type { TenantStore } from '../store/types.js';

export class TenantService {
  constructor(
    private readonly tenants: TenantStore,
    private readonly clock: () => number = Date.now,
  ) {}

  create(id: string, name?: string): Promise<Tenant> {
    if (!isTenantId(id)) {
      throw new TrailkeepError('invalid_request', `Tenant id must match ${TENANT_ID_PATTERN}.`);
    }
    return this.tenants.create({ id, name: name ?? id }, this.clock());
  }

  list(): Promise<Tenant[]> {
    return this.tenants.list();
  }

  async get(id: string): Promise<Tenant> {
    return found(id, await this.tenants.get(id));
  }

  /** Changes a tenant's name or settings; the tenant as it now is. */
  async update(id: string, changes: TenantChanges): Promise<Tenant> {
    return found(id, await this.tenants.update(id, changes));
  }
}

function found(id: string, tenant: Tenant | null): Tenant {
  if (!tenant) throw new TrailkeepError('not_found', `Tenant ${id} does not exist.`);
  return tenant;
}
