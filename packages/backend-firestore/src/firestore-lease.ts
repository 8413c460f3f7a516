import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { Timestamp, type DocumentReference, type DocumentSnapshot, type Firestore } from '@google-cloud/firestore';
import type { BackendIdentity, Logger, ReleaseLock } from '@o365/core/backend';
import { sleep, throwIfAborted } from './deadline.js';
import { isLostRace } from './firestore-errors.js';
import { FirestoreLockTimeoutError } from './lock-timeout-error.js';
import { META_COLLECTION } from './revision.js';

const OWNER = /^[A-Za-z0-9_-]{24}$/;
const FIRST_POLL_MS = 20;
const MAX_POLL_MS = 500;
const MAX_RELEASE_ATTEMPTS = 3;

/** What the lease functions need of the backend. */
export interface LeaseContext {
  firestore: Firestore;
  /** The cache document; the lease lives in its `o365-meta` subcollection. */
  document: DocumentReference;
  identity: BackendIdentity;
  leaseMs: number;
  logger: Logger;
  /** Runs one Firestore call under the backend's deadline, mapping failures to `TokenBackendError`. */
  run<T>(what: string, op: (signal: AbortSignal) => Promise<T>): Promise<T>;
}

interface HeldLease {
  owner?: string;
  holder?: string;
  leaseMs: number;
  /** Server time of the lease's last write, ms. */
  updatedMs: number;
}

type Attempt =
  | { acquired: true; tookOverFrom?: string }
  | { acquired: false; holder?: string; expiresAt?: Date; failedTakeover?: { owner: string; updatedMs: number } };

function leaseDocument(doc: DocumentReference): DocumentReference {
  return doc.collection(META_COLLECTION).doc('lock');
}

/** Exists exactly while `owner` holds the lease: the lease's compare-and-swap (see `revisionMarker`). */
function leaseMarker(doc: DocumentReference, owner: string): DocumentReference {
  return doc.collection(META_COLLECTION).doc(`lock-${owner}`);
}

function readLease(snap: DocumentSnapshot, defaultLeaseMs: number): HeldLease {
  const data = snap.data() ?? {};
  const owner: unknown = data['owner'];
  const holder: unknown = data['holder'];
  const leaseMs: unknown = data['leaseMs'];
  const lease: HeldLease = {
    leaseMs: typeof leaseMs === 'number' && Number.isFinite(leaseMs) && leaseMs > 0 ? leaseMs : defaultLeaseMs,
    updatedMs: snap.updateTime?.toMillis() ?? 0,
  };
  if (typeof owner === 'string' && OWNER.test(owner)) lease.owner = owner;
  if (typeof holder === 'string') lease.holder = holder.slice(0, 200);
  return lease;
}

/**
 * One attempt at the lease, in a transaction. The expiry is judged by the server's clock only
 * (the lease's update time against the transaction's read time), so clock skew between hosts
 * does not matter. Creating the lease uses `create` (fails if it exists); taking over an expired
 * one deletes the old holder's marker with `exists: true` first, so of two processes taking over
 * the same lease only one commit succeeds, also on an emulator without transaction isolation.
 */
async function tryAcquire(
  ctx: LeaseContext,
  owner: string,
  holder: string,
  unguarded: { owner: string; updatedMs: number } | undefined,
  signal: AbortSignal,
): Promise<Attempt> {
  const lease = leaseDocument(ctx.document);
  let committing = false;
  let takeover: { owner: string; updatedMs: number } | undefined;
  try {
    return await ctx.firestore.runTransaction(async (tx): Promise<Attempt> => {
      committing = false;
      takeover = undefined;
      const snap = await tx.get(lease);
      const nowMs = snap.readTime.toMillis();
      const fields = {
        owner,
        holder,
        leaseMs: ctx.leaseMs,
        acquiredAt: Timestamp.fromMillis(nowMs),
        expiresAt: Timestamp.fromMillis(nowMs + ctx.leaseMs),
      };
      if (!snap.exists) {
        tx.create(lease, fields);
        tx.create(leaseMarker(ctx.document, owner), {});
        // A lease taken after lock() gave up would block every other process for leaseMs.
        throwIfAborted(signal);
        committing = true;
        return { acquired: true };
      }
      const held = readLease(snap, ctx.leaseMs);
      const endsMs = held.updatedMs + held.leaseMs;
      if (nowMs < endsMs) {
        return { acquired: false, ...(held.holder !== undefined ? { holder: held.holder } : {}), expiresAt: new Date(endsMs) };
      }
      // Expired: take it over. The guard write goes first: a failing write of a commit stops the
      // writes after it on the emulator too.
      const lostMarker = unguarded !== undefined && unguarded.owner === held.owner && unguarded.updatedMs === held.updatedMs;
      if (held.owner !== undefined && !lostMarker) tx.delete(leaseMarker(ctx.document, held.owner), { exists: true });
      tx.set(lease, fields);
      tx.create(leaseMarker(ctx.document, owner), {});
      if (held.owner !== undefined) takeover = { owner: held.owner, updatedMs: held.updatedMs };
      throwIfAborted(signal);
      committing = true;
      return { acquired: true, ...(held.holder !== undefined ? { tookOverFrom: held.holder } : {}) };
    });
  } catch (err) {
    // Another process created or took over the lease between our read and our commit.
    if (committing && isLostRace(err)) return { acquired: false, ...(takeover !== undefined ? { failedTakeover: takeover } : {}) };
    throw err;
  }
}

async function release(ctx: LeaseContext, owner: string): Promise<void> {
  const lease = leaseDocument(ctx.document);
  await ctx.run('release the lock on the token cache', async (signal) => {
    let ownMarkerLost = false;
    for (let attempt = 1; attempt <= MAX_RELEASE_ATTEMPTS; attempt++) {
      let committing = false;
      try {
        const outcome = await ctx.firestore.runTransaction(async (tx) => {
          committing = false;
          const snap = await tx.get(lease);
          if (!snap.exists) return 'gone' as const;
          if (readLease(snap, ctx.leaseMs).owner !== owner) return 'taken' as const;
          if (!ownMarkerLost) tx.delete(leaseMarker(ctx.document, owner), { exists: true });
          tx.delete(lease);
          throwIfAborted(signal);
          committing = true;
          return 'released' as const;
        });
        if (outcome === 'released') ctx.logger.debug('released the token cache lock', { ...ctx.identity });
        else {
          ctx.logger.warn(
            outcome === 'taken'
              ? 'the token cache lock had expired and another process took it before this one released it; left as it is'
              : 'the token cache lock had expired and was gone when this process released it',
            { ...ctx.identity, leaseMs: ctx.leaseMs },
          );
        }
        return;
      } catch (err) {
        if (!(committing && isLostRace(err))) throw err;
        // Either another process took the expired lease over (the next read shows it), or our
        // marker is missing (deleted by hand): then the next attempt deletes the lease without it.
        ownMarkerLost = true;
      }
    }
    ctx.logger.warn('could not release the token cache lock; it ends when its lease runs out', { ...ctx.identity, leaseMs: ctx.leaseMs });
  });
}

/**
 * Takes the cache document's lease, retrying with capped, jittered backoff until `timeoutMs`;
 * resolves the function that releases it (only if this process still holds it).
 */
export async function acquireLease(ctx: LeaseContext, timeoutMs: number): Promise<ReleaseLock> {
  const owner = randomBytes(18).toString('base64url');
  const holder = `${hostname()} pid ${process.pid}`;
  const started = Date.now();
  let pollMs = FIRST_POLL_MS;
  let unguarded: { owner: string; updatedMs: number } | undefined;
  let last: Extract<Attempt, { acquired: false }> | undefined;
  for (;;) {
    const attempt = await ctx.run('take the lock on the token cache', (signal) => tryAcquire(ctx, owner, holder, unguarded, signal));
    if (attempt.acquired) {
      if (attempt.tookOverFrom !== undefined) {
        ctx.logger.warn('took over an expired token cache lock', { ...ctx.identity, previousHolder: attempt.tookOverFrom });
      } else {
        ctx.logger.debug('took the token cache lock', { ...ctx.identity });
      }
      let released: Promise<void> | undefined;
      return () => (released ??= release(ctx, owner));
    }
    // A takeover that failed although the lease did not change means its holder's marker is gone.
    unguarded = attempt.failedTakeover;
    if (attempt.holder !== undefined || attempt.expiresAt !== undefined) last = attempt;
    const elapsed = Date.now() - started;
    if (elapsed >= timeoutMs) {
      const held = last?.holder !== undefined ? ` (held by ${last.holder}${last.expiresAt ? ` until ${last.expiresAt.toISOString()}` : ''})` : '';
      throw new FirestoreLockTimeoutError(
        `${ctx.identity.backend} (${ctx.identity.location ?? ''}): could not take the lock on the token cache within ${timeoutMs} ms${held}: ` +
          'another process is refreshing; a holder that died frees it when its lease ends.',
        {
          ...ctx.identity,
          timeoutMs,
          ...(last?.holder !== undefined ? { holder: last.holder } : {}),
          ...(last?.expiresAt !== undefined ? { expiresAt: last.expiresAt } : {}),
        },
      );
    }
    await sleep(Math.min(timeoutMs - elapsed, pollMs * (0.5 + Math.random())));
    pollMs = Math.min(pollMs * 2, MAX_POLL_MS);
  }
}

/** The lease documents, for tests and for people reading the database. */
export const leaseDocuments = { lease: leaseDocument, marker: leaseMarker };
