/**
 * Compile-time checks (run by `pnpm typecheck`, not by jest): the structural delegate and client
 * types accept real generated Prisma 7 clients, plain and extended, without casts, and `where` is
 * checked against the model.
 */
import { PrismaTokenBackend, type PrismaTokenDelegate, type PrismaTransactionClient } from '../src/index';
import type { PrismaClient as PgClient } from './generated/postgresql/client/client';
import type { PrismaClient as MysqlClient } from './generated/mysql/client/client';
import type { PrismaClient as SqliteClient } from './generated/sqlite/client/client';

declare const pg: PgClient;
declare const sqlite: SqliteClient;
declare const mysql: MysqlClient;
const extended = pg.$extends({ query: { appUser: { async findFirst({ args, query }) { return query(args); } } } });

export const checks = [
  new PrismaTokenBackend({ delegate: pg.appUser, where: { id: 1 }, versionField: 'o365TokenVersion' }),
  new PrismaTokenBackend({ delegate: sqlite.tenant, where: { id: 't' } }),
  new PrismaTokenBackend({ delegate: mysql.o365Token, where: { key: 'k' }, tokenField: 'token', versionField: 'version', createIfMissing: true }),
  new PrismaTokenBackend({ delegate: extended.appUser, where: { email: 'a@b.c' } }),
  new PrismaTokenBackend({
    delegate: pg.o365Token,
    where: { key: 'k' },
    tokenField: 'token',
    createIfMissing: true,
    lockStrategy: { type: 'postgres-advisory', client: pg },
  }),
  new PrismaTokenBackend({ delegate: extended.o365Token, where: { key: 'k' }, lockStrategy: { type: 'postgres-advisory', client: extended } }),
  // @ts-expect-error `where` is checked against the model: AppUser has no `key`
  new PrismaTokenBackend({ delegate: pg.appUser, where: { key: 'k' } }),
];
export const delegates: PrismaTokenDelegate[] = [pg.appUser, pg.tenant, pg.o365Token, sqlite.appUser, extended.appUser];
export const clients: PrismaTransactionClient[] = [pg, sqlite, mysql, extended];
