/**
 * A backend broke the TokenBackend contract. The message says which rule and what was observed;
 * it never includes the stored data.
 *
 * @example
 * ```ts
 * const results = await checkTokenBackendConformance(options);
 * for (const r of results) if (r.error instanceof ConformanceError) console.error(r.id, r.error.message);
 * ```
 */
export class ConformanceError extends Error {
  readonly code = 'TOKEN_BACKEND_NONCONFORMANT';
  /** Id of the check that failed, e.g. `expected-version-stale`. */
  readonly checkId: string;

  constructor(checkId: string, message: string, options?: { cause?: unknown }) {
    super(`[${checkId}] ${message}`, options);
    this.name = 'ConformanceError';
    this.checkId = checkId;
  }
}
