import { afterAll, describe } from '@jest/globals';
import { describeBackendSuite } from './backend-suite';
import { mariadbClient } from './clients';

const prisma = mariadbClient();
const changedRows = mariadbClient({ foundRows: false });
afterAll(async () => {
  await Promise.all([prisma.$disconnect(), changedRows.$disconnect()]);
});

describe('PrismaTokenBackend on MariaDB (Prisma 7, @prisma/adapter-mariadb, shipped MySQL SQL)', () => {
  describeBackendSuite(() => prisma);
});

describe('PrismaTokenBackend on MariaDB, affected rows counting changed rows only (foundRows: false)', () => {
  describeBackendSuite(() => changedRows);
});
