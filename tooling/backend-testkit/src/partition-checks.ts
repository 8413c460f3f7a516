import type { PartitionedTokenBackend, TokenBackend } from '@o365/core';
import { ConformanceError } from './conformance-error.js';
import {
  check,
  describeError,
  isBackendError,
  loadStored,
  rejection,
  uniqueKey,
  within,
} from './check-helpers.js';

/**
 * Options of {@link runPartitionedTokenBackendConformance}.
 *
 * @example
 * ```ts
 * const options: PartitionedConformanceOptions = {
 *   name: 'PartitionedFileSystemTokenBackend',
 *   createPartitioned: (namespace) => new PartitionedFileSystemTokenBackend({ folder: path.join(root, namespace) }),
 * };
 * ```
 */
export interface PartitionedConformanceOptions {
  /** Shown in test names. */
  name: string;
  /**
   * A partitioned store that no other check uses (its own folder, key prefix, table scope):
   * `namespace` is unique per check and made of letters, digits and `-`.
   */
  createPartitioned(namespace: string): PartitionedTokenBackend | Promise<PartitionedTokenBackend>;
  /** Per-check timeout in ms (default 60 000). */
  timeoutMs?: number;
  /**
   * Whether partitions have `lock()` (default `true`: a partition without one then fails). Set
   * `false` for a service with no atomic create-if-absent; the lock check is then not registered.
   */
  locks?: boolean;
}

/**
 * One rule of the partitioned contract, runnable as a plain async function.
 *
 * @example
 * ```ts
 * for (const c of partitionChecks) await c.run(options);
 * ```
 */
export interface PartitionCheck {
  readonly id: string;
  readonly title: string;
  applies(options: PartitionedConformanceOptions): boolean;
  run(options: PartitionedConformanceOptions): Promise<void>;
}

/** Keys that a careless mapping onto file names, object keys or ids would merge or refuse. */
const AWKWARD_KEYS = [
  'adele',
  'Adele',
  'a/b',
  'a_b',
  'a%2Fb',
  '..',
  '.',
  'a\\b',
  'ünïcødé-用户',
  '00000000-0000-0000-0000-000000000001.72f988bf-86f1-41af-91ab-2d7cd011db47',
  `${'k'.repeat(1023)}1`,
  `${'k'.repeat(1023)}2`,
];

async function openStore(
  options: PartitionedConformanceOptions,
  id: string,
): Promise<PartitionedTokenBackend> {
  const store = await options.createPartitioned(uniqueKey(`${options.name}-${id}`));
  if (!store || typeof store.partition !== 'function') {
    throw new ConformanceError(
      id,
      'createPartitioned() did not return a PartitionedTokenBackend (partition(key))',
    );
  }
  return store;
}

async function removeAll(partitions: TokenBackend[]): Promise<void> {
  await Promise.all(partitions.map((p) => p.delete().catch(() => undefined)));
}

async function expectData(
  id: string,
  backend: TokenBackend,
  expected: string | undefined,
  what: string,
): Promise<void> {
  const stored = await loadStored(id, backend, what);
  check(
    id,
    stored?.data === expected,
    `${what}: loaded ${stored === undefined ? 'nothing' : `${stored.data.length} characters that differ`} , expected ${expected === undefined ? 'nothing' : 'its own data'}`,
  );
}

/** The rules every {@link PartitionedTokenBackend} keeps. */
export const partitionChecks: readonly PartitionCheck[] = [
  {
    id: 'partition-isolation',
    title: 'partitions are isolated: what one saves, another never loads',
    applies: () => true,
    async run(options) {
      const id = 'partition-isolation';
      const store = await openStore(options, id);
      const a = store.partition('user-a');
      const b = store.partition('user-b');
      try {
        await a.save('{"partition":"a"}');
        await expectData(id, b, undefined, 'partition b after a saved');
        await b.save('{"partition":"b"}');
        await expectData(id, a, '{"partition":"a"}', 'partition a after b saved');
        await expectData(id, b, '{"partition":"b"}', 'partition b');
      } finally {
        await removeAll([a, b]);
      }
    },
  },
  {
    id: 'partition-same-key',
    title: 'the same key names the same storage (a new partition object loads what another saved)',
    applies: () => true,
    async run(options) {
      const id = 'partition-same-key';
      const store = await openStore(options, id);
      const first = store.partition('same-user');
      try {
        await first.save('{"saved":"by the first object"}');
        await expectData(
          id,
          store.partition('same-user'),
          '{"saved":"by the first object"}',
          'a second partition("same-user")',
        );
      } finally {
        await removeAll([first]);
      }
    },
  },
  {
    id: 'partition-awkward-keys',
    title: `keys differing only in case, '/', '.', '%', unicode or the 1,024th character are distinct partitions`,
    applies: () => true,
    async run(options) {
      const id = 'partition-awkward-keys';
      const store = await openStore(options, id);
      const partitions = AWKWARD_KEYS.map((key) => store.partition(key));
      try {
        for (const [i, partition] of partitions.entries()) await partition.save(JSON.stringify({ i }));
        for (const [i, partition] of partitions.entries()) {
          await expectData(
            id,
            partition,
            JSON.stringify({ i }),
            `partition ${JSON.stringify(AWKWARD_KEYS[i]!.slice(0, 40))}`,
          );
        }
      } finally {
        await removeAll(partitions);
      }
    },
  },
  {
    id: 'partition-delete-one',
    title: 'deleting one partition leaves the others',
    applies: () => true,
    async run(options) {
      const id = 'partition-delete-one';
      const store = await openStore(options, id);
      const partitions = ['u1', 'u2', 'u3'].map((key) => store.partition(key));
      try {
        for (const [i, partition] of partitions.entries()) await partition.save(`{"u":${i}}`);
        await partitions[1]!.delete();
        await expectData(id, partitions[0]!, '{"u":0}', 'partition u1 after u2 was deleted');
        await expectData(id, partitions[1]!, undefined, 'the deleted partition u2');
        await expectData(id, partitions[2]!, '{"u":2}', 'partition u3 after u2 was deleted');
      } finally {
        await removeAll(partitions);
      }
    },
  },
  {
    id: 'partition-invalid-key',
    title: 'an empty, non-string, over-long or control-character key is a TokenBackendError',
    applies: () => true,
    async run(options) {
      const id = 'partition-invalid-key';
      const store = await openStore(options, id);
      for (const key of ['', 42, null, 'k'.repeat(1025), 'line\nbreak'] as unknown[]) {
        const error = await rejection(id, `partition(${JSON.stringify(key)?.slice(0, 20)})`, async () =>
          store.partition(key as string),
        );
        check(
          id,
          isBackendError(error),
          `partition(${JSON.stringify(key)?.slice(0, 20)}) threw ${describeError(error)}, expected a TokenBackendError`,
        );
      }
    },
  },
  {
    id: 'partition-locks-independent',
    title: "one partition's lock does not block another's",
    applies: (options) => options.locks !== false,
    async run(options) {
      const id = 'partition-locks-independent';
      const store = await openStore(options, id);
      const a = store.partition('lock-a');
      const b = store.partition('lock-b');
      check(
        id,
        typeof a.lock === 'function' && typeof b.lock === 'function',
        'partitions have no lock(); declare locks: false if the service cannot lock',
      );
      const releaseA = await within(id, 'lock() of partition a', 10_000, a.lock!({ timeoutMs: 5_000 }));
      try {
        const releaseB = await within(
          id,
          "lock() of partition b while a's lock is held",
          10_000,
          b.lock!({ timeoutMs: 2_000 }),
        );
        await releaseB();
      } finally {
        await releaseA();
        await removeAll([a, b]);
      }
    },
  },
];
