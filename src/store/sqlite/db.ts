import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { SQLITE_MIGRATIONS } from './migrations.js';

export type Db = Database.Database;

/**
 * Opens the database file with the settings Trailkeep relies on: WAL so readers never block
 * the writer, synchronous=FULL so a commit survives power loss (an acknowledged event is
 * never lost), and a busy timeout so the CLI and a server can share one file.
 */
export function openDb(path: string): Db {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path);
  // Takes effect only while the file is still empty: 16 KiB pages make every index shallower
  // and cut ingest CPU by about a tenth (BENCHMARKS.md); existing files keep their size.
  db.pragma('page_size = 16384');
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('busy_timeout = 5000');
  db.pragma('foreign_keys = ON');
  db.pragma('cache_size = -65536');
  db.pragma('temp_store = MEMORY');
  return db;
}

/**
 * A connection for scans (whole ranges read page after page): a 2 MiB page cache, since a scan
 * reads each page once and the operating system's cache serves the file anyway; the main
 * connection's 64 MiB stay with the indexes that queries read.
 */
export function openScanDb(path: string): Db {
  const db = openDb(path);
  db.pragma('cache_size = -2048');
  return db;
}

export function migrate(db: Db): void {
  db.exec(
    'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)',
  );
  const apply = db.transaction(() => {
    const row = db.prepare('SELECT max(version) AS v FROM schema_migrations').get() as { v: number | null };
    const current = row.v ?? 0;
    SQLITE_MIGRATIONS.forEach((sql, i) => {
      const version = i + 1;
      if (version <= current) return;
      db.exec(sql);
      db.prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)').run(
        version,
        new Date().toISOString(),
      );
    });
  });
  apply.immediate();
}

/** Prepared statements by SQL text: queries are built from a bounded set of shapes. */
export class StatementCache {
  private readonly cache = new Map<string, Database.Statement>();
  constructor(
    private readonly db: Db,
    private readonly max = 256,
  ) {}

  get(sql: string): Database.Statement {
    let stmt = this.cache.get(sql);
    if (stmt) {
      this.cache.delete(sql);
    } else {
      stmt = this.db.prepare(sql);
      if (this.cache.size >= this.max) this.cache.delete(this.cache.keys().next().value as string);
    }
    this.cache.set(sql, stmt);
    return stmt;
  }
}
