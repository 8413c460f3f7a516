import { describe, expect, it } from '@jest/globals';
import { TokenBackendError, type PartitionedTokenBackend, type TokenBackend } from '@o365/core';
import { partitionChecks, type PartitionedConformanceOptions } from '@o365/backend-testkit';
import { memoryFactory } from './memory-store.js';

// Partitioned stores that each break one rule: the kit's checks must catch every one of them.
function store(mapKey: (key: string) => string, options: { validate?: boolean; deleteAll?: boolean; noLock?: boolean } = {}): PartitionedConformanceOptions {
  return {
    name: 'broken',
    createPartitioned(): PartitionedTokenBackend {
      const slots = memoryFactory();
      const used = new Set<string>();
      return {
        partition(key: string): TokenBackend {
          if (options.validate !== false && (typeof key !== 'string' || key === '' || key.length > 1024 || /[\n]/.test(key))) {
            throw new TokenBackendError('bad key', { backend: 'broken' });
          }
          const slot = mapKey(key);
          used.add(slot);
          const backend = slots(slot);
          return {
            load: () => backend.load(),
            save: (data, saveOptions) => backend.save(data, saveOptions),
            delete: options.deleteAll
              ? async () => {
                  for (const s of used) await slots(s).delete();
                }
              : () => backend.delete(),
            ...(options.noLock ? {} : { lock: (lockOptions) => backend.lock(lockOptions) }),
          } satisfies TokenBackend;
        },
      };
    },
  };
}

const run = (id: string, options: PartitionedConformanceOptions) => partitionChecks.find((c) => c.id === id)!.run(options);

describe('partition checks catch broken partitioned stores', () => {
  it('a correct store passes every check', async () => {
    for (const check of partitionChecks) await check.run(store((k) => k));
  });
  it('one storage for all keys fails isolation', async () => {
    await expect(run('partition-isolation', store(() => 'all'))).rejects.toThrow(/partition b after a saved/);
  });
  it('keys lowercased (a case-insensitive file system) fail the awkward-keys check', async () => {
    await expect(run('partition-awkward-keys', store((k) => k.toLowerCase()))).rejects.toThrow(/partition/);
  });
  it("keys cut to 255 characters (a file name's limit) fail the awkward-keys check", async () => {
    await expect(run('partition-awkward-keys', store((k) => k.slice(0, 255)))).rejects.toThrow(/partition/);
  });
  it('a delete that removes every partition fails delete-one', async () => {
    await expect(run('partition-delete-one', store((k) => k, { deleteAll: true }))).rejects.toThrow(/after u2 was deleted/);
  });
  it('keys not validated fail the invalid-key check', async () => {
    await expect(run('partition-invalid-key', store((k) => String(k), { validate: false }))).rejects.toThrow(/must reject/);
  });
  it('partitions without lock() fail the lock check unless locks: false is declared', async () => {
    await expect(run('partition-locks-independent', store((k) => k, { noLock: true }))).rejects.toThrow(/no lock/);
    expect(partitionChecks.find((c) => c.id === 'partition-locks-independent')!.applies({ ...store((k) => k), locks: false })).toBe(false);
  });
});
