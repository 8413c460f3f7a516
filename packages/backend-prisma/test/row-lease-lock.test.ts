import { afterAll, describe, expect, it } from '@jest/globals';
import { TokenBackendError } from '@o365/core';
import { PrismaTokenBackend, type PrismaTokenBackendOptions } from '../src/index';
import { createSqliteDatabase, postgresClient, uniqueKey, type TestPrismaClient } from './clients';

// Two clients (two connection pools, or two connections to one SQLite file) stand for two processes.
const sqlite = createSqliteDatabase();
const sqliteA = sqlite.client();
const sqliteB = sqlite.client();
const pgA = postgresClient();
const pgB = postgresClient();
afterAll(async () => {
  await Promise.all([sqliteA, sqliteB, pgA, pgB].map((c) => c.$disconnect()));
  sqlite.cleanup();
});

interface Target {
  name: string;
  clients: [TestPrismaClient, TestPrismaClient];
  /** Prepares the row (application rows) and returns options for a backend on it. */
  row(prisma: TestPrismaClient, key: string): PrismaTokenBackendOptions;
  prepare?(prisma: TestPrismaClient, key: string): Promise<void>;
}

/* eslint-disable @typescript-eslint/no-explicit-any */
const db = (prisma: TestPrismaClient): any => prisma;

const dedicated = (prisma: TestPrismaClient, key: string): PrismaTokenBackendOptions => ({
  delegate: prisma.o365Token,
  where: { key },
  tokenField: 'token',
  versionField: 'version',
  createIfMissing: true,
});
const userRow = (prisma: TestPrismaClient, key: string): PrismaTokenBackendOptions => ({
  delegate: prisma.appUser,
  where: { email: key },
  versionField: 'o365TokenVersion',
});

const targets: Target[] = [
  { name: 'SQLite, dedicated O365Token row (lockedUntil)', clients: [sqliteA, sqliteB], row: dedicated },
  { name: 'PostgreSQL, dedicated O365Token row (lockedUntil)', clients: [pgA, pgB], row: dedicated },
  {
    name: "SQLite, the application's user row (o365TokenLockedUntil)",
    clients: [sqliteA, sqliteB],
    row: userRow,
    prepare: async (prisma, key) => {
      await db(prisma).appUser.create({ data: { email: key } });
    },
  },
];

const settledWithin = async (p: Promise<unknown>, ms: number): Promise<boolean> => {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([p.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
};

describe.each(targets)('lock() with the row-lease strategy: $name', (target) => {
  const field = target.row === dedicated ? 'lockedUntil' : 'o365TokenLockedUntil';
  const setup = async (leaseMs?: number) => {
    const key = uniqueKey('lease');
    await target.prepare?.(target.clients[0], key);
    const make = (i: 0 | 1, lease = leaseMs) =>
      new PrismaTokenBackend({
        ...target.row(target.clients[i], key),
        lockStrategy: { type: 'row-lease', field, pollMs: 20, ...(lease ? { leaseMs: lease } : {}) },
      });
    return { key, make };
  };

  it('excludes a second holder until released; release is idempotent and leaves the data and version alone', async () => {
    const { make } = await setup();
    const a = make(0);
    const b = make(1);
    const saved = await a.save('{"cache":1}');
    const releaseA = await a.lock!();
    const waitingB = b.lock!({ timeoutMs: 10_000 });
    expect(await settledWithin(waitingB, 300)).toBe(false);
    await releaseA();
    await releaseA();
    const releaseB = await waitingB;
    await releaseB();
    await expect(a.load()).resolves.toEqual({ data: '{"cache":1}', version: saved.version });
    // The version still guards writes after locking.
    await expect(a.save('{"cache":2}', { expectedVersion: saved.version! })).resolves.toEqual({ version: expect.any(String) });
  });

  it('times out with a TokenBackendError while another process holds the lease', async () => {
    const { make } = await setup();
    const release = await make(0).lock!();
    const err = await make(1)
      .lock!({ timeoutMs: 150 })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TokenBackendError);
    expect((err as Error).message).toMatch(new RegExp(`within 150 ms \\(another process holds the lease in ${field}\\)`));
    await release();
    await (await make(1).lock!({ timeoutMs: 2_000 }))();
  });

  it('a crashed holder (never released) blocks only until its lease expires; its late release frees nothing', async () => {
    const { make } = await setup(400);
    const crashed = await make(0).lock!();
    const next = await make(1).lock!({ timeoutMs: 10_000 });
    // The first holder wakes up late and releases: the second one must still hold the lock.
    await crashed();
    await expect(make(0).lock!({ timeoutMs: 100 })).rejects.toBeInstanceOf(TokenBackendError);
    await next();
  });

  it('serialises read-modify-write cycles of concurrent holders', async () => {
    const { make } = await setup();
    let inside = 0;
    let maxInside = 0;
    await Promise.all(
      Array.from({ length: 6 }, async (_, i) => {
        const backend = make((i % 2) as 0 | 1);
        const release = await backend.lock!({ timeoutMs: 20_000 });
        try {
          inside++;
          maxInside = Math.max(maxInside, inside);
          const current = await backend.load();
          const list = current ? (JSON.parse(current.data) as number[]) : [];
          await new Promise((r) => setTimeout(r, 10));
          await backend.save(JSON.stringify([...list, i])); // unconditional: only the lock protects it
          inside--;
        } finally {
          await release();
        }
      }),
    );
    expect(maxInside).toBe(1);
    expect((JSON.parse((await make(0).load())!.data) as number[]).sort()).toEqual([0, 1, 2, 3, 4, 5]);
  });
});

describe('row-lease specifics', () => {
  it('creates the dedicated row holding the lease before the first save; the first save then works as create-only', async () => {
    const key = uniqueKey('lease');
    const options = { ...dedicated(sqliteA, key), lockStrategy: { type: 'row-lease', field: 'lockedUntil' } } as const;
    const a = new PrismaTokenBackend(options);
    const b = new PrismaTokenBackend({ ...dedicated(sqliteB, key), lockStrategy: { type: 'row-lease', field: 'lockedUntil' } });
    const [ra, rb] = await Promise.allSettled([a.lock!({ timeoutMs: 100 }), b.lock!({ timeoutMs: 100 })]);
    // Exactly one of two processes racing to create the row gets the lock.
    expect([ra, rb].filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const release = [ra, rb].find((r) => r.status === 'fulfilled')!;
    await expect(a.load()).resolves.toBeUndefined();
    const { version } = await a.save('{"first":true}', { expectedVersion: null });
    await expect(b.load()).resolves.toEqual({ data: '{"first":true}', version });
    await (release as PromiseFulfilledResult<() => Promise<void>>).value();
  });

  it("an application's row that does not exist cannot be locked", async () => {
    const backend = new PrismaTokenBackend({
      ...userRow(sqliteA, uniqueKey('nobody')),
      lockStrategy: { type: 'row-lease', field: 'o365TokenLockedUntil' },
    });
    await expect(backend.lock!({ timeoutMs: 100 })).rejects.toThrow(/no row matches AppUser/);
  });

  it('rejects a lease field that cannot work', () => {
    const base = dedicated(sqliteA, 'k');
    expect(() => new PrismaTokenBackend({ ...base, lockStrategy: { type: 'row-lease', field: 'token' } })).toThrow(/DateTime\? column/);
    expect(() => new PrismaTokenBackend({ ...base, lockStrategy: { type: 'row-lease', field: 'lockedUntil', leaseMs: 0 } })).toThrow(/positive/);
  });
});
