import { TokenBackendError, type LockOptions, type ReleaseLock } from '@o365/core/backend';

/**
 * Cross-process lock for {@link PrismaTokenBackend.lock} on any database: a lease kept in a nullable
 * `DateTime` column of the cache's own row (`lockedUntil DateTime? @map("locked_until")` in the
 * shipped model). Taking the lock is one conditional `UPDATE ... SET locked_until = now + lease
 * WHERE <row> AND (locked_until IS NULL OR locked_until < now)`; releasing clears it. A holder that
 * dies leaves a lease that simply expires after `leaseMs`. Works on SQLite and MySQL, where the
 * PostgreSQL advisory lock does not exist.
 *
 * Expiry is judged by the clocks of the processes taking the lock: keep hosts in sync (NTP) to well
 * within `leaseMs`.
 *
 * @example
 * ```ts
 * new PrismaTokenBackend({
 *   delegate: prisma.o365Token, where: { key: 'app' }, tokenField: 'token', versionField: 'version',
 *   createIfMissing: true, lockStrategy: { type: 'row-lease', field: 'lockedUntil' },
 * });
 * ```
 */
export interface RowLeaseLockStrategy {
  type: 'row-lease';
  /** A nullable `DateTime` column of the same row holding the lease's end. */
  field: string;
  /**
   * How long a lease lasts; a holder that crashed blocks the others at most this long. It must
   * exceed the longest refresh (a token request with its retries). Default 60 000 ms.
   */
  leaseMs?: number;
  /** How often a waiting process tries again. Default 100 ms (jittered). */
  pollMs?: number;
}

const DEFAULT_LEASE_MS = 60_000;
const DEFAULT_LEASE_POLL_MS = 100;

/** The row operations a lease needs, done by the backend on its own row. */
export interface LeasedRow {
  /** Sets the lease's end to `until` where it is free (null or before `now`); how many rows it took. */
  takeIfFree(field: string, until: Date, now: Date): Promise<number>;
  /** When the row does not exist yet, creates it holding the lease; `false` when it exists or another process created it first. */
  createHolding(field: string, until: Date): Promise<boolean>;
  /** Clears the lease if it still ends at `until` (the holder's identity). */
  clear(field: string, until: Date): Promise<void>;
}

/** Where the lease lives, for messages and the fields it must not reuse. */
export interface RowLeaseTarget {
  backend: string;
  location: string;
  /** The token and version columns: the lease needs a column of its own. */
  reservedFields: readonly (string | undefined)[];
  defaultTimeoutMs: number;
  onAcquired(): void;
}

/** The `lock()` of a backend using {@link RowLeaseLockStrategy}: polls for the lease (jittered) until `timeoutMs`. */
export function rowLeaseLock(
  strategy: RowLeaseLockStrategy,
  row: LeasedRow,
  target: RowLeaseTarget,
): (options?: LockOptions) => Promise<ReleaseLock> {
  const field = strategy.field;
  if (typeof field !== 'string' || field === '' || target.reservedFields.includes(field)) {
    throw new TypeError(`${target.backend}: lockStrategy.field must name a DateTime? column other than the token and version fields`);
  }
  const leaseMs = strategy.leaseMs ?? DEFAULT_LEASE_MS;
  const pollMs = strategy.pollMs ?? DEFAULT_LEASE_POLL_MS;
  if (!(leaseMs > 0) || !(pollMs > 0)) throw new TypeError(`${target.backend}: lockStrategy.leaseMs and pollMs must be positive`);

  return async (lockOptions?: LockOptions): Promise<ReleaseLock> => {
    const timeoutMs = lockOptions?.timeoutMs ?? target.defaultTimeoutMs;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const now = Date.now();
      // The lease's end doubles as the holder's identity: release clears only this exact value,
      // so a holder whose lease expired cannot free the lock of the process that took it over.
      const until = new Date(now + leaseMs);
      if ((await row.takeIfFree(field, until, new Date(now))) > 0 || (await row.createHolding(field, until))) {
        target.onAcquired();
        let released: Promise<void> | undefined;
        return () => (released ??= row.clear(field, until));
      }
      const wait = Math.min(pollMs * (0.5 + Math.random()), deadline - Date.now());
      if (wait <= 0) {
        throw new TokenBackendError(
          `${target.backend} could not take the lock for ${target.location} within ${timeoutMs} ms (another process holds the lease in ${field})`,
          { backend: target.backend, location: target.location },
        );
      }
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  };
}
