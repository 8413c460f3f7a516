// FirestorePartitionedBackend against a real @firestore-emulator/server: one document per
// partition, isolation, deleting one partition leaves the rest, keys Firestore ids cannot hold.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Firestore } from '@google-cloud/firestore';
import { TokenBackendError } from '@o365/core';
import { FirestorePartitionedBackend, partitionDocumentId } from '../src/index.js';
import { startFirestoreEmulator, type FirestoreEmulatorHandle } from './firestore-emulator.js';

let emulator: FirestoreEmulatorHandle;
let db: Firestore;
let counter = 0;
const uniqueCollection = (): string => `partitions-${process.pid}-${Date.now().toString(36)}-${++counter}`;

beforeAll(async () => {
  emulator = await startFirestoreEmulator();
  db = emulator.client();
});

afterAll(async () => {
  await emulator?.stop();
});

describe('FirestorePartitionedBackend', () => {
  it('keeps each partition in its own document, isolated from the others', async () => {
    const collectionName = uniqueCollection();
    const users = new FirestorePartitionedBackend({ firestore: db, collectionName });
    const keys = ['adele', 'contoso/alex', 'contoso%2Falex', '.', '__reserved__', 'émile 漢字', 'a'.repeat(1024), '漢'.repeat(1000), `${'漢'.repeat(999)}字`];
    const versions = new Map<string, string | undefined>();
    for (const key of keys) versions.set(key, (await users.partition(key).save(JSON.stringify({ key }))).version);
    for (const key of keys) {
      // A new backend instance on the same client: the same key names the same document.
      const stored = await new FirestorePartitionedBackend({ firestore: db, collectionName }).partition(key).load();
      expect(stored).toEqual({ data: JSON.stringify({ key }), version: versions.get(key) });
    }
    const ids = (await db.collection(collectionName).get()).docs.map((d) => d.id).sort();
    expect(ids).toEqual(keys.map(partitionDocumentId).sort());
    expect(ids).toContain('contoso%2Falex');
    expect(ids).toContain('contoso%252Falex');
    expect(new Set(ids).size).toBe(keys.length);
    // A version of one partition means nothing to another.
    await expect(users.partition('adele').save('{}', { expectedVersion: versions.get('contoso/alex')! })).rejects.toThrow(/changed since it was loaded/);
  });

  it('deleting one partition leaves the others', async () => {
    const collectionName = uniqueCollection();
    const users = new FirestorePartitionedBackend({ firestore: db, collectionName });
    await users.partition('a').save('{"a":1}');
    await users.partition('b').save('{"b":1}');
    await users.partition('c').save('{"c":1}');
    await users.partition('b').delete();
    expect(await users.partition('b').load()).toBeUndefined();
    expect((await users.partition('a').load())?.data).toBe('{"a":1}');
    expect((await users.partition('c').load())?.data).toBe('{"c":1}');
    expect((await db.collection(collectionName).get()).docs.map((d) => d.id).sort()).toEqual(['a', 'c']);
  });

  it('locks partitions independently', async () => {
    const users = new FirestorePartitionedBackend({ firestore: db, collectionName: uniqueCollection() });
    const releaseA = await users.partition('a').lock({ timeoutMs: 1_000 });
    try {
      const releaseB = await users.partition('b').lock({ timeoutMs: 300 });
      await releaseB();
      await expect(users.partition('a').lock({ timeoutMs: 200 })).rejects.toBeInstanceOf(TokenBackendError);
    } finally {
      await releaseA();
    }
  });

  it.each([
    ['empty', ''],
    ['a control character', 'a\u0000b'],
    ['too long', 'x'.repeat(1025)],
  ])('rejects a key that is %s with TokenBackendError', (_what, key) => {
    const users = new FirestorePartitionedBackend({ firestore: db });
    expect(() => users.partition(key)).toThrow(TokenBackendError);
    expect(() => users.partition(key)).toThrow(/FirestorePartitionedBackend \(projects\/o365-test\/databases\/\(default\)\/documents\/tokens\): partition key/);
  });
});
