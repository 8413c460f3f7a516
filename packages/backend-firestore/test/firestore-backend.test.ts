// FirestoreBackend against a real @firestore-emulator/server: the stored format (python-o365's),
// documents written by others, lost revision markers, and the failures (a field that is not a
// string, PERMISSION_DENIED, an unreachable endpoint), each a clear TokenBackendError without data.
import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Firestore } from '@google-cloud/firestore';
import { TokenBackendError, TokenCacheConflictError } from '@o365/core';
import { FirestoreBackend } from '../src/index.js';
import { DENIED_PROJECT, startFirestoreEmulator, unreachableFirestore, type FirestoreEmulatorHandle } from './firestore-emulator.js';

const SECRET = 'marker-5b1e-not-a-real-refresh-token';
let emulator: FirestoreEmulatorHandle;
let db: Firestore;
let counter = 0;
const uniqueId = (name: string): string => `${name}-${process.pid}-${Date.now().toString(36)}-${++counter}`;

beforeAll(async () => {
  emulator = await startFirestoreEmulator();
  db = emulator.client();
});

afterAll(async () => {
  await emulator?.stop();
});

function shown(error: unknown): string {
  return `${error instanceof Error ? error.message : ''}\n${inspect(error, { depth: 6 })}`;
}

async function rejectionOf(op: () => Promise<unknown>): Promise<unknown> {
  try {
    await op();
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

describe('stored format', () => {
  it("keeps the cache as a string in fieldName, as python-o365 does, next to the o365Revision that is its version", async () => {
    const documentId = uniqueId('format');
    const backend = new FirestoreBackend({ firestore: db, collectionName: 'apps/mail/tokens', documentId, fieldName: 'o365_token' });
    const { version } = await backend.save('{"AccessToken":{}}');
    const snap = await db.collection('apps/mail/tokens').doc(documentId).get();
    expect(snap.data()).toEqual({ o365_token: '{"AccessToken":{}}', o365Revision: version });
    expect(version).toMatch(/^[0-9a-z]{9}-[A-Za-z0-9_-]{16}$/);
    // The marker of the stored revision, and nothing else, in the bookkeeping subcollection.
    const meta = await db.collection(`apps/mail/tokens/${documentId}/o365-meta`).get();
    expect(meta.docs.map((d) => d.id)).toEqual([`revision-${version}`]);
    await backend.save('{"AccessToken":{"a":1}}');
    const afterSecond = await db.collection(`apps/mail/tokens/${documentId}/o365-meta`).get();
    expect(afterSecond.docs).toHaveLength(1);
    await backend.delete();
    expect((await db.collection('apps/mail/tokens').doc(documentId).get()).exists).toBe(false);
    expect((await db.collection(`apps/mail/tokens/${documentId}/o365-meta`).get()).docs).toHaveLength(0);
  });

  it('reads a document python-o365 wrote (the field alone): its version is its update time, and a stale one conflicts', async () => {
    const documentId = uniqueId('python');
    const ref = db.collection('tokens').doc(documentId);
    await ref.set({ token: '{"from":"python-o365"}' });
    const backend = new FirestoreBackend({ firestore: db, documentId });
    const stored = await backend.load();
    const updateTime = (await ref.get()).updateTime!;
    expect(stored).toEqual({
      data: '{"from":"python-o365"}',
      version: `updateTime:${updateTime.seconds}.${String(updateTime.nanoseconds).padStart(9, '0')}`,
    });
    const { version } = await backend.save('{"from":"o365-ts"}', { expectedVersion: stored!.version });
    expect(await backend.load()).toEqual({ data: '{"from":"o365-ts"}', version });
    // python-o365 replaces the document (set): the revision goes, so the version o365-ts held is
    // stale. (This emulator merges on set, where the service replaces: delete + set in one batch
    // leaves what the service's set leaves.)
    await db.batch().delete(ref).set(ref, { token: '{"from":"python-o365 again"}' }).commit();
    expect((await ref.get()).data()).toEqual({ token: '{"from":"python-o365 again"}' });
    const conflict = await rejectionOf(() => backend.save('{"lost":true}', { expectedVersion: version }));
    expect(conflict).toBeInstanceOf(TokenCacheConflictError);
    expect((await backend.load())!.data).toBe('{"from":"python-o365 again"}');
  });

  it('treats a document without the field as nothing stored, and a create-only save then fills it', async () => {
    const documentId = uniqueId('no-field');
    await db.collection('tokens').doc(documentId).set({ other: 'value' });
    const backend = new FirestoreBackend({ firestore: db, documentId });
    expect(await backend.load()).toBeUndefined();
    const { version } = await backend.save('{"n":1}', { expectedVersion: null });
    expect(await backend.load()).toEqual({ data: '{"n":1}', version });
  });

  it('saves over a revision whose marker was deleted by hand (conditional and unconditional)', async () => {
    const documentId = uniqueId('lost-marker');
    const backend = new FirestoreBackend({ firestore: db, documentId });
    const { version: v1 } = await backend.save('{"n":1}');
    await db.doc(`tokens/${documentId}/o365-meta/revision-${v1}`).delete();
    const { version: v2 } = await backend.save('{"n":2}', { expectedVersion: v1! });
    expect(await backend.load()).toEqual({ data: '{"n":2}', version: v2 });
    await db.doc(`tokens/${documentId}/o365-meta/revision-${v2}`).delete();
    const { version: v3 } = await backend.save('{"n":3}');
    expect(await backend.load()).toEqual({ data: '{"n":3}', version: v3 });
    // Guarded again from there on: the stale version conflicts.
    await expect(backend.save('{"n":4}', { expectedVersion: v2! })).rejects.toBeInstanceOf(TokenCacheConflictError);
  });

  it('rejects data over the document limit before any call, naming the sizes but not the data', async () => {
    const backend = new FirestoreBackend({ firestore: db, documentId: uniqueId('too-big') });
    const error = await rejectionOf(() => backend.save(SECRET + 'x'.repeat(backend.maxDataBytes)));
    expect(error).toBeInstanceOf(TokenBackendError);
    expect((error as Error).message).toMatch(/more than the \d+ bytes this document can hold/);
    expect(shown(error)).not.toContain(SECRET);
    expect(await backend.load()).toBeUndefined();
  });
});

describe('failures', () => {
  it.each([
    ['a number', 42],
    ['a map', { secret: SECRET }],
    ['an array', [SECRET]],
    ['null', null],
    ['bytes', Buffer.from(SECRET)],
  ])('a field holding %s: load() rejects with TokenBackendError naming field, document and project, never the value', async (kind, value) => {
    const documentId = uniqueId('not-a-string');
    await db.collection('tokens').doc(documentId).set({ token: value });
    const backend = new FirestoreBackend({ firestore: db, documentId });
    const error = await rejectionOf(() => backend.load());
    expect(error).toBeInstanceOf(TokenBackendError);
    const e = error as TokenBackendError;
    expect(e.message).toContain(`the field "token" holds ${kind}, not the serialized token cache (a string)`);
    expect(e.message).toContain(`projects/o365-test/databases/(default)/documents/tokens/${documentId}`);
    expect(e.backend).toBe('FirestoreBackend');
    expect(e.location).toBe(`projects/o365-test/databases/(default)/documents/tokens/${documentId}`);
    expect(e.cause).toBeInstanceOf(TypeError);
    expect(shown(e)).not.toContain(SECRET);
    // An unconditional save replaces it.
    await backend.save('{"repaired":true}');
    expect((await backend.load())!.data).toBe('{"repaired":true}');
  });

  describe('PERMISSION_DENIED (the emulator process answers it for one project, as the service does)', () => {
    let denied: Firestore;
    beforeAll(() => {
      denied = emulator.client(DENIED_PROJECT);
    });

    it.each([
      ['load', (b: FirestoreBackend) => b.load()],
      ['save', (b: FirestoreBackend) => b.save(JSON.stringify({ refresh: SECRET }))],
      ['delete', (b: FirestoreBackend) => b.delete()],
      ['lock', (b: FirestoreBackend) => b.lock({ timeoutMs: 1_000 })],
    ])('%s rejects with TokenBackendError naming the project and the IAM role, with the gRPC error as cause', async (_op, op) => {
      // The client retries a refused read (BatchGetDocuments) internally for about 7 s before it
      // reports it; the default timeoutMs (15 s) leaves room for that.
      const backend = new FirestoreBackend({ firestore: denied, documentId: 'app' });
      expect(backend.timeoutMs).toBe(15_000);
      const error = await rejectionOf(() => op(backend));
      expect(error).toBeInstanceOf(TokenBackendError);
      const e = error as TokenBackendError;
      expect(e.message).toContain(`FirestoreBackend (projects/${DENIED_PROJECT}/databases/(default)/documents/tokens/app)`);
      expect(e.message).toContain('PERMISSION_DENIED');
      expect(e.message).toContain(`permission denied on project ${DENIED_PROJECT}`);
      expect(e.message).toContain('roles/datastore.user');
      expect((e.cause as { code?: unknown }).code).toBe(7);
      expect(shown(e)).not.toContain(SECRET);
    });
  });

  describe('an unreachable endpoint (nothing listens on the port)', () => {
    let endpoint: Awaited<ReturnType<typeof unreachableFirestore>>;
    beforeAll(async () => {
      endpoint = await unreachableFirestore();
    });
    afterAll(async () => {
      await endpoint?.stop();
    });

    it.each([
      ['load', (b: FirestoreBackend) => b.load()],
      ['save', (b: FirestoreBackend) => b.save(JSON.stringify({ refresh: SECRET }))],
      ['delete', (b: FirestoreBackend) => b.delete()],
      ['lock', (b: FirestoreBackend) => b.lock({ timeoutMs: 60_000 })],
    ])('%s rejects within timeoutMs with TokenBackendError saying so', async (_op, op) => {
      const backend = new FirestoreBackend({ firestore: endpoint.firestore, documentId: 'unreachable', timeoutMs: 1_500 });
      const started = Date.now();
      const error = await rejectionOf(() => op(backend));
      const elapsed = Date.now() - started;
      expect(elapsed).toBeGreaterThanOrEqual(1_400);
      expect(elapsed).toBeLessThan(4_000);
      expect(error).toBeInstanceOf(TokenBackendError);
      const e = error as TokenBackendError;
      expect(e.message).toContain('projects/o365-unreachable/databases/(default)/documents/tokens/unreachable');
      expect(e.message).toContain('Firestore did not answer within 1500 ms');
      expect(e.message).toContain('the endpoint is unreachable or overloaded');
      expect((e.cause as Error).name).toBe('TimeoutError');
      expect(shown(e)).not.toContain(SECRET);
    });

    it('a save that timed out is not committed later, when the endpoint comes back', async () => {
      const late = await unreachableFirestore();
      try {
        const backend = new FirestoreBackend({ firestore: late.firestore, documentId: 'late', timeoutMs: 1_000 });
        await expect(backend.save('{"late":true}')).rejects.toBeInstanceOf(TokenBackendError);
        const revived = await late.revive();
        // Waits until the client's retried transaction reached the revived emulator and ended.
        await backend.close();
        expect((await revived.client('o365-unreachable').collection('tokens').doc('late').get()).exists).toBe(false);
        // The same client works against it now.
        const { version } = await backend.save('{"on-time":true}');
        expect(await backend.load()).toEqual({ data: '{"on-time":true}', version });
      } finally {
        await late.stop();
      }
    }, 60_000);
  });
});

describe('options and inspection', () => {
  it('shows project, collection, document and field; never the client or its credentials', () => {
    const client = new Firestore({
      projectId: 'my-project',
      credentials: { client_email: 'svc@my-project.iam.gserviceaccount.com', private_key: 'PRIVATE-KEY-MUST-NOT-SHOW' },
    });
    const backend = new FirestoreBackend({ firestore: client, collectionName: 'tokens', documentId: 'mail' });
    const all = [inspect(backend, { showHidden: true, depth: Infinity }), String(backend), JSON.stringify(backend)].join('\n');
    expect(inspect(backend)).toBe(
      "FirestoreBackend { projectId: 'my-project', databaseId: '(default)', collectionName: 'tokens', documentId: 'mail', fieldName: 'token' }",
    );
    expect(String(backend)).toBe('FirestoreBackend(projects/my-project/databases/(default)/documents/tokens/mail)');
    expect(all).not.toContain('PRIVATE-KEY-MUST-NOT-SHOW');
    expect(all).not.toContain('svc@my-project');
    void client.terminate();
  });
});
