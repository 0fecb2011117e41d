import { TrailkeepError } from '../core/errors.js';
import type { Tenant } from '../core/tenant.js';
import { isTenantId, TENANT_ID_PATTERN } from '../core/tenant.js';
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
    const t = await this.tenants.get(id);
    if (!t) throw new TrailkeepError('not_found', `Tenant ${id} does not exist.`);
    return t;
  }
}
