/**
 * What is specific to MySQL / MariaDB: affected-row counts, the shipped column types and collations,
 * and the size limit of MEDIUMTEXT.
 */
import { inspect } from 'node:util';
import { afterAll, describe, expect, it } from '@jest/globals';
import { TokenBackendError } from '@o365/core';
import { PrismaTokenBackend } from '../src/index';
import { makeBackend, storageModes } from './backend-suite';
import { mariadbClient, uniqueKey } from './clients';

const matchedRows = mariadbClient();
// MySQL's protocol default: an UPDATE that writes the values a row already has affects 0 rows.
const changedRows = mariadbClient({ foundRows: false });
afterAll(async () => {
  await Promise.all([matchedRows.$disconnect(), changedRows.$disconnect()]);
});

const clients = [
  { name: 'foundRows: true (the mariadb driver default)', prisma: matchedRows },
  { name: 'foundRows: false (changed rows only)', prisma: changedRows },
];

describe.each(clients)('saving the cache that is already stored, $name', ({ prisma }) => {
  it.each(storageModes)('$name: unconditional and conditional saves of the same text succeed', async (mode) => {
    const key = uniqueKey();
    const backend = await makeBackend(mode, prisma, key);
    const data = JSON.stringify({ AccessToken: { at: { secret: 'same-secret' } } });
    const first = await backend.save(data);
    // The same text again: nothing changes in a row without a version or updatedAt column.
    const second = await backend.save(data);
    if (!mode.versioned) expect(second.version).toBe(first.version);
    const loaded = await backend.load();
    expect(loaded?.data).toBe(data);
    if (second.version !== undefined) expect(loaded?.version).toBe(second.version);
    const third = await backend.save(data, { expectedVersion: loaded!.version! });
    await expect(backend.load()).resolves.toEqual({ data, version: third.version });
    expect(await mode.rowExists(prisma, key)).toBe(true);
  });
});

describe('the shipped MySQL table', () => {
  it('keys are case-sensitive, as on PostgreSQL and SQLite: "Contoso" and "contoso" are two caches', async () => {
    const base = uniqueKey('tenant');
    const make = (key: string) =>
      new PrismaTokenBackend({ delegate: matchedRows.o365Token, where: { key }, tokenField: 'token', versionField: 'version', createIfMissing: true });
    const upper = make(`${base}-Contoso`);
    const lower = make(`${base}-contoso`);
    await upper.save('{"tenant":"upper"}', { expectedVersion: null });
    await lower.save('{"tenant":"lower"}', { expectedVersion: null });
    expect((await upper.load())?.data).toBe('{"tenant":"upper"}');
    expect((await lower.load())?.data).toBe('{"tenant":"lower"}');
    await lower.delete();
    expect((await upper.load())?.data).toBe('{"tenant":"upper"}');
  });

  it('holds a 4 MB cache (MEDIUMTEXT; TEXT stops at 64 KB)', async () => {
    const backend = await makeBackend(storageModes[0]!, matchedRows, uniqueKey());
    const large = `{"big":"${'é🔐abc'.repeat(512 * 1024)}"}`;
    expect(Buffer.byteLength(large)).toBeGreaterThan(4 * 1024 * 1024);
    const { version } = await backend.save(large);
    await expect(backend.load()).resolves.toEqual({ data: large, version });
  });

  it('a cache over 16 MB (MEDIUMTEXT) fails with a TokenBackendError that does not quote it, and keeps the previous copy', async () => {
    const backend = await makeBackend(storageModes[0]!, matchedRows, uniqueKey());
    const { version } = await backend.save('{"good":true}');
    const huge = `{"refresh_secret_abcdef":"${'x'.repeat(17 * 1024 * 1024)}"}`;
    const err = await backend.save(huge, { expectedVersion: version! }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TokenBackendError);
    expect(inspect(err, { depth: 20 })).not.toContain('refresh_secret_abcdef');
    // The column's limit, not the packet's: the test server allows 64 MB packets, as MySQL 8 does.
    expect((err as Error).message).toMatch(/P2000 .*too long for the column's type/);
    await expect(backend.load()).resolves.toEqual({ data: '{"good":true}', version });
  });

  it('keeps the lease with millisecond precision (DATETIME(3)), so that release finds the value it set', async () => {
    const key = uniqueKey();
    const backend = new PrismaTokenBackend({
      delegate: matchedRows.o365Token,
      where: { key },
      tokenField: 'token',
      versionField: 'version',
      createIfMissing: true,
      lockStrategy: { type: 'row-lease', field: 'lockedUntil', leaseMs: 60_000 },
    });
    await backend.save('{"a":1}');
    const release = await backend.lock!();
    const row = await matchedRows.o365Token.findUniqueOrThrow({ where: { key } });
    expect(row.lockedUntil).toBeInstanceOf(Date);
    // Release clears exactly the value it set: this only works if the column kept the milliseconds.
    await release();
    const after = await matchedRows.o365Token.findUniqueOrThrow({ where: { key } });
    expect(after.lockedUntil).toBeNull();
  });
});
