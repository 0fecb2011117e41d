import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadConfig } from '../../src/config/config.js';
import { hashSecret } from '../../src/services/auth/secrets.js';
import { loadSecrets } from '../../src/services/bootstrap.js';
import { openStore } from '../../src/store/open.js';
import { tempDir } from '../helpers/app.js';

describe('first-start secrets', () => {
  it('generates the admin token once, keeps only its hash, and persists the server secret', async () => {
    const tmp = tempDir();
    const config = loadConfig({ TRAILKEEP_DB: join(tmp.dir, 'db.sqlite') });
    const store = await openStore(config.TRAILKEEP_DB);
    const first = await loadSecrets(config, store.settings);
    assert.match(first.generatedAdminToken ?? '', /^tka_[A-Za-z0-9_-]{43}$/);
    assert.equal(first.adminTokenHash, hashSecret(first.generatedAdminToken ?? ''));
    assert.equal(await store.settings.get('admin_token_hash'), first.adminTokenHash);
    await store.close();

    const reopened = await openStore(config.TRAILKEEP_DB);
    const second = await loadSecrets(config, reopened.settings);
    assert.equal(second.generatedAdminToken, undefined, 'printed only on the first start');
    assert.equal(second.adminTokenHash, first.adminTokenHash);
    assert.equal(second.serverSecret, first.serverSecret);
    await reopened.close();
    tmp.remove();
  });

  it('uses configured values over stored ones', async () => {
    const tmp = tempDir();
    const config = loadConfig({
      TRAILKEEP_DB: join(tmp.dir, 'db.sqlite'),
      TRAILKEEP_ADMIN_TOKEN: 'configured-admin-token',
      TRAILKEEP_SECRET: 'x'.repeat(40),
    });
    const store = await openStore(config.TRAILKEEP_DB);
    const s = await loadSecrets(config, store.settings);
    assert.equal(s.adminTokenHash, hashSecret('configured-admin-token'));
    assert.equal(s.serverSecret, 'x'.repeat(40));
    assert.equal(s.generatedAdminToken, undefined);
    assert.equal(await store.settings.get('admin_token_hash'), null, 'nothing about the token is written');
    await store.close();
    tmp.remove();
  });
});
