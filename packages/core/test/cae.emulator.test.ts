// Continuous Access Evaluation end to end: an Account declaring cp1 (clientCapabilities), Graph's
// claims challenge after a critical event in the emulator, and the session's answer: one token
// request with the challenge's claims, shared by concurrent requests, then the retry.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  Account,
  claimsFromChallenge,
  InvalidArgumentError,
  MemoryTokenBackend,
  MSGraphProtocol,
  TokenExpiredError,
  type AccountOptions,
} from '@o365/core';
import { startEmulator, type Emulator } from '@o365/emulator';
import { tokenClaims } from './support/many-users-seed.js';

describe('claims challenges (CAE)', () => {
  let emu: Emulator;
  const accounts: Account[] = [];
  const refreshes = (): number => emu.requests().filter((r) => r.grantType === 'refresh_token').length;
  const meRequests = (status: number): number => emu.requests().filter((r) => r.path.endsWith('/me') && r.status === status).length;

  async function signedIn(extra: AccountOptions = {}): Promise<Account> {
    const account = new Account([emu.defaults.publicClientId], {
      tenantId: emu.defaults.tenantId,
      authorityHost: emu.authorityHost,
      protocol: new MSGraphProtocol({ graphUrl: emu.graphUrl }),
      tls: { ca: emu.ca },
      clock: { now: () => emu.clock.now() },
      tokenBackend: new MemoryTokenBackend(),
      authFlowType: 'password',
      username: emu.defaults.username,
      password: emu.defaults.password,
      ...extra,
    });
    accounts.push(account);
    expect(await account.authenticate({ requestedScopes: ['User.Read'] })).toBe(true);
    return account;
  }

  beforeAll(async () => {
    emu = await startEmulator();
  });

  afterAll(async () => {
    await Promise.all(accounts.map((a) => a.close()));
    await emu?.stop();
  });

  it("clientCapabilities: ['cp1'] makes the tokens CAE-capable (xms_cc)", async () => {
    const capable = await signedIn({ clientCapabilities: ['cp1'] });
    expect((tokenClaims(await capable.connection.getAccessToken()) as Record<string, unknown>)['xms_cc']).toEqual(['cp1']);
    const plain = await signedIn();
    expect((tokenClaims(await plain.connection.getAccessToken()) as Record<string, unknown>)['xms_cc']).toBeUndefined();
    expect(() => new Account([emu.defaults.publicClientId], { clientCapabilities: [42] as unknown as string[] })).toThrow(TypeError);
  });

  it('a CAE event: the session gets a token with the challenge claims (one request for 20 concurrent calls) and retries', async () => {
    const account = await signedIn({ clientCapabilities: ['cp1'] });
    const session = account.connection.getSession();
    expect((await session.fetch('me')).status).toBe(200);
    emu.clock.advance(60);
    emu.raiseCaeEvent(emu.defaults.username);
    const eventSeconds = Math.floor(emu.clock.now() / 1000);
    emu.clock.advance(1);
    emu.clearRequests();
    const responses = await Promise.all(Array.from({ length: 20 }, () => session.fetch('me')));
    expect(responses.map((r) => r.status)).toEqual(Array(20).fill(200));
    expect(meRequests(401)).toBe(20);
    expect(refreshes()).toBe(1);
    const token = await account.connection.getAccessToken();
    expect((tokenClaims(token) as Record<string, unknown>)['iat']).toBeGreaterThanOrEqual(eventSeconds);
  });

  it('a client without cp1 is not challenged: its token stays valid until it expires, no token request', async () => {
    const account = await signedIn();
    const session = account.connection.getSession();
    expect((await session.fetch('me')).status).toBe(200);
    emu.clock.advance(60);
    emu.raiseCaeEvent(emu.defaults.username);
    emu.clearRequests();
    expect((await session.fetch('me')).status).toBe(200);
    expect(refreshes()).toBe(0);
  });

  it('getToken(scopes, { claims }) requests a new token with them (JSON or base64); without claims the cached one serves', async () => {
    const account = await signedIn({ clientCapabilities: ['cp1'] });
    const scope = 'https://graph.microsoft.com/User.Read';
    const cached = await account.getToken(scope);
    emu.clearRequests();
    expect((await account.getToken(scope)).token).toBe(cached.token);
    expect(refreshes()).toBe(0);
    const claims = '{"access_token":{"nbf":{"essential":true,"value":"1"}}}';
    emu.clock.advance(1);
    const renewed = await account.getToken(scope, { claims });
    expect(renewed.token).not.toBe(cached.token);
    emu.clock.advance(1);
    const again = await account.getToken(scope, { claims: Buffer.from(claims).toString('base64') });
    expect(again.token).not.toBe(renewed.token);
    expect(refreshes()).toBe(2);
    await expect(account.getToken(scope, { claims: 'not claims' })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(account.connection.getAccessToken({ claims: '[1]' })).rejects.toMatchObject({ parameter: 'claims' });
  });

  it('revoked sessions: the challenge cannot be met silently, the session rejects with TokenExpiredError', async () => {
    const account = await signedIn({ clientCapabilities: ['cp1'] });
    const session = account.connection.getSession();
    expect((await session.fetch('me')).status).toBe(200);
    emu.clock.advance(60);
    emu.revokeRefreshTokens(emu.defaults.username);
    await expect(session.fetch('me')).rejects.toBeInstanceOf(TokenExpiredError);
  });

  it('claimsFromChallenge reads only insufficient_claims challenges', () => {
    const claims = Buffer.from('{"access_token":{"nbf":{"essential":true,"value":"5"}}}').toString('base64');
    expect(claimsFromChallenge(`Bearer realm="", error="insufficient_claims", claims="${claims}"`)).toBe('{"access_token":{"nbf":{"essential":true,"value":"5"}}}');
    expect(claimsFromChallenge('Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize"')).toBeUndefined();
    expect(claimsFromChallenge('Bearer error="insufficient_claims", claims="!!notbase64json"')).toBeUndefined();
    expect(claimsFromChallenge(null)).toBeUndefined();
  });
});
