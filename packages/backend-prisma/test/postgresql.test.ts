import { inspect } from 'node:util';
import { afterAll, describe, expect, it } from '@jest/globals';
import { TokenBackendError } from '@o365/core';
import { PrismaTokenBackend } from '../src/index';
import { describeBackendSuite } from './backend-suite';
import { closedPort, postgresClient, uniqueKey } from './clients';

const prisma = postgresClient();
afterAll(async () => {
  await prisma.$disconnect();
});

describe('PrismaTokenBackend on PostgreSQL 15 (Prisma 7, @prisma/adapter-pg)', () => {
  describeBackendSuite(() => prisma);
});

describe('PostgreSQL specifics', () => {
  it('a cache PostgreSQL TEXT cannot hold (U+0000) fails with a TokenBackendError and keeps the previous copy', async () => {
    const backend = new PrismaTokenBackend({ delegate: prisma.o365Token, where: { key: uniqueKey() }, tokenField: 'token', versionField: 'version', createIfMissing: true });
    const { version } = await backend.save('{"good":true}');
    const err = await backend.save('{"refresh_secret_abcdef":"\u0000"}', { expectedVersion: version! }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TokenBackendError);
    expect((err as Error).message).toMatch(/22021/);
    expect(inspect(err, { depth: 20 })).not.toContain('refresh_secret_abcdef');
    await expect(backend.load()).resolves.toEqual({ data: '{"good":true}', version });
  });
});

describe('an unreachable PostgreSQL server', () => {
  it('every operation fails with a TokenBackendError naming the row, with the Prisma error as cause', async () => {
    const dead = postgresClient(`postgresql://postgres@127.0.0.1:${await closedPort()}/postgres`);
    try {
      const backend = new PrismaTokenBackend({ delegate: dead.appUser, where: { id: 7 }, versionField: 'o365TokenVersion' });
      for (const op of [() => backend.load(), () => backend.save('{"secret":"s3cr3t-value"}'), () => backend.delete()]) {
        const err = (await op().catch((e: unknown) => e)) as TokenBackendError;
        expect(err).toBeInstanceOf(TokenBackendError);
        expect(err.backend).toBe('PrismaTokenBackend');
        expect(err.location).toBe('AppUser.o365Token where {"id":7}');
        expect(err.message).toMatch(/P1001 .*Is the database running and reachable\?/);
        expect((err.cause as { code?: string }).code).toBe('P1001');
        expect(inspect(err, { depth: 10 })).not.toContain('s3cr3t-value');
      }
    } finally {
      await dead.$disconnect();
    }
  });
});
