/**
 * The backend's own tests, run by one test file per database against a real Prisma 7 client.
 * (The shared conformance kit runs beside them; these cover what is specific to Prisma: the four
 * storage modes, the row an application owns, error wrapping.)
 */
import { inspect } from 'node:util';
import { describe, expect, it } from '@jest/globals';
import { TokenBackendError, TokenCacheConflictError } from '@o365/core';
import { PrismaTokenBackend, type PrismaTokenBackendOptions } from '../src/index';
import { uniqueKey, type TestPrismaClient } from './clients';

export interface StorageMode {
  name: string;
  versioned: boolean;
  /** `delete()` removes the row (dedicated model) rather than nulling the field. */
  deletesRow: boolean;
  /** Creates the application's row the backend writes into (application modes). */
  prepare?(prisma: TestPrismaClient, key: string): Promise<void>;
  options(prisma: TestPrismaClient, key: string): PrismaTokenBackendOptions;
  /** Whether the row exists (token or not). */
  rowExists(prisma: TestPrismaClient, key: string): Promise<boolean>;
}

// The union of the two generated clients' delegates is not callable as one type; every call below
// is the same Prisma API on either client.
/* eslint-disable @typescript-eslint/no-explicit-any */
const db = (prisma: TestPrismaClient): any => prisma;

export const storageModes: StorageMode[] = [
  {
    name: 'dedicated O365Token row with a version column',
    versioned: true,
    deletesRow: true,
    options: (prisma, key) => ({ delegate: prisma.o365Token, where: { key }, tokenField: 'token', versionField: 'version', createIfMissing: true }),
    rowExists: async (prisma, key) => (await db(prisma).o365Token.count({ where: { key } })) === 1,
  },
  {
    name: 'dedicated O365Token row, content-hash versions',
    versioned: false,
    deletesRow: true,
    options: (prisma, key) => ({ delegate: prisma.o365Token, where: { key }, tokenField: 'token', createIfMissing: true }),
    rowExists: async (prisma, key) => (await db(prisma).o365Token.count({ where: { key } })) === 1,
  },
  {
    name: "the application's user row (o365Token + o365TokenVersion)",
    versioned: true,
    deletesRow: false,
    prepare: async (prisma, key) => {
      await db(prisma).appUser.create({ data: { email: key } });
    },
    options: (prisma, key) => ({ delegate: prisma.appUser, where: { email: key }, versionField: 'o365TokenVersion' }),
    rowExists: async (prisma, key) => (await db(prisma).appUser.count({ where: { email: key } })) === 1,
  },
  {
    name: "the application's tenant row without a version column",
    versioned: false,
    deletesRow: false,
    prepare: async (prisma, key) => {
      await db(prisma).tenant.create({ data: { id: key, name: 'Contoso' } });
    },
    options: (prisma, key) => ({ delegate: prisma.tenant, where: { id: key } }),
    rowExists: async (prisma, key) => (await db(prisma).tenant.count({ where: { id: key } })) === 1,
  },
];

/** Prepares the row and returns a backend on it. */
export async function makeBackend(mode: StorageMode, prisma: TestPrismaClient, key: string): Promise<PrismaTokenBackend> {
  await mode.prepare?.(prisma, key);
  return new PrismaTokenBackend(mode.options(prisma, key));
}

const cache = (n: number): string => JSON.stringify({ AccessToken: { [`at-${n}`]: { secret: `secret-value-${n}` } }, n });

async function expectConflict(p: Promise<unknown>): Promise<TokenCacheConflictError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(TokenCacheConflictError);
  return err as TokenCacheConflictError;
}

export function describeBackendSuite(getPrisma: () => TestPrismaClient): void {
  describe.each(storageModes)('$name', (mode) => {
    const setup = async () => {
      const key = uniqueKey();
      return { key, backend: await makeBackend(mode, getPrisma(), key) };
    };

    it('loads undefined when nothing is stored', async () => {
      const { backend } = await setup();
      await expect(backend.load()).resolves.toBeUndefined();
    });

    it('round-trips data and reports the version it wrote', async () => {
      const { backend } = await setup();
      const saved = await backend.save(cache(1));
      expect(saved.version).toEqual(expect.any(String));
      await expect(backend.load()).resolves.toEqual({ data: cache(1), version: saved.version });
      const again = await backend.save(cache(2));
      expect(again.version).not.toBe(saved.version);
      await expect(backend.load()).resolves.toEqual({ data: cache(2), version: again.version });
    });

    it('round-trips 1 MB and unicode exactly', async () => {
      const { backend } = await setup();
      const unicode = `émoji 🔐 中文 עברית ${'x'.repeat(10)} \u{1F600} "quotes" \\ backslash\n`;
      const large = unicode + 'a1b2c3d4'.repeat(128 * 1024);
      await backend.save(large);
      expect((await backend.load())?.data).toBe(large);
    });

    it('accepts the current version and rejects a stale one without writing', async () => {
      const { backend } = await setup();
      const v1 = (await backend.save(cache(1))).version as string;
      const v2 = (await backend.save(cache(2), { expectedVersion: v1 })).version as string;
      expect(v2).not.toBe(v1);
      const err = await expectConflict(backend.save(cache(3), { expectedVersion: v1 }));
      expect(err.expectedVersion).toBe(v1);
      expect(err.actualVersion).toBe(v2);
      expect(err.message).not.toContain('secret-value');
      await expect(backend.load()).resolves.toEqual({ data: cache(2), version: v2 });
      await expectConflict(backend.save(cache(4), { expectedVersion: 'not-a-version' }));
    });

    it('create-only (expectedVersion: null) writes when empty and conflicts when something is stored', async () => {
      const { backend } = await setup();
      const { version } = await backend.save(cache(1), { expectedVersion: null });
      await expect(backend.load()).resolves.toEqual({ data: cache(1), version });
      await expectConflict(backend.save(cache(2), { expectedVersion: null }));
      await expect(backend.load()).resolves.toEqual({ data: cache(1), version });
    });

    it('a version from before a delete cannot overwrite what is written after it', async () => {
      const { backend } = await setup();
      const old = (await backend.save(cache(1))).version as string;
      await backend.delete();
      await expectConflict(backend.save(cache(2), { expectedVersion: old }));
      await expect(backend.load()).resolves.toBeUndefined();
      const fresh = await backend.save(cache(3), { expectedVersion: null });
      if (mode.versioned) await expectConflict(backend.save(cache(4), { expectedVersion: old }));
      await expect(backend.load()).resolves.toEqual({ data: cache(3), version: fresh.version });
    });

    it(`delete is idempotent and ${mode.deletesRow ? 'removes the dedicated row' : "keeps the application's row"}`, async () => {
      const { key, backend } = await setup();
      await backend.delete();
      await backend.save(cache(1));
      await backend.delete();
      await backend.delete();
      await expect(backend.load()).resolves.toBeUndefined();
      await expect(mode.rowExists(getPrisma(), key)).resolves.toBe(!mode.deletesRow);
    });

    it('20 concurrent writers with expectedVersion lose no write', async () => {
      const { key } = await setup();
      // One backend instance per writer, as separate processes would have.
      const writers = Array.from({ length: 20 }, (_, i) => ({ i, backend: new PrismaTokenBackend(mode.options(getPrisma(), key)) }));
      let conflicts = 0;
      await Promise.all(
        writers.map(async ({ i, backend }) => {
          for (let attempt = 0; attempt < 200; attempt++) {
            const current = await backend.load();
            const list = current ? (JSON.parse(current.data) as number[]) : [];
            try {
              await backend.save(JSON.stringify([...list, i]), { expectedVersion: current ? (current.version ?? null) : null });
              return;
            } catch (e) {
              if (!(e instanceof TokenCacheConflictError)) throw e;
              conflicts++;
            }
          }
          throw new Error(`writer ${i} never won`);
        }),
      );
      const final = JSON.parse((await writers[0]!.backend.load())!.data) as number[];
      expect([...final].sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i));
      // Racing writers on one row must have collided at least once, or the test proved nothing.
      expect(conflicts).toBeGreaterThan(0);
    });

    it('never shows the stored data in inspect() or toString()', async () => {
      const { backend } = await setup();
      await backend.save(cache(7));
      expect(inspect(backend, { depth: 5, showHidden: true })).not.toContain('secret-value');
      expect(String(backend)).toContain('PrismaTokenBackend(');
    });
  });

  describe("an application's row that does not exist", () => {
    it('loads undefined, refuses to save with a TokenBackendError, deletes nothing', async () => {
      const prisma = getPrisma();
      const backend = new PrismaTokenBackend({ delegate: prisma.appUser, where: { email: uniqueKey('nobody') }, versionField: 'o365TokenVersion' });
      await expect(backend.load()).resolves.toBeUndefined();
      for (const expectedVersion of [undefined, null, '3']) {
        const err = await backend.save(cache(1), { expectedVersion }).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(TokenBackendError);
        if (expectedVersion === '3') expect(err).toBeInstanceOf(TokenCacheConflictError);
        else expect(err).not.toBeInstanceOf(TokenCacheConflictError);
        if (expectedVersion !== '3') expect((err as Error).message).toMatch(/no row matches AppUser\.o365Token where \{"email":"nobody-/);
      }
      await expect(backend.delete()).resolves.toBeUndefined();
    });
  });

  describe('createIfMissing with extra data', () => {
    it('creates the row with the given columns and the where fields', async () => {
      const prisma = getPrisma();
      const id = uniqueKey('tenant');
      const backend = new PrismaTokenBackend({ delegate: prisma.tenant, where: { id }, createIfMissing: { data: { name: 'Fabrikam' } }, deleteMode: 'field' });
      await backend.save(cache(1), { expectedVersion: null });
      await expect(db(prisma).tenant.findUnique({ where: { id } })).resolves.toEqual({ id, name: 'Fabrikam', o365Token: cache(1) });
      await backend.delete();
      await expect(db(prisma).tenant.findUnique({ where: { id } })).resolves.toEqual({ id, name: 'Fabrikam', o365Token: null });
    });

    it('two processes creating the same row at once: one wins, the other gets a conflict', async () => {
      const prisma = getPrisma();
      const key = uniqueKey();
      const make = () => new PrismaTokenBackend({ delegate: prisma.o365Token, where: { key }, tokenField: 'token', versionField: 'version', createIfMissing: true });
      const results = await Promise.allSettled(Array.from({ length: 8 }, (_, i) => make().save(cache(i), { expectedVersion: null })));
      const won = results.filter((r) => r.status === 'fulfilled');
      expect(won).toHaveLength(1);
      for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(TokenCacheConflictError);
    });
  });

  describe('misconfiguration and bad stored data', () => {
    it('a wrong tokenField gives a TokenBackendError that does not quote the data', async () => {
      const prisma = getPrisma();
      const key = uniqueKey();
      const backend = new PrismaTokenBackend({ delegate: prisma.o365Token, where: { key }, tokenField: 'tokn', createIfMissing: true });
      const err = (await backend.save(cache(42)).catch((e: unknown) => e)) as TokenBackendError;
      expect(err).toBeInstanceOf(TokenBackendError);
      expect(err.backend).toBe('PrismaTokenBackend');
      expect(err.location).toBe(`O365Token.tokn where {"key":"${key}"}`);
      expect(err.cause).toBeInstanceOf(Error);
      expect(inspect(err, { depth: 10 })).not.toContain('secret-value-42');
      expect(err.message).toMatch(/Unknown argument `tokn`/);
    });

    it('a non-text token column gives a TokenBackendError', async () => {
      const prisma = getPrisma();
      const key = uniqueKey();
      await db(prisma).o365Token.create({ data: { key, token: 'x' } });
      const backend = new PrismaTokenBackend({ delegate: prisma.o365Token, where: { key }, tokenField: 'version' });
      await expect(backend.load()).rejects.toThrow(/not a text column/);
    });

    it('rejects options that cannot work', () => {
      const prisma = getPrisma();
      expect(() => new PrismaTokenBackend({ delegate: prisma.o365Token, where: {} })).toThrow(/`where` must select the row/);
      expect(() => new PrismaTokenBackend({ delegate: prisma.o365Token, where: { key: 'a' }, tokenField: 'token', versionField: 'token' })).toThrow(/different/);
    });

    it('refuses a non-string payload without writing', async () => {
      const prisma = getPrisma();
      const backend = await makeBackend(storageModes[0]!, prisma, uniqueKey());
      await backend.save('kept');
      await expect(backend.save(42 as unknown as string)).rejects.toBeInstanceOf(TokenBackendError);
      expect((await backend.load())?.data).toBe('kept');
    });
  });
}
