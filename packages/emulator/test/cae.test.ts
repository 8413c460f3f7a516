// Continuous Access Evaluation, checked with msal-node: a client that declares `cp1`
// (clientCapabilities) gets tokens with `xms_cc`; after a critical event Graph answers those with a
// claims challenge, and msal-node's own handling of the challenge (acquireTokenSilent with the
// claims) gets a token that passes, or, when the event revoked the sessions, invalid_grant.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { PublicClientApplication, ServerError, type AccountInfo } from '@azure/msal-node';
import { fetch, type Agent } from 'undici';
import { startEmulator, type Emulator } from '../src/index.js';
import { graphGet, jwtClaims, msalAuthConfig, msalNetworkClient, trustingAgent } from './helpers.js';

const SCOPES = ['https://graph.microsoft.com/User.Read'];

let emu: Emulator;
let agent: Agent;

beforeAll(async () => {
  emu = await startEmulator({ port: 0 });
  agent = trustingAgent(emu.ca);
});

afterAll(async () => {
  await agent.close();
  await emu.stop();
});

function app(capable: boolean): PublicClientApplication {
  return new PublicClientApplication({
    auth: { clientId: emu.defaults.publicClientId, ...msalAuthConfig(emu), ...(capable ? { clientCapabilities: ['cp1'] } : {}) },
    system: { networkClient: msalNetworkClient(agent) },
  });
}

async function signIn(client: PublicClientApplication): Promise<{ token: string; account: AccountInfo }> {
  const result = await client.acquireTokenByUsernamePassword({ scopes: SCOPES, username: emu.defaults.username, password: emu.defaults.password });
  if (!result?.account) throw new Error('no sign-in');
  return { token: result.accessToken, account: result.account };
}

/** The `key="value"` parameters of a WWW-Authenticate Bearer challenge. */
function challenge(header: string | null): Record<string, string> {
  return Object.fromEntries([...(header ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1]!, m[2]!]));
}

describe('Continuous Access Evaluation', () => {
  it('a client declaring cp1 gets xms_cc in its access token; one that does not gets none', async () => {
    expect(jwtClaims((await signIn(app(true))).token)['xms_cc']).toEqual(['cp1']);
    expect(jwtClaims((await signIn(app(false))).token)['xms_cc']).toBeUndefined();
  });

  it('after a critical event, Graph challenges CAE-capable tokens; others stay valid until they expire', async () => {
    const capable = app(true);
    const cae = await signIn(capable);
    const plain = await signIn(app(false));
    expect((await graphGet(emu, agent, 'v1.0/me', cae.token)).status).toBe(200);
    emu.clock.advance(60);
    emu.raiseCaeEvent(emu.defaults.username);
    const eventSeconds = Math.floor(emu.clock.now() / 1000);

    const refused = await graphGet(emu, agent, 'v1.0/me', cae.token);
    expect(refused.status).toBe(401);
    expect((refused.body['error'] as { code: string }).code).toBe('InvalidAuthenticationToken');
    const params = challenge(refused.headers.get('www-authenticate'));
    expect(params['error']).toBe('insufficient_claims');
    const claims = Buffer.from(params['claims']!, 'base64').toString('utf8');
    expect(JSON.parse(claims)).toEqual({ access_token: { nbf: { essential: true, value: String(eventSeconds) } } });
    expect((await graphGet(emu, agent, 'v1.0/me', plain.token)).status).toBe(200);

    // msal-node's answer to the challenge: a silent request with the claims goes to the network.
    emu.clock.advance(1);
    const renewed = await capable.acquireTokenSilent({ account: cae.account, scopes: SCOPES, claims });
    expect(renewed.accessToken).not.toBe(cae.token);
    expect(jwtClaims(renewed.accessToken)['iat']).toBeGreaterThanOrEqual(eventSeconds);
    expect((await graphGet(emu, agent, 'v1.0/me', renewed.accessToken)).status).toBe(200);
  });

  it('after a revocation, the challenge cannot be met silently: the refresh fails with invalid_grant (AADSTS50173)', async () => {
    const capable = app(true);
    const cae = await signIn(capable);
    emu.clock.advance(60);
    emu.revokeRefreshTokens(emu.defaults.username);
    const refused = await graphGet(emu, agent, 'v1.0/me', cae.token);
    expect(refused.status).toBe(401);
    const claims = Buffer.from(challenge(refused.headers.get('www-authenticate'))['claims']!, 'base64').toString('utf8');
    const error = await capable.acquireTokenSilent({ account: cae.account, scopes: SCOPES, claims }).catch((e: unknown) => e);
    // msal-node reports invalid_grant as a ServerError (not InteractionRequiredAuthError): the app signs in again.
    expect(error).toBeInstanceOf(ServerError);
    expect(error).toMatchObject({ errorCode: 'invalid_grant' });
    expect((error as ServerError).errorMessage).toContain('AADSTS50173');
  });

  it('the admin API raises the event too (POST /_emulator/cae-event)', async () => {
    const cae = await signIn(app(true));
    emu.clock.advance(60);
    const res = await fetch(`${emu.url}/_emulator/cae-event`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: emu.defaults.username }),
      dispatcher: agent,
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ users: 1 });
    expect((await graphGet(emu, agent, 'v1.0/me', cae.token)).status).toBe(401);
  });
});
