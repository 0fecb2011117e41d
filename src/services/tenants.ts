import { TrailkeepError } from '../core/errors.js';
import { isTenantId, TENANT_ID_PATTERN } from '../core/tenant.js';
import type { Store, Tenant } from '../store/types.js';

export class TenantService {
  constructor(
    private readonly store: Store,
    private readonly clock: () => number = Date.now,
  ) {}

  create(id: string, name?: string): Promise<Tenant> {
    if (!isTenantId(id)) {
      throw new TrailkeepError('invalid_request', `Tenant id must match ${TENANT_ID_PATTERN}.`);
    }
    return this.store.tenants.create({ id, name: name ?? id }, this.clock());
  }

  list(): Promise<Tenant[]> {
    return this.store.tenants.list();
  }

  async get(id: string): Promise<Tenant> {
    const t = await this.store.tenants.get(id);
    if (!t) throw new TrailkeepError('not_found', `Tenant ${id} does not exist.`);
    return t;
  }
}
