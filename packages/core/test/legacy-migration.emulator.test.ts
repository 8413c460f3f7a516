// Tokens obtained elsewhere: a refresh token imported into the cache, and python-o365's pre-2.1
// token file (requests-oauthlib's token dictionary) migrated to an MSAL cache through the token
// endpoint, the old file kept until the new cache is saved.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Agent, fetch } from 'undici';
import {
  Account,
  FileSystemTokenBackend,
  InvalidArgumentError,
  LegacyTokenFormatError,
  MemoryTokenBackend,
  MSGraphProtocol,
  TokenExpiredError,
  type AccountOptions,
} from '@o365/core';
import { startEmulator, type Emulator } from '@o365/emulator';

describe('tokens obtained elsewhere', () => {
  let emu: Emulator;
  let agent: Agent;
  let dir: string;
  const accounts: Account[] = [];
  const options = (extra: AccountOptions = {}): AccountOptions => ({
    tenantId: emu.defaults.tenantId,
    authorityHost: emu.authorityHost,
    protocol: new MSGraphProtocol({ graphUrl: emu.graphUrl }),
    tls: { ca: emu.ca },
    clock: { now: () => emu.clock.now() },
    ...extra,
  });
  const track = (account: Account): Account => {
    accounts.push(account);
    return account;
  };

  /** What another library (python-o365 before 2.1, through requests-oauthlib) got from the token endpoint. */
  async function tokenFromElsewhere(): Promise<{ access_token: string; refresh_token: string; scope: string; expires_in: number }> {
    const res = await fetch(`${emu.authorityHost}/${emu.defaults.tenantId}/oauth2/v2.0/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'password',
        client_id: emu.defaults.publicClientId,
        username: emu.defaults.username,
        password: emu.defaults.password,
        scope: 'https://graph.microsoft.com/User.Read https://graph.microsoft.com/Mail.Read offline_access',
      }).toString(),
      dispatcher: agent,
    });
    expect(res.status).toBe(200);
    return (await res.json()) as { access_token: string; refresh_token: string; scope: string; expires_in: number };
  }

  /** A pre-2.1 python-o365 token file: requests-oauthlib's token dictionary, scope as a list. */
  async function legacyFile(name: string, token: { access_token: string; refresh_token?: string; scope: string; expires_in: number }): Promise<{ tokenPath: string; file: string; text: string }> {
    const tokenPath = path.join(dir, name);
    await rm(tokenPath, { recursive: true, force: true });
    const text = JSON.stringify({
      token_type: 'Bearer',
      scope: token.scope.split(' '),
      expires_in: token.expires_in,
      ext_expires_in: token.expires_in,
      access_token: token.access_token,
      ...(token.refresh_token ? { refresh_token: token.refresh_token } : {}),
      expires_at: Math.floor(emu.clock.now() / 1000) + token.expires_in,
    });
    const backend = new FileSystemTokenBackend({ tokenPath });
    await backend.save(text);
    return { tokenPath, file: backend.filePath, text };
  }

  beforeAll(async () => {
    emu = await startEmulator();
    agent = new Agent({ connect: { ca: emu.ca } });
    dir = await mkdtemp(path.join(os.tmpdir(), 'o365-legacy-'));
  });

  afterAll(async () => {
    await Promise.all(accounts.map((a) => a.close()));
    await agent?.close();
    await emu?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('importRefreshToken: the user of a refresh token from elsewhere is signed in, tokens saved', async () => {
    const { refresh_token } = await tokenFromElsewhere();
    const backend = new MemoryTokenBackend();
    const account = track(new Account([emu.defaults.publicClientId], options({ tokenBackend: backend })));
    expect(await account.importRefreshToken(refresh_token, ['basic'])).toBe(emu.defaults.username);
    expect(account.username).toBe(emu.defaults.username);
    expect(await account.isAuthenticated()).toBe(true);
    expect((await backend.load())?.data).toContain('"RefreshToken"');
    const me = await (await account.connection.getSession().fetch('me')).json() as { userPrincipalName: string };
    expect(me.userPrincipalName.toLowerCase()).toBe(emu.defaults.username.toLowerCase());
  });

  it('importRefreshToken: an unknown refresh token is TokenExpiredError that does not show it; no string is InvalidArgumentError', async () => {
    const account = track(new Account([emu.defaults.publicClientId], options({ tokenBackend: new MemoryTokenBackend() })));
    const error = await account.importRefreshToken('1.AQnot-a-refresh-token-the-emulator-issued').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TokenExpiredError);
    expect(String((error as Error).message)).not.toContain('not-a-refresh-token');
    await expect(account.importRefreshToken('' as string)).rejects.toBeInstanceOf(InvalidArgumentError);
    const app = track(new Account([emu.defaults.clientId, emu.defaults.clientSecret], options({ authFlowType: 'credentials', tokenBackend: new MemoryTokenBackend() })));
    await expect(app.importRefreshToken('1.AQx')).rejects.toThrow(/belongs to a user/);
  });

  it('migrateLegacyToken: a pre-2.1 python-o365 file becomes an MSAL cache of the same user, scopes kept', async () => {
    const { tokenPath, file, text } = await legacyFile('migrate', await tokenFromElsewhere());
    const account = track(new Account([emu.defaults.publicClientId], options({ tokenBackend: new FileSystemTokenBackend({ tokenPath }) })));
    const before = await account.connection.getAccessToken().catch((e: unknown) => e);
    expect(before).toBeInstanceOf(LegacyTokenFormatError);
    expect((before as Error).message).toContain('migrateLegacyToken');
    expect(await readFile(file, 'utf8')).toBe(text);

    expect(await account.migrateLegacyToken()).toBe(true);
    expect(account.username).toBe(emu.defaults.username);
    const cache = JSON.parse(await readFile(file, 'utf8')) as Record<string, Record<string, { target?: string }>>;
    expect(cache['access_token']).toBeUndefined();
    expect(Object.keys(cache['RefreshToken']!)).toHaveLength(1);
    expect(Object.values(cache['AccessToken']!)[0]!.target).toMatch(/Mail\.Read/);
    emu.clearRequests();
    await account.connection.getAccessToken();
    expect(emu.requests()).toHaveLength(0);
    expect(await account.migrateLegacyToken()).toBe(false);
    // A new process finds an ordinary cache.
    const next = track(new Account([emu.defaults.publicClientId], options({ tokenBackend: new FileSystemTokenBackend({ tokenPath }) })));
    expect(await next.getAuthenticatedUsernames()).toEqual([emu.defaults.username]);
  });

  it('migrateLegacyToken: a revoked or missing refresh token is TokenExpiredError and the old file stays as it was', async () => {
    const revoked = await legacyFile('revoked', await tokenFromElsewhere());
    emu.revokeRefreshTokens(emu.defaults.username);
    const account = track(new Account([emu.defaults.publicClientId], options({ tokenBackend: new FileSystemTokenBackend({ tokenPath: revoked.tokenPath }) })));
    await expect(account.migrateLegacyToken()).rejects.toBeInstanceOf(TokenExpiredError);
    expect(await readFile(revoked.file, 'utf8')).toBe(revoked.text);

    const { refresh_token: _dropped, ...noRefresh } = await tokenFromElsewhere();
    const without = await legacyFile('no-refresh', noRefresh);
    const other = track(new Account([emu.defaults.publicClientId], options({ tokenBackend: new FileSystemTokenBackend({ tokenPath: without.tokenPath }) })));
    await expect(other.migrateLegacyToken()).rejects.toThrow(/holds no refresh token/);
    expect(await readFile(without.file, 'utf8')).toBe(without.text);
  });
});
