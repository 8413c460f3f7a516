export { PrismaTokenBackend, type PrismaTokenBackendOptions } from './prisma-token-backend.js';
export type { PrismaTokenDelegate, PrismaWhereOf, PrismaTransactionClient, PrismaRawExecutor } from './prisma-delegate.js';
export { type PostgresAdvisoryLockStrategy, type PrismaLockStrategy } from './postgres-advisory-lock.js';
