/**
 * The coordination the lock exists for: 8 `node` processes (the built package, core's Account)
 * share one Firestore document whose access token has expired, and all ask for a token at the
 * same moment. The emulator must see exactly one refresh, and every process must end with the
 * same, newest cache.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { assertFreshBuild, startRefreshChild } from '@o365/backend-testkit';
import { Account, MSGraphProtocol } from '@o365/core';
import { defaultSeed, startEmulator, type Emulator } from '@o365/emulator';
import { FirestoreBackend } from '../src/index.js';
import { startFirestoreEmulator, type FirestoreEmulatorHandle } from './firestore-emulator.js';

const PROCESSES = 8;
const PROJECT = 'o365-multi-process';
const COLLECTION = 'tokens';
// Access tokens of the public client live 10 minutes here (default 3599 s).
const ACCESS_TOKEN_LIFETIME_S = 600;
const packageDir = join(__dirname, '..');
const CHILD = join(__dirname, 'fixtures', 'refresh-child.mjs');

let firestore: FirestoreEmulatorHandle;
let emu: Emulator;
let dir: string;

interface ChildResult {
  ok: boolean;
  error?: string;
  accessToken?: string;
  stored?: string | null;
  version?: string | null;
}

const sha = (s: string): string => createHash('sha256').update(s).digest('hex');

beforeAll(async () => {
  assertFreshBuild(packageDir, '@o365/backend-firestore');
  firestore = await startFirestoreEmulator();
  const seed = defaultSeed();
  for (const app of seed.tenants[0]!.apps) app.accessTokenLifetimeSeconds = ACCESS_TOKEN_LIFETIME_S;
  emu = await startEmulator({ seed });
  dir = mkdtempSync(join(tmpdir(), 'o365-firestore-multi-process-'));
});

afterAll(async () => {
  await emu?.stop();
  await firestore?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe(`${PROCESSES} processes on one Firestore document with an expired access token`, () => {
  it('make exactly one refresh request and all end with the same, newest cache', async () => {
    const documentId = `multi-process-${Date.now().toString(36)}`;
    const backendFor = (): FirestoreBackend => new FirestoreBackend({ firestore: firestore.client(PROJECT), collectionName: COLLECTION, documentId });
    const d = emu.defaults;
    const account = new Account([d.publicClientId], {
      authFlowType: 'password',
      tenantId: d.tenantId,
      username: d.username,
      password: d.password,
      protocol: new MSGraphProtocol({ graphUrl: emu.graphUrl }),
      authorityHost: emu.authorityHost,
      tls: { ca: emu.ca },
      clock: { now: () => emu.clock.now() },
      tokenBackend: backendFor(),
    });
    try {
      await expect(account.authenticate({ requestedScopes: ['basic'] })).resolves.toBe(true);
    } finally {
      await account.close();
    }
    const before = await backendFor().load();
    expect(before).toBeDefined();

    // Every access token issued so far has expired; the refresh token is still valid.
    emu.clock.advance(2 * ACCESS_TOKEN_LIFETIME_S);
    const since = emu.clock.now();
    const caFile = join(dir, 'emulator-ca.pem');
    writeFileSync(caFile, emu.ca);
    const env = {
      FIRESTORE_EMULATOR_HOST: firestore.host,
      CHILD_PROJECT: PROJECT,
      CHILD_COLLECTION: COLLECTION,
      CHILD_DOCUMENT: documentId,
      CHILD_CLIENT_ID: d.publicClientId,
      CHILD_TENANT_ID: d.tenantId,
      CHILD_USERNAME: d.username,
      CHILD_GRAPH_URL: emu.graphUrl,
      CHILD_AUTHORITY_HOST: emu.authorityHost,
      CHILD_CA_FILE: caFile,
      CHILD_CLOCK_OFFSET_MS: String(emu.clock.now() - Date.now()),
    };
    const children = await Promise.all(Array.from({ length: PROCESSES }, () => startRefreshChild<ChildResult>(CHILD, { cwd: packageDir, env })));
    // All are loaded and connected: release them at once.
    for (const { child } of children) child.stdin.write('go\n');
    const results = await Promise.all(children.map((c) => c.result));

    for (const r of results) expect(r).toMatchObject({ ok: true });
    const refreshes = emu.requests().filter((r) => r.grantType === 'refresh_token' && r.time >= since);
    expect(refreshes).toHaveLength(1);
    const after = await backendFor().load();
    expect(after).toBeDefined();
    expect(after!.version).not.toBe(before!.version);
    expect(sha(after!.data)).not.toBe(sha(before!.data));
    const tokens = new Set(results.map((r) => r.accessToken));
    expect(tokens.size).toBe(1);
    for (const r of results) {
      expect(r.stored).toBe(sha(after!.data));
      expect(r.version).toBe(after!.version);
    }
  }, 90_000);
});
