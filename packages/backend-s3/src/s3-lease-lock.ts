import { randomUUID } from 'node:crypto';
import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { TokenBackendError, type LockOptions, type ReleaseLock } from '@o365/core/backend';
import { classifyS3Error, type S3Failure } from './s3-errors.js';

/**
 * Options of the S3 lease lock (`AWSS3BackendOptions.lock`).
 *
 * @example
 * ```ts
 * const lock: S3LeaseLockOptions = { leaseMs: 20_000 };
 * new AWSS3Backend({ bucketName: 'tokens', objectKey: 'o365/app.json', lock });
 * ```
 */
export interface S3LeaseLockOptions {
  /** How long a lease lasts: a holder that died blocks the others at most this long. Default 30 000 ms. */
  leaseMs?: number;
  /** How long `lock()` waits when no `timeoutMs` is given. Default 30 000 ms. */
  timeoutMs?: number;
}

/** What the lock needs of its backend. */
export interface S3LeaseLockTarget {
  client: S3Client;
  bucketName: string;
  /** The lock object's key (`<objectKey>.lock`). */
  lockKey: string;
  backend: string;
  /** Turns an S3 failure into the backend's error for `operation`. */
  error(operation: 'lock', failure: S3Failure, cause: unknown): TokenBackendError;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

interface Lease {
  owner: string;
  expiresAt: number;
}

const realSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const held = (failure: S3Failure): boolean => failure.kind === 'precondition-failed' || failure.kind === 'conflict';

/**
 * A lease lock on an S3 object created only if absent (`If-None-Match: *`, enforced by Amazon S3
 * since 2024): the lock object holds its owner and expiry; an expired lease is removed with a
 * delete conditional on its ETag (`If-Match`, enforced since 2025), so two waiters cannot both
 * break it; the holder's release deletes it only while it still holds it. Processes on several
 * hosts refreshing one token then make one token request.
 */
export async function acquireS3Lease(target: S3LeaseLockTarget, options: S3LeaseLockOptions, lockOptions: LockOptions = {}): Promise<ReleaseLock> {
  const sleep = target.sleep ?? realSleep;
  const now = target.now ?? Date.now;
  const leaseMs = options.leaseMs ?? 30_000;
  const timeoutMs = lockOptions.timeoutMs ?? options.timeoutMs ?? 30_000;
  const deadline = now() + timeoutMs;
  const owner = randomUUID();
  const location = `s3://${target.bucketName}/${target.lockKey}`;
  let wait = 50;
  for (;;) {
    const lease: Lease = { owner, expiresAt: now() + leaseMs };
    try {
      const put = await target.client.send(
        new PutObjectCommand({
          Bucket: target.bucketName,
          Key: target.lockKey,
          Body: JSON.stringify(lease),
          ContentType: 'application/json',
          CacheControl: 'no-store',
          IfNoneMatch: '*',
        }),
      );
      return release(target, put.ETag);
    } catch (err) {
      const failure = classifyS3Error(err);
      if (!held(failure)) throw target.error('lock', failure, err);
    }
    const current = await readLease(target);
    if (current !== undefined && current.lease.expiresAt < now()) {
      // The holder died or hung: break its lease, but only the one we read.
      try {
        await target.client.send(new DeleteObjectCommand({ Bucket: target.bucketName, Key: target.lockKey, IfMatch: current.etag }));
      } catch (err) {
        const failure = classifyS3Error(err);
        if (!held(failure) && failure.kind !== 'no-such-key') throw target.error('lock', failure, err);
      }
      continue;
    }
    if (current === undefined) continue; // released between our write and our read
    const left = deadline - now();
    if (left <= 0) {
      throw new TokenBackendError(
        `${target.backend} (${location}): the lock is held by another process until ${new Date(current.lease.expiresAt).toISOString()}; gave up after ${timeoutMs} ms`,
        { backend: target.backend, location },
      );
    }
    await sleep(Math.min(wait, left));
    wait = Math.min(wait * 2, 1_000);
  }
}

async function readLease(target: S3LeaseLockTarget): Promise<{ lease: Lease; etag: string } | undefined> {
  let response;
  try {
    response = await target.client.send(new GetObjectCommand({ Bucket: target.bucketName, Key: target.lockKey }));
  } catch (err) {
    const failure = classifyS3Error(err);
    if (failure.kind === 'no-such-key') return undefined;
    throw target.error('lock', failure, err);
  }
  const text = (await response.Body?.transformToString('utf-8')) ?? '';
  let lease: Partial<Lease>;
  try {
    lease = JSON.parse(text) as Partial<Lease>;
  } catch {
    lease = {};
  }
  // Something that is not our lease (say, written by hand) counts as expired: it is broken once.
  const expiresAt = typeof lease.expiresAt === 'number' ? lease.expiresAt : 0;
  return { lease: { owner: String(lease.owner ?? ''), expiresAt }, etag: response.ETag ?? '*' };
}

function release(target: S3LeaseLockTarget, etag: string | undefined): ReleaseLock {
  let done: Promise<void> | undefined;
  return () =>
    (done ??= (async () => {
      try {
        await target.client.send(new DeleteObjectCommand({ Bucket: target.bucketName, Key: target.lockKey, ...(etag ? { IfMatch: etag } : {}) }));
      } catch (err) {
        const failure = classifyS3Error(err);
        // Our lease expired and another process took the lock: it is theirs now, leave it.
        if (held(failure) || failure.kind === 'no-such-key') return;
        throw target.error('lock', failure, err);
      }
    })());
}
