// The kit must catch broken backends: each one here breaks one rule of the contract, and the
// matching check must fail with a ConformanceError that says what is wrong.
import { describe, expect, it } from '@jest/globals';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { MemoryTokenBackend} from '@o365/core';
import { TokenBackendError, type SaveOptions, type StoredToken, type TokenBackend } from '@o365/core';
import {
  checkTokenBackendConformance,
  ConformanceError,
  conformanceChecks,
  getConformanceCheck,
  type TokenBackendConformanceOptions,
} from '@o365/backend-testkit';
import { memoryFactory } from './memory-store.js';

/** Wraps a correct MemoryTokenBackend and lets a test change one behaviour. */
class Wrapper implements TokenBackend {
  constructor(readonly inner: MemoryTokenBackend) {}
  load(): Promise<StoredToken | undefined> {
    return this.inner.load();
  }
  save(data: string, options?: SaveOptions): Promise<{ version?: string }> {
    return this.inner.save(data, options);
  }
  delete(): Promise<void> {
    return this.inner.delete();
  }
}

function brokenFactory(make: (inner: MemoryTokenBackend) => TokenBackend): (key: string) => TokenBackend {
  const memory = memoryFactory();
  return (key) => make(memory(key));
}

function options(name: string, createBackend: (key: string) => TokenBackend, extra: Partial<TokenBackendConformanceOptions> = {}): TokenBackendConformanceOptions {
  return {
    name,
    createBackend,
    createUnreachableBackend: { notApplicable: 'in-process storage used to test the kit itself' },
    endToEnd: false,
    ...extra,
  };
}

async function failureOf(checkId: string, o: TokenBackendConformanceOptions): Promise<ConformanceError> {
  const error = await getConformanceCheck(checkId)
    .run(o)
    .then(
      () => undefined,
      (e: unknown) => e,
    );
  expect(error).toBeInstanceOf(ConformanceError);
  expect((error as ConformanceError).checkId).toBe(checkId);
  return error as ConformanceError;
}

describe('the conformance kit catches broken backends', () => {
  it('a correct backend passes every applicable check run as plain functions', async () => {
    const results = await checkTokenBackendConformance(options('MemoryTokenBackend', memoryFactory()));
    expect(results.filter((r) => !r.passed)).toEqual([]);
    expect(results.map((r) => r.id)).toEqual(
      conformanceChecks.filter((c) => !['conditional-writes-delegated', 'data-limit', 'end-to-end'].includes(c.id)).map((c) => c.id),
    );
  });

  it('a backend that ignores expectedVersion fails every conflict check', async () => {
    const ignoring = options(
      'IgnoresExpectedVersion',
      brokenFactory(
        (inner) =>
          new (class extends Wrapper {
            override save(data: string) {
              return this.inner.save(data);
            }
          })(inner),
      ),
    );
    const results = await checkTokenBackendConformance(ignoring);
    const failed = results.filter((r) => !r.passed).map((r) => r.id);
    expect(failed.sort()).toEqual(
      ['concurrent-writers', 'create-only-rejected-when-exists', 'expected-version-after-delete', 'expected-version-stale'].sort(),
    );
    expect((await failureOf('expected-version-stale', ignoring)).message).toMatch(/must reject/);
    expect((await failureOf('concurrent-writers', ignoring)).message).toMatch(/writes were lost/);
  });

  it('a backend whose check and write are not atomic loses concurrent writes', async () => {
    const racy = options(
      'CheckThenWrite',
      brokenFactory(
        (inner) =>
          new (class extends Wrapper {
            override async save(data: string, o?: SaveOptions) {
              if (o?.expectedVersion !== undefined) {
                const current = await this.inner.load();
                if ((current?.version ?? null) !== o.expectedVersion) return this.inner.save(data, o);
                await new Promise((resolve) => setTimeout(resolve, 5));
              }
              return this.inner.save(data);
            }
          })(inner),
      ),
    );
    // The sequential conflict checks pass: only concurrency shows the race.
    await getConformanceCheck('expected-version-stale').run(racy);
    expect((await failureOf('concurrent-writers', racy)).message).toMatch(/expectedVersion is not enforced atomically/);
  });

  it('load() returning null for a missing item fails', async () => {
    const nulls = options(
      'NullWhenMissing',
      brokenFactory(
        (inner) =>
          new (class extends Wrapper {
            override async load() {
              return ((await this.inner.load()) ?? null) as unknown as StoredToken | undefined;
            }
          })(inner),
      ),
    );
    expect((await failureOf('missing-is-undefined', nulls)).message).toMatch(/returned null, expected undefined/);
  });

  it('delete() that throws when nothing is stored fails', async () => {
    const strict = options(
      'DeleteThrows',
      brokenFactory(
        (inner) =>
          new (class extends Wrapper {
            override async delete() {
              if ((await this.inner.load()) === undefined) throw new Error('NoSuchKey');
              return this.inner.delete();
            }
          })(inner),
      ),
    );
    expect((await failureOf('delete-idempotent', strict)).message).toMatch(/never-written key rejected/);
  });

  it('a backend without versions fails', async () => {
    const unversioned = options(
      'NoVersions',
      brokenFactory(
        (inner) =>
          new (class extends Wrapper {
            override async save(data: string, o?: SaveOptions) {
              await this.inner.save(data, o);
              return {};
            }
          })(inner),
      ),
    );
    expect((await failureOf('versions', unversioned)).message).toMatch(/must return the new version/);
  });

  it('a backend that normalizes or truncates data fails the round trips', async () => {
    const mangling = options(
      'Mangles',
      brokenFactory(
        (inner) =>
          new (class extends Wrapper {
            override save(data: string, o?: SaveOptions) {
              return this.inner.save(data.normalize('NFC').slice(0, 1_000_000), o);
            }
          })(inner),
      ),
    );
    expect((await failureOf('round-trip-unicode', mangling)).message).toMatch(/changed in the round trip/);
    expect((await failureOf('round-trip-large', mangling)).message).toMatch(/1000000 characters/);
  });

  it('a lock() that does not exclude fails', async () => {
    const noLock = options(
      'LockThatDoesNotLock',
      brokenFactory(
        (inner) =>
          new (class extends Wrapper {
            async lock() {
              return async () => undefined;
            }
          })(inner),
      ),
    );
    expect((await failureOf('lock', noLock)).message).toMatch(/resolved .* but must reject/);
  });

  it('an unreachable backend that throws raw errors, or TokenBackendError without a cause, fails', async () => {
    const raw = options('RawErrors', memoryFactory(), {
      createUnreachableBackend: () => ({
        load: () => Promise.reject(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' })),
        save: () => Promise.reject(new Error('connect ECONNREFUSED')),
        delete: () => Promise.reject(new Error('connect ECONNREFUSED')),
      }),
    });
    expect((await failureOf('unreachable', raw)).message).toMatch(/must reject with TokenBackendError/);
    const causeless = options('NoCause', memoryFactory(), {
      createUnreachableBackend: () => ({
        load: () => Promise.reject(new TokenBackendError('unreachable', { backend: 'NoCause' })),
        save: () => Promise.reject(new TokenBackendError('unreachable', { backend: 'NoCause' })),
        delete: () => Promise.reject(new TokenBackendError('unreachable', { backend: 'NoCause' })),
      }),
    });
    expect((await failureOf('unreachable', causeless)).message).toMatch(/carry the underlying error as cause/);
    const leaky = options('Leaky', memoryFactory(), {
      createUnreachableBackend: () => ({
        load: () => Promise.reject(new TokenBackendError('unreachable', { backend: 'Leaky', cause: new Error('x') })),
        save: (data: string) => Promise.reject(new TokenBackendError(`cannot store ${data}`, { backend: 'Leaky', cause: new Error('x') })),
        delete: () => Promise.reject(new TokenBackendError('unreachable', { backend: 'Leaky', cause: new Error('x') })),
      }),
    });
    expect((await failureOf('unreachable', leaky)).message).toMatch(/contains the stored data/);
  });

  it('a conflict delegation must point at a real test of the conflict path', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'o365-kit-delegation-'));
    const good = path.join(dir, 'good.test.ts');
    writeFileSync(good, "it('maps 412 to TokenCacheConflictError', async () => { /* ... */ });\n");
    const noConflict = path.join(dir, 'no-conflict.test.ts');
    writeFileSync(noConflict, "it('saves', async () => {});\n");
    const skipped = path.join(dir, 'skipped.test.ts');
    writeFileSync(skipped, "it.skip('maps 412 to TokenCacheConflictError', async () => {});\n");
    const delegated = (testedIn: string) =>
      options('Delegating', memoryFactory(), { conditionalWrites: { enforcedByService: false, reason: 'the test server ignores If-Match', testedIn } });

    await getConformanceCheck('conditional-writes-delegated').run(delegated(good));
    expect((await failureOf('conditional-writes-delegated', delegated(noConflict))).message).toMatch(/never mentions TokenCacheConflictError/);
    expect((await failureOf('conditional-writes-delegated', delegated(skipped))).message).toMatch(/skips tests/);
    expect((await failureOf('conditional-writes-delegated', delegated('relative.test.ts'))).message).toMatch(/absolute path/);
    expect((await failureOf('conditional-writes-delegated', delegated(path.join(dir, 'missing.test.ts')))).message).toMatch(/does not exist/);
    // Delegating removes the conflict checks and adds the delegation check: nothing disappears silently.
    const ids = (await checkTokenBackendConformance(delegated(good))).map((r) => r.id);
    expect(ids).toContain('conditional-writes-delegated');
    expect(ids).not.toContain('concurrent-writers');
    expect(ids).not.toContain('expected-version-stale');
    expect(ids).toContain('expected-version-current');
  });

  it('a declared size limit must be enforced with TokenBackendError, not by silent truncation', async () => {
    const limit = 64 * 1024;
    const limited = (truncate: boolean) =>
      options(
        'Limited',
        brokenFactory(
          (inner) =>
            new (class extends Wrapper {
              override save(data: string, o?: SaveOptions) {
                if (Buffer.byteLength(data) > limit) {
                  if (truncate) return this.inner.save(data.slice(0, limit), o);
                  return Promise.reject(new TokenBackendError('too large', { backend: 'Limited' }));
                }
                return this.inner.save(data, o);
              }
            })(inner),
        ),
        { dataLimit: { maxDataBytes: limit, reason: 'a test limit' } },
      );
    await getConformanceCheck('data-limit').run(limited(false));
    await getConformanceCheck('round-trip-large').run(limited(false));
    expect((await failureOf('data-limit', limited(true))).message).toMatch(/resolved .* but must reject/);
  });
});
