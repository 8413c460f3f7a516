import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startEmulator, type Emulator } from '@o365/emulator';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Account, type AccountOptions } from '../src/account.js';
import { FileSystemTokenBackend } from '../src/backends/file-system-backend.js';
import { MemoryTokenBackend } from '../src/backends/memory-backend.js';
import type { SaveOptions, StoredToken, TokenBackend } from '../src/backends/token-backend.js';
import { AuthenticationError, InvalidCredentialsError, TokenBackendError } from '../src/errors.js';
import type { Logger } from '../src/logger.js';
import { MSGraphProtocol } from '../src/protocol.js';

/** A real backend whose saves can be made to fail (a full disk, a storage outage). */
class FailingSaves implements TokenBackend {
  failing = false;
  saveAttempts = 0;
  constructor(readonly inner: FileSystemTokenBackend) {}
  get location(): string {
    return this.inner.filePath;
  }
  load(): Promise<StoredToken | undefined> {
    return this.inner.load();
  }
  save(data: string, options?: SaveOptions): Promise<{ version?: string }> {
    this.saveAttempts++;
    if (this.failing) return Promise.reject(Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' }));
    return this.inner.save(data, options);
  }
  delete(): Promise<void> {
    return this.inner.delete();
  }
  lock(options?: { timeoutMs?: number }): Promise<() => Promise<void>> {
    return this.inner.lock(options);
  }
}

describe('robustness: backend failures and races around a refresh', () => {
  let emu: Emulator;
  let dir: string;
  const opened: Account[] = [];
  const logged: Array<{ level: string; message: string }> = [];
  const logger: Logger = {
    debug: () => undefined,
    info: () => undefined,
    warn: (message) => logged.push({ level: 'warn', message }),
    error: (message) => logged.push({ level: 'error', message }),
  };

  const open = (extra: AccountOptions): Account => {
    const account = new Account([emu.defaults.publicClientId], {
      authFlowType: 'password',
      username: emu.defaults.username,
      password: emu.defaults.password,
      tenantId: emu.defaults.tenantId,
      authorityHost: emu.authorityHost,
      protocol: new MSGraphProtocol({ graphUrl: emu.graphUrl }),
      tls: { ca: emu.ca },
      clock: { now: () => emu.clock.now() },
      logger,
      ...extra,
    });
    opened.push(account);
    return account;
  };
  const grants = (grantType: string): number => emu.requests().filter((r) => r.grantType === grantType).length;

  beforeAll(async () => {
    emu = await startEmulator({ deviceCodeInterval: 1 });
    dir = await mkdtemp(join(tmpdir(), 'o365-robustness-'));
  });

  afterAll(async () => {
    await Promise.all(opened.map((a) => a.close()));
    await emu?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('a failed save during a refresh keeps the new token working in memory, leaves the file intact, and is retried', async () => {
    const file = new FileSystemTokenBackend({ tokenPath: dir, tokenFilename: 'save-fails.json' });
    const backend = new FailingSaves(file);
    const account = open({ tokenBackend: backend });
    await account.authenticate();
    const stored = await readFile(file.filePath, 'utf8');

    backend.failing = true;
    emu.clock.advance(3600);
    const before = grants('refresh_token');
    // The refresh succeeds at the identity platform; only the save fails.
    const first = await account.getCurrentUser();
    const second = await account.getCurrentUser();
    expect(first.userPrincipalName).toBe(second.userPrincipalName);
    expect(grants('refresh_token')).toBe(before + 1); // not one refresh per call
    expect(await readFile(file.filePath, 'utf8')).toBe(stored); // the stored copy is untouched
    expect(logged.some((l) => l.level === 'error' && /could not be saved/.test(l.message))).toBe(true);

    // Storage is back: the next refresh saves the pending changes along with its own.
    backend.failing = false;
    emu.clock.advance(3600);
    await account.getCurrentUser();
    expect(grants('refresh_token')).toBe(before + 2);
    const after = JSON.parse(await readFile(file.filePath, 'utf8')) as { AccessToken: Record<string, { secret: string }> };
    const token = await account.connection.getAccessToken();
    expect(Object.values(after.AccessToken).map((e) => e.secret)).toContain(token);
  });

  it('a failed save at sign-in rejects with TokenBackendError, yet the account works in this process', async () => {
    const file = new FileSystemTokenBackend({ tokenPath: dir, tokenFilename: 'signin-save-fails.json' });
    const backend = new FailingSaves(file);
    backend.failing = true;
    const account = open({ tokenBackend: backend });
    const error = await account.authenticate().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TokenBackendError);
    expect((error as TokenBackendError).message).toMatch(/could not be saved/);
    expect(await file.load()).toBeUndefined();
    const me = await account.getCurrentUser();
    expect(me.userPrincipalName?.toLowerCase()).toBe(emu.defaults.username.toLowerCase());
    // Once storage works, the next refresh stores the whole sign-in.
    backend.failing = false;
    await account.connection.refreshToken();
    const again = open({ tokenBackend: new FileSystemTokenBackend({ tokenPath: dir, tokenFilename: 'signin-save-fails.json' }) });
    expect(await again.isAuthenticated()).toBe(true);
  });

  it('clearTokenCache during a refresh: the refresh does not bring the tokens back', async () => {
    const backend = new MemoryTokenBackend();
    const account = open({ tokenBackend: backend });
    await account.authenticate();
    emu.clock.advance(3600);
    emu.faults.add({ path: '/oauth2/v2.0/token', kind: 'delay', ms: 300 });
    const refreshing = account.connection.getAccessToken();
    // Let the refresh reach the (delayed) token endpoint before clearing.
    for (let i = 0; i < 200 && emu.faults.list().some((f) => f.remaining > 0); i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await account.clearTokenCache();
    await refreshing.catch(() => undefined);
    expect(await backend.load()).toBeUndefined();
    expect(await account.isAuthenticated()).toBe(false);
    await expect(account.connection.getAccessToken()).rejects.toThrow(/not signed in/i);
  });

  describe('bad configuration and bad answers get clear typed errors', () => {
    const app = (extra: AccountOptions): Account => {
      const account = new Account([emu.defaults.clientId, emu.defaults.clientSecret], {
        tenantId: emu.defaults.tenantId,
        authorityHost: emu.authorityHost,
        protocol: new MSGraphProtocol({ graphUrl: emu.graphUrl }),
        tls: { ca: emu.ca },
        authFlowType: 'credentials',
        tokenBackend: new MemoryTokenBackend(),
        retry: { maxRetries: 0 },
        ...extra,
      });
      opened.push(account);
      return account;
    };

    it('a tenant that does not exist (AADSTS90002 at discovery) is an InvalidCredentialsError naming the tenant, with its ids', async () => {
      const account = app({ tenantId: 'no-such-tenant.onmicrosoft.com' });
      const error = (await account.authenticate().catch((e: unknown) => e)) as InvalidCredentialsError;
      expect(error).toBeInstanceOf(InvalidCredentialsError);
      expect(error.errorCodes).toContain(90002);
      expect(error.status).toBe(400);
      expect(error.message).toContain('no-such-tenant.onmicrosoft.com');
      expect(error.message).toMatch(/tenantId/);
      expect(error.correlationId).toEqual(expect.any(String));
      expect(error.traceId).toEqual(expect.any(String));
    });

    it('a service outage (503 after the retries) is reported as one, not as a credentials problem', async () => {
      const account = app({});
      emu.faults.add({ path: '/oauth2/v2.0/token', kind: 'status', status: 503 });
      const error = (await account.authenticate().catch((e: unknown) => e)) as AuthenticationError;
      expect(error).toBeInstanceOf(AuthenticationError);
      expect(error).not.toBeInstanceOf(InvalidCredentialsError);
      expect(error.status).toBe(503);
      expect(error.message).toMatch(/unavailable right now.*Try again later/);
      expect(error.message).not.toMatch(/client secret/);
    });

    it('a token answer that is not JSON says so (not "could not reach")', async () => {
      const account = app({});
      emu.faults.add({ path: '/oauth2/v2.0/token', kind: 'malformed' });
      const error = (await account.authenticate().catch((e: unknown) => e)) as AuthenticationError;
      expect(error).toBeInstanceOf(AuthenticationError);
      expect(error.message).toMatch(/answered HTTP 200 with a body that is not JSON/);
      expect(error.status).toBe(200);
      expect(error.cause).toBeInstanceOf(SyntaxError);
    });
  });

  it("a token cache written by another app (another client id) is explained, not reported as an expired sign-in", async () => {
    const backend = new MemoryTokenBackend();
    await open({ tokenBackend: backend }).authenticate();
    const otherApp = new Account(['0f0e0d0c-0b0a-4909-8807-060504030201'], {
      tenantId: emu.defaults.tenantId,
      authorityHost: emu.authorityHost,
      protocol: new MSGraphProtocol({ graphUrl: emu.graphUrl }),
      tls: { ca: emu.ca },
      tokenBackend: backend,
    });
    opened.push(otherApp);
    const stored = (await backend.load())!.data;
    expect(await otherApp.isAuthenticated()).toBe(false);
    const error = (await otherApp.connection.getAccessToken().catch((e: unknown) => e)) as AuthenticationError;
    expect(error).toBeInstanceOf(AuthenticationError);
    expect(error.message).toContain(`another app (client id ${emu.defaults.publicClientId})`);
    expect((await backend.load())!.data).toBe(stored); // nothing was changed or wiped
  });

  it('logout() on a fresh Account over a one-user cache logs that user out', async () => {
    const backend = new MemoryTokenBackend();
    await open({ tokenBackend: backend }).authenticate();
    const fresh = open({ tokenBackend: backend, username: undefined, password: undefined, authFlowType: 'authorization' });
    expect(await fresh.logout()).toBe(true);
    expect(await fresh.getAuthenticatedUsernames()).toEqual([]);
    expect(fresh.username).toBeUndefined();
    expect(await open({ tokenBackend: backend }).isAuthenticated()).toBe(false);
  });

  describe('AbortSignal', () => {
    it('a caller that aborts stops waiting for a refresh; the shared refresh goes on for the others', async () => {
      const account = open({ tokenBackend: new MemoryTokenBackend() });
      await account.authenticate();
      emu.clock.advance(3600);
      emu.faults.add({ path: '/oauth2/v2.0/token', kind: 'delay', ms: 400 });
      const before = grants('refresh_token');
      const patient = account.connection.getAccessToken();
      const controller = new AbortController();
      const impatient = account.getToken('https://graph.microsoft.com/User.Read', { abortSignal: controller.signal });
      const session = account.connection.getSession();
      const sessionController = new AbortController();
      const call = session.fetch('me', { signal: sessionController.signal });
      controller.abort(new Error('caller gave up'));
      sessionController.abort();
      await expect(impatient).rejects.toThrow('caller gave up');
      await expect(call).rejects.toMatchObject({ name: 'AbortError' });
      expect(typeof (await patient)).toBe('string');
      await expect(account.getCurrentUser({ signal: AbortSignal.abort() })).rejects.toMatchObject({ name: 'AbortError' });
      expect((await account.getCurrentUser({ select: ['department'] })).department).toBe('Retail');
      expect(grants('refresh_token')).toBe(before + 1);
      // An already aborted signal makes no request at all.
      const requests = emu.requests().length;
      await expect(account.connection.getAccessToken({ signal: AbortSignal.abort() })).rejects.toMatchObject({ name: 'AbortError' });
      expect(emu.requests().length).toBe(requests);
    });

    it('aborting a device code sign-in stops the polling and rejects with the reason', async () => {
      const account = new Account([emu.defaults.publicClientId], {
        authFlowType: 'device',
        tenantId: emu.defaults.tenantId,
        authorityHost: emu.authorityHost,
        protocol: new MSGraphProtocol({ graphUrl: emu.graphUrl }),
        tls: { ca: emu.ca },
        tokenBackend: new MemoryTokenBackend(),
      });
      opened.push(account);
      const controller = new AbortController();
      const polls = (): number => emu.requests().filter((r) => r.grantType?.includes('device_code')).length;
      const signIn = account.authenticate({
        signal: controller.signal,
        deviceCodeCallback: () => {
          controller.abort(new Error('user closed the dialog'));
        },
      });
      await expect(signIn).rejects.toThrow('user closed the dialog');
      const after = polls();
      await new Promise((resolve) => setTimeout(resolve, 1500)); // more than one polling interval
      expect(polls()).toBe(after);
    });
  });
});
