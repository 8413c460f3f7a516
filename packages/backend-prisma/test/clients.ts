/** Real Prisma 7 clients (driver adapters) for the tests: the shared PostgreSQL and MariaDB servers and SQLite files. */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PrismaBetterSqlite3 } from '@prisma/adapter-better-sqlite3';
import { PrismaMariaDb } from '@prisma/adapter-mariadb';
import { PrismaPg } from '@prisma/adapter-pg';
import Database from 'better-sqlite3';
import { PrismaClient as MysqlPrismaClient } from './generated/mysql/client/client';
import { PrismaClient as PgPrismaClient } from './generated/postgresql/client/client';
import { PrismaClient as SqlitePrismaClient } from './generated/sqlite/client/client';

export type TestPrismaClient = PgPrismaClient | SqlitePrismaClient | MysqlPrismaClient;

export function postgresUrl(): string {
  const url = process.env.O365_PRISMA_TEST_PG_URL;
  if (!url) throw new Error('O365_PRISMA_TEST_PG_URL is not set: run the tests through jest (test/global-setup.ts starts PostgreSQL)');
  return url;
}

export function postgresClient(url = postgresUrl()): PgPrismaClient {
  return new PgPrismaClient({ adapter: new PrismaPg({ connectionString: url, max: 5 }) });
}

export function mariadbUrl(): string {
  const url = process.env.O365_PRISMA_TEST_MARIADB_URL;
  if (!url) throw new Error('O365_PRISMA_TEST_MARIADB_URL is not set: run the tests through jest (test/global-setup.ts starts MariaDB)');
  return url;
}

/**
 * A client of the shared MariaDB server (the shipped MySQL model) as the least-privileged
 * application user. `foundRows: false` makes affected-row counts count changed rows only, as
 * MySQL's own protocol default does (the `mariadb` driver's default is `true`).
 */
export function mariadbClient(options: { url?: string; foundRows?: boolean; acquireTimeout?: number } = {}): MysqlPrismaClient {
  const url = new URL(options.url ?? mariadbUrl());
  return new MysqlPrismaClient({
    adapter: new PrismaMariaDb({
      host: url.hostname,
      port: Number(url.port),
      user: decodeURIComponent(url.username),
      password: decodeURIComponent(url.password),
      database: url.pathname.slice(1),
      connectionLimit: 5,
      connectTimeout: 5000,
      ...(options.foundRows === undefined ? {} : { foundRows: options.foundRows }),
      ...(options.acquireTimeout === undefined ? {} : { acquireTimeout: options.acquireTimeout }),
    }),
  });
}

const sqlDir = join(__dirname, '..', 'sql');

export interface SqliteDatabase {
  file: string;
  client(): SqlitePrismaClient;
  cleanup(): void;
}

/** A new SQLite file with the shipped table and the test's application tables. */
export function createSqliteDatabase(options: { tables?: boolean } = {}): SqliteDatabase {
  const dir = mkdtempSync(join(tmpdir(), 'o365-prisma-sqlite-'));
  const file = join(dir, 'test.db');
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  if (options.tables !== false) {
    db.exec(readFileSync(join(sqlDir, 'sqlite', '001_o365_token.sql'), 'utf8'));
    db.exec(readFileSync(join(__dirname, 'sql', 'sqlite-app-tables.sql'), 'utf8'));
  }
  db.close();
  const clients: SqlitePrismaClient[] = [];
  return {
    file,
    client: () => {
      const c = new SqlitePrismaClient({ adapter: new PrismaBetterSqlite3({ url: `file:${file}`, timeout: 10_000 }) });
      clients.push(c);
      return c;
    },
    cleanup: () => {
      for (const c of clients) void c.$disconnect();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A loopback port with nothing listening on it. */
export async function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export function uniqueKey(prefix = 'k'): string {
  return `${prefix}-${randomUUID()}`;
}
