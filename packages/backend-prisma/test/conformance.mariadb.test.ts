import { afterAll, describe } from '@jest/globals';
import { runTokenBackendConformance } from '@o365/backend-testkit';
import { PrismaTokenBackend } from '../src/index';
import { closedPort, mariadbClient, mariadbUrl } from './clients';

// Two pools, so that the kit's "two instances on one key" really are two sets of connections; one
// with the `mariadb` driver's default (affected rows = matched rows), one counting changed rows
// only, as MySQL's protocol does by default.
const prismaA = mariadbClient();
const prismaB = mariadbClient({ foundRows: false });
const unreachable: Array<ReturnType<typeof mariadbClient>> = [];
let calls = 0;
const next = () => (calls++ % 2 === 0 ? prismaA : prismaB);

afterAll(async () => {
  await Promise.all([prismaA, prismaB, ...unreachable].map((c) => c.$disconnect()));
});

const unreachableClient = async () => {
  const url = new URL(mariadbUrl());
  url.port = String(await closedPort());
  // The pool waits acquireTimeout (default 10 s) for a connection before failing each call.
  const client = mariadbClient({ url: url.toString(), acquireTimeout: 1000 });
  unreachable.push(client);
  return client;
};

describe('MariaDB, dedicated O365Token table (shipped MySQL SQL), version column, row-lease lock', () => {
  runTokenBackendConformance({
    name: 'PrismaTokenBackend (MariaDB, O365Token)',
    createBackend: (key) => {
      const prisma = next();
      return new PrismaTokenBackend({
        delegate: prisma.o365Token,
        where: { key },
        tokenField: 'token',
        versionField: 'version',
        createIfMissing: true,
        lockStrategy: { type: 'row-lease', field: 'lockedUntil' },
      });
    },
    createUnreachableBackend: async () =>
      new PrismaTokenBackend({ delegate: (await unreachableClient()).o365Token, where: { key: 'unreachable' }, tokenField: 'token', createIfMissing: true }),
  });
});

describe("MariaDB, a column of the application's user row, row-lease lock", () => {
  runTokenBackendConformance({
    name: 'PrismaTokenBackend (MariaDB, AppUser row)',
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
