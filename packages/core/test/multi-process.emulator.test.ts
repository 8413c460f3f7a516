import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startEmulator, type Emulator } from '@o365/emulator';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runJsonChild } from './support/json-child.js';
import { Account, type AccountOptions } from '../src/account.js';
import { FileSystemTokenBackend } from '../src/backends/file-system-backend.js';
import { MemoryTokenBackend } from '../src/backends/memory-backend.js';
import type { TokenBackend } from '../src/backends/token-backend.js';
import { MSGraphProtocol } from '../src/protocol.js';

const SECOND_USER = 'AlexW@contoso.onmicrosoft.com';

interface ChildResult {
  ok: boolean;
  upn?: string;
  error?: string;
}

function runChild(env: Record<string, string>): Promise<ChildResult> {
  return runJsonChild<ChildResult>(join(__dirname, 'support', 'multi-process-child.ts'), env);
}

type Cache = Record<string, Record<string, Record<string, string>>>;

describe('several processes and accounts sharing one token cache', () => {
  let emu: Emulator;
  let dir: string;
  const opened: Account[] = [];

  const options = (tokenBackend: TokenBackend, username: string, extra: AccountOptions = {}): AccountOptions => ({
    authFlowType: 'password',
    username,
    password: emu.defaults.password,
    tenantId: emu.defaults.tenantId,
    authorityHost: emu.authorityHost,
    protocol: new MSGraphProtocol({ graphUrl: emu.graphUrl }),
    tls: { ca: emu.ca },
    clock: { now: () => emu.clock.now() },
    tokenBackend,
    ...extra,
  });
  const open = (backend: TokenBackend, username: string): Account => {
    const account = new Account([emu.defaults.publicClientId], options(backend, username));
    opened.push(account);
    return account;
  };
  const refreshes = (): number => emu.requests().filter((r) => r.grantType === 'refresh_token').length;

  beforeAll(async () => {
    emu = await startEmulator();
    dir = await mkdtemp(join(tmpdir(), 'o365-auth-mp-'));
  });

  afterAll(async () => {
    await Promise.all(opened.map((a) => a.close()));
    await emu?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('spawned node processes on one file and an expiring token: one refresh, no lost entries', async () => {
    const tokenPath = join(dir, 'shared');
    const backend = new FileSystemTokenBackend({ tokenPath });
    const adele = open(backend, emu.defaults.username);
    const alex = open(new FileSystemTokenBackend({ tokenPath }), SECOND_USER);
    expect(await adele.authenticate()).toBe(true);
    expect(await alex.authenticate()).toBe(true);
    expect((await adele.getAuthenticatedUsernames()).map((u) => u.toLowerCase()).sort()).toEqual(
      [emu.defaults.username, SECOND_USER].map((u) => u.toLowerCase()).sort(),
    );
    const before = JSON.parse((await backend.load())!.data) as Cache;

    emu.clock.advance(3600);
    const caFile = join(dir, 'ca.pem');
    await writeFile(caFile, emu.ca);
    const refreshesBefore = refreshes();
    const env = {
      CHILD_CLOCK_OFFSET_MS: String(emu.clock.now() - Date.now()),
      CHILD_CLIENT_ID: emu.defaults.publicClientId,
      CHILD_USERNAME: emu.defaults.username,
      CHILD_TENANT_ID: emu.defaults.tenantId,
      CHILD_AUTHORITY_HOST: emu.authorityHost,
      CHILD_GRAPH_URL: emu.graphUrl,
      CHILD_CA_FILE: caFile,
      CHILD_TOKEN_DIR: tokenPath,
    };
    const results = await Promise.all(Array.from({ length: 3 }, () => runChild(env)));
    for (const result of results) expect(result).toEqual({ ok: true, upn: expect.stringMatching(/^adelev@/i) });
    expect(refreshes() - refreshesBefore).toBe(1);

    // Alex's entries survived every rewrite of the file.
    const after = JSON.parse(await readFile(join(tokenPath, 'o365_token.txt'), 'utf8')) as Cache;
    const usernames = Object.values(after['Account']!).map((a) => a['username']!.toLowerCase());
    expect(usernames.sort()).toEqual([emu.defaults.username, SECOND_USER].map((u) => u.toLowerCase()).sort());
    expect(Object.keys(before['RefreshToken']!)).toHaveLength(2);
    for (const key of Object.keys(before['RefreshToken']!)) expect(after['RefreshToken']![key]).toBeDefined();
    expect(Object.keys(after['AccessToken']!).length).toBeGreaterThanOrEqual(Object.keys(before['AccessToken']!).length);
  }, 90_000);

  it('without a backend lock (expectedVersion only), concurrent refreshes of two users in two processes merge instead of overwriting', async () => {
    const shared = new MemoryTokenBackend();
    // Hide lock(): the optimistic path (conditional save, reload and merge) is what runs.
    const lockless = (): TokenBackend => {
      const view = shared.share();
      return { load: () => view.load(), save: (d, o) => view.save(d, o), delete: () => view.delete() };
    };
    const adele = open(lockless(), emu.defaults.username);
    const alex = open(lockless(), SECOND_USER);
    await adele.authenticate();
    await alex.authenticate();
    // Both processes refresh at the same time, each for its own user, each from the same stored version.
    await Promise.all([adele.connection.refreshToken(), alex.connection.refreshToken()]);
    const adeleToken = await adele.connection.getAccessToken();
    const alexToken = await alex.connection.getAccessToken();
    const stored = JSON.parse((await shared.load())!.data) as Cache;
    const secrets = Object.values(stored['AccessToken']!).map((e) => e['secret']);
    expect(secrets).toContain(adeleToken);
    expect(secrets).toContain(alexToken);
    expect(Object.values(stored['Account']!).length).toBe(2);
  });

  it('two users in one cache: switch with username, log one out, the other stays', async () => {
    const backend = new MemoryTokenBackend();
    const account = open(backend, emu.defaults.username);
    await account.authenticate();
    account.username = SECOND_USER;
    await account.connection.acquireWithPassword(undefined, { username: SECOND_USER, password: emu.defaults.password });
    expect((await account.getAuthenticatedUsernames()).length).toBe(2);
    expect((await account.getCurrentUser()).userPrincipalName).toBe(SECOND_USER);
    account.username = emu.defaults.username;
    expect((await account.getCurrentUser()).userPrincipalName?.toLowerCase()).toBe(emu.defaults.username.toLowerCase());

    expect(await account.logout(SECOND_USER)).toBe(true);
    expect((await account.getAuthenticatedUsernames()).map((u) => u.toLowerCase())).toEqual([emu.defaults.username.toLowerCase()]);
    const stored = JSON.parse((await backend.load())!.data) as Cache;
    expect(JSON.stringify(stored).toLowerCase()).not.toContain(SECOND_USER.toLowerCase());
    expect(await account.isAuthenticated()).toBe(true);
  });
});
