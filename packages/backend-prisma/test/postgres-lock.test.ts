import { afterAll, describe, expect, it } from '@jest/globals';
import { TokenBackendError, type Logger } from '@o365/core';
import { Client } from 'pg';
import { PrismaTokenBackend } from '../src/index';
import { advisoryLockKey } from '../src/postgres-advisory-lock';
import { postgresClient, postgresUrl, uniqueKey } from './clients';

// Two clients with their own connection pools stand for two processes.
const prismaA = postgresClient();
const prismaB = postgresClient();
afterAll(async () => {
  await Promise.all([prismaA.$disconnect(), prismaB.$disconnect()]);
});

type Client7 = ReturnType<typeof postgresClient>;
const backendOn = (prisma: Client7, key: string, extra: { maxHoldMs?: number; logger?: Logger } = {}) =>
  new PrismaTokenBackend({
    delegate: prisma.o365Token,
    where: { key },
    tokenField: 'token',
    versionField: 'version',
    createIfMissing: true,
    lockStrategy: { type: 'postgres-advisory', client: prisma, ...(extra.maxHoldMs ? { maxHoldMs: extra.maxHoldMs } : {}) },
    ...(extra.logger ? { logger: extra.logger } : {}),
  });

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

describe('lock() with the postgres-advisory strategy', () => {
  it('exists only when a lockStrategy is configured', () => {
    const key = uniqueKey();
    expect(typeof backendOn(prismaA, key).lock).toBe('function');
    expect(new PrismaTokenBackend({ delegate: prismaA.o365Token, where: { key }, tokenField: 'token' }).lock).toBeUndefined();
  });

  it('rejects a lock strategy it cannot use', () => {
    const delegate = prismaA.o365Token;
    const where = { key: 'k' };
    expect(() => new PrismaTokenBackend({ delegate, where, lockStrategy: { type: 'mysql-get-lock', client: prismaA } as never })).toThrow(
      /unknown lockStrategy type "mysql-get-lock"/,
    );
    expect(() => new PrismaTokenBackend({ delegate, where, lockStrategy: { type: 'postgres-advisory', client: prismaA.o365Token } as never })).toThrow(
      /needs \$transaction/,
    );
  });

  it('excludes a second holder, across connection pools, until released', async () => {
    const key = uniqueKey();
    const a = backendOn(prismaA, key);
    const b = backendOn(prismaB, key);
    const releaseA = await a.lock!();
    const waitingB = b.lock!({ timeoutMs: 10_000 });
    // B must still be waiting while A holds the lock.
    expect(await settledWithin(waitingB, 300)).toBe(false);
    await releaseA();
    const releaseB = await waitingB;
    await releaseB();
    await releaseB(); // idempotent
  });

  it('times out with a TokenBackendError while another process holds the lock', async () => {
    const key = uniqueKey();
    const release = await backendOn(prismaA, key).lock!();
    try {
      const err = await backendOn(prismaB, key)
        .lock!({ timeoutMs: 200 })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TokenBackendError);
      expect((err as Error).message).toMatch(/could not take the lock for O365Token\.token where \{"key":"k-.*within 200 ms/);
    } finally {
      await release();
    }
    // Free again: it can be taken at once.
    await (await backendOn(prismaB, key).lock!({ timeoutMs: 2_000 }))();
  });

  it('different rows do not block each other', async () => {
    const release1 = await backendOn(prismaA, uniqueKey()).lock!();
    const release2 = await backendOn(prismaB, uniqueKey()).lock!({ timeoutMs: 2_000 });
    await Promise.all([release1(), release2()]);
  });

  it('serialises read-modify-write cycles of concurrent holders', async () => {
    const key = uniqueKey();
    const clients = [prismaA, prismaB];
    let inside = 0;
    let maxInside = 0;
    await Promise.all(
      Array.from({ length: 6 }, async (_, i) => {
        const backend = backendOn(clients[i % 2]!, key);
        const release = await backend.lock!({ timeoutMs: 20_000 });
        try {
          inside++;
          maxInside = Math.max(maxInside, inside);
          const current = await backend.load();
          const list = current ? (JSON.parse(current.data) as number[]) : [];
          await new Promise((r) => setTimeout(r, 20));
          // Unconditional save: only the lock keeps this from losing writes.
          await backend.save(JSON.stringify([...list, i]));
          inside--;
        } finally {
          await release();
        }
      }),
    );
    expect(maxInside).toBe(1);
    const final = JSON.parse((await backendOn(prismaA, key).load())!.data) as number[];
    expect([...final].sort()).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('is freed by PostgreSQL when the holder connection dies (no stale lock)', async () => {
    const key = uniqueKey();
    const warnings: string[] = [];
    const logger: Logger = { debug() {}, info() {}, warn: (m) => warnings.push(m), error() {} };
    const holder = backendOn(prismaA, key, { logger });
    const release = await holder.lock!();
    // Kill the backend process of the connection that holds the advisory lock, as a crash would.
    const admin = new Client({ connectionString: postgresUrl() });
    await admin.connect();
    try {
      const [high, low] = advisoryLockKey(`O365Token.token where {"key":"${key}"}`);
      const { rows } = await admin.query<{ pid: number }>(
        `SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND classid = $1 AND objid = $2 AND objsubid = 2`,
        [high >>> 0, low >>> 0],
      );
      expect(rows).toHaveLength(1);
      for (const { pid } of rows) await admin.query('SELECT pg_terminate_backend($1)', [pid]);
    } finally {
      await admin.end();
    }
    await (await backendOn(prismaB, key).lock!({ timeoutMs: 5_000 }))();
    await release();
    expect(warnings.join('\n')).toMatch(/ended with an error/);
  });

  it('a holder past maxHoldMs loses the lock to the next process', async () => {
    const key = uniqueKey();
    const release = await backendOn(prismaA, key, { maxHoldMs: 300 }).lock!();
    await (await backendOn(prismaB, key).lock!({ timeoutMs: 5_000 }))();
    await release();
  });

  it('an unreachable database gives a TokenBackendError', async () => {
    const dead = postgresClient('postgresql://postgres@127.0.0.1:1/postgres');
    try {
      const err = await backendOn(dead, uniqueKey())
        .lock!({ timeoutMs: 2_000 })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TokenBackendError);
      expect((err as TokenBackendError).cause).toBeDefined();
    } finally {
      await dead.$disconnect();
    }
  });
});
