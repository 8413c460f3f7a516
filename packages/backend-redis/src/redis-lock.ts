import { randomBytes } from 'node:crypto';
import type { Logger, ReleaseLock } from '@o365/core/backend';
import type { RedisCommands } from './redis-commands.js';
import { RELEASE, RENEW, replyText } from './redis-scripts.js';

/** How a lease lock behaves; see {@link RedisTokenBackendOptions.lockLeaseMs}. */
export interface LeaseSettings {
  /** Lifetime of the lock key; renewed every third of it while held. */
  leaseMs: number;
  /** First wait between attempts; doubles up to `maxRetryMs`, with full jitter. */
  minRetryMs: number;
  maxRetryMs: number;
}

/** Why {@link acquireLease} gave up. */
export type LeaseFailure =
  | { kind: 'timeout'; timeoutMs: number; attempts: number; remainingLeaseMs?: number }
  | { kind: 'error'; error: unknown; operation: 'take' | 'release' }
  | { kind: 'aborted'; reason: unknown };

/** What the lock reports to its backend: log entries, and how to turn a failure into an error. */
export interface LeaseContext {
  commands: RedisCommands;
  lockKey: string;
  settings: LeaseSettings;
  logger: Logger;
  /** Fields every log entry carries (backend, location). */
  logData: Record<string, unknown>;
  fail(failure: LeaseFailure): unknown;
}

/**
 * Takes the lock at `lockKey`: `SET lockKey <random owner token> NX PX leaseMs`, retried with
 * jittered exponential backoff until `timeoutMs` or until `signal` aborts. While held, a timer
 * renews the lease every `leaseMs / 3` (only if this owner still holds it), so a live holder keeps
 * the lock however long its refresh takes, and a holder that dies frees it after at most `leaseMs`.
 * The returned release deletes the key only if it still holds this owner's token (a Lua
 * compare-and-delete): a lease that expired and was taken by another process is left alone, and
 * logged as lost. Releasing twice is a no-op.
 */
export async function acquireLease(ctx: LeaseContext, timeoutMs: number, signal?: AbortSignal): Promise<ReleaseLock> {
  const { commands, lockKey, settings } = ctx;
  const owner = randomBytes(18).toString('base64url');
  const deadline = Date.now() + timeoutMs;
  let delay = settings.minRetryMs;
  for (let attempt = 1; ; attempt++) {
    if (signal?.aborted) throw ctx.fail({ kind: 'aborted', reason: signal.reason });
    let reply: unknown;
    try {
      reply = await commands.send(lockKey, ['SET', lockKey, owner, 'NX', 'PX', String(settings.leaseMs)]);
    } catch (error) {
      throw ctx.fail({ kind: 'error', error, operation: 'take' });
    }
    if (replyText(reply) === 'OK') {
      ctx.logger.debug('token cache lock taken', { ...ctx.logData, lockKey, attempts: attempt });
      return holdLease(ctx, owner);
    }
    const left = deadline - Date.now();
    if (left <= 0) {
      const remainingLeaseMs = await commands.send(lockKey, ['PTTL', lockKey]).then(
        (ttl) => (typeof ttl === 'number' && ttl >= 0 ? ttl : undefined),
        () => undefined,
      );
      throw ctx.fail({ kind: 'timeout', timeoutMs, attempts: attempt, ...(remainingLeaseMs !== undefined ? { remainingLeaseMs } : {}) });
    }
    const wait = Math.min(left, Math.max(1, Math.random() * delay));
    delay = Math.min(settings.maxRetryMs, delay * 2);
    await sleep(wait, signal).catch((reason: unknown) => {
      throw ctx.fail({ kind: 'aborted', reason });
    });
  }
}

function holdLease(ctx: LeaseContext, owner: string): ReleaseLock {
  const { commands, lockKey, settings, logger, logData } = ctx;
  let lost = false;
  const renew = async (): Promise<void> => {
    try {
      const renewed = await commands.eval(RENEW, lockKey, [owner, String(settings.leaseMs)]);
      if (renewed !== 1 && !lost) {
        lost = true;
        clearInterval(timer);
        logger.warn('the token cache lock lease was lost before release (it expired or was removed); another process may hold the lock now', {
          ...logData,
          lockKey,
        });
      }
    } catch (error) {
      logger.warn('renewing the token cache lock lease failed; retrying', { ...logData, lockKey, error: String(error) });
    }
  };
  const timer = setInterval(() => void renew(), Math.max(1, Math.floor(settings.leaseMs / 3)));
  // A held lock must not keep the process alive on its own.
  timer.unref();

  let released: Promise<void> | undefined;
  return () =>
    (released ??= (async () => {
      clearInterval(timer);
      let deleted: unknown;
      try {
        deleted = await commands.eval(RELEASE, lockKey, [owner]);
      } catch (error) {
        throw ctx.fail({ kind: 'error', error, operation: 'release' });
      }
      if (deleted === 1) logger.debug('token cache lock released', { ...logData, lockKey });
      else if (!lost) {
        lost = true;
        logger.warn('the token cache lock lease had expired before release; another owner\'s lock was left in place', {
          ...logData,
          lockKey,
        });
      }
    })());
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason as unknown);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason as unknown);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
