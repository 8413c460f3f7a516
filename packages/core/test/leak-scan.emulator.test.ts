import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DEFAULT_IDS, EmulatorBrowser, startEmulator, type Emulator } from '@o365/emulator';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { Account, type AccountOptions } from '../src/account.js';
import type { Credentials } from '../src/auth/credentials.js';
import { FileSystemTokenBackend } from '../src/backends/file-system-backend.js';
import { MemoryTokenBackend } from '../src/backends/memory-backend.js';
import type { TokenBackend } from '../src/backends/token-backend.js';
import type { Logger } from '../src/logger.js';
import { MSGraphProtocol } from '../src/protocol.js';

/**
 * Seeds known secrets, runs every flow and the usual failures with a logger that records
 * everything (debug included), then scans all log lines, thrown errors (with causes, via
 * util.inspect) and inspect/toString/JSON output of the objects for any secret.
 */
describe('no secret, token or code in logs, errors or inspect output', () => {
  let emu: Emulator;
  let browser: EmulatorBrowser;
  const logged: string[] = [];
  const thrown: unknown[] = [];
  const secrets = new Set<string>();
  const accounts: Account[] = [];

  const logger: Logger = {
    debug: (m, d) => logged.push(`${m} ${inspect(d, { depth: 8 })}`),
    info: (m, d) => logged.push(`${m} ${inspect(d, { depth: 8 })}`),
    warn: (m, d) => logged.push(`${m} ${inspect(d, { depth: 8 })}`),
    error: (m, d) => logged.push(`${m} ${inspect(d, { depth: 8 })}`),
  };
  const make = (credentials: Credentials, extra: AccountOptions): Account => {
    const a = new Account(credentials, {
      tenantId: emu.defaults.tenantId,
      authorityHost: emu.authorityHost,
      protocol: new MSGraphProtocol({ graphUrl: emu.graphUrl }),
      tls: { ca: emu.ca },
      clock: { now: () => emu.clock.now() },
      logger,
      ...extra,
    });
    accounts.push(a);
    return a;
  };
  const attempt = async (fn: () => Promise<unknown>): Promise<void> => {
    try {
      await fn();
    } catch (error) {
      thrown.push(error);
    }
  };
  const harvest = async (backend: MemoryTokenBackend): Promise<void> => {
    const stored = await backend.load();
    if (!stored) return;
    const cache = JSON.parse(stored.data) as Record<string, Record<string, { secret?: string }>>;
    for (const section of Object.values(cache)) for (const entry of Object.values(section)) if (entry.secret) secrets.add(entry.secret);
  };

  beforeAll(async () => {
    emu = await startEmulator({ deviceCodeInterval: 1 });
    browser = new EmulatorBrowser(emu);
    secrets.add(emu.defaults.clientSecret);
    secrets.add(emu.defaults.password);
  });

  afterAll(async () => {
    await Promise.all(accounts.map((a) => a.close()));
    await emu?.stop();
  });

  it('scans everything logged and thrown across all flows', async () => {
    const wrongSecret = 'leak~Check.SecretValue-0123456789abcdef';
    const wrongPassword = 'Leak-Check-Password-987654';
    secrets.add(wrongSecret);
    secrets.add(wrongPassword);

    // credentials (secret, certificate), password, refresh, 401 path
    const b1 = new MemoryTokenBackend();
    const app = make([emu.defaults.clientId, emu.defaults.clientSecret], { authFlowType: 'credentials', tokenBackend: b1 });
    await app.authenticate();
    for await (const u of app.directory().getUsers({ limit: 2 })) void u;
    await harvest(b1);

    const b2 = new MemoryTokenBackend();
    const user = make([emu.defaults.publicClientId], {
      authFlowType: 'password',
      username: emu.defaults.username,
      password: emu.defaults.password,
      tokenBackend: b2,
    });
    await user.authenticate();
    await harvest(b2);
    emu.clock.advance(3600);
    await user.getCurrentUser();
    await harvest(b2);

    // authorization code (web two-step): the code and verifier are secrets too
    const b3 = new MemoryTokenBackend();
    const web = make([emu.defaults.clientId, emu.defaults.clientSecret], { tokenBackend: b3 });
    const { url, flow } = await web.getAuthorizationUrl(['basic'], { redirectUri: 'http://localhost:5000/cb' });
    const redirected = await browser.signIn(url, { username: emu.defaults.username, password: emu.defaults.password });
    secrets.add(new URL(redirected).searchParams.get('code')!);
    secrets.add(flow.codeVerifier);
    await web.requestToken(redirected, { flow });
    await harvest(b3);
    // replaying the used code fails; the error must not echo it
    await attempt(() => web.requestToken(redirected, { flow }));

    // device code: the device code and user code stay out of logs
    const b4 = new MemoryTokenBackend();
    const device = make([emu.defaults.publicClientId], { authFlowType: 'device', tokenBackend: b4 });
    await device.authenticate({
      deviceCodeCallback: (info) => {
        secrets.add(info.userCode);
        void browser.completeDeviceLogin(info.verificationUri, info.userCode, {
          username: emu.defaults.username,
          password: emu.defaults.password,
        });
      },
    });
    await harvest(b4);

    // failures
    const bad = make([emu.defaults.clientId, wrongSecret], { authFlowType: 'credentials', tokenBackend: new MemoryTokenBackend() });
    await attempt(() => bad.authenticate());
    const badUser = make([emu.defaults.publicClientId], {
      authFlowType: 'password',
      username: emu.defaults.username,
      password: wrongPassword,
      tokenBackend: new MemoryTokenBackend(),
    });
    await attempt(() => badUser.authenticate());
    emu.revokeRefreshTokens(emu.defaults.username);
    await attempt(() => user.connection.refreshToken());
    await attempt(() => web.requestToken(`${redirected}&error=invalid_request&error_description=${encodeURIComponent('AADSTS90014: bad')}`, { flow }));

    expect(thrown.length).toBeGreaterThanOrEqual(4);
    expect(secrets.size).toBeGreaterThan(10);
    expect(logged.length).toBeGreaterThan(10);

    expect(leaksIn()).toEqual([]);
  }, 60_000);

  it('scans the console and loopback flows, backend failures, broken answers and certificate credentials', async () => {
    const before = { logged: logged.length, thrown: thrown.length };
    const user = { username: emu.defaults.username, password: emu.defaults.password };

    // Console flow: the pasted URL carries the code.
    const b1 = new MemoryTokenBackend();
    const consoleFlow = make([emu.defaults.clientId, emu.defaults.clientSecret], { tokenBackend: b1 });
    await consoleFlow.authenticate({
      handleConsent: async (url) => {
        const redirected = await browser.signIn(url, user);
        secrets.add(new URL(redirected).searchParams.get('code')!);
        return redirected;
      },
    });
    await harvest(b1);

    // Loopback flow: the code arrives on our own server.
    const b2 = new MemoryTokenBackend();
    const loopback = make([emu.defaults.publicClientId], { authFlowType: 'public', tokenBackend: b2 });
    await loopback.authenticate({
      redirectUri: 'http://localhost',
      handleConsent: async (url) => {
        const target = new URL(await browser.signIn(url, user));
        secrets.add(target.searchParams.get('code')!);
        target.hostname = '127.0.0.1';
        await (await fetch(target)).text();
        return '';
      },
    });
    await harvest(b2);

    // A token file that became corrupted while holding tokens (the real file backend).
    const dir = await mkdtemp(join(tmpdir(), 'o365-leak-'));
    try {
      const file = new FileSystemTokenBackend({ tokenPath: dir });
      const stored = (await b2.load())!.data;
      await writeFile(file.filePath, `${stored.slice(0, Math.floor(stored.length * 0.7))}`, 'utf8');
      const corrupted = make([emu.defaults.publicClientId], { authFlowType: 'public', tokenBackend: file });
      await attempt(() => corrupted.isAuthenticated());
      await attempt(() => corrupted.connection.getAccessToken());

      // Saves that fail during a refresh and a sign-in: what is logged and thrown.
      const failing = new FileSystemTokenBackend({ tokenPath: dir, tokenFilename: 'failing.json' });
      const broken: TokenBackend = {
        load: () => failing.load(),
        save: () => Promise.reject(new Error('EIO: i/o error, write')),
        delete: () => failing.delete(),
      };
      const saveFails = make([emu.defaults.publicClientId], {
        authFlowType: 'password',
        username: emu.defaults.username,
        password: emu.defaults.password,
        tokenBackend: broken,
      });
      await attempt(() => saveFails.authenticate());
      emu.clock.advance(3600);
      await saveFails.getCurrentUser();
      for (const token of [await saveFails.connection.getAccessToken()]) secrets.add(token);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }

    // The connection drops, then the answer is not JSON, during a refresh.
    const b3 = new MemoryTokenBackend();
    const dropped = make([emu.defaults.publicClientId], {
      authFlowType: 'password',
      username: emu.defaults.username,
      password: emu.defaults.password,
      tokenBackend: b3,
      retry: { maxRetries: 0 },
    });
    await dropped.authenticate();
    await harvest(b3);
    emu.faults.add({ path: '/oauth2/v2.0/token', kind: 'drop' });
    await attempt(() => dropped.connection.refreshToken());
    emu.faults.add({ path: '/oauth2/v2.0/token', kind: 'malformed' });
    await attempt(() => dropped.connection.refreshToken());

    // Certificate credentials: the private key; a wrong thumbprint fails.
    const { privateKey, thumbprint } = emu.defaults.certificate;
    secrets.add(privateKey.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, '').slice(0, 64));
    const b4 = new MemoryTokenBackend();
    const cert = make([emu.defaults.clientId, { thumbprint, privateKey }], { authFlowType: 'credentials', tokenBackend: b4 });
    await cert.authenticate();
    await harvest(b4);
    const wrongCert = make([emu.defaults.clientId, { thumbprint: '00'.repeat(20), privateKey }], {
      authFlowType: 'credentials',
      tokenBackend: new MemoryTokenBackend(),
    });
    await attempt(() => wrongCert.authenticate());

    expect(thrown.length - before.thrown).toBeGreaterThanOrEqual(6);
    expect(logged.length).toBeGreaterThan(before.logged);
    expect(leaksIn()).toEqual([]);
  }, 60_000);

  it('scans on-behalf-of, claims challenges, tokens obtained elsewhere and refresh token import', async () => {
    const before = { logged: logged.length, thrown: thrown.length };
    secrets.add(DEFAULT_IDS.webApiClientSecret);
    // on-behalf-of: the caller's token and the exchanged token
    const caller = make([emu.defaults.publicClientId], {
      authFlowType: 'password',
      username: emu.defaults.username,
      password: emu.defaults.password,
      tokenBackend: new MemoryTokenBackend(),
      clientCapabilities: ['cp1'],
    });
    await caller.authenticate({ requestedScopes: [`api://${DEFAULT_IDS.webApiClientId}/access_as_user`] });
    const callerToken = await caller.connection.getAccessToken({ scopes: [`api://${DEFAULT_IDS.webApiClientId}/access_as_user`] });
    secrets.add(callerToken);
    const apiBackend = new MemoryTokenBackend();
    const api = make([DEFAULT_IDS.webApiClientId, DEFAULT_IDS.webApiClientSecret], { authFlowType: 'credentials', tokenBackend: apiBackend });
    secrets.add(await api.connection.acquireOnBehalfOf(callerToken));
    await harvest(apiBackend);
    await attempt(() => api.connection.acquireOnBehalfOf(`${callerToken.slice(0, -4)}AAAA`));
    // a claims challenge answered by the session
    const cae = make([emu.defaults.publicClientId], {
      authFlowType: 'password',
      username: emu.defaults.username,
      password: emu.defaults.password,
      tokenBackend: new MemoryTokenBackend(),
      clientCapabilities: ['cp1'],
    });
    await cae.authenticate({ requestedScopes: ['User.Read'] });
    secrets.add(await cae.connection.getAccessToken());
    emu.raiseCaeEvent(emu.defaults.username);
    emu.clock.advance(1);
    expect((await cae.connection.getSession().fetch('me')).status).toBe(200);
    secrets.add(await cae.connection.getAccessToken());
    // a token obtained elsewhere, then expired
    const external = make([], { authFlowType: 'external', accessToken: await cae.connection.getAccessToken() });
    await external.getCurrentUser();
    emu.clock.advance(7_200);
    await attempt(() => external.getCurrentUser());
    // a refresh token imported, and a bad one
    const imported = new MemoryTokenBackend();
    const rt = await (async () => {
      const b = new MemoryTokenBackend();
      const signIn = make([emu.defaults.publicClientId], { authFlowType: 'password', username: emu.defaults.username, password: emu.defaults.password, tokenBackend: b });
      await signIn.authenticate();
      await harvest(b);
      const cache = JSON.parse((await b.load())!.data) as { RefreshToken: Record<string, { secret: string }> };
      return Object.values(cache.RefreshToken)[0]!.secret;
    })();
    const importer = make([emu.defaults.publicClientId], { tokenBackend: imported });
    await importer.importRefreshToken(rt);
    await harvest(imported);
    const badRefresh = '1.AQleak-check-refresh-token-0123456789abcdef';
    secrets.add(badRefresh);
    await attempt(() => importer.importRefreshToken(badRefresh));

    expect(thrown.length - before.thrown).toBeGreaterThanOrEqual(3);
    expect(logged.length).toBeGreaterThan(before.logged);
    expect(leaksIn()).toEqual([]);
  }, 60_000);

  /** Every seeded secret found in what was logged, thrown, inspected, printed or serialized. */
  function leaksIn(): string[] {
    const haystack = [
      ...logged,
      ...thrown.map((e) => inspect(e, { depth: 10 })),
      ...thrown.map((e) => String(e)),
      ...thrown.map((e) => JSON.stringify(e)),
      ...accounts.map((a) => inspect(a, { depth: 10 })),
      ...accounts.map((a) => inspect(a.connection, { depth: 10 })),
      ...accounts.map((a) => String(a)),
      ...accounts.map((a) => JSON.stringify(a)),
    ].join('\n');
    return [...secrets].filter((s) => haystack.includes(s)).map((s) => `${s.slice(0, 4)}… (${s.length} chars)`);
  }
});
