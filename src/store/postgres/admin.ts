import { TrailkeepError } from '../../core/errors.js';
import type {
  Credential,
  CredentialRecord,
  CredentialStore,
  SettingStore,
  Tenant,
  TenantStore,
} from '../types.js';
import type { Db } from './db.js';

const iso = (ms: number) => new Date(ms).toISOString();
const ISO = (col: string) => `to_char(${col} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

export function pgSettings(db: Db): SettingStore {
  return {
    async get(key) {
      const rows = await db.query<{ value: string }>('SELECT value FROM settings WHERE key = $1', [key]);
      return rows[0]?.value ?? null;
    },
    async putIfAbsent(key, value) {
      await db.query('INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING', [
        key,
        value,
      ]);
      const rows = await db.query<{ value: string }>('SELECT value FROM settings WHERE key = $1', [key]);
      return (rows[0] as { value: string }).value;
    },
    async put(key, value) {
      await db.query(
        'INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
        [key, value],
      );
    },
  };
}

const TENANT_COLS = `id, name, ${ISO('created_at')} AS created_at, record_viewer_reads`;

export function pgTenants(db: Db): TenantStore {
  return {
    async create({ id, name }, now) {
      const rows = await db.query<Tenant>(
        `INSERT INTO tenants (id, name, created_at) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING RETURNING ${TENANT_COLS}`,
        [id, name, iso(now)],
      );
      if (!rows[0]) throw new TrailkeepError('conflict', `Tenant ${id} already exists.`);
      return rows[0];
    },
    async get(id) {
      return (await db.query<Tenant>(`SELECT ${TENANT_COLS} FROM tenants WHERE id = $1`, [id]))[0] ?? null;
    },
    async list() {
      return db.query<Tenant>(`SELECT ${TENANT_COLS} FROM tenants ORDER BY id`);
    },
    async update(id, { name, record_viewer_reads }) {
      // A member left out is NULL here and keeps its value.
      const rows = await db.query<Tenant>(
        `UPDATE tenants SET name = coalesce($2, name), record_viewer_reads = coalesce($3, record_viewer_reads)
         WHERE id = $1 RETURNING ${TENANT_COLS}`,
        [id, name ?? null, record_viewer_reads ?? null],
      );
      return rows[0] ?? null;
    },
  };
}

const CRED_COLS = `id, tenant, kind, name, scopes, secret_hash, ${ISO('created_at')} AS created_at,
  CASE WHEN revoked_at IS NULL THEN NULL ELSE ${ISO('revoked_at')} END AS revoked_at`;
const toCredential = ({ secret_hash: _, ...c }: CredentialRecord): Credential => c;

export function pgCredentials(db: Db): CredentialStore {
  return {
    async create(r, now) {
      await db.query(
        `INSERT INTO credentials (id, tenant, kind, name, scopes, secret_hash, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)`,
        [r.id, r.tenant, r.kind, r.name, r.scopes, r.secret_hash, iso(now)],
      );
      const { secret_hash: _, ...credential } = r;
      return { ...credential, created_at: iso(now), revoked_at: null };
    },
    async find(id) {
      return (
        (await db.query<CredentialRecord>(`SELECT ${CRED_COLS} FROM credentials WHERE id = $1`, [id]))[0] ??
        null
      );
    },
    async list(tenant, kind) {
      const rows = await db.query<CredentialRecord>(
        `SELECT ${CRED_COLS} FROM credentials WHERE tenant IS NOT DISTINCT FROM $1 AND kind = $2 ORDER BY created_at, id`,
        [tenant, kind],
      );
      return rows.map(toCredential);
    },
    async revoke(tenant, kind, id, now) {
      const rows = await db.query(
        `UPDATE credentials SET revoked_at = $1
         WHERE id = $2 AND tenant IS NOT DISTINCT FROM $3 AND kind = $4 AND revoked_at IS NULL RETURNING id`,
        [iso(now), id, tenant, kind],
      );
      return rows.length > 0;
    },
  };
}
