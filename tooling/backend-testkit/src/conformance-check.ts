// The shape of one conformance check (the checks themselves live by subject beside this file).
import type { TokenBackendConformanceOptions } from './conformance-options.js';

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
