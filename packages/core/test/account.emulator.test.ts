import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startEmulator, type Emulator } from '@o365/emulator';
import { createSign, randomUUID } from 'node:crypto';
import { inspect } from 'node:util';
import { Account, type AccountOptions } from '../src/account.js';
import { MemoryTokenBackend } from '../src/backends/memory-backend.js';
import type { TokenBackend } from '../src/backends/token-backend.js';
import { InteractionRequiredError, InvalidCredentialsError, TokenExpiredError } from '../src/errors.js';
import { InvalidMainResourceError } from '../src/errors.js';
import { MSGraphProtocol } from '../src/protocol.js';

/** A backend that counts what the library does with it. */
class CountingBackend implements TokenBackend {
  loads = 0;
  saves = 0;
  constructor(readonly inner: MemoryTokenBackend = new MemoryTokenBackend()) {}
  async load() {
    this.loads++;
    return this.inner.load();
  }
  async save(data: string, options?: { expectedVersion?: string | null }) {
    this.saves++;
    return this.inner.save(data, options);
  }
  async delete() {
    return this.inner.delete();
  }
  async lock(options?: { timeoutMs?: number }) {
    return this.inner.lock(options);
  }
}

describe('Account against the emulator', () => {
  let emu: Emulator;
  const clock = { now: () => emu.clock.now() };

  const base = (extra: AccountOptions = {}): AccountOptions => ({
    tenantId: emu.defaults.tenantId,
    authorityHost: emu.authorityHost,
    protocol: new MSGraphProtocol({ graphUrl: emu.graphUrl }),
    tls: { ca: emu.ca },
    clock,
    ...extra,
  });
  const grants = (grantType: string): number => emu.requests().filter((r) => r.grantType === grantType).length;
  const accounts: Account[] = [];
  const track = (a: Account): Account => {
    accounts.push(a);
    return a;
  };

  beforeAll(async () => {
    emu = await startEmulator();
  });

  afterAll(async () => {
    await Promise.all(accounts.map((a) => a.close()));
    await emu?.stop();
  });

  describe('password flow (what the backend conformance kit runs)', () => {
    it('authenticates, refreshes on demand and reads /me', async () => {
      const tokenBackend = new MemoryTokenBackend();
      const account = track(
        new Account([emu.defaults.publicClientId], {
          ...base({ tokenBackend }),
          authFlowType: 'password',
          username: emu.defaults.username,
          password: emu.defaults.password,
        }),
      );
      expect(await account.isAuthenticated()).toBe(false);
      expect(await account.authenticate({ requestedScopes: ['User.Read'] })).toBe(true);
      expect(await account.isAuthenticated()).toBe(true);
      expect(account.username?.toLowerCase()).toBe(emu.defaults.username.toLowerCase());

      const before = grants('refresh_token');
      const first = await account.connection.getAccessToken();
      expect(await account.connection.refreshToken()).toBe(true);
      expect(grants('refresh_token')).toBe(before + 1);
      const second = await account.connection.getAccessToken();
      expect(second).not.toBe(first);

      const me = await account.getCurrentUser();
      expect(me.userPrincipalName?.toLowerCase()).toBe(emu.defaults.username.toLowerCase());

      const stored = await tokenBackend.load();
      const cache = JSON.parse(stored!.data) as Record<string, Record<string, unknown>>;
      for (const section of ['AccessToken', 'RefreshToken', 'IdToken', 'Account']) {
        expect(Object.keys(cache[section] ?? {}).length).toBeGreaterThan(0);
      }
    });

    it('a wrong password is an InvalidCredentialsError with the AADSTS code and correlation id', async () => {
      const account = track(
        new Account([emu.defaults.publicClientId], {
          ...base({ tokenBackend: new MemoryTokenBackend() }),
          authFlowType: 'password',
          username: emu.defaults.username,
          password: 'not-the-password-123',
        }),
      );
      const error = await account.authenticate().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidCredentialsError);
      const e = error as InvalidCredentialsError;
      expect(e.errorCodes).toContain(50126);
      expect(e.correlationId).toEqual(expect.any(String));
      expect(e.cause).toBeDefined();
      expect(e.message).not.toContain('not-the-password-123');
    });

    it('a user who needs MFA gets an InteractionRequiredError', async () => {
      const account = track(
        new Account([emu.defaults.publicClientId], {
          ...base({ tokenBackend: new MemoryTokenBackend() }),
          authFlowType: 'password',
          username: emu.defaults.mfaUsername,
          password: emu.defaults.password,
        }),
      );
      const error = await account.authenticate().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InteractionRequiredError);
      expect((error as InteractionRequiredError).errorCodes?.some((c) => [50076, 50079].includes(c))).toBe(true);
    });
  });

  describe('credentials flow', () => {
    it('with a client secret: app-only token, directory listing, hot path without backend reads', async () => {
      const tokenBackend = new CountingBackend();
      const account = track(
        new Account([emu.defaults.clientId, emu.defaults.clientSecret], { ...base({ tokenBackend }), authFlowType: 'credentials' }),
      );
      const before = grants('client_credentials');
      expect(await account.authenticate()).toBe(true);
      expect(grants('client_credentials')).toBe(before + 1);
      expect(await account.isAuthenticated()).toBe(true);

      const users = [];
      for await (const user of account.directory().getUsers({ limit: 5 })) users.push(user);
      expect(users).toHaveLength(5);

      const loads = tokenBackend.loads;
      const tokens = await Promise.all(Array.from({ length: 50 }, () => account.connection.getAccessToken()));
      expect(new Set(tokens).size).toBe(1);
      expect(tokenBackend.loads).toBe(loads);
      expect(grants('client_credentials')).toBe(before + 1);

      // The credentials flow re-acquires instead of refreshing.
      expect(await account.connection.refreshToken()).toBe(true);
      expect(grants('client_credentials')).toBe(before + 2);
    });

    it('has no "me": getCurrentUser needs a mainResource', async () => {
      const app = track(
        new Account([emu.defaults.clientId, emu.defaults.clientSecret], { ...base({ tokenBackend: new MemoryTokenBackend() }), authFlowType: 'credentials' }),
      );
      await app.authenticate();
      await expect(app.getCurrentUser()).rejects.toBeInstanceOf(InvalidMainResourceError);
      const forAdele = track(
        new Account([emu.defaults.clientId, emu.defaults.clientSecret], {
          ...base({ tokenBackend: new MemoryTokenBackend() }),
          authFlowType: 'credentials',
          mainResource: emu.defaults.username,
        }),
      );
      await forAdele.authenticate();
      expect((await forAdele.getCurrentUser()).userPrincipalName?.toLowerCase()).toBe(emu.defaults.username.toLowerCase());
      // python-o365's directory(resource=...): another user than the main resource.
      const alex = await app.directory({ resource: 'AlexW@contoso.onmicrosoft.com' }).getCurrentUser();
      expect(alex.displayName).toBe('Alex Wilber');
    });

    it('with a certificate', async () => {
      const { thumbprint, privateKey } = emu.defaults.certificate;
      const account = track(
        new Account([emu.defaults.clientId, { thumbprint, privateKey }], {
          ...base({ tokenBackend: new MemoryTokenBackend() }),
          authFlowType: 'credentials',
        }),
      );
      expect(await account.authenticate()).toBe(true);
      const token = await account.getToken('https://graph.microsoft.com/.default');
      expect(token.expiresOnTimestamp).toBeGreaterThan(emu.clock.now());
    });

    it('with a client assertion callback (a JWT signed with the app certificate)', async () => {
      const { thumbprint, privateKey } = emu.defaults.certificate;
      const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
      const contexts: Array<{ clientId: string; tokenEndpoint?: string }> = [];
      const account = track(
        new Account(
          [
            emu.defaults.clientId,
            {
              clientAssertion: async (context) => {
                contexts.push(context);
                const now = Math.floor(emu.clock.now() / 1000);
                const header = { alg: 'RS256', typ: 'JWT', x5t: Buffer.from(thumbprint, 'hex').toString('base64url') };
                const payload = { aud: context.tokenEndpoint, iss: context.clientId, sub: context.clientId, jti: randomUUID(), nbf: now, exp: now + 600 };
                const unsigned = `${b64(header)}.${b64(payload)}`;
                return `${unsigned}.${createSign('RSA-SHA256').update(unsigned).sign(privateKey).toString('base64url')}`;
              },
            },
          ],
          { ...base({ tokenBackend: new MemoryTokenBackend() }), authFlowType: 'credentials' },
        ),
      );
      expect(await account.authenticate()).toBe(true);
      expect(contexts[0]?.clientId).toBe(emu.defaults.clientId);
      expect(contexts[0]?.tokenEndpoint).toContain(`/${emu.defaults.tenantId}/oauth2/v2.0/token`);
      const users = [];
      for await (const user of account.directory().getUsers({ limit: 1 })) users.push(user);
      expect(users).toHaveLength(1);
    });

    it('a wrong secret is an InvalidCredentialsError (AADSTS7000215) and never shows the secret', async () => {
      const secret = 'wrong~Secret.ZZZZZZZZZZZZZZZZZZZZZZZZZZZ';
      const account = track(
        new Account([emu.defaults.clientId, secret], { ...base({ tokenBackend: new MemoryTokenBackend() }), authFlowType: 'credentials' }),
      );
      const error = await account.authenticate().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidCredentialsError);
      expect((error as InvalidCredentialsError).errorCodes).toContain(7000215);
      expect(inspect(error, { depth: 10 })).not.toContain(secret);
      expect(inspect(account, { depth: 10 })).not.toContain(secret);
      expect(JSON.stringify(account)).not.toContain(secret);
    });

    it('an unknown client id is an InvalidCredentialsError', async () => {
      const account = track(
        new Account(['00000000-0000-4000-8000-000000000000', 'some-secret-value'], {
          ...base({ tokenBackend: new MemoryTokenBackend() }),
          authFlowType: 'credentials',
        }),
      );
      const error = await account.authenticate().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidCredentialsError);
      expect((error as InvalidCredentialsError).errorCodes).toContain(700016);
    });
  });

  it('discovers the authority metadata once per process, however many accounts and concurrent cold calls', async () => {
    const discovery = () => emu.requests().filter((r) => r.path.includes('openid-configuration')).length;
    const cold = Array.from({ length: 20 }, () =>
      track(new Account([emu.defaults.clientId, emu.defaults.clientSecret], { ...base({ tokenBackend: new MemoryTokenBackend() }), authFlowType: 'credentials' })),
    );
    const before = discovery();
    await Promise.all(cold.map((a) => a.authenticate()));
    expect(before).toBeLessThanOrEqual(1);
    expect(discovery()).toBe(Math.max(before, 1));
  });

  describe('refresh', () => {
    it('proactively refreshes once the emulator clock (and ours) moved past expiry', async () => {
      const account = track(
        new Account([emu.defaults.publicClientId], {
          ...base({ tokenBackend: new MemoryTokenBackend() }),
          authFlowType: 'password',
          username: emu.defaults.username,
          password: emu.defaults.password,
        }),
      );
      await account.authenticate();
      const token = await account.connection.getAccessToken();
      const before = grants('refresh_token');
      emu.clock.advance(3600);
      const user = await account.getCurrentUser();
      expect(user.userPrincipalName).toBeDefined();
      expect(grants('refresh_token')).toBe(before + 1);
      expect(await account.connection.getAccessToken()).not.toBe(token);
    });

    it('a revoked refresh token gives TokenExpiredError', async () => {
      const account = track(
        new Account([emu.defaults.publicClientId], {
          ...base({ tokenBackend: new MemoryTokenBackend() }),
          authFlowType: 'password',
          username: emu.defaults.username,
          password: emu.defaults.password,
        }),
      );
      await account.authenticate();
      emu.revokeRefreshTokens(emu.defaults.username);
      const error = await account.connection.refreshToken().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TokenExpiredError);
      expect((error as TokenExpiredError).errorCodes?.length).toBeGreaterThan(0);
    });

    it('1,000 concurrent getAccessToken on an expired token make exactly one token request', async () => {
      const account = track(
        new Account([emu.defaults.publicClientId], {
          ...base({ tokenBackend: new MemoryTokenBackend() }),
          authFlowType: 'password',
          username: emu.defaults.username,
          password: emu.defaults.password,
        }),
      );
      await account.authenticate();
      emu.clock.advance(3600);
      const before = grants('refresh_token');
      const tokens = await Promise.all(Array.from({ length: 1000 }, () => account.connection.getAccessToken()));
      expect(new Set(tokens).size).toBe(1);
      expect(grants('refresh_token')).toBe(before + 1);
    });

    it('hundreds of Graph calls that all get 401 share one refresh and all succeed', async () => {
      // Our clock stays behind: we believe the token is valid, Graph (emulator time) says it expired.
      const account = track(
        new Account([emu.defaults.publicClientId], {
          ...base({ tokenBackend: new MemoryTokenBackend(), clock: { now: () => Date.now() } }),
          authFlowType: 'password',
          username: emu.defaults.username,
          password: emu.defaults.password,
          refreshSkewSeconds: 0,
        }),
      );
      await account.authenticate();
      const offset = emu.clock.now() - Date.now();
      // Move the emulator far enough that it refuses the token we hold.
      emu.clock.advance(3600);
      const before = grants('refresh_token');
      const meCalls = () => emu.requests().filter((r) => r.path.endsWith('/me') && r.status === 401).length;
      const unauthorizedBefore = meCalls();
      const users = await Promise.all(Array.from({ length: 200 }, () => account.getCurrentUser()));
      expect(users.every((u) => u.userPrincipalName !== undefined)).toBe(true);
      expect(grants('refresh_token')).toBe(before + 1);
      expect(meCalls() - unauthorizedBefore).toBeGreaterThan(0);
      expect(offset).toBeGreaterThanOrEqual(0);
    }, 90_000);
  });
});
