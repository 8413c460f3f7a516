import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startEmulator, type Emulator } from '@o365/emulator';
import { Account, type AccountOptions } from '../../src/account.js';
import { MemoryTokenBackend } from '../../src/backends/memory-backend.js';
import { TokenBackendError } from '../../src/errors.js';
import { MSGraphProtocol } from '../../src/protocol.js';
import { summarizeTokenCache } from '../../src/auth/token-cache-summary.js';

describe('summarizeTokenCache', () => {
  let emu: Emulator;
  const accounts: Account[] = [];
  const open = (credentials: ConstructorParameters<typeof Account>[0], options: AccountOptions): Account => {
    const account = new Account(credentials, {
      tenantId: emu.defaults.tenantId,
      authorityHost: emu.authorityHost,
      protocol: new MSGraphProtocol({ graphUrl: emu.graphUrl }),
      tls: { ca: emu.ca },
      clock: { now: () => emu.clock.now() },
      ...options,
    });
    accounts.push(account);
    return account;
  };

  beforeAll(async () => {
    emu = await startEmulator();
  });
  afterAll(async () => {
    await Promise.all(accounts.map((a) => a.close()));
    await emu.stop();
  });

  it('nothing stored: undefined', async () => {
    expect(await summarizeTokenCache(new MemoryTokenBackend(), { clientId: 'x' })).toBeUndefined();
  });

  it('two delegated users: usernames, expiry and refresh token per user, no token in the result', async () => {
    const backend = new MemoryTokenBackend();
    const account = open([emu.defaults.publicClientId], { authFlowType: 'password', tokenBackend: backend, password: emu.defaults.password });
    await account.connection.acquireWithPassword(undefined, { username: emu.defaults.username });
    await account.connection.acquireWithPassword(undefined, { username: 'AlexW@contoso.onmicrosoft.com' });
    const summary = await summarizeTokenCache(backend, { clientId: emu.defaults.publicClientId.toUpperCase() });
    expect(summary?.users.map((u) => u.username).sort()).toEqual(['AlexW@contoso.onmicrosoft.com', emu.defaults.username].sort());
    for (const user of summary!.users) {
      expect(user.refreshToken).toBe(true);
      expect(user.accessTokenExpiresOn).toBeGreaterThan(emu.clock.now());
      expect(user.homeAccountId).toMatch(/\./);
    }
    expect(summary?.appAccessTokenExpiresOn).toBeUndefined();
    const stored = (await backend.load())!.data;
    const secrets = Object.values(JSON.parse(stored) as Record<string, Record<string, { secret?: string }>>)
      .flatMap((section) => Object.values(section))
      .map((e) => e.secret)
      .filter((s): s is string => typeof s === 'string');
    expect(secrets.length).toBeGreaterThan(2);
    const text = JSON.stringify(summary);
    for (const secret of secrets) expect(text).not.toContain(secret);
    // Another client id sees the users but none of this client's tokens.
    const other = await summarizeTokenCache(backend, { clientId: emu.defaults.clientId });
    expect(other?.users.every((u) => u.accessTokenExpiresOn === undefined && !u.refreshToken)).toBe(true);
  });

  it('app-only: the app token expiry, no users', async () => {
    const backend = new MemoryTokenBackend();
    const app = open([emu.defaults.clientId, emu.defaults.clientSecret], { authFlowType: 'credentials', tokenBackend: backend });
    expect(await app.authenticate()).toBe(true);
    const summary = await summarizeTokenCache(backend, { clientId: emu.defaults.clientId });
    expect(summary?.users).toEqual([]);
    expect(summary?.appAccessTokenExpiresOn).toBeGreaterThan(emu.clock.now());
  });

  it('a corrupted cache rejects with TokenBackendError and stays in place', async () => {
    const backend = new MemoryTokenBackend();
    await backend.save('{"AccessToken": ');
    await expect(summarizeTokenCache(backend, { clientId: 'x' })).rejects.toBeInstanceOf(TokenBackendError);
    expect((await backend.load())?.data).toBe('{"AccessToken": ');
  });
});
