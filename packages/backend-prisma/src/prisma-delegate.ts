/**
 * The few methods of a generated Prisma model delegate (`prisma.user`, `prisma.o365Token`) that
 * {@link PrismaTokenBackend} calls. Typed structurally, so the delegate of any generated client
 * (Prisma 6 or 7, any model, any provider) fits without a cast.
 *
 * @example
 * ```ts
 * import { PrismaClient } from './generated/prisma/client';
 * const prisma = new PrismaClient({ adapter });
 * const delegate: PrismaTokenDelegate = prisma.user;
 * ```
 */
export interface PrismaTokenDelegate {
  findFirst(args: { where: object; select: Record<string, boolean> }): PromiseLike<object | null>;
  updateMany(args: { where: object; data: object }): PromiseLike<{ count: number }>;
  create(args: { data: object }): PromiseLike<object>;
  deleteMany(args: { where: object }): PromiseLike<{ count: number }>;
}

/**
 * The `where` input type of a delegate (e.g. `UserWhereInput`), so that `where` is checked against
 * the model's fields.
 *
 * @example
 * ```ts
 * const where: PrismaWhereOf<typeof prisma.user> = { id: userId };
 * ```
 */
export type PrismaWhereOf<D> = D extends { findFirst(args?: infer A): unknown }
  ? A extends { where?: infer W }
    ? NonNullable<W>
    : object
  : object;

/**
 * A client (or interactive-transaction client) that can run a parameterised raw statement.
 *
 * @example
 * ```ts
 * await prisma.$transaction((tx: PrismaRawExecutor) => tx.$executeRawUnsafe('SELECT pg_advisory_xact_lock($1)', 42));
 * ```
 */
export interface PrismaRawExecutor {
  $executeRawUnsafe(query: string, ...values: unknown[]): PromiseLike<number>;
}

/**
 * A Prisma client that can run an interactive transaction: your `PrismaClient` instance.
 *
 * @example
 * ```ts
 * const client: PrismaTransactionClient = prisma;
 * ```
 */
export interface PrismaTransactionClient {
  $transaction<R>(
    fn: (tx: PrismaRawExecutor) => Promise<R>,
    options?: { maxWait?: number; timeout?: number },
  ): PromiseLike<R>;
}
