import { existsSync } from 'node:fs';
import type { Writable } from 'node:stream';
import type { Config } from '../../config/config.js';
import { type FilterParams, toEventFilter } from '../../core/filters.js';
import { CsvRenderer } from '../../services/exports/csv-renderer.js';
import { checkpointFor, provenExport } from '../../services/exports/proofs.js';
import { writeExport } from '../../services/exports/writer.js';
import { createServices, type Services } from '../../services/index.js';
import { Checkpointer } from '../../services/log/checkpointer.js';
import { openStore, sqlitePath } from '../../store/open.js';
import { CliError, UsageError } from '../context.js';
import type { Backend, EventPage, ExportProgress, IngestBatch, IngestOutcome } from './types.js';

/**
 * The services over the configured database, composed exactly as `serve` composes them. No
 * credential is needed: whoever can open the database file is the operator.
 */
export class LocalBackend implements Backend {
  private constructor(
    private readonly services: Services,
    private readonly tenant: string | undefined,
    readonly where: string,
  ) {}

  /**
   * Opens (and migrates) the database. Unless `create` is set, a SQLite file that does not
   * exist yet is an error rather than a new empty database created by a typo.
   */
  static async open(
    config: Config,
    options: { tenant?: string; create?: boolean; onAdminToken?: (token: string) => void },
  ): Promise<LocalBackend> {
    const url = config.TRAILKEEP_DB;
    const path = sqlitePath(url);
    if (!options.create && path !== null && path !== ':memory:' && !existsSync(path)) {
      throw new CliError(
        `No database at ${path}. Create one with \`trailkeep migrate\` or \`trailkeep tenants create\`.`,
      );
    }
    const store = await openStore(url, { exportDir: config.TRAILKEEP_EXPORT_DIR });
    try {
      const services = await createServices(config, store);
      // The first opening of a new database makes the operator token; only its hash is kept, so
      // it is shown now or never (as `serve` does).
      if (services.secrets.generatedAdminToken) options.onAdminToken?.(services.secrets.generatedAdminToken);
      return new LocalBackend(services, options.tenant, path ?? url);
    } catch (err) {
      await store.close();
      throw err;
    }
  }

  private get dataTenant(): string {
    if (this.tenant === undefined)
      throw new UsageError('Local mode needs --tenant <id> (the tenant whose events these are).');
    return this.tenant;
  }

  createTenant(id: string, name?: string) {
    return this.services.tenants.create(id, name);
  }

  listTenants() {
    return this.services.tenants.list();
  }

  async createKey(tenant: string | null, name: string, scopes: string[]) {
    const { credential, secret } = await this.services.auth.createCredential(tenant, 'key', name, scopes);
    return { key: credential, secret };
  }

  async listKeys(tenant: string | null) {
    if (tenant !== null) await this.services.tenants.get(tenant);
    return this.services.auth.list(tenant, 'key');
  }

  revokeKey(tenant: string | null, id: string) {
    return this.services.auth.revoke(tenant, 'key', id);
  }

  async ingest(batch: IngestBatch): Promise<IngestOutcome> {
    const results = await this.services.events.ingest(this.dataTenant, batch.values, (i) => `$[${i}]`);
    return { accepted: results.length, duplicates: results.filter((r) => r.duplicate).length };
  }

  async page(
    filters: FilterParams,
    req: { order?: 'asc' | 'desc'; limit: number; cursor?: string },
  ): Promise<EventPage> {
    const page = await this.services.events.page(this.dataTenant, toEventFilter(filters), req);
    return { events: page.rows.map((r) => r.json), nextCursor: page.nextCursor };
  }

  count(filters: FilterParams) {
    return this.services.events.count(this.dataTenant, toEventFilter(filters));
  }

  async exportTo(
    filters: FilterParams,
    format: 'csv' | 'ndjson',
    out: Writable,
    onProgress: (p: ExportProgress) => void,
    { proofs = false } = {},
  ): Promise<number | null> {
    const tenant = this.dataTenant;
    const { log } = this.services.store;
    const proven = proofs
      ? provenExport(log, tenant, await this.checkpointed(tenant), toEventFilter(filters))
      : null;
    const filter = proven?.filter ?? toEventFilter(filters);
    const total = await this.services.events.count(tenant, filter);
    onProgress({ phase: 'writing', done: 0, total, unit: 'events' });
    // The command's one export renders CSV on a thread of its own, ended with the export.
    const csv = new CsvRenderer();
    try {
      return await writeExport({ events: this.services.store.events, csv }, tenant, filter, format, out, {
        onProgress: (done) => onProgress({ phase: 'writing', done, total, unit: 'events' }),
        ...(proven && { onRows: proven.onRows, trailer: proven.trailer }),
      });
    } finally {
      await csv.close();
    }
  }

  /**
   * The tenant's log signed up to its last event: the CLI on the database is one more node, and
   * signs what no server has yet, as a server's checkpointer would (a log that fails its checks
   * is not extended, and the export is refused).
   */
  private async checkpointed(tenant: string) {
    const { store, logSigner, clock } = this.services;
    let failure: string | null = null;
    const checkpointer = new Checkpointer({
      log: store.log,
      signer: logSigner,
      clock,
      onFailure: async (f) => {
        failure = f.what;
      },
    });
    const lastSeq = await store.events.lastSeq(tenant);
    while ((await checkpointer.extend(tenant, lastSeq)) !== null);
    if (failure)
      throw new CliError(`The log of ${tenant} fails its checks (${failure}): no proofs can be made.`);
    return checkpointFor(store.log, tenant, lastSeq, 0);
  }

  close() {
    return this.services.store.close();
  }
}
