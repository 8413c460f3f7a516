import { createHash } from 'node:crypto';
import type { ReleaseLock } from '@o365/core';
import type { PrismaTransactionClient } from './prisma-delegate.js';

/**
 * Cross-process lock for {@link PrismaTokenBackend.lock} on PostgreSQL: a transaction-level advisory
 * lock (`pg_advisory_xact_lock`) taken inside an interactive transaction of `client`. The transaction
 * holds one pooled connection for as long as the lock is held; PostgreSQL frees the lock when the
 * transaction ends, including when the process dies or the connection drops, so a crashed holder
 * never leaves a stale lock behind. No table, column or extra privilege is needed.
 *
 * @example
 * ```ts
 * new PrismaTokenBackend({
 *   delegate: prisma.o365Token, where: { key: 'app' }, versionField: 'version', createIfMissing: true,
 *   lockStrategy: { type: 'postgres-advisory', client: prisma },
 * });
 * ```
 */
export interface PostgresAdvisoryLockStrategy {
  type: 'postgres-advisory';
  /** Your `PrismaClient` (PostgreSQL, any adapter): used for `$transaction` + `$executeRawUnsafe`. */
  client: PrismaTransactionClient;
  /**
   * Name hashed into the 64-bit advisory lock key. Defaults to one derived from the model, the
   * token field and `where`, so every backend instance pointing at the same row shares the lock.
   */
  key?: string;
  /**
   * Longest time the lock is held (the interactive transaction's `timeout`); past it PostgreSQL
   * rolls the transaction back and frees the lock, so a holder that hangs cannot block the others
   * forever. Default 120 000 ms.
   */
  maxHoldMs?: number;
}

/** The two signed 32-bit halves of the advisory lock key derived from `name`. */
export function advisoryLockKey(name: string): [number, number] {
  const digest = createHash('sha256').update(`o365-ts:${name}`).digest();
  return [digest.readInt32BE(0), digest.readInt32BE(4)];
}

/** What {@link acquirePostgresAdvisoryLock} reports once the lock is gone. */
export interface AdvisoryLockEvents {
  /** The transaction holding the lock ended with an error after the lock was granted. */
  onHoldError(error: unknown): void;
}

/**
 * Takes the advisory lock. Resolves with an idempotent release once the lock is granted; rejects
 * with the raw Prisma/PostgreSQL error when it cannot be taken within `timeoutMs` (PostgreSQL's
 * `lock_timeout`, SQLSTATE 55P03) or the database fails.
 */
export async function acquirePostgresAdvisoryLock(
  strategy: PostgresAdvisoryLockStrategy,
  name: string,
  timeoutMs: number,
  events: AdvisoryLockEvents,
): Promise<ReleaseLock> {
  const [high, low] = advisoryLockKey(name);
  let granted = false;
  let letGo!: () => void;
  const held = new Promise<void>((resolve) => {
    letGo = resolve;
  });
  let onGranted!: () => void;
  const grant = new Promise<void>((resolve) => {
    onGranted = resolve;
  });

  const transaction = Promise.resolve(
    strategy.client.$transaction(
      async (tx) => {
        // SET LOCAL cannot take parameters; set_config(..., true) is its parameterised form.
        await tx.$executeRawUnsafe(`SELECT set_config('lock_timeout', $1, true)`, `${Math.max(1, Math.ceil(timeoutMs))}ms`);
        await tx.$executeRawUnsafe('SELECT pg_advisory_xact_lock($1::int4, $2::int4)', high, low);
        granted = true;
        onGranted();
        await held;
      },
      { maxWait: Math.max(1, Math.ceil(timeoutMs)), timeout: strategy.maxHoldMs ?? 120_000 },
    ),
  );
  // Errors after the grant (hold time exceeded, connection lost) are reported, not thrown: by then
  // the caller is refreshing and the lock is already gone.
  const finished = transaction.then(
    () => undefined,
    (error: unknown) => {
      if (granted) events.onHoldError(error);
      else throw error;
    },
  );
  await Promise.race([grant, finished]);

  let released: Promise<void> | undefined;
  return () => {
    released ??= (async () => {
      letGo();
      await finished.catch(() => undefined);
    })();
    return released;
  };
}
