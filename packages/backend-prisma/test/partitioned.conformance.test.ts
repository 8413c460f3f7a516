// One row per partition in the shipped O365Token table: the partitioned contract, then the whole
// TokenBackend contract on partitions, on PostgreSQL (advisory lock), MariaDB (191-character key
// column, row lease) and SQLite (row lease).
import { afterAll, describe } from '@jest/globals';
import { runPartitionedTokenBackendConformance, runTokenBackendConformance } from '@o365/backend-testkit';
import { PrismaPartitionedTokenBackend } from '../src/index';
import { createSqliteDatabase, mariadbClient, postgresClient } from './clients';

const postgres = postgresClient();
const mariadb = mariadbClient();
const sqlite = createSqliteDatabase();
const sqliteClient = sqlite.client();

afterAll(async () => {
  await Promise.all([postgres.$disconnect(), mariadb.$disconnect(), sqliteClient.$disconnect()]);
  sqlite.cleanup();
});

const databases = [
  {
    name: 'PostgreSQL',
    store: (prefix: string) =>
      new PrismaPartitionedTokenBackend({
        delegate: postgres.o365Token,
        tokenField: 'token',
        versionField: 'version',
        keyPrefix: prefix,
        lockStrategy: { type: 'postgres-advisory', client: postgres },
      }),
  },
  {
    name: 'MariaDB',
    store: (prefix: string) =>
      new PrismaPartitionedTokenBackend({
        delegate: mariadb.o365Token,
        tokenField: 'token',
        versionField: 'version',
        keyPrefix: prefix,
        lockStrategy: { type: 'row-lease', field: 'lockedUntil' },
      }),
  },
  {
    name: 'SQLite',
    store: (prefix: string) =>
      new PrismaPartitionedTokenBackend({
        delegate: sqliteClient.o365Token,
        tokenField: 'token',
        versionField: 'version',
        keyPrefix: prefix,
        lockStrategy: { type: 'row-lease', field: 'lockedUntil' },
      }),
  },
];

for (const database of databases) {
  describe(`PrismaPartitionedTokenBackend on ${database.name}`, () => {
    runPartitionedTokenBackendConformance({
      name: `PrismaPartitionedTokenBackend (${database.name})`,
      // The namespace is at most 60 characters: with a partition name (81) it fits MariaDB's 191.
      createPartitioned: (namespace) => database.store(`${namespace}:`),
    });
    const shared = database.store('users:');
    runTokenBackendConformance({
      name: `PrismaPartitionedTokenBackend partition (${database.name})`,
      createBackend: (key) => shared.partition(key),
      // A partition is a PrismaTokenBackend: its unreachable-database path is checked in conformance.*.test.ts.
      createUnreachableBackend: { notApplicable: 'a partition is a PrismaTokenBackend, checked unreachable in conformance.*.test.ts' },
      endToEnd: database.name === 'PostgreSQL',
    });
  });
}
