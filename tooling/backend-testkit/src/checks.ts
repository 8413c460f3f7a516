// The whole contract suite, in the order it runs; the checks live by subject beside this file.
import type { ConformanceCheck } from './conformance-check.js';
import {
  deleteIdempotent,
  missingIsUndefined,
  roundTripLarge,
  roundTripUnicode,
  versions,
} from './data-checks.js';
import { endToEndCheck } from './end-to-end.js';
import { dataLimit, lockExclusion, unreachable } from './service-checks.js';
import {
  concurrentWriters,
  conditionalWritesDelegated,
  createOnlyAccepted,
  createOnlyRejected,
  expectedVersionAfterDelete,
  expectedVersionCurrent,
  expectedVersionStale,
} from './version-checks.js';

export type { ConformanceCheck } from './conformance-check.js';
export { makeLargeData, UNICODE_SAMPLE } from './test-data.js';

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
