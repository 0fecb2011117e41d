import { openPostgresStore } from '../../src/store/postgres/index.js';
import { createTestDatabase } from '../helpers/pg.js';
import { storeConformance } from './conformance.js';

storeConformance('postgres', async () => {
  const database = await createTestDatabase();
  const store = await openPostgresStore(database.url, { poolSize: 4 });
  return {
    store,
    async cleanup() {
      await store.close();
      await database.drop();
    },
  };
});
