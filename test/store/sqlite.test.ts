import { join } from 'node:path';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import { tempDir } from '../helpers/app.js';
import { storeConformance } from './conformance.js';

storeConformance('sqlite', async () => {
  const tmp = tempDir();
  const store = await openSqliteStore(join(tmp.dir, 'conformance.db'));
  return {
    store,
    async cleanup() {
      await store.close();
      tmp.remove();
    },
  };
});
