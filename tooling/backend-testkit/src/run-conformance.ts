import { describe, it } from '@jest/globals';
import { conformanceChecks } from './checks.js';
import type { TokenBackendConformanceOptions } from './conformance-options.js';

const DEFAULT_TIMEOUT_MS = 60_000;

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
  const timeout = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  describe(`TokenBackend conformance: ${options.name}`, () => {
    for (const check of conformanceChecks) {
      if (!check.applies(options)) continue;
      it(check.title(options), () => check.run(options), timeout * (check.weight ?? 1));
    }
  });
}
