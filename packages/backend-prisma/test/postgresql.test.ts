import { afterAll, describe, expect, it } from '@jest/globals';
import { TokenBackendError } from '@o365/core';
import { PrismaTokenBackend } from '../src/index';
import { describeBackendSuite } from './backend-suite';
import { postgresClient, uniqueKey } from './clients';

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
    const err = await backend.save('{"bad":"\u0000"}', { expectedVersion: version! }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TokenBackendError);
    expect((err as Error).message).toMatch(/22021/);
    await expect(backend.load()).resolves.toEqual({ data: '{"good":true}', version });
  });
});
