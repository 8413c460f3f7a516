import { afterAll, describe } from '@jest/globals';
import { runTokenBackendConformance } from '@o365/backend-testkit';
import { PrismaTokenBackend } from '../src/index';
import { closedPort, postgresClient } from './clients';

// Two pools, so that the kit's "two instances on one key" really are two sets of connections.
const prismaA = postgresClient();
const prismaB = postgresClient();
const unreachable: Array<ReturnType<typeof postgresClient>> = [];
let calls = 0;
const next = () => (calls++ % 2 === 0 ? prismaA : prismaB);

afterAll(async () => {
  await Promise.all([prismaA, prismaB, ...unreachable].map((c) => c.$disconnect()));
});

const unreachableClient = async () => {
  const client = postgresClient(`postgresql://postgres@127.0.0.1:${await closedPort()}/postgres`);
  unreachable.push(client);
  return client;
};

describe('PostgreSQL 15, dedicated O365Token table (shipped SQL), version column, advisory lock', () => {
  runTokenBackendConformance({
    name: 'PrismaTokenBackend (PostgreSQL, O365Token)',
    createBackend: (key) => {
      const prisma = next();
      return new PrismaTokenBackend({
        delegate: prisma.o365Token,
        where: { key },
        tokenField: 'token',
        versionField: 'version',
        createIfMissing: true,
        lockStrategy: { type: 'postgres-advisory', client: prisma },
      });
    },
    createUnreachableBackend: async () =>
      new PrismaTokenBackend({ delegate: (await unreachableClient()).o365Token, where: { key: 'unreachable' }, tokenField: 'token', createIfMissing: true }),
  });
});

describe("PostgreSQL 15, a column of the application's user row, row-lease lock", () => {
  runTokenBackendConformance({
    name: 'PrismaTokenBackend (PostgreSQL, AppUser row)',
    createBackend: async (key) => {
      const prisma = next();
      // The application's row exists before the backend is used; the kit opens several instances at once.
      await prisma.appUser.createMany({ data: [{ email: key }], skipDuplicates: true });
      return new PrismaTokenBackend({
        delegate: prisma.appUser,
        where: { email: key },
        versionField: 'o365TokenVersion',
        lockStrategy: { type: 'row-lease', field: 'o365TokenLockedUntil' },
      });
    },
    createUnreachableBackend: async () => new PrismaTokenBackend({ delegate: (await unreachableClient()).appUser, where: { id: 1 } }),
    endToEnd: false,
  });
});
