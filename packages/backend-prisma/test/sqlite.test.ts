import { afterAll, describe } from '@jest/globals';
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
