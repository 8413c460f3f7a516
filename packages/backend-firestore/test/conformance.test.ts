// The shared TokenBackend contract suite, including the end-to-end Account run against
// @o365/emulator, against a real @firestore-emulator/server: for FirestoreBackend and for the
// partitions of FirestorePartitionedBackend. The emulator enforces no `lastUpdateTime`
// precondition and isolates no transaction, yet every conflict check runs against it: the
// backend's compare-and-swap rests on `exists` preconditions, which it does enforce.
import { afterAll, beforeAll } from '@jest/globals';
import { runPartitionedTokenBackendConformance, runTokenBackendConformance } from '@o365/backend-testkit';
import { FirestoreBackend, FirestorePartitionedBackend } from '../src/index.js';
import { startFirestoreEmulator, unreachableFirestore, type FirestoreEmulatorHandle } from './firestore-emulator.js';

const DATA_LIMIT_REASON = 'Firestore stores at most 1 MiB (1,048,576 bytes) per document, its name and fields included';
// The kit's keys are at most 60 characters; the limit of a document with the longest id holds for all.
const LONGEST_KEY = 'k'.repeat(60);

let emulator: FirestoreEmulatorHandle | undefined;
let partitioned: FirestorePartitionedBackend | undefined;
const unreachable: Array<Awaited<ReturnType<typeof unreachableFirestore>>> = [];

beforeAll(async () => {
  emulator = await startFirestoreEmulator();
});

afterAll(async () => {
  await Promise.allSettled(unreachable.map((u) => u.stop()));
  await emulator?.stop();
});

function running(): FirestoreEmulatorHandle {
  if (emulator === undefined) throw new Error('the Firestore emulator is not running');
  return emulator;
}

async function unreachableClient(): Promise<Awaited<ReturnType<typeof unreachableFirestore>>['firestore']> {
  const endpoint = await unreachableFirestore();
  unreachable.push(endpoint);
  return endpoint.firestore;
}

const plainLimit = new FirestoreBackend({ projectId: 'o365-test', collectionName: 'conformance', documentId: LONGEST_KEY });
void plainLimit.close();

runTokenBackendConformance({
  name: 'FirestoreBackend',
  createBackend: (key) => new FirestoreBackend({ firestore: running().client(), collectionName: 'conformance', documentId: key }),
  async createUnreachableBackend() {
    return new FirestoreBackend({ firestore: await unreachableClient(), collectionName: 'conformance', documentId: 'unreachable', timeoutMs: 2_000 });
  },
  dataLimit: { maxDataBytes: plainLimit.maxDataBytes, reason: DATA_LIMIT_REASON },
});

// Keys with `/`, `.`, `%` and non-ASCII, so the partitions' document id encoding is part of the run.
const partitionKey = (key: string): string => `tenant/${key}.%é`;

const partitionLimit = new FirestorePartitionedBackend({ projectId: 'o365-test', collectionName: 'conformance-partitions' });
const partitionMaxBytes = partitionLimit.partition(partitionKey(LONGEST_KEY)).maxDataBytes;
void partitionLimit.close();

runTokenBackendConformance({
  name: 'FirestorePartitionedBackend partition',
  createBackend(key) {
    partitioned ??= new FirestorePartitionedBackend({ firestore: running().client(), collectionName: 'conformance-partitions' });
    return partitioned.partition(partitionKey(key));
  },
  async createUnreachableBackend() {
    return new FirestorePartitionedBackend({ firestore: await unreachableClient(), timeoutMs: 2_000 }).partition('unreachable');
  },
  dataLimit: { maxDataBytes: partitionMaxBytes, reason: DATA_LIMIT_REASON },
});

// The partitioned-store rules (isolation, awkward keys, delete one, invalid keys, independent locks).
runPartitionedTokenBackendConformance({
  name: 'FirestorePartitionedBackend',
  createPartitioned: (namespace) => new FirestorePartitionedBackend({ firestore: running().client(), collectionName: `kit-${namespace}` }),
});
