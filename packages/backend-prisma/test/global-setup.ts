import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { generateClients } from './generate-clients.cjs';
import { startPostgres, type PostgresServer } from './postgres-server';

declare global {
  // Shared with global-teardown.ts (jest runs both in the same context).
  var __O365_PRISMA_PG__: PostgresServer | undefined;
}

export default async function globalSetup(): Promise<void> {
  generateClients();
  const server = await startPostgres();
  globalThis.__O365_PRISMA_PG__ = server;
  try {
    const client = new Client({ connectionString: server.url() });
    await client.connect();
    try {
      // The tables come from the SQL the package ships (no `prisma migrate` here).
      await client.query(readFileSync(join(__dirname, '..', 'sql', 'postgresql', '001_o365_token.sql'), 'utf8'));
      await client.query(readFileSync(join(__dirname, 'sql', 'postgresql-app-tables.sql'), 'utf8'));
    } finally {
      await client.end();
    }
  } catch (err) {
    server.stop();
    throw err;
  }
  // Test workers are started after globalSetup and inherit this.
  process.env.O365_PRISMA_TEST_PG_URL = server.url();
}
