export { PrismaTokenBackend, type PrismaTokenBackendOptions } from './prisma-token-backend.js';
export type { PrismaTokenDelegate, PrismaWhereOf, PrismaTransactionClient, PrismaRawExecutor } from './prisma-delegate.js';
export type { PostgresAdvisoryLockStrategy } from './postgres-advisory-lock.js';
export type { RowLeaseLockStrategy } from './row-lease-lock.js';
export type { PrismaLockStrategy } from './lock-strategy.js';
export { PrismaPartitionedTokenBackend, type PrismaPartitionedTokenBackendOptions } from './prisma-partitioned-backend.js';
