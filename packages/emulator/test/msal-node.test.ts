// Microsoft's own client, msal-node, against the emulator: only its configuration changes
// (authority, knownAuthorities, a network client that trusts the emulator's CA).
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { ConfidentialClientApplication, CryptoProvider, PublicClientApplication } from '@azure/msal-node';
import type { Agent } from 'undici';
import { startEmulator, type Emulator } from '../src/index.js';
import {
  browserSignIn,
  completeDeviceLogin,
  graphGet,
  jwtClaims,
  msalAuthConfig,
  msalNetworkClient,
  trustingAgent,
} from './helpers.js';

let emu: Emulator;
let agent: Agent;

beforeAll(async () => {
  emu = await startEmulator({ port: 0, deviceCodeInterval: 1 });
  agent = trustingAgent(emu.ca);
});

afterAll(async () => {
  await agent.close();
  await emu.stop();
});

function publicApp() {
  return new PublicClientApplication({
    auth: { clientId: emu.defaults.publicClientId, ...msalAuthConfig(emu) },
    system: { networkClient: msalNetworkClient(agent) },
  });
}

describe('msal-node client credentials', () => {
  it('gets an app token with the client secret and reads /users with it', async () => {
    const cca = new ConfidentialClientApplication({
      auth: { clientId: emu.defaults.clientId, clientSecret: emu.defaults.clientSecret, ...msalAuthConfig(emu) },
      system: { networkClient: msalNetworkClient(agent) },
    });
    const result = await cca.acquireTokenByClientCredential({ scopes: ['https://graph.microsoft.com/.default'] });
    expect(result?.accessToken).toBeTruthy();
    const claims = jwtClaims(result!.accessToken);
    expect(claims).toMatchObject({
      aud: 'https://graph.microsoft.com',
      iss: `https://sts.windows.net/${emu.defaults.tenantId}/`,
      tid: emu.defaults.tenantId,
      appid: emu.defaults.clientId,
      appidacr: '1',
      idtyp: 'app',
      roles: ['User.Read.All'],
    });
    const users = await graphGet(emu, agent, 'v1.0/users?$top=5', result!.accessToken);
    expect(users.status).toBe(200);
    expect((users.body['value'] as unknown[]).length).toBe(5);
    // A second call is served from msal's cache: no new token request.
    const before = emu.requests().filter((r) => r.grantType === 'client_credentials').length;
    const again = await cca.acquireTokenByClientCredential({ scopes: ['https://graph.microsoft.com/.default'] });
    expect(again?.accessToken).toBe(result!.accessToken);
    expect(emu.requests().filter((r) => r.grantType === 'client_credentials').length).toBe(before);
  });

  it.each([
    ['SHA-256 thumbprint (x5t#S256)', 'thumbprintSha256'],
    ['SHA-1 thumbprint (x5t)', 'thumbprint'],
  ] as const)('gets an app token with a certificate assertion, %s', async (_label, field) => {
    const cert = emu.defaults.certificate;
    const cca = new ConfidentialClientApplication({
      auth: {
        clientId: emu.defaults.clientId,
        clientCertificate: { [field]: cert[field], privateKey: cert.privateKey },
        ...msalAuthConfig(emu),
      },
      system: { networkClient: msalNetworkClient(agent) },
    });
    const result = await cca.acquireTokenByClientCredential({ scopes: ['https://graph.microsoft.com/.default'] });
    expect(jwtClaims(result!.accessToken)).toMatchObject({ appid: emu.defaults.clientId, appidacr: '2' });
  });

  it('surfaces a wrong secret as AADSTS7000215', async () => {
    const cca = new ConfidentialClientApplication({
      auth: { clientId: emu.defaults.clientId, clientSecret: 'not-the-secret', ...msalAuthConfig(emu) },
      system: { networkClient: msalNetworkClient(agent) },
    });
    await expect(cca.acquireTokenByClientCredential({ scopes: ['https://graph.microsoft.com/.default'] })).rejects.toMatchObject({
      errorCode: 'invalid_client',
      errorMessage: expect.stringContaining('AADSTS7000215'),
    });
  });
});

describe('msal-node user flows', () => {
  it('authorization code with PKCE, the sign-in form submitted over HTTP', async () => {
    const pca = publicApp();
    const { verifier, challenge } = await new CryptoProvider().generatePkceCodes();
    const redirectUri = 'http://localhost:53123/callback';
    const authUrl = await pca.getAuthCodeUrl({
      scopes: ['User.Read'],
      redirectUri,
      codeChallenge: challenge,
      codeChallengeMethod: 'S256',
      state: 'state-123',
      loginHint: emu.defaults.username,
    });
    expect(authUrl.startsWith(`${emu.authorityHost}/${emu.defaults.tenantId}/oauth2/v2.0/authorize?`)).toBe(true);
    const answer = await browserSignIn(emu, agent, authUrl, { username: emu.defaults.username, password: emu.defaults.password });
    expect(answer.status).toBe(302);
    const location = new URL(answer.headers.get('location')!);
    expect(`${location.origin}${location.pathname}`).toBe(redirectUri);
    expect(location.searchParams.get('state')).toBe('state-123');
    const code = location.searchParams.get('code')!;
    const result = await pca.acquireTokenByCode({ code, scopes: ['User.Read'], redirectUri, codeVerifier: verifier });
    expect(result.account?.username).toBe(emu.defaults.username);
    expect(result.account?.tenantId).toBe(emu.defaults.tenantId);
    expect(result.idTokenClaims).toMatchObject({ aud: emu.defaults.publicClientId, preferred_username: emu.defaults.username });
    const me = await graphGet(emu, agent, 'v1.0/me', result.accessToken);
    expect(me.status).toBe(200);
    expect(me.body['userPrincipalName']).toBe(emu.defaults.username);
  });

  it('authorization code for the MFA user passes the second-factor page', async () => {
    const pca = publicApp();
    const { verifier, challenge } = await new CryptoProvider().generatePkceCodes();
    const redirectUri = 'http://localhost';
    const authUrl = await pca.getAuthCodeUrl({ scopes: ['User.Read'], redirectUri, codeChallenge: challenge, codeChallengeMethod: 'S256' });
    const answer = await browserSignIn(emu, agent, authUrl, { username: emu.defaults.mfaUsername, password: emu.defaults.password });
    expect(answer.status).toBe(302);
    const code = new URL(answer.headers.get('location')!).searchParams.get('code')!;
    const result = await pca.acquireTokenByCode({ code, scopes: ['User.Read'], redirectUri, codeVerifier: verifier });
    expect(jwtClaims(result.accessToken)['amr']).toEqual(['pwd', 'mfa']);
  });

  it('device code, with the device-login page completed over HTTP', async () => {
    const pca = publicApp();
    let pageResult: Promise<string> | undefined;
    const result = await pca.acquireTokenByDeviceCode({
      scopes: ['User.Read'],
      deviceCodeCallback: (response) => {
        expect(response.verificationUri).toBe(`${emu.url}/devicelogin`);
        expect(response.message).toContain(response.userCode);
        pageResult = completeDeviceLogin(emu, agent, response.verificationUri, response.userCode, {
          username: emu.defaults.username,
          password: emu.defaults.password,
        });
      },
    });
    expect(await pageResult).toContain('You have signed in');
    expect(result?.account?.username).toBe(emu.defaults.username);
    const polls = emu.requests().filter((r) => r.grantType === 'device_code');
    expect(polls.some((r) => r.status === 400)).toBe(true);
    expect(polls[polls.length - 1]?.status).toBe(200);
  });

  it('device code declined on the page fails with authorization_declined', async () => {
    const pca = publicApp();
    await expect(
      pca.acquireTokenByDeviceCode({
        scopes: ['User.Read'],
        deviceCodeCallback: (response) => {
          void completeDeviceLogin(emu, agent, response.verificationUri, response.userCode, 'decline');
        },
      }),
    ).rejects.toMatchObject({ errorCode: 'post_request_failed', errorMessage: expect.stringContaining('authorization_declined') });
  });

  it('username/password (ROPC), then a silent refresh after the clocks move past expiry', async () => {
    const pca = publicApp();
    const first = await pca.acquireTokenByUsernamePassword({
      scopes: ['User.Read'],
      username: emu.defaults.username,
      password: emu.defaults.password,
    });
    expect(first?.account).toBeTruthy();
    // Within the lifetime the cached token is returned without a request.
    const cached = await pca.acquireTokenSilent({ account: first!.account!, scopes: ['User.Read'] });
    expect(cached.accessToken).toBe(first!.accessToken);
    expect(cached.fromCache).toBe(true);

    emu.clock.advance(3700);
    expect((await graphGet(emu, agent, 'v1.0/me', first!.accessToken)).status).toBe(401);
    // msal-node reads Date for token expiry: move the client's clock the same way.
    jest.useFakeTimers({
      now: Date.now() + 3700 * 1000,
      doNotFake: ['nextTick', 'setImmediate', 'clearImmediate', 'setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'queueMicrotask', 'hrtime', 'performance'],
    });
    try {
      const refreshesBefore = emu.requests().filter((r) => r.grantType === 'refresh_token').length;
      const refreshed = await pca.acquireTokenSilent({ account: first!.account!, scopes: ['User.Read'] });
      expect(refreshed.fromCache).toBe(false);
      expect(refreshed.accessToken).not.toBe(first!.accessToken);
      expect(emu.requests().filter((r) => r.grantType === 'refresh_token').length).toBe(refreshesBefore + 1);
      expect((await graphGet(emu, agent, 'v1.0/me', refreshed.accessToken)).status).toBe(200);
    } finally {
      jest.useRealTimers();
    }
  });

  it('ROPC for the MFA user fails with AADSTS50076 and suberror basic_action', async () => {
    const pca = publicApp();
    await expect(
      pca.acquireTokenByUsernamePassword({ scopes: ['User.Read'], username: emu.defaults.mfaUsername, password: emu.defaults.password }),
    ).rejects.toMatchObject({ errorCode: 'invalid_grant', subError: 'basic_action', errorMessage: expect.stringContaining('AADSTS50076') });
  });

  it('a revoked refresh token fails silent refresh with AADSTS50173', async () => {
    const pca = publicApp();
    const first = await pca.acquireTokenByUsernamePassword({ scopes: ['User.Read'], username: emu.defaults.username, password: emu.defaults.password });
    emu.revokeRefreshTokens(emu.defaults.username);
    await expect(pca.acquireTokenSilent({ account: first!.account!, scopes: ['User.Read'], forceRefresh: true })).rejects.toMatchObject({
      errorCode: 'invalid_grant',
      errorMessage: expect.stringContaining('AADSTS50173'),
    });
  });
});
