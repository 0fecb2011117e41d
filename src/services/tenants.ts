import { TrailkeepError } from '../core/errors.js';
import type { Store, Tenant } from '../store/types.js';

export const TENANT_ID_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$';

export class TenantService {
  constructor(
    private readonly store: Store,
    private readonly clock: () => number = Date.now,
  ) {}

  create(id: string, name?: string): Promise<Tenant> {
    if (!new RegExp(TENANT_ID_PATTERN).test(id)) {
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
