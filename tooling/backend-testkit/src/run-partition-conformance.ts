import { partitionChecks, type PartitionedConformanceOptions } from './partition-checks.js';
import { jestApi } from './run-conformance.js';

/**
 * Registers the partitioned-store rules as jest tests: isolation, one key one storage, awkward
 * keys kept apart, deleting one partition leaves the rest, invalid keys refused, independent
 * locks. Run {@link runTokenBackendConformance} on `partition(key)` as well: each partition is a
 * whole `TokenBackend`.
 *
 * @example
 * ```ts
 * runPartitionedTokenBackendConformance({
 *   name: 'PartitionedFileSystemTokenBackend',
 *   createPartitioned: (namespace) => new PartitionedFileSystemTokenBackend({ folder: path.join(root, namespace) }),
 * });
 * ```
 */
export function runPartitionedTokenBackendConformance(options: PartitionedConformanceOptions): void {
  const { describe, it } = jestApi();
  describe(`PartitionedTokenBackend conformance: ${options.name}`, () => {
    for (const check of partitionChecks) {
      if (!check.applies(options)) continue;
      it(check.title, () => check.run(options), options.timeoutMs ?? 60_000);
    }
  });
}
