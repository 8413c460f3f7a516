import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startEmulator, type Emulator } from '@o365/emulator';
import { mkdtemp, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Account, type AccountOptions } from '../src/account.js';
import { LegacyTokenFormatError } from '../src/errors.js';
import { FileSystemTokenBackend } from '../src/backends/file-system-backend.js';
import { TokenBackendError } from '../src/errors.js';
import { createHttpClient, type HttpClient } from '../src/http/http-client.js';
import { MSGraphProtocol } from '../src/protocol.js';

type Cache = Record<string, Record<string, Record<string, unknown>>>;

const b64urlJson = (part: string): Record<string, unknown> =>
  JSON.parse(Buffer.from(part.replace(/-/g, '+').replace(/_/g, '/'), 'base64').toString('utf8')) as Record<string, unknown>;

describe('token files: python-o365 2.1 interop, legacy and corrupted files', () => {
  let emu: Emulator;
  let http: HttpClient;
  let dir: string;
  const opened: Account[] = [];

  const account = (tokenPath: string, extra: AccountOptions = {}): Account => {
    const a = new Account([emu.defaults.publicClientId], {
      authFlowType: 'password',
      username: emu.defaults.username,
      password: emu.defaults.password,
      tenantId: emu.defaults.tenantId,
      authorityHost: emu.authorityHost,
      protocol: new MSGraphProtocol({ graphUrl: emu.graphUrl }),
      tls: { ca: emu.ca },
      clock: { now: () => emu.clock.now() },
      tokenBackend: new FileSystemTokenBackend({ tokenPath }),
      ...extra,
    });
    opened.push(a);
    return a;
  };

  beforeAll(async () => {
    emu = await startEmulator();
    http = createHttpClient({ tls: { ca: emu.ca } });
    dir = await mkdtemp(join(tmpdir(), 'o365-auth-files-'));
  });

  afterAll(async () => {
    await Promise.all(opened.map((a) => a.close()));
    await http?.close();
    await emu?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /**
   * The file python-o365 2.1 writes: MSAL Python's SerializableTokenCache JSON (keys and fields as
   * msal/token_cache.py builds them), holding tokens the emulator really issued, with the access
   * token already expired so loading it must refresh. `environment` is the authority's host: on
   * Microsoft's hosts MSAL Python and msal-node write the same value; against a server on a
   * non-default port (the emulator) MSAL Python drops the port and msal-node keeps it, so the
   * fixture uses msal-node's form (checked by hand with MSAL Python 1.21 both ways).
   */
  async function pythonO365File(): Promise<{ text: string; refreshToken: string; homeAccountId: string }> {
    const res = await http.fetch(`${emu.authorityHost}/${emu.defaults.tenantId}/oauth2/v2.0/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'password',
        client_id: emu.defaults.publicClientId,
        username: emu.defaults.username,
        password: emu.defaults.password,
        scope: 'https://graph.microsoft.com/User.Read offline_access openid profile',
        client_info: '1',
      }).toString(),
    });
    const body = (await res.json()) as Record<string, string>;
    expect(res.status).toBe(200);
    const info = b64urlJson(body['client_info']!) as { uid: string; utid: string };
    const claims = b64urlJson(body['id_token']!.split('.')[1]!);
    const homeAccountId = `${info.uid}.${info.utid}`;
    const environment = new URL(emu.authorityHost).host;
    const realm = emu.defaults.tenantId;
    const clientId = emu.defaults.publicClientId;
    const target = body['scope']!.split(' ').sort().join(' ');
    const now = Math.floor(emu.clock.now() / 1000) - 7200; // issued two hours ago: expired
    const key = (...parts: string[]) => parts.join('-').toLowerCase();
    const cache = {
      AccessToken: {
        [key(homeAccountId, environment, 'AccessToken', clientId, realm, target)]: {
          credential_type: 'AccessToken',
          secret: body['access_token'],
          home_account_id: homeAccountId,
          environment,
          client_id: clientId,
          target,
          realm,
          token_type: 'Bearer',
          cached_at: String(now),
          expires_on: String(now + 3599),
          extended_expires_on: String(now + 3599),
        },
      },
      RefreshToken: {
        [key(homeAccountId, environment, 'RefreshToken', clientId, '', target)]: {
          credential_type: 'RefreshToken',
          secret: body['refresh_token'],
          home_account_id: homeAccountId,
          environment,
          client_id: clientId,
          target,
          last_modification_time: String(now),
        },
      },
      IdToken: {
        [key(homeAccountId, environment, 'IdToken', clientId, realm, '')]: {
          credential_type: 'IdToken',
          secret: body['id_token'],
          home_account_id: homeAccountId,
          environment,
          realm,
          client_id: clientId,
        },
      },
      Account: {
        [key(homeAccountId, environment, realm)]: {
          home_account_id: homeAccountId,
          environment,
          realm,
          local_account_id: claims['oid'],
          username: claims['preferred_username'],
          authority_type: 'MSSTS',
          account_source: 'password',
        },
      },
      AppMetadata: {
        [`appmetadata-${environment}-${clientId}`]: { client_id: clientId, environment },
      },
    };
    return { text: JSON.stringify(cache, null, 4), refreshToken: body['refresh_token']!, homeAccountId };
  }

  it('loads a token file written by python-o365 2.1, refreshes it, and writes one MSAL Python can read', async () => {
    const tokenPath = join(dir, 'python');
    await mkdir(tokenPath, { recursive: true });
    const fixture = await pythonO365File();
    await writeFile(join(tokenPath, 'o365_token.txt'), fixture.text, { mode: 0o600 });

    const a = account(tokenPath, { password: undefined });
    expect(await a.isAuthenticated()).toBe(true);
    expect(a.username?.toLowerCase()).toBe(emu.defaults.username.toLowerCase());
    const refreshes = emu.requests().filter((r) => r.grantType === 'refresh_token').length;
    const me = await a.getCurrentUser();
    expect(me.userPrincipalName?.toLowerCase()).toBe(emu.defaults.username.toLowerCase());
    expect(emu.requests().filter((r) => r.grantType === 'refresh_token').length).toBe(refreshes + 1);

    // What we wrote keeps MSAL Python's schema: the fields its search() and add() use, as strings.
    const written = JSON.parse(await readFile(join(tokenPath, 'o365_token.txt'), 'utf8')) as Cache;
    const ats = Object.values(written['AccessToken']!);
    const fresh = ats.find((e) => Number(e['expires_on']) * 1000 > emu.clock.now());
    expect(fresh).toMatchObject({
      credential_type: 'AccessToken',
      home_account_id: fixture.homeAccountId,
      client_id: emu.defaults.publicClientId,
      realm: emu.defaults.tenantId,
      environment: new URL(emu.authorityHost).host,
    });
    for (const field of ['secret', 'target', 'cached_at', 'expires_on', 'extended_expires_on']) {
      expect(typeof fresh![field]).toBe('string');
    }
    const accounts = Object.values(written['Account']!);
    expect(accounts).toHaveLength(1);
    expect(accounts[0]).toMatchObject({ home_account_id: fixture.homeAccountId, authority_type: 'MSSTS' });
    expect(Object.values(written['RefreshToken']!).every((e) => e['credential_type'] === 'RefreshToken' && typeof e['secret'] === 'string')).toBe(
      true,
    );
  });

  it('a pre-2.1 python-o365 file gives a clear error, is left in place, and a new sign-in replaces it', async () => {
    const tokenPath = join(dir, 'legacy');
    await mkdir(tokenPath, { recursive: true });
    const legacy = JSON.stringify({
      token_type: 'Bearer',
      scope: ['https://graph.microsoft.com/User.Read'],
      expires_in: 3599,
      access_token: 'legacy-access-token-value',
      refresh_token: 'legacy-refresh-token-value',
      expires_at: 1600000000,
    });
    const file = join(tokenPath, 'o365_token.txt');
    await writeFile(file, legacy, { mode: 0o600 });
    const a = account(tokenPath);
    expect(await a.isAuthenticated()).toBe(false);
    const error = await a.connection.getAccessToken().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LegacyTokenFormatError);
    expect(error).toBeInstanceOf(TokenBackendError);
    expect((error as Error).message).toMatch(/python-o365 before 2\.1.*sign in again/);
    expect((error as Error).message).toContain(file);
    expect((error as Error).message).not.toContain('legacy-access-token-value');
    expect(await readFile(file, 'utf8')).toBe(legacy);

    expect(await a.authenticate()).toBe(true);
    const replaced = JSON.parse(await readFile(file, 'utf8')) as Cache;
    expect(replaced['access_token']).toBeUndefined();
    expect(Object.keys(replaced['RefreshToken']!)).toHaveLength(1);
  });

  it('a corrupted token file gives TokenBackendError naming the file, and is left in place', async () => {
    const tokenPath = join(dir, 'corrupt');
    await mkdir(tokenPath, { recursive: true });
    const file = join(tokenPath, 'o365_token.txt');
    await writeFile(file, '{"AccessToken": {"k": ', { mode: 0o600 });
    const a = account(tokenPath);
    const error = await a.isAuthenticated().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TokenBackendError);
    expect((error as TokenBackendError).location).toBe(file);
    expect((error as Error).message).toContain(file);
    await expect(a.authenticate()).rejects.toBeInstanceOf(TokenBackendError);
    expect(await readFile(file, 'utf8')).toBe('{"AccessToken": {"k": ');
  });
});
