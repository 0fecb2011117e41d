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

export function sqliteTenants(db: Db): TenantStore {
  const insert = db.prepare(
    'INSERT INTO tenants (id, name, created_at) VALUES (?, ?, ?) ON CONFLICT (id) DO NOTHING',
  );
  const get = db.prepare<[string], Tenant>('SELECT id, name, created_at FROM tenants WHERE id = ?');
  const list = db.prepare<[], Tenant>('SELECT id, name, created_at FROM tenants ORDER BY id');
  return {
    async create({ id, name }, now) {
      if (insert.run(id, name, iso(now)).changes === 0)
        throw new TrailkeepError('conflict', `Tenant ${id} already exists.`);
      return { id, name, created_at: iso(now) };
    },
    async get(id) {
      return get.get(id) ?? null;
    },
    async list() {
      return list.all();
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
