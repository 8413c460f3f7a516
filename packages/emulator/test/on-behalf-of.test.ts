// On-behalf-of, checked with msal-node: a client gets a token for the default seed's web API
// (api://{webApiClientId}/access_as_user); the web API exchanges it with
// acquireTokenOnBehalfOf for a Graph token of the same user. Entra's refusals where it gives them.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ConfidentialClientApplication, PublicClientApplication } from '@azure/msal-node';
import type { Agent } from 'undici';
import { DEFAULT_IDS, defaultSeed, startEmulator, type Emulator } from '../src/index.js';
import { graphGet, jwtClaims, msalAuthConfig, msalNetworkClient, trustingAgent } from './helpers.js';

const API_SCOPE = `api://${DEFAULT_IDS.webApiClientId}/access_as_user`;
const GRAPH_SCOPES = ['https://graph.microsoft.com/User.Read'];
const UNCONSENTED_API_ID = 'd4d4d4d4-0000-4000-8000-000000000004';

let emu: Emulator;
let agent: Agent;

beforeAll(async () => {
  const seed = defaultSeed();
  // A second web API nobody consented to Graph for.
  seed.tenants[0]!.apps.push({ clientId: UNCONSENTED_API_ID, displayName: 'unconsented API', secrets: ['unconsented-secret'], api: { scopes: ['access_as_user'] } });
  seed.tenants[0]!.apps.find((a) => a.clientId === DEFAULT_IDS.publicClientId)!.delegatedConsents!.push({
    scopes: [`api://${UNCONSENTED_API_ID}/access_as_user`],
    users: '*',
  });
  emu = await startEmulator({ port: 0, seed });
  agent = trustingAgent(emu.ca);
});

afterAll(async () => {
  await agent.close();
  await emu.stop();
});

function webApi(clientId: string = DEFAULT_IDS.webApiClientId, clientSecret: string = DEFAULT_IDS.webApiClientSecret): ConfidentialClientApplication {
  return new ConfidentialClientApplication({
    auth: { clientId, clientSecret, ...msalAuthConfig(emu) },
    system: { networkClient: msalNetworkClient(agent) },
  });
}

async function callerToken(scope = API_SCOPE): Promise<string> {
  const client = new PublicClientApplication({
    auth: { clientId: emu.defaults.publicClientId, ...msalAuthConfig(emu) },
    system: { networkClient: msalNetworkClient(agent) },
  });
  const result = await client.acquireTokenByUsernamePassword({ scopes: [scope], username: emu.defaults.username, password: emu.defaults.password });
  return result!.accessToken;
}

const oboRequests = (): number => emu.requests().filter((r) => r.grantType === 'urn:ietf:params:oauth:grant-type:jwt-bearer').length;

describe('on-behalf-of (msal-node acquireTokenOnBehalfOf)', () => {
  it("a client's token for the web API: aud is its identifier URI, scp its scope", async () => {
    const claims = jwtClaims(await callerToken());
    expect(claims).toMatchObject({ aud: `api://${DEFAULT_IDS.webApiClientId}`, scp: 'access_as_user', appid: emu.defaults.publicClientId, idtyp: 'user' });
  });

  it('the web API exchanges it for a Graph token of the same user; msal-node caches it per assertion', async () => {
    const assertion = await callerToken();
    const api = webApi();
    const before = oboRequests();
    const result = await api.acquireTokenOnBehalfOf({ oboAssertion: assertion, scopes: GRAPH_SCOPES });
    const claims = jwtClaims(result!.accessToken);
    expect(claims).toMatchObject({ aud: 'https://graph.microsoft.com', appid: DEFAULT_IDS.webApiClientId, oid: jwtClaims(assertion)['oid'] });
    const me = await graphGet(emu, agent, 'v1.0/me', result!.accessToken);
    expect(me.status).toBe(200);
    expect((me.body['userPrincipalName'] as string).toLowerCase()).toBe(emu.defaults.username.toLowerCase());
    const again = await api.acquireTokenOnBehalfOf({ oboAssertion: assertion, scopes: GRAPH_SCOPES });
    expect(again!.accessToken).toBe(result!.accessToken);
    expect(oboRequests()).toBe(before + 1);
  });

  it('a token addressed to another audience is AADSTS50013', async () => {
    const graphToken = await callerToken('https://graph.microsoft.com/User.Read');
    const error = await webApi().acquireTokenOnBehalfOf({ oboAssertion: graphToken, scopes: GRAPH_SCOPES }).catch((e: unknown) => e);
    expect(error).toMatchObject({ errorCode: 'invalid_grant' });
    expect((error as { errorMessage: string }).errorMessage).toMatch(/AADSTS50013: Assertion failed signature validation\. \[Reason - Assertion audience does not match/);
  });

  it('an expired assertion is AADSTS500133', async () => {
    const assertion = await callerToken();
    emu.clock.advance(3_600);
    const error = await webApi().acquireTokenOnBehalfOf({ oboAssertion: assertion, scopes: GRAPH_SCOPES }).catch((e: unknown) => e);
    expect((error as { errorMessage: string }).errorMessage).toContain('AADSTS500133');
  });

  it('a web API without consent for Graph is AADSTS65001 (consent_required)', async () => {
    const assertion = await callerToken(`api://${UNCONSENTED_API_ID}/access_as_user`);
    const error = await webApi(UNCONSENTED_API_ID, 'unconsented-secret').acquireTokenOnBehalfOf({ oboAssertion: assertion, scopes: GRAPH_SCOPES }).catch((e: unknown) => e);
    expect(error).toMatchObject({ subError: 'consent_required' });
    expect((error as { errorMessage: string }).errorMessage).toContain('AADSTS65001');
  });

  it('an unknown scope of the web API is AADSTS70011; a client without consent for it is 65001', async () => {
    await expect(callerToken(`api://${DEFAULT_IDS.webApiClientId}/no_such_scope`)).rejects.toMatchObject({ errorCode: 'invalid_scope' });
    const confidential = new ConfidentialClientApplication({
      auth: { clientId: DEFAULT_IDS.webApiClientId, clientSecret: DEFAULT_IDS.webApiClientSecret, ...msalAuthConfig(emu) },
      system: { networkClient: msalNetworkClient(agent) },
    });
    const error = await confidential
      .acquireTokenByUsernamePassword({ scopes: [`api://${UNCONSENTED_API_ID}/access_as_user`], username: emu.defaults.username, password: emu.defaults.password })
      .catch((e: unknown) => e);
    expect((error as { errorMessage: string }).errorMessage).toContain('AADSTS65001');
  });
});
