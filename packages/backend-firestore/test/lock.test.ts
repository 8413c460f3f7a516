// FirestoreBackend.lock() against a real @firestore-emulator/server: mutual exclusion among many
// instances, the typed timeout, expiry and takeover, and that a release after expiry never deletes
// the lease another process took since.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Firestore } from '@google-cloud/firestore';
import { TokenBackendError, type Logger } from '@o365/core';
import { FirestoreBackend, FirestoreLockTimeoutError } from '../src/index.js';
import { startFirestoreEmulator, type FirestoreEmulatorHandle } from './firestore-emulator.js';

let emulator: FirestoreEmulatorHandle;
let db: Firestore;
let counter = 0;
const uniqueId = (name: string): string => `${name}-${process.pid}-${Date.now().toString(36)}-${++counter}`;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

beforeAll(async () => {
  emulator = await startFirestoreEmulator();
  db = emulator.client();
});

afterAll(async () => {
  await emulator?.stop();
});

function recordingLogger(): Logger & { lines: Array<[string, string, Record<string, unknown> | undefined]> } {
  const lines: Array<[string, string, Record<string, unknown> | undefined]> = [];
  const log = (level: string) => (message: string, data?: Record<string, unknown>) => void lines.push([level, message, data]);
  return { lines, debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
}

describe('FirestoreBackend.lock()', () => {
  it('lets one holder at a time in among 10 instances racing for it', async () => {
    const documentId = uniqueId('exclusion');
    let inside = 0;
    let maxInside = 0;
    let entered = 0;
    await Promise.all(
      Array.from({ length: 10 }, async () => {
        const backend = new FirestoreBackend({ firestore: db, documentId });
        for (let round = 0; round < 3; round++) {
          const release = await backend.lock({ timeoutMs: 30_000 });
          inside += 1;
          entered += 1;
          maxInside = Math.max(maxInside, inside);
          await sleep(5);
          inside -= 1;
          await release();
        }
      }),
    );
    expect(entered).toBe(30);
    expect(maxInside).toBe(1);
    // Released: nothing is left behind but the subcollection's absence.
    expect((await db.collection(`tokens/${documentId}/o365-meta`).get()).docs).toHaveLength(0);
  }, 60_000);

  it('times out with FirestoreLockTimeoutError (a TokenBackendError) naming the holder and the end of its lease', async () => {
    const documentId = uniqueId('timeout');
    const holder = new FirestoreBackend({ firestore: db, documentId, leaseMs: 60_000 });
    const release = await holder.lock();
    try {
      const waiter = new FirestoreBackend({ firestore: db, documentId });
      const started = Date.now();
      const error = await waiter.lock({ timeoutMs: 400 }).then(
        () => undefined,
        (e: unknown) => e,
      );
      const elapsed = Date.now() - started;
      expect(error).toBeInstanceOf(FirestoreLockTimeoutError);
      expect(error).toBeInstanceOf(TokenBackendError);
      const e = error as FirestoreLockTimeoutError;
      expect(elapsed).toBeGreaterThanOrEqual(390);
      expect(elapsed).toBeLessThan(3_000);
      expect(e.timeoutMs).toBe(400);
      expect(e.holder).toMatch(/ pid \d+$/);
      expect(e.expiresAt!.getTime()).toBeGreaterThan(Date.now() + 50_000);
      expect(e.message).toContain('could not take the lock on the token cache within 400 ms (held by');
      expect(e.location).toBe(`projects/o365-test/databases/(default)/documents/tokens/${documentId}`);
    } finally {
      await release();
    }
  });

  it('an expired lease (its holder died) is taken over, and reported', async () => {
    const documentId = uniqueId('expired');
    const dead = new FirestoreBackend({ firestore: db, documentId, leaseMs: 300 });
    await dead.lock(); // never released
    const logger = recordingLogger();
    const next = new FirestoreBackend({ firestore: db, documentId, logger });
    const started = Date.now();
    const release = await next.lock({ timeoutMs: 5_000 });
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(logger.lines.some(([level, message]) => level === 'warn' && message === 'took over an expired token cache lock')).toBe(true);
    await release();
  });

  it('a release after the lease expired leaves the lease another process took since', async () => {
    const documentId = uniqueId('late-release');
    const slowLogger = recordingLogger();
    const slow = new FirestoreBackend({ firestore: db, documentId, leaseMs: 300, logger: slowLogger });
    const releaseSlow = await slow.lock();
    await sleep(500);
    const other = new FirestoreBackend({ firestore: db, documentId, leaseMs: 60_000 });
    const releaseOther = await other.lock({ timeoutMs: 5_000 });
    const leaseBefore = (await db.doc(`tokens/${documentId}/o365-meta/lock`).get()).data();

    await releaseSlow(); // too late: the lease is the other process's now
    const leaseAfter = (await db.doc(`tokens/${documentId}/o365-meta/lock`).get()).data();
    expect(leaseAfter).toEqual(leaseBefore);
    expect(slowLogger.lines.some(([level, message]) => level === 'warn' && /another process took it/.test(message))).toBe(true);
    // It still excludes everyone else.
    await expect(new FirestoreBackend({ firestore: db, documentId }).lock({ timeoutMs: 300 })).rejects.toBeInstanceOf(FirestoreLockTimeoutError);
    await releaseOther();
    const release = await new FirestoreBackend({ firestore: db, documentId }).lock({ timeoutMs: 1_000 });
    await release();
  });

  it('of several processes taking over the same expired lease, exactly one gets it', async () => {
    const documentId = uniqueId('takeover-race');
    await new FirestoreBackend({ firestore: db, documentId, leaseMs: 200 }).lock();
    await sleep(300);
    const contenders = Array.from({ length: 8 }, () => new FirestoreBackend({ firestore: db, documentId, leaseMs: 60_000 }));
    const outcomes = await Promise.allSettled(contenders.map((b) => b.lock({ timeoutMs: 250 })));
    const winners = outcomes.filter((o) => o.status === 'fulfilled');
    expect(winners).toHaveLength(1);
    for (const o of outcomes) if (o.status === 'rejected') expect(o.reason).toBeInstanceOf(FirestoreLockTimeoutError);
    await (winners[0] as PromiseFulfilledResult<() => Promise<void>>).value();
  });

  it('release is idempotent, and the lock can be taken again at once', async () => {
    const documentId = uniqueId('idempotent');
    const backend = new FirestoreBackend({ firestore: db, documentId });
    const release = await backend.lock();
    await release();
    await release();
    const again = await backend.lock({ timeoutMs: 200 });
    await again();
  });

  it('takes over an expired lease whose holder marker was deleted by hand', async () => {
    const documentId = uniqueId('lost-lease-marker');
    await new FirestoreBackend({ firestore: db, documentId, leaseMs: 200 }).lock();
    const meta = await db.collection(`tokens/${documentId}/o365-meta`).get();
    for (const doc of meta.docs) if (doc.id.startsWith('lock-')) await doc.ref.delete();
    await sleep(300);
    const release = await new FirestoreBackend({ firestore: db, documentId }).lock({ timeoutMs: 5_000 });
    await release();
    expect((await db.collection(`tokens/${documentId}/o365-meta`).get()).docs).toHaveLength(0);
  });

  it('rejects a negative timeout with TokenBackendError', async () => {
    await expect(new FirestoreBackend({ firestore: db, documentId: 'x' }).lock({ timeoutMs: -1 })).rejects.toBeInstanceOf(TokenBackendError);
  });
});
