import type { describe as jestDescribe, it as jestIt } from '@jest/globals';
import { conformanceChecks } from './checks.js';
import type { TokenBackendConformanceOptions } from './conformance-options.js';

const DEFAULT_TIMEOUT_MS = 60_000;

interface JestApi {
  describe: typeof jestDescribe;
  it: typeof jestIt;
}

/**
 * jest's `describe`/`it`, fetched when the suite is registered rather than when the kit is imported:
 * `@jest/globals` throws when imported outside jest, and the checks must stay usable without it.
 */
export function jestApi(): JestApi {
  // jest injects them as globals by default (the same functions `@jest/globals` exports).
  const g = globalThis as Partial<JestApi>;
  if (typeof g.describe === 'function' && typeof g.it === 'function')
    return { describe: g.describe, it: g.it };
  try {
    // With `injectGlobals: false` (CommonJS), jest's module registry answers `@jest/globals` itself.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require('@jest/globals') as JestApi;
  } catch (cause) {
    throw new Error(
      'runTokenBackendConformance registers jest tests: call it from a jest test file (or use checkTokenBackendConformance)',
      {
        cause,
      },
    );
  }
}

/**
 * Registers the whole TokenBackend contract suite as jest tests: one `describe` named after the
 * backend, one `it` per applicable check. Call it at the top level of a test file.
 *
 * @example
 * ```ts
 * import path from 'node:path';
 * import { runTokenBackendConformance } from '@o365/backend-testkit';
 *
 * runTokenBackendConformance({
 *   name: 'AWSS3Backend',
 *   createBackend: (key) => new AWSS3Backend({ bucketName: 'tokens', objectKey: `${key}.json`, client }),
 *   createUnreachableBackend: () => new AWSS3Backend({ bucketName: 'tokens', objectKey: 'x', clientConfig: { endpoint: 'http://127.0.0.1:9' } }),
 *   conditionalWrites: { enforcedByService: false, reason: 's3rver ignores If-Match/If-None-Match', testedIn: path.join(__dirname, 'conditional-writes.test.ts') },
 * });
 * ```
 */
export function runTokenBackendConformance(options: TokenBackendConformanceOptions): void {
  const { describe, it } = jestApi();
  const timeout = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  describe(`TokenBackend conformance: ${options.name}`, () => {
    for (const check of conformanceChecks) {
      if (!check.applies(options)) continue;
      it(check.title(options), () => check.run(options), timeout * (check.weight ?? 1));
    }
  });
}
