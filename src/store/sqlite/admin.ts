import { TrailkeepError } from '../../core/errors.js';
import type {
  Credential,
  CredentialKind,
  CredentialRecord,
  CredentialStore,
  SettingStore,
  Tenant,
  TenantStore,
} from '../types.js';
import type { Db } from './db.js';

const iso = (ms: number) => new Date(ms).toISOString();

export function sqliteSettings(db: Db): SettingStore {
  const get = db.prepare<[string], { value: string }>('SELECT value FROM settings WHERE key = ?');
  const insert = db.prepare('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING');
  const upsert = db.prepare(
    'INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
  );
  return {
    async get(key) {
      return get.get(key)?.value ?? null;
    },
    async putIfAbsent(key, value) {
      insert.run(key, value);
      return (get.get(key) as { value: string }).value;
    },
    async put(key, value) {
      upsert.run(key, value);
    },
  };
}

type TenantRow = Omit<Tenant, 'record_viewer_reads'> & { record_viewer_reads: number };

const TENANT_COLS = 'id, name, created_at, record_viewer_reads';
const toTenant = (row: TenantRow): Tenant => ({ ...row, record_viewer_reads: row.record_viewer_reads === 1 });

export function sqliteTenants(db: Db): TenantStore {
  const insert = db.prepare(
    'INSERT INTO tenants (id, name, created_at) VALUES (?, ?, ?) ON CONFLICT (id) DO NOTHING',
  );
  const get = db.prepare<[string], TenantRow>(`SELECT ${TENANT_COLS} FROM tenants WHERE id = ?`);
  const list = db.prepare<[], TenantRow>(`SELECT ${TENANT_COLS} FROM tenants ORDER BY id`);
  // A member left out is NULL here and keeps its value.
  const update = db.prepare<[string | null, number | null, string], TenantRow>(
    `UPDATE tenants SET name = coalesce(?, name), record_viewer_reads = coalesce(?, record_viewer_reads)
     WHERE id = ? RETURNING ${TENANT_COLS}`,
  );
  return {
    async create({ id, name }, now) {
      if (insert.run(id, name, iso(now)).changes === 0)
        throw new TrailkeepError('conflict', `Tenant ${id} already exists.`);
      return { id, name, created_at: iso(now), record_viewer_reads: true };
    },
    async get(id) {
      const row = get.get(id);
      return row ? toTenant(row) : null;
    },
    async list() {
      return list.all().map(toTenant);
    },
    async update(id, { name, record_viewer_reads }) {
      const flag = record_viewer_reads === undefined ? null : Number(record_viewer_reads);
      const row = update.get(name ?? null, flag, id);
      return row ? toTenant(row) : null;
    },
  };
}

interface CredentialRow extends Omit<CredentialRecord, 'scopes'> {
  scopes: string;
}

const toCredential = ({ secret_hash: _, ...row }: CredentialRow): Credential => ({
  ...row,
  scopes: JSON.parse(row.scopes) as string[],
});

export function sqliteCredentials(db: Db): CredentialStore {
  const cols = 'id, tenant, kind, name, scopes, secret_hash, created_at, revoked_at';
  const insert = db.prepare(
    'INSERT INTO credentials (id, tenant, kind, name, scopes, secret_hash, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
  );
  const find = db.prepare<[string], CredentialRow>(`SELECT ${cols} FROM credentials WHERE id = ?`);
  const list = db.prepare<[string | null, CredentialKind], CredentialRow>(
    `SELECT ${cols} FROM credentials WHERE tenant IS ? AND kind = ? ORDER BY created_at, id`,
  );
  const revoke = db.prepare(
    'UPDATE credentials SET revoked_at = ? WHERE id = ? AND tenant IS ? AND kind = ? AND revoked_at IS NULL',
  );
  return {
    async create(r, now) {
      insert.run(r.id, r.tenant, r.kind, r.name, JSON.stringify(r.scopes), r.secret_hash, iso(now));
      const { secret_hash: _, ...credential } = r;
      return { ...credential, created_at: iso(now), revoked_at: null };
    },
    async find(id) {
      const row = find.get(id);
      return row ? { ...toCredential(row), secret_hash: row.secret_hash } : null;
    },
    async list(tenant, kind) {
      return list.all(tenant, kind).map(toCredential);
    },
    async revoke(tenant, kind, id, now) {
      return revoke.run(iso(now), id, tenant, kind).changes > 0;
    },
  };
}
