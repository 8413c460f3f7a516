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
