import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { generateClients } from './generate-clients.cjs';
import { createAppUser, DATABASE, startMariaDb, type MariaDbServer } from './mariadb-server';
import { startPostgres, type PostgresServer } from './postgres-server';

declare global {
  // Shared with global-teardown.ts (jest runs both in the same context).
  var __O365_PRISMA_PG__: PostgresServer | undefined;
  var __O365_PRISMA_MARIADB__: MariaDbServer | undefined;
}

async function preparePostgres(server: PostgresServer): Promise<void> {
  const client = new Client({ connectionString: server.url() });
  await client.connect();
  try {
    // The tables come from the SQL the package ships (no `prisma migrate` here).
    await client.query(readFileSync(join(__dirname, '..', 'sql', 'postgresql', '001_o365_token.sql'), 'utf8'));
    await client.query(readFileSync(join(__dirname, 'sql', 'postgresql-app-tables.sql'), 'utf8'));
  } finally {
    await client.end();
  }
}

async function prepareMariaDb(server: MariaDbServer): Promise<void> {
  await server.admin(async (conn) => {
    await conn.query(`CREATE DATABASE \`${DATABASE}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
    await conn.query(`USE \`${DATABASE}\``);
    await conn.query(readFileSync(join(__dirname, '..', 'sql', 'mysql', '001_o365_token.sql'), 'utf8'));
    await conn.query(readFileSync(join(__dirname, 'sql', 'mysql-app-tables.sql'), 'utf8'));
  });
  await createAppUser(server, ['o365_token', 'app_user', 'tenant']);
}

export default async function globalSetup(): Promise<void> {
  generateClients();
  // Both servers start at once: each spends most of its start-up waiting on its own disk work.
  const [pg, maria] = await Promise.allSettled([startPostgres(), startMariaDb()]);
  if (pg.status === 'fulfilled') globalThis.__O365_PRISMA_PG__ = pg.value;
  if (maria.status === 'fulfilled') globalThis.__O365_PRISMA_MARIADB__ = maria.value;
  try {
    if (pg.status === 'rejected') throw pg.reason;
    if (maria.status === 'rejected') throw maria.reason;
    await Promise.all([preparePostgres(pg.value), prepareMariaDb(maria.value)]);
  } catch (err) {
    if (pg.status === 'fulfilled') pg.value.stop();
    if (maria.status === 'fulfilled') await maria.value.stop();
    globalThis.__O365_PRISMA_PG__ = undefined;
    globalThis.__O365_PRISMA_MARIADB__ = undefined;
    throw err;
  }
  // Test workers are started after globalSetup and inherit these.
  process.env.O365_PRISMA_TEST_PG_URL = pg.value.url();
  process.env.O365_PRISMA_TEST_MARIADB_URL = maria.value.url;
}
