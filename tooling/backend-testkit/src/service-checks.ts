// Checks of the service around the data: the lock, size limits, an unreachable service.
import {
  assertNoDataLeak,
  check,
  checkStored,
  describeError,
  isBackendError,
  open,
  rejection,
  saveVersion,
  sleep,
  withFreshKey,
  within,
} from './check-helpers.js';
import type { ConformanceCheck } from './conformance-check.js';
import { DATA_MARKER, makeLargeData } from './test-data.js';

const UNREACHABLE_OP_TIMEOUT_MS = 30_000;

export const lockExclusion: ConformanceCheck = {
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

export const dataLimit: ConformanceCheck = {
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
      await checkStored(
        id,
        await open(options, key),
        { data: '{"small":true}', version: v1 },
        'load after the rejected save',
        'the rejected save changed the stored copy',
      );
    });
  },
};

export const unreachable: ConformanceCheck = {
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
