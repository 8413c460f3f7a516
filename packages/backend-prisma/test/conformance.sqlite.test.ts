import { join } from 'node:path';
import { afterAll, describe } from '@jest/globals';
import { runTokenBackendConformance } from '@o365/backend-testkit';
import { PrismaBetterSqlite3 } from '@prisma/adapter-better-sqlite3';
import { PrismaTokenBackend } from '../src/index';
import { createSqliteDatabase } from './clients';
import { PrismaClient } from './generated/sqlite/client/client';

const database = createSqliteDatabase();
const prisma = database.client();
const nowhere = new PrismaClient({ adapter: new PrismaBetterSqlite3({ url: `file:${join(database.file, '..', 'no-such-dir', 'x.db')}` }) });

afterAll(async () => {
  await Promise.all([prisma.$disconnect(), nowhere.$disconnect()]);
  database.cleanup();
});

describe('SQLite, dedicated O365Token table (shipped SQL), version column, row-lease lock', () => {
  runTokenBackendConformance({
    name: 'PrismaTokenBackend (SQLite, O365Token)',
    createBackend: (key) =>
      new PrismaTokenBackend({
        delegate: prisma.o365Token,
        where: { key },
        tokenField: 'token',
        versionField: 'version',
        createIfMissing: true,
        lockStrategy: { type: 'row-lease', field: 'lockedUntil' },
      }),
    // A file in a directory that does not exist: SQLite's "cannot reach the database".
    createUnreachableBackend: () => new PrismaTokenBackend({ delegate: nowhere.o365Token, where: { key: 'x' }, tokenField: 'token', createIfMissing: true }),
  });
});
