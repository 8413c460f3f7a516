// Managed identity cases against the emulator with Microsoft's own client (msal-node's
// ManagedIdentityApplication): only environment variables and the network client change.
// msal-node detects the identity source once per process (a static), so each protocol runs
// from its own test file (jest gives each file a fresh module registry).
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { ManagedIdentityApplication, type ManagedIdentityIdParams } from '@azure/msal-node';
import { fetch, type Agent } from 'undici';
import { DEFAULT_IDS, startEmulator, type Emulator } from '../src/index.js';
import { graphGet, jwtClaims, msalNetworkClient, trustingAgent } from './helpers.js';

const VARS = ['IDENTITY_ENDPOINT', 'IDENTITY_HEADER', 'AZURE_POD_IDENTITY_AUTHORITY_HOST'];
const GRAPH = 'https://graph.microsoft.com';

let emu: Emulator;
let agent: Agent;

export function setUpEmulator(): void {
  beforeAll(async () => {
    emu = await startEmulator({ port: 0 });
    agent = trustingAgent(emu.ca);
  });

  afterEach(() => {
    for (const v of VARS) delete process.env[v];
  });

  afterAll(async () => {
    await agent.close();
    await emu.stop();
  });
}

function useEnv(env: Record<string, string>): void {
  for (const v of VARS) delete process.env[v];
  Object.assign(process.env, env);
}

function miApp(managedIdentityIdParams?: ManagedIdentityIdParams) {
  return new ManagedIdentityApplication({
    ...(managedIdentityIdParams ? { managedIdentityIdParams } : {}),
    system: { networkClient: msalNetworkClient(agent) },
  });
}

const identities: Array<[string, ManagedIdentityIdParams | undefined, string, string]> = [
  ['system-assigned', undefined, DEFAULT_IDS.systemIdentityClientId, DEFAULT_IDS.systemIdentityObjectId],
  [
    'user-assigned by client id',
    { userAssignedClientId: DEFAULT_IDS.userIdentityClientId },
    DEFAULT_IDS.userIdentityClientId,
    DEFAULT_IDS.userIdentityObjectId,
  ],
  [
    'user-assigned by resource id',
    { userAssignedResourceId: DEFAULT_IDS.userIdentityResourceId },
    DEFAULT_IDS.userIdentityClientId,
    DEFAULT_IDS.userIdentityObjectId,
  ],
  [
    'user-assigned by object id',
    { userAssignedObjectId: DEFAULT_IDS.userIdentityObjectId },
    DEFAULT_IDS.userIdentityClientId,
    DEFAULT_IDS.userIdentityObjectId,
  ],
];

export function describeManagedIdentity(protocol: 'appService' | 'imds'): void {
  describe(`msal-node managed identity over ${protocol}`, () => {
    it.each(identities)(
      '%s: token is app-only for that identity and reads Graph',
      async (_name, params, clientId, objectId) => {
        useEnv(emu.managedIdentityEnv(protocol));
        const before = emu.requests().length;
        const result = await miApp(params).acquireToken({ resource: GRAPH, forceRefresh: true });
        const claims = jwtClaims(result.accessToken);
        expect(claims).toMatchObject({
          aud: GRAPH,
          appid: clientId,
          oid: objectId,
          idtyp: 'app',
          tid: DEFAULT_IDS.tenantId,
          roles: ['User.Read.All'],
        });
        expect(result.expiresOn!.getTime()).toBeGreaterThan(Date.now() + 3600_000);
        const path = protocol === 'imds' ? '/metadata/identity/oauth2/token' : '/msi/token';
        expect(
          emu
            .requests()
            .slice(before)
            .some((r) => r.path.replace(/\/$/, '') === path),
        ).toBe(true);
        const users = await graphGet(emu, agent, 'v1.0/users?$top=2', result.accessToken);
        expect(users.status).toBe(200);
      },
    );

    it('an unknown user-assigned identity fails in msal with the endpoint answer', async () => {
      useEnv(emu.managedIdentityEnv(protocol));
      const app = miApp({ userAssignedClientId: '0e0e0e0e-0000-4000-8000-00000000dead' });
      await expect(app.acquireToken({ resource: GRAPH, forceRefresh: true })).rejects.toMatchObject({
        errorCode: 'invalid_request',
        errorMessage: expect.stringContaining('Identity not found') as unknown as string,
      });
    });
  });
}

export function describeEndpointDetails(): void {
  describe('endpoint protocol details', () => {
    it('IMDS refuses a request without Metadata: true; App Service one without the right X-IDENTITY-HEADER', async () => {
      const imds = await fetch(
        `${emu.url}/metadata/identity/oauth2/token?api-version=2018-02-01&resource=${GRAPH}`,
        { dispatcher: agent },
      );
      expect(imds.status).toBe(400);
      expect(await imds.json()).toEqual({
        error: 'invalid_request',
        error_description: 'Required metadata header not specified',
      });
      const env = emu.managedIdentityEnv('appService');
      const url = `${env['IDENTITY_ENDPOINT']}?api-version=2019-08-01&resource=${GRAPH}`;
      const missing = await fetch(url, { dispatcher: agent });
      expect(missing.status).toBe(401);
      const text = await (
        await fetch(url, { dispatcher: agent, headers: { 'x-identity-header': 'wrong' } })
      ).text();
      expect(text).not.toContain(env['IDENTITY_HEADER']);
      const ok = await fetch(url, {
        dispatcher: agent,
        headers: { 'x-identity-header': env['IDENTITY_HEADER']! },
      });
      expect(ok.status).toBe(200);
      const body = (await ok.json()) as Record<string, string>;
      expect(Object.keys(body).sort()).toEqual([
        'access_token',
        'client_id',
        'expires_on',
        'resource',
        'token_type',
      ]);
      expect(body['expires_on']).toMatch(/^\d+$/);
      expect(body['client_id']).toBe(DEFAULT_IDS.systemIdentityClientId);
    });

    it('wrong api-version, missing resource and a non-Graph resource are 400s', async () => {
      const h = { metadata: 'true' };
      const base = `${emu.url}/metadata/identity/oauth2/token`;
      for (const q of [
        'api-version=2019-08-01&resource=' + GRAPH,
        'api-version=2018-02-01',
        'api-version=2018-02-01&resource=https://vault.azure.net',
      ]) {
        const res = await fetch(`${base}?${q}`, { dispatcher: agent, headers: h });
        expect(res.status).toBe(400);
      }
    });
  });
}
