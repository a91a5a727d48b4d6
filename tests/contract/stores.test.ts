import type { Database } from 'better-sqlite3';
import { MemoryDedupeStore } from '../../src/storage/memory/dedupe-store';
import { SqliteDedupeStore } from '../../src/storage/sqlite/dedupe-store';
import { MemoryHistoryStore } from '../../src/storage/memory/history-store';
import { SqliteHistoryStore } from '../../src/storage/sqlite/history-store';
import { MemoryDeliveryStore } from '../../src/storage/memory/delivery-store';
import { SqliteDeliveryStore } from '../../src/storage/sqlite/delivery-store';
import { MEMORY_PATH, openSqliteDatabase } from '../../src/storage/sqlite/database';
import { describeDedupeStore } from './dedupe-store';
import { describeDeliveryStore } from './delivery-store';
import { describeEndpointStore } from './endpoint-store';
import { MemoryEndpointStore } from '../../src/storage/memory/endpoint-store';
import { SqliteEndpointStore } from '../../src/storage/sqlite/endpoint-store';
import { describeHistoryStore } from './history-store';
import { describeRecoveryStore } from './recovery-store';
import { MemoryRecoveryStore } from '../../src/storage/memory/recovery-store';
import { SqliteRecoveryStore } from '../../src/storage/sqlite/recovery-store';

// The same contract tests against both backends: one store contract, two implementations.
const open: Database[] = [];
function database(): Database {
  const db = openSqliteDatabase(MEMORY_PATH);
  open.push(db);
  return db;
}
const closeAll = (): void => {
  for (const db of open.splice(0)) db.close();
};

describeHistoryStore('memory', (options) => new MemoryHistoryStore(options));
describeHistoryStore('sqlite', (options) => new SqliteHistoryStore(database(), options), closeAll);

describeDedupeStore('memory', (options) => new MemoryDedupeStore(options));
describeDedupeStore('sqlite', (options) => new SqliteDedupeStore(database(), options), closeAll);

describeDeliveryStore('memory', ({ limit }) => new MemoryDeliveryStore(limit));
describeDeliveryStore('sqlite', ({ limit }) => new SqliteDeliveryStore(database(), { limit, secrets: () => ['configured-secret'] }), closeAll);

describeEndpointStore('memory', () => {
  const deliveries = new MemoryDeliveryStore(100);
  return { store: new MemoryEndpointStore(deliveries), deliveries };
});
describeEndpointStore(
  'sqlite',
  () => {
    const db = database();
    const deliveries = new SqliteDeliveryStore(db, { limit: 100, secrets: () => ['configured-secret'] });
    return { store: new SqliteEndpointStore(db, deliveries), deliveries };
  },
  closeAll,
);

describeRecoveryStore('memory', () => ({ jobs: new MemoryRecoveryStore(), endpoints: new MemoryEndpointStore(new MemoryDeliveryStore(1000)) }));
describeRecoveryStore(
  'sqlite',
  () => {
    const db = database();
    const deliveries = new SqliteDeliveryStore(db, { limit: 1000, secrets: () => ['configured-secret'] });
    return { jobs: new SqliteRecoveryStore(db), endpoints: new SqliteEndpointStore(db, deliveries) };
  },
  closeAll,
);
