import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ConformanceError } from './conformance-error.js';
import type { TokenBackendConformanceOptions } from './conformance-options.js';
import {
  assertNoDataLeak,
  check,
  describeError,
  describeValue,
  isBackendError,
  isConflictError,
  loadStored,
  open,
  rejection,
  saveVersion,
  sleep,
  uniqueKey,
  withFreshKey,
  within,
} from './check-helpers.js';
import { endToEndCheck } from './end-to-end.js';

/**
 * One rule of the TokenBackend contract, runnable as a plain async function (it throws
 * {@link ConformanceError} when the backend breaks the rule). {@link runTokenBackendConformance}
 * wraps each applicable check in a jest `it`.
 *
 * @example
 * ```ts
 * for (const c of conformanceChecks) if (c.applies(options)) await c.run(options);
 * ```
 */
export interface ConformanceCheck {
  /** Stable id, e.g. `expected-version-stale`. */
  readonly id: string;
  /** The test name for this backend. */
  title(options: TokenBackendConformanceOptions): string;
  /** Whether the check runs for these options (e.g. conflict checks are delegated when the service cannot enforce them). */
  applies(options: TokenBackendConformanceOptions): boolean;
  /** Multiplier of the per-check timeout. */
  readonly weight?: number;
  /** Throws ConformanceError (or the backend's own error) when the backend breaks the rule. */
  run(options: TokenBackendConformanceOptions): Promise<void>;
}

const DEFAULT_LARGE_BYTES = 1_500_000;
const CONCURRENT_WRITERS = 20;
const MAX_ATTEMPTS_PER_WRITER = 200;
const UNREACHABLE_OP_TIMEOUT_MS = 30_000;

/** A marker standing in for a token: errors must never contain stored data. */
const DATA_MARKER = 'kit-marker-0f3c9a-not-a-real-token';

const conflictsEnforced = (o: TokenBackendConformanceOptions) =>
  o.conditionalWrites?.enforcedByService !== false;

/**
 * JSON like a token cache, mixing ASCII and multi-byte characters: at most `bytes` UTF-8 bytes, within ~100 of it.
 *
 * @example
 * ```ts
 * await backend.save(makeLargeData(64 * 1024));
 * ```
 */
export function makeLargeData(bytes: number): string {
  const parts: string[] = [];
  let size = 2;
  for (let i = 0; ; i += 1) {
    const part = JSON.stringify({
      i,
      secret: `${i.toString(36)}-abcdefghijklmnopqrstuvwxyz-0123456789`,
      text: `é-漢字-😀-${i % 97}`,
    });
    const partBytes = Buffer.byteLength(part, 'utf8') + (parts.length > 0 ? 1 : 0);
    if (size + partBytes > bytes) break;
    parts.push(part);
    size += partBytes;
  }
  return `[${parts.join(',')}]`;
}

/**
 * Emoji (with ZWJ sequences), right-to-left scripts, CJK, combining marks, astral letters, escapes. No NUL.
 *
 * @example
 * ```ts
 * await backend.save(UNICODE_SAMPLE);
 * ```
 */
export const UNICODE_SAMPLE = JSON.stringify({
  emoji: '😀🎉👩‍👩‍👧‍👦🏳️‍🌈',
  hebrew: 'שלום עולם',
  arabic: 'مرحبا بالعالم',
  mixed: 'abc \u202Eعكس\u202C def',
  cjk: '漢字かなカナ한국어',
  combining: 'e\u0301 n\u0303 a\u030A',
  astral: '𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𐍈',
  escapes: 'quote " backslash \\ newline \n tab \t',
  bmpEdge: '\uFFFD\uFEFF\u00A0',
});

function largeBytes(options: TokenBackendConformanceOptions): number {
  return Math.min(DEFAULT_LARGE_BYTES, options.dataLimit?.maxDataBytes ?? DEFAULT_LARGE_BYTES);
}

const roundTripLarge: ConformanceCheck = {
  id: 'round-trip-large',
  title: (o) =>
    o.dataLimit
      ? `round trip of large data at the service limit (${largeBytes(o)} bytes: ${o.dataLimit.reason})`
      : `round trip of large data (~${(largeBytes(o) / 1e6).toFixed(1)} MB)`,
  applies: () => true,
  async run(options) {
    const id = this.id;
    await withFreshKey(options, async (key) => {
      const data = makeLargeData(largeBytes(options));
      const version = await saveVersion(id, await open(options, key), data, 'save(large)');
      const stored = await loadStored(
        id,
        await open(options, key),
        'load after save(large) from another instance',
      );
      check(id, stored !== undefined, 'load() returned undefined right after a successful save');
      check(
        id,
        stored.data.length === data.length,
        `load() returned ${stored.data.length} characters, ${data.length} were saved`,
      );
      check(id, stored.data === data, 'load() returned different data than was saved');
      check(
        id,
        stored.version === version,
        `load() returned version ${stored.version}, save() returned ${version}`,
      );
    });
  },
};

const roundTripUnicode: ConformanceCheck = {
  id: 'round-trip-unicode',
  title: () => 'round trip of unicode data (emoji, RTL, CJK, combining marks, astral characters)',
  applies: () => true,
  async run(options) {
    const id = this.id;
    await withFreshKey(options, async (key) => {
      await saveVersion(id, await open(options, key), UNICODE_SAMPLE, 'save(unicode)');
      const stored = await loadStored(id, await open(options, key), 'load after save(unicode)');
      check(id, stored !== undefined, 'load() returned undefined right after a successful save');
      if (stored.data !== UNICODE_SAMPLE) {
        let at = 0;
        while (at < stored.data.length && stored.data[at] === UNICODE_SAMPLE[at]) at += 1;
        throw new ConformanceError(
          id,
          `unicode data changed in the round trip (first difference at UTF-16 index ${at}; check the encoding and normalization)`,
        );
      }
    });
  },
};

const missingIsUndefined: ConformanceCheck = {
  id: 'missing-is-undefined',
  title: () => 'load() of something never stored resolves to undefined',
  applies: () => true,
  async run(options) {
    const key = uniqueKey(options.name);
    const value = await (await open(options, key)).load();
    check(
      this.id,
      value === undefined,
      `load() of a never-written key returned ${describeValue(value)}, expected undefined`,
    );
  },
};

const deleteIdempotent: ConformanceCheck = {
  id: 'delete-idempotent',
  title: () => 'delete() is idempotent (never-written, twice in a row) and a new save works after it',
  applies: () => true,
  async run(options) {
    const id = this.id;
    await withFreshKey(options, async (key) => {
      await (await open(options, key)).delete().catch((error: unknown) => {
        throw new ConformanceError(
          id,
          `delete() of a never-written key rejected (${describeError(error)}); it must resolve`,
          { cause: error },
        );
      });
      const backend = await open(options, key);
      await saveVersion(id, backend, '{"n":1}', 'save');
      await backend.delete();
      check(id, (await backend.load()) === undefined, 'load() after delete() did not return undefined');
      await (await open(options, key)).delete().catch((error: unknown) => {
        throw new ConformanceError(
          id,
          `a second delete() rejected (${describeError(error)}); it must resolve`,
          { cause: error },
        );
      });
      check(
        id,
        (await (await open(options, key)).load()) === undefined,
        'load() from another instance after delete() did not return undefined',
      );
      const version = await saveVersion(id, backend, '{"n":2}', 'save after delete');
      const stored = await loadStored(id, backend, 'load after re-save');
      check(
        id,
        stored?.data === '{"n":2}' && stored.version === version,
        'save() after delete() was not read back',
      );
    });
  },
};

const versions: ConformanceCheck = {
  id: 'versions',
  title: () => 'save() returns a version, load() returns the same one, and new data gets a new version',
  applies: () => true,
  async run(options) {
    const id = this.id;
    await withFreshKey(options, async (key) => {
      const a = await open(options, key);
      const b = await open(options, key);
      const v1 = await saveVersion(id, a, '{"v":1}', 'first save');
      const seen1 = await loadStored(id, b, 'load from another instance');
      check(
        id,
        seen1?.version === v1,
        `load() returned version ${String(seen1?.version)}, save() returned ${v1}`,
      );
      const v2 = await saveVersion(id, b, '{"v":2}', 'second save');
      check(
        id,
        v2 !== v1,
        'saving different data returned the same version; versions must change when the data does',
      );
      const seen2 = await loadStored(id, a, 'load after second save');
      check(
        id,
        seen2?.version === v2 && seen2.data === '{"v":2}',
        'load() did not return the second save and its version',
      );
    });
  },
};

const expectedVersionCurrent: ConformanceCheck = {
  id: 'expected-version-current',
  title: () => 'save({ expectedVersion }) with the current version is accepted',
  applies: () => true,
  async run(options) {
    const id = this.id;
    await withFreshKey(options, async (key) => {
      const a = await open(options, key);
      await saveVersion(id, a, '{"step":1}', 'initial save');
      const current = await loadStored(id, await open(options, key), 'load');
      check(id, current !== undefined, 'load() returned undefined after a save');
      const b = await open(options, key);
      const v2 = await b.save('{"step":2}', { expectedVersion: current.version }).then(
        (r) => r.version,
        (error: unknown) => {
          throw new ConformanceError(
            id,
            `save with the current expectedVersion rejected (${describeError(error)})`,
            { cause: error },
          );
        },
      );
      const after = await loadStored(id, a, 'load after conditional save');
      check(
        id,
        after?.data === '{"step":2}',
        'the conditional save was accepted but load() does not return its data',
      );
      check(
        id,
        after.version === v2,
        `load() returned version ${after.version}, the conditional save returned ${String(v2)}`,
      );
    });
  },
};

const expectedVersionStale: ConformanceCheck = {
  id: 'expected-version-stale',
  title: () =>
    'save({ expectedVersion }) with a stale version rejects with TokenCacheConflictError and leaves the stored data',
  applies: conflictsEnforced,
  async run(options) {
    const id = this.id;
    await withFreshKey(options, async (key) => {
      const a = await open(options, key);
      const b = await open(options, key);
      const v1 = await saveVersion(id, a, '{"writer":"a"}', 'save by a');
      const v2 = await saveVersion(id, b, '{"writer":"b"}', 'save by b');
      const error = await rejection(id, 'a save with a stale expectedVersion', () =>
        a.save(JSON.stringify({ writer: 'a-again', marker: DATA_MARKER }), { expectedVersion: v1 }),
      );
      check(
        id,
        isConflictError(error),
        `a stale expectedVersion must reject with TokenCacheConflictError, got ${describeError(error)}`,
      );
      assertNoDataLeak(id, error, DATA_MARKER, 'the conflict error');
      const stored = await loadStored(id, await open(options, key), 'load after the rejected save');
      check(id, stored?.data === '{"writer":"b"}', 'the rejected save changed the stored data');
      check(
        id,
        stored.version === v2,
        `the rejected save changed the stored version (${v2} -> ${stored.version})`,
      );
    });
  },
};

const expectedVersionAfterDelete: ConformanceCheck = {
  id: 'expected-version-after-delete',
  title: () =>
    'save({ expectedVersion }) when the item was deleted meanwhile rejects with TokenCacheConflictError',
  applies: conflictsEnforced,
  async run(options) {
    const id = this.id;
    await withFreshKey(options, async (key) => {
      const a = await open(options, key);
      const v1 = await saveVersion(id, a, '{"x":1}', 'save');
      await (await open(options, key)).delete();
      const error = await rejection(id, 'a save expecting a version of a deleted item', () =>
        a.save('{"x":2}', { expectedVersion: v1 }),
      );
      check(id, isConflictError(error), `expected TokenCacheConflictError, got ${describeError(error)}`);
      check(
        id,
        (await (await open(options, key)).load()) === undefined,
        'the rejected save stored data anyway',
      );
    });
  },
};

const createOnlyRejected: ConformanceCheck = {
  id: 'create-only-rejected-when-exists',
  title: () =>
    'create-only save (expectedVersion: null) rejects with TokenCacheConflictError when something is stored',
  applies: conflictsEnforced,
  async run(options) {
    const id = this.id;
    await withFreshKey(options, async (key) => {
      const v1 = await saveVersion(id, await open(options, key), '{"first":true}', 'save');
      const error = await rejection(id, 'a create-only save over existing data', () =>
        (async () => (await open(options, key)).save('{"first":false}', { expectedVersion: null }))(),
      );
      check(id, isConflictError(error), `expected TokenCacheConflictError, got ${describeError(error)}`);
      const stored = await loadStored(id, await open(options, key), 'load after the rejected create');
      check(
        id,
        stored?.data === '{"first":true}' && stored.version === v1,
        'the rejected create-only save changed the stored data',
      );
    });
  },
};

const createOnlyAccepted: ConformanceCheck = {
  id: 'create-only-accepted-when-missing',
  title: () =>
    'create-only save (expectedVersion: null) is accepted when nothing is stored (also after a delete)',
  applies: () => true,
  async run(options) {
    const id = this.id;
    await withFreshKey(options, async (key) => {
      const backend = await open(options, key);
      const v1 = await saveVersion(
        id,
        backend,
        '{"created":1}',
        'create-only save on a never-written key',
        null,
      );
      const stored = await loadStored(id, await open(options, key), 'load after create');
      check(
        id,
        stored?.data === '{"created":1}' && stored.version === v1,
        'the create-only save was not read back with its version',
      );
      await backend.delete();
      await saveVersion(id, await open(options, key), '{"created":2}', 'create-only save after delete', null);
      check(
        id,
        (await loadStored(id, backend, 'load'))?.data === '{"created":2}',
        'the create-only save after delete was not read back',
      );
    });
  },
};

const concurrentWriters: ConformanceCheck = {
  id: 'concurrent-writers',
  title: () =>
    `${CONCURRENT_WRITERS} concurrent writers (distinct instances) doing load -> modify -> save({ expectedVersion }) lose no write`,
  applies: conflictsEnforced,
  weight: 2,
  async run(options) {
    const id = this.id;
    await withFreshKey(options, async (key) => {
      const writers = await Promise.all(Array.from({ length: CONCURRENT_WRITERS }, () => open(options, key)));
      let conflicts = 0;
      await Promise.all(
        writers.map(async (backend, index) => {
          for (let attempt = 1; ; attempt += 1) {
            if (attempt > MAX_ATTEMPTS_PER_WRITER) {
              throw new ConformanceError(
                id,
                `writer ${index} still conflicted after ${MAX_ATTEMPTS_PER_WRITER} attempts`,
              );
            }
            const current = await loadStored(id, backend, `writer ${index} load`);
            const doc = current ? (JSON.parse(current.data) as { writers: string[] }) : { writers: [] };
            doc.writers.push(`w${index}`);
            try {
              await backend.save(JSON.stringify(doc), { expectedVersion: current ? current.version : null });
              return;
            } catch (error) {
              if (!isConflictError(error)) {
                throw new ConformanceError(
                  id,
                  `writer ${index}: save failed with ${describeError(error)}, expected success or TokenCacheConflictError`,
                  {
                    cause: error,
                  },
                );
              }
              conflicts += 1;
              await sleep(Math.random() * Math.min(50, 2 * attempt));
            }
          }
        }),
      );
      const final = await loadStored(id, await open(options, key), 'final load');
      check(id, final !== undefined, 'nothing is stored after all writers succeeded');
      const list = (JSON.parse(final.data) as { writers: string[] }).writers;
      const missing = writers.map((_b, i) => `w${i}`).filter((w) => !list.includes(w));
      const duplicated = list.filter((w, i) => list.indexOf(w) !== i);
      check(
        id,
        missing.length === 0,
        `${missing.length} of ${CONCURRENT_WRITERS} writes were lost although their saves resolved (missing ${missing.join(', ')}; ${conflicts} conflicts were reported): expectedVersion is not enforced atomically`,
      );
      check(
        id,
        duplicated.length === 0,
        `writes appear twice (${duplicated.join(', ')}): a save that rejected with a conflict was stored anyway`,
      );
    });
  },
};

const conditionalWritesDelegated: ConformanceCheck = {
  id: 'conditional-writes-delegated',
  title: (o) =>
    `expectedVersion: not enforced by ${o.name}'s test service (${o.conditionalWrites?.reason ?? ''}); the conflict path is tested in ${
      o.conditionalWrites ? path.basename(o.conditionalWrites.testedIn) : ''
    }`,
  applies: (o) => o.conditionalWrites?.enforcedByService === false,
  async run(options) {
    const id = this.id;
    const delegation = options.conditionalWrites;
    check(id, delegation !== undefined, 'no conditionalWrites delegation given');
    check(
      id,
      delegation.reason.trim().length >= 10,
      'conditionalWrites.reason must say why the service cannot enforce conditional writes',
    );
    check(
      id,
      path.isAbsolute(delegation.testedIn),
      `conditionalWrites.testedIn must be an absolute path (use path.join(__dirname, ...)), got ${delegation.testedIn}`,
    );
    check(
      id,
      existsSync(delegation.testedIn),
      `conditionalWrites.testedIn does not exist: ${delegation.testedIn}`,
    );
    const source = readFileSync(delegation.testedIn, 'utf8');
    check(
      id,
      !/\b(?:it|test|describe)\.(?:skip|todo)\s*\(|\bx(?:it|test|describe)\s*\(/.test(source),
      `${delegation.testedIn} skips tests`,
    );
    check(
      id,
      /\b(?:it|test)(?:\.each\([^)]*\))?\s*\(/.test(source),
      `${delegation.testedIn} contains no test (it/test call)`,
    );
    check(
      id,
      source.includes('TokenCacheConflictError'),
      `${delegation.testedIn} never mentions TokenCacheConflictError: the conflict path is not tested there`,
    );
    // Printed on purpose: whoever reads the test output must see that this guarantee is tested elsewhere.
    // eslint-disable-next-line no-console
    console.info(
      `[@o365/backend-testkit] ${options.name}: conflict checks (stale expectedVersion, create-only, ${CONCURRENT_WRITERS} concurrent writers) are not run against the test service: ${delegation.reason}. The conflict path is tested in ${delegation.testedIn}.`,
    );
  },
};

const lockExclusion: ConformanceCheck = {
  id: 'lock',
  title: () =>
    'lock() (when the backend has one) excludes a second instance until released, times out with TokenBackendError',
  applies: () => true,
  async run(options) {
    const id = this.id;
    await withFreshKey(options, async (key) => {
      const a = await open(options, key);
      const b = await open(options, key);
      if (a.lock === undefined) {
        check(id, b.lock === undefined, 'one instance has lock() and another does not');
        // eslint-disable-next-line no-console
        console.info(
          `[@o365/backend-testkit] ${options.name} has no lock(): cross-process coordination relies on expectedVersion alone.`,
        );
        return;
      }
      check(
        id,
        typeof a.lock === 'function' && typeof b.lock === 'function',
        'lock must be a method (or absent)',
      );
      const releaseA = await a.lock({ timeoutMs: 10_000 });
      check(id, typeof releaseA === 'function', 'lock() must resolve with a release function');
      let releasedA = false;
      try {
        const timedOut = await rejection(id, 'lock() by a second instance while the first holds it', () =>
          b.lock!({ timeoutMs: 300 }),
        );
        check(
          id,
          isBackendError(timedOut),
          `a lock() that times out must reject with TokenBackendError, got ${describeError(timedOut)}`,
        );
        let bAcquired = false;
        const waiting = b.lock!({ timeoutMs: 20_000 }).then((release) => {
          bAcquired = true;
          return release;
        });
        await sleep(200);
        check(id, !bAcquired, 'a second instance got the lock while the first one held it');
        releasedA = true;
        await releaseA();
        const releaseB = await waiting;
        check(id, bAcquired, 'the waiting instance did not get the lock after it was released');
        await releaseB();
        await releaseB();
        const releaseAgain = await a.lock({ timeoutMs: 10_000 });
        await releaseAgain();
      } finally {
        if (!releasedA) await releaseA();
      }
    });
  },
};

const dataLimit: ConformanceCheck = {
  id: 'data-limit',
  title: (o) =>
    `data over the service limit (${o.dataLimit?.maxDataBytes ?? 0} bytes) rejects with TokenBackendError and keeps the stored copy`,
  applies: (o) => o.dataLimit !== undefined,
  async run(options) {
    const id = this.id;
    await withFreshKey(options, async (key) => {
      const backend = await open(options, key);
      const v1 = await saveVersion(id, backend, '{"small":true}', 'save');
      const big = makeLargeData((options.dataLimit?.maxDataBytes ?? 0) + 4096);
      const error = await rejection(id, 'a save over the declared limit', () => backend.save(big));
      check(id, isBackendError(error), `expected TokenBackendError, got ${describeError(error)}`);
      const stored = await loadStored(id, await open(options, key), 'load after the rejected save');
      check(
        id,
        stored?.data === '{"small":true}' && stored.version === v1,
        'the rejected save changed the stored copy',
      );
    });
  },
};

const unreachable: ConformanceCheck = {
  id: 'unreachable',
  title: (o) =>
    typeof o.createUnreachableBackend === 'function'
      ? 'an unreachable service: load, save and delete reject with TokenBackendError carrying the cause'
      : `an unreachable service is not applicable (${o.createUnreachableBackend.notApplicable}); invalid input rejects with TokenBackendError instead`,
  applies: () => true,
  async run(options) {
    const id = this.id;
    const factory = options.createUnreachableBackend;
    if (typeof factory !== 'function') {
      check(
        id,
        factory.notApplicable.trim().length >= 10,
        'createUnreachableBackend.notApplicable must say why the backend cannot be unreachable',
      );
      await withFreshKey(options, async (key) => {
        const backend = await open(options, key);
        const error = await rejection(id, 'save() of a non-string', () =>
          backend.save(42 as unknown as string),
        );
        check(
          id,
          isBackendError(error),
          `save() of a non-string must reject with TokenBackendError, got ${describeError(error)}`,
        );
        check(id, (await backend.load()) === undefined, 'the rejected save stored something');
      });
      return;
    }
    const backend = await factory();
    const ops: Array<[string, () => Promise<unknown>]> = [
      ['load()', () => backend.load()],
      ['save()', () => backend.save(JSON.stringify({ marker: DATA_MARKER }))],
      ['delete()', () => backend.delete()],
    ];
    for (const [what, op] of ops) {
      const error = await within(
        id,
        `${what} on the unreachable backend`,
        UNREACHABLE_OP_TIMEOUT_MS,
        rejection(id, `${what} on the unreachable backend`, op),
      );
      check(
        id,
        isBackendError(error),
        `${what} on an unreachable service must reject with TokenBackendError, got ${describeError(error)}`,
      );
      check(
        id,
        error.cause !== undefined,
        `${what}: the TokenBackendError must carry the underlying error as cause`,
      );
      check(
        id,
        typeof error.backend === 'string' && error.backend.length > 0,
        `${what}: the TokenBackendError must name the backend`,
      );
      check(id, error.message.length > 0, `${what}: the TokenBackendError has an empty message`);
      assertNoDataLeak(id, error, DATA_MARKER, what);
    }
  },
};

/**
 * Every check of the contract, in the order they run.
 *
 * @example
 * ```ts
 * console.log(conformanceChecks.map((c) => c.id));
 * ```
 */
export const conformanceChecks: readonly ConformanceCheck[] = Object.freeze(
  [
    roundTripLarge,
    roundTripUnicode,
    missingIsUndefined,
    deleteIdempotent,
    versions,
    expectedVersionCurrent,
    expectedVersionStale,
    expectedVersionAfterDelete,
    createOnlyRejected,
    createOnlyAccepted,
    concurrentWriters,
    conditionalWritesDelegated,
    lockExclusion,
    dataLimit,
    unreachable,
    endToEndCheck,
  ].map((c): ConformanceCheck => Object.freeze({ ...c, run: c.run.bind(c) })),
);
