import type { PostgresAdvisoryLockStrategy } from './postgres-advisory-lock.js';
import type { RowLeaseLockStrategy } from './row-lease-lock.js';

/**
 * Every lock strategy {@link PrismaTokenBackend} supports: `postgres-advisory` (PostgreSQL, no
 * schema change) and `row-lease` (any database, a `DateTime?` column of the row).
 *
 * @example
 * ```ts
 * const lockStrategy: PrismaLockStrategy = { type: 'postgres-advisory', client: prisma, maxHoldMs: 60_000 };
 * const portable: PrismaLockStrategy = { type: 'row-lease', field: 'lockedUntil' };
 * ```
 */
export type PrismaLockStrategy = PostgresAdvisoryLockStrategy | RowLeaseLockStrategy;
