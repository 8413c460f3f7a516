import { conformanceChecks, type ConformanceCheck } from './checks.js';
import type { TokenBackendConformanceOptions } from './conformance-options.js';

/**
 * The outcome of one check run by {@link checkTokenBackendConformance}.
 *
 * @example
 * ```ts
 * const failed = (await checkTokenBackendConformance(options)).filter((r: ConformanceResult) => !r.passed);
 * ```
 */
export interface ConformanceResult {
  id: string;
  title: string;
  passed: boolean;
  /** What the check threw (a ConformanceError for a broken rule), when it failed. */
  error?: unknown;
}

/**
 * Runs the applicable checks one after the other as plain functions (no test framework) and
 * reports each outcome: for CI scripts, other test runners, or to show that a broken backend fails.
 *
 * @example
 * ```ts
 * const results = await checkTokenBackendConformance({ name: 'Mine', createBackend, createUnreachableBackend, endToEnd: false });
 * const failed = results.filter((r) => !r.passed);
 * ```
 */
export async function checkTokenBackendConformance(
  options: TokenBackendConformanceOptions,
  select: { only?: readonly string[] } = {},
): Promise<ConformanceResult[]> {
  const results: ConformanceResult[] = [];
  for (const check of conformanceChecks) {
    if (!check.applies(options)) continue;
    if (select.only && !select.only.includes(check.id)) continue;
    try {
      await check.run(options);
      results.push({ id: check.id, title: check.title(options), passed: true });
    } catch (error) {
      results.push({ id: check.id, title: check.title(options), passed: false, error });
    }
  }
  return results;
}

/**
 * One check by id (e.g. `expected-version-stale`), to run on its own.
 *
 * @example
 * ```ts
 * await getConformanceCheck('concurrent-writers').run(options);
 * ```
 */
export function getConformanceCheck(id: string): ConformanceCheck {
  const found = conformanceChecks.find((c) => c.id === id);
  if (!found)
    throw new Error(
      `no conformance check with id ${id}; known: ${conformanceChecks.map((c) => c.id).join(', ')}`,
    );
  return found;
}
