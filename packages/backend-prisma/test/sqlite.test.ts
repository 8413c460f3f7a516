import { join } from 'node:path';
import { inspect } from 'node:util';
import { afterAll, describe, expect, it } from '@jest/globals';
import { TokenBackendError } from '@o365/core';
import { PrismaBetterSqlite3 } from '@prisma/adapter-better-sqlite3';
import { PrismaTokenBackend } from '../src/index';
import type { PrismaClient as SqliteClient } from './generated/sqlite/client/client';
import { describeBackendSuite } from './backend-suite';
import { createSqliteDatabase } from './clients';

const database = createSqliteDatabase();
const prisma = database.client();
afterAll(async () => {
  await prisma.$disconnect();
  database.cleanup();
});

describe('PrismaTokenBackend on SQLite (Prisma 7, @prisma/adapter-better-sqlite3)', () => {
  describeBackendSuite(() => prisma);
});

describe('SQLite failures', () => {
  it('a database file that cannot be opened gives a TokenBackendError with the cause', async () => {
    const broken = createSqliteDatabase();
    const client = new (prisma.constructor as typeof SqliteClient)({
      adapter: new PrismaBetterSqlite3({ url: `file:${join(broken.file, '..', 'missing-dir', 'x.db')}` }),
    });
    broken.cleanup();
    try {
      const backend = new PrismaTokenBackend({ delegate: client.o365Token, where: { key: 'k' }, tokenField: 'token', createIfMissing: true });
      for (const op of [() => backend.load(), () => backend.save('{"secret":"s3cr3t-value"}'), () => backend.delete()]) {
        const err = (await op().catch((e: unknown) => e)) as TokenBackendError;
        expect(err).toBeInstanceOf(TokenBackendError);
        expect(err.location).toBe('O365Token.token where {"key":"k"}');
        expect(err.cause).toBeDefined();
        expect(inspect(err, { depth: 10 })).not.toContain('s3cr3t-value');
      }
    } finally {
      await client.$disconnect();
    }
  });

  it('a database without the table says to create it from the shipped SQL', async () => {
    const empty = createSqliteDatabase({ tables: false });
    const client = empty.client();
    try {
      const backend = new PrismaTokenBackend({ delegate: client.o365Token, where: { key: 'k' }, tokenField: 'token', createIfMissing: true });
      const err = (await backend.load().catch((e: unknown) => e)) as TokenBackendError;
      expect(err).toBeInstanceOf(TokenBackendError);
      expect(err.message).toMatch(/P2021 .*Has the table been created/);
    } finally {
      await client.$disconnect();
      empty.cleanup();
    }
  });
});
