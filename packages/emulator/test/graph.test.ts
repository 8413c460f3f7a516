// Graph's users API: token validation like Graph, permissions, OData query options, paging.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { generateKeyPairSync } from 'node:crypto';
import { fetch, type Agent } from 'undici';
import { signJwt } from '../src/jwt.js';
import { defaultSeed, startEmulator, type Emulator } from '../src/index.js';
import { graphGet, jwtClaims, tokenRequest, trustingAgent } from './helpers.js';

let emu: Emulator;
let agent: Agent;
let appToken: string;
let userToken: string;
let basicOnlyToken: string;
const limitedApp = 'bbbbbbbb-cccc-4ddd-8eee-ffffffffffff';

beforeAll(async () => {
  const seed = defaultSeed();
  seed.tenants[0]!.apps.push({
    clientId: limitedApp,
    displayName: 'User.Read only',
    publicClient: true,
    delegatedConsents: [{ scopes: ['User.Read', 'openid', 'offline_access'], users: '*' }],
  });
  // The default seed without a certificate is fine here: no assertions in this file.
  emu = await startEmulator({ port: 0, seed });
  agent = trustingAgent(emu.ca);
  // Later changes to the seed object do not reach the running emulator.
  seed.tenants[0]!.apps[0]!.secrets = ['changed-after-start'];
  appToken = String(
    (await tokenRequest(emu, agent, { grant_type: 'client_credentials', client_id: emu.defaults.clientId, client_secret: emu.defaults.clientSecret, scope: 'https://graph.microsoft.com/.default' })).body['access_token'],
  );
  userToken = String(
    (await tokenRequest(emu, agent, { grant_type: 'password', client_id: emu.defaults.publicClientId, username: emu.defaults.username, password: emu.defaults.password, scope: 'User.Read' })).body['access_token'],
  );
  basicOnlyToken = String(
    (await tokenRequest(emu, agent, { grant_type: 'password', client_id: limitedApp, username: emu.defaults.username, password: emu.defaults.password, scope: 'User.Read' })).body['access_token'],
  );
});

afterAll(async () => {
  await agent.close();
  await emu.stop();
});

function expectGraphError(res: { status: number; body: Record<string, unknown>; headers: Headers }, status: number, code: string) {
  expect(res.status).toBe(status);
  const error = res.body['error'] as Record<string, unknown>;
  expect(error['code']).toBe(code);
  expect(typeof error['message']).toBe('string');
  expect((error['innerError'] as Record<string, unknown>)['request-id']).toBe(res.headers.get('request-id'));
  return error;
}

describe('/me', () => {
  it('answers the signed-in user with @odata.context, request-id and client-request-id', async () => {
    const res = await graphGet(emu, agent, 'v1.0/me', userToken, { 'client-request-id': '11111111-0000-4000-8000-000000000000' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      '@odata.context': `${emu.url}/v1.0/$metadata#users/$entity`,
      userPrincipalName: emu.defaults.username,
      displayName: 'Adele Vance',
    });
    expect(Object.keys(res.body)).toEqual(['@odata.context', 'businessPhones', 'displayName', 'givenName', 'jobTitle', 'mail', 'mobilePhone', 'officeLocation', 'preferredLanguage', 'surname', 'userPrincipalName', 'id']);
    expect(res.headers.get('request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.headers.get('client-request-id')).toBe('11111111-0000-4000-8000-000000000000');
  });

  it('$select and /beta', async () => {
    const res = await graphGet(emu, agent, 'beta/me?$select=displayName,mail', userToken);
    expect(res.body).toEqual({ '@odata.context': `${emu.url}/beta/$metadata#users(displayName,mail)/$entity`, displayName: 'Adele Vance', mail: emu.defaults.username });
    expectGraphError(await graphGet(emu, agent, 'v1.0/me?$select=shoeSize', userToken), 400, 'BadRequest');
  });

  it('an app-only token gets 400 BadRequest', async () => {
    const error = expectGraphError(await graphGet(emu, agent, 'v1.0/me', appToken), 400, 'BadRequest');
    expect(error['message']).toBe('/me request is only valid with delegated authentication flow.');
  });
});

describe('/oidc/userinfo', () => {
  it('answers the OpenID claims of the user, and 401 for an app token', async () => {
    const res = await graphGet(emu, agent, `${emu.url}/oidc/userinfo`, userToken);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ name: 'Adele Vance', given_name: 'Adele', family_name: 'Vance', email: emu.defaults.username });
    expect(typeof res.body['sub']).toBe('string');
    expect((await graphGet(emu, agent, `${emu.url}/oidc/userinfo`, appToken)).status).toBe(401);
  });
});

describe('token validation', () => {
  const expect401 = async (token: string | undefined, message: RegExp) => {
    const res = await graphGet(emu, agent, 'v1.0/me', token);
    const error = expectGraphError(res, 401, 'InvalidAuthenticationToken');
    expect(String(error['message'])).toMatch(message);
    expect(res.headers.get('www-authenticate')).toBe(
      `Bearer realm="", authorization_uri="${emu.authorityHost}/common/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000"`,
    );
  };

  it('missing, garbage, badly signed, wrong audience', async () => {
    await expect401(undefined, /Access token is empty/);
    await expect401('garbage', /JWT is not well formed/);
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const claims = jwtClaims(userToken);
    const header = JSON.parse(Buffer.from(userToken.split('.')[0]!, 'base64url').toString()) as Record<string, unknown>;
    await expect401(signJwt(claims, privateKey, { kid: header['kid'] }), /Invalid signature/);
    // Tamper with the payload, keep the signature.
    const [h, , s] = userToken.split('.');
    const forged = Buffer.from(JSON.stringify({ ...claims, scp: 'User.ReadWrite.All' })).toString('base64url');
    await expect401(`${h}.${forged}.${s}`, /Invalid signature/);
    const idToken = String(
      (await tokenRequest(emu, agent, { grant_type: 'password', client_id: emu.defaults.publicClientId, username: emu.defaults.username, password: emu.defaults.password, scope: 'User.Read openid' })).body['id_token'],
    );
    await expect401(idToken, /Invalid audience/);
  });

  it('expired by the emulator clock', async () => {
    const e = await startEmulator({ port: 0 });
    const a = trustingAgent(e.ca);
    try {
      const token = String((await tokenRequest(e, a, { grant_type: 'client_credentials', client_id: e.defaults.clientId, client_secret: e.defaults.clientSecret, scope: 'https://graph.microsoft.com/.default' })).body['access_token']);
      expect((await graphGet(e, a, 'v1.0/users?$top=1', token)).status).toBe(200);
      e.clock.advance(3600);
      const res = await graphGet(e, a, 'v1.0/users?$top=1', token);
      expect(res.status).toBe(401);
      expect(String((res.body['error'] as Record<string, unknown>)['message'])).toMatch(/token is expired/);
    } finally {
      await a.close();
      await e.stop();
    }
  });
});

describe('/users', () => {
  it('permissions: app role User.Read.All and delegated User.ReadBasic.All list; User.Read alone gets 403', async () => {
    expect((await graphGet(emu, agent, 'v1.0/users', appToken)).status).toBe(200);
    expect((await graphGet(emu, agent, 'v1.0/users', userToken)).status).toBe(200);
    const error = expectGraphError(await graphGet(emu, agent, 'v1.0/users', basicOnlyToken), 403, 'Authorization_RequestDenied');
    expect(error['message']).toBe('Insufficient privileges to complete the operation.');
    // ...but User.Read may read its own user by id.
    const me = await graphGet(emu, agent, 'v1.0/me', basicOnlyToken);
    expect((await graphGet(emu, agent, `v1.0/users/${String(me.body['id'])}`, basicOnlyToken)).status).toBe(200);
  });

  it('pages with $top and @odata.nextLink until every user is seen', async () => {
    const seen: string[] = [];
    let next: string | undefined = `${emu.graphUrl}v1.0/users?$top=10&$select=id,displayName`;
    let pages = 0;
    while (next && pages < 10) {
      const res = await graphGet(emu, agent, next, appToken);
      expect(res.status).toBe(200);
      seen.push(...(res.body['value'] as Array<{ id: string }>).map((u) => u.id));
      next = res.body['@odata.nextLink'] as string | undefined;
      if (next) expect(next).toMatch(/\$skiptoken=/);
      pages++;
    }
    expect(pages).toBe(3);
    expect(new Set(seen).size).toBe(25);
  });

  it('$filter eq / startswith / and / or, case-insensitive like the directory', async () => {
    const names = async (filter: string) =>
      ((await graphGet(emu, agent, `v1.0/users?$filter=${encodeURIComponent(filter)}&$select=displayName`, appToken)).body['value'] as Array<{ displayName: string }>).map((u) => u.displayName);
    expect(await names(`userPrincipalName eq '${emu.defaults.username.toUpperCase()}'`)).toEqual(['Adele Vance']);
    expect(await names("startswith(displayName,'al')")).toEqual(['Alex Wilber', 'Allan Deyoung']);
    expect(await names("startswith(displayName,'A') and jobTitle eq 'IT Admin'")).toEqual(['Allan Deyoung']);
    expect(await names("givenName eq 'Lee' or givenName eq 'Joni'")).toEqual(['Joni Sherman', 'Lee Gu']);
    const bad = await graphGet(emu, agent, `v1.0/users?$filter=${encodeURIComponent("displayName eq 'x")}`, appToken);
    expectGraphError(bad, 400, 'BadRequest');
  });

  it('advanced queries: $filter with $orderby, ne, not, endswith need ConsistencyLevel: eventual and $count=true', async () => {
    const eventual = { ConsistencyLevel: 'eventual' };
    const q = (query: string, headers: Record<string, string> = {}) => graphGet(emu, agent, `v1.0/users?${query}`, appToken, headers);
    const filterAndSort = `$filter=${encodeURIComponent("startswith(displayName,'a')")}&$orderby=displayName desc&$select=displayName`;
    const refused = await q(filterAndSort);
    expect((expectGraphError(refused, 400, 'Request_UnsupportedQuery'))['message']).toBe('Sorting not supported for current query.');
    const allowed = await q(`${filterAndSort}&$count=true`, eventual);
    expect(allowed.status).toBe(200);
    expect((allowed.body['value'] as Array<{ displayName: string }>).map((u) => u.displayName)).toEqual(['Allan Deyoung', 'Alex Wilber', 'Adele Vance']);
    expect(allowed.body['@odata.count']).toBe(3);
    for (const filter of ["jobTitle ne 'Director'", "not startswith(displayName,'a')", "endswith(mail,'@contoso.onmicrosoft.com')"]) {
      expectGraphError(await q(`$filter=${encodeURIComponent(filter)}`), 400, 'Request_UnsupportedQuery');
      expect((await q(`$filter=${encodeURIComponent(filter)}&$count=true`, eventual)).status).toBe(200);
    }
  });

  it('$orderby desc, $count with ConsistencyLevel', async () => {
    const res = await graphGet(emu, agent, 'v1.0/users?$orderby=displayName desc&$top=2&$select=displayName&$count=true', appToken, { ConsistencyLevel: 'eventual' });
    expect(res.body['@odata.count']).toBe(25);
    expect((res.body['value'] as Array<{ displayName: string }>).map((u) => u.displayName)).toEqual(['Pradeep Gupta', 'Patti Fernandez']);
    expectGraphError(await graphGet(emu, agent, 'v1.0/users?$top=1000', appToken), 400, 'Request_BadRequest');
  });

  it('/users/{id | userPrincipalName}, 404 Request_ResourceNotFound for unknown users', async () => {
    const byUpn = await graphGet(emu, agent, `v1.0/users/${encodeURIComponent(emu.defaults.username)}`, appToken);
    expect(byUpn.status).toBe(200);
    const byId = await graphGet(emu, agent, `v1.0/users/${String(byUpn.body['id'])}`, appToken);
    expect(byId.body['userPrincipalName']).toBe(emu.defaults.username);
    expectGraphError(await graphGet(emu, agent, 'v1.0/users/nobody@contoso.onmicrosoft.com', appToken), 404, 'Request_ResourceNotFound');
  });

  it('unknown segments and methods', async () => {
    expectGraphError(await graphGet(emu, agent, 'v1.0/groups', appToken), 400, 'BadRequest');
    const res = await fetch(`${emu.graphUrl}v1.0/me`, { method: 'DELETE', headers: { authorization: `Bearer ${userToken}` }, dispatcher: agent });
    expect(res.status).toBe(405);
  });
});
