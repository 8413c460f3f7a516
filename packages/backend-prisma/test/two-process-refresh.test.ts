/**
 * Issue 4's "done means": two processes refreshing through the Prisma/PostgreSQL backend at the
 * same moment make one token request, and both end with the same, newest cache. Also on SQLite and
 * MariaDB, with the row-lease lock.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startRefreshChild } from '@o365/backend-testkit';
import { Account, MSGraphProtocol } from '@o365/core';
import { startEmulator, type Emulator } from '@o365/emulator';
import { PrismaTokenBackend, type PrismaLockStrategy } from '../src/index';
import { createSqliteDatabase, mariadbClient, mariadbUrl, postgresClient, postgresUrl, uniqueKey, type TestPrismaClient } from './clients';

const pg = postgresClient();
const maria = mariadbClient();
const sqlite = createSqliteDatabase();
const sqliteClient = sqlite.client();
let emu: Emulator;
let dir: string;

beforeAll(async () => {
  emu = await startEmulator();
  dir = mkdtempSync(join(tmpdir(), 'o365-prisma-two-process-'));
});
afterAll(async () => {
  await emu?.stop();
  await Promise.all([pg.$disconnect(), maria.$disconnect(), sqliteClient.$disconnect()]);
  sqlite.cleanup();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const sha = (s: string): string => createHash('sha256').update(s).digest('hex');

interface ChildResult {
  accessToken: string;
  stored: string | null;
  version: string | null;
}

interface Database {
  name: string;
  kind: 'postgresql' | 'sqlite' | 'mariadb';
  prisma: () => TestPrismaClient;
  url: () => string;
  lockStrategy: () => PrismaLockStrategy;
}

const databases: Database[] = [
  {
    name: 'PostgreSQL (advisory lock)',
    kind: 'postgresql',
    prisma: () => pg,
    url: postgresUrl,
    lockStrategy: () => ({ type: 'postgres-advisory', client: pg }),
  },
  {
    name: 'SQLite (row lease)',
    kind: 'sqlite',
    prisma: () => sqliteClient,
    url: () => sqlite.file,
    lockStrategy: () => ({ type: 'row-lease', field: 'lockedUntil' }),
  },
  {
    name: 'MariaDB (row lease)',
    kind: 'mariadb',
    prisma: () => maria,
    url: mariadbUrl,
    lockStrategy: () => ({ type: 'row-lease', field: 'lockedUntil' }),
  },
];

describe.each(databases)('two processes refreshing through one row at the same moment: $name', (database) => {
  it('make one token request and end with the same, newest cache', async () => {
    const key = uniqueKey('two-process');
    const backendOptions = {
      delegate: database.prisma().o365Token,
      where: { key },
      tokenField: 'token',
      versionField: 'version',
      createIfMissing: true,
      lockStrategy: database.lockStrategy(),
    } as const;
    const d = emu.defaults;
    const account = new Account([d.clientId, d.clientSecret], {
      authFlowType: 'password',
      tenantId: d.tenantId,
      username: d.username,
      password: d.password,
      protocol: new MSGraphProtocol({ graphUrl: emu.graphUrl }),
      authorityHost: emu.authorityHost,
      tls: { ca: emu.ca },
      clock: { now: () => emu.clock.now() },
      tokenBackend: new PrismaTokenBackend(backendOptions),
    });
    await expect(account.authenticate({ requestedScopes: ['basic'] })).resolves.toBe(true);
    const before = await new PrismaTokenBackend(backendOptions).load();
    expect(before).toBeDefined();

    // Every access token issued so far has expired; the refresh tokens are still valid.
    emu.clock.advance(2 * 3600);
    const since = emu.clock.now();
    const caFile = join(dir, 'emulator-ca.pem');
    writeFileSync(caFile, emu.ca);
    const env = {
      CHILD_DB: database.kind,
      CHILD_DB_URL: database.url(),
      CHILD_KEY: key,
      CHILD_CLIENT_ID: d.clientId,
      CHILD_CLIENT_SECRET: d.clientSecret,
      CHILD_TENANT_ID: d.tenantId,
      CHILD_USERNAME: d.username,
      CHILD_GRAPH_URL: emu.graphUrl,
      CHILD_AUTHORITY_HOST: emu.authorityHost,
      CHILD_CA_FILE: caFile,
      CHILD_CLOCK_OFFSET_MS: String(emu.clock.now() - Date.now()),
    };
    const start = () =>
      startRefreshChild<ChildResult>(join(__dirname, 'fixtures', 'refresh-child.ts'), {
        cwd: join(__dirname, '..'),
        nodeArgs: ['--import', 'tsx'],
        env: { ...env, TSX_TSCONFIG_PATH: join(__dirname, 'fixtures', 'tsconfig.json') },
      });
    const children = await Promise.all([start(), start()]);
    // Both are loaded and connected: release them at once.
    for (const { child } of children) child.stdin.write('go\n');
    const [a, b] = await Promise.all(children.map((c) => c.result));

    const refreshes = emu.requests().filter((r) => r.grantType === 'refresh_token' && r.time >= since);
    expect(refreshes).toHaveLength(1);
    expect(a!.accessToken).toBe(b!.accessToken);
    const after = await new PrismaTokenBackend(backendOptions).load();
    expect(after).toBeDefined();
    expect(after!.version).not.toBe(before!.version);
    expect(sha(after!.data)).not.toBe(sha(before!.data));
    for (const r of [a!, b!]) {
      expect(r.stored).toBe(sha(after!.data));
      expect(r.version).toBe(after!.version);
    }
  }, 60_000);
});
