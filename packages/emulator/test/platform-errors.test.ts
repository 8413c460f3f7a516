// The identity platform's error answers: every AADSTS code the issue lists, in Entra's shape.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash, createPrivateKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import { fetch, type Agent } from 'undici';
import { signJwt } from '../src/jwt.js';
import { defaultSeed, startEmulator, type Emulator, type EmulatorSeed } from '../src/index.js';
import { parseForm, submitForm, tokenRequest, trustingAgent } from './helpers.js';

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

/** Asserts Entra's error shape and returns the body. */
function expectAadError(res: { status: number; body: Record<string, unknown> }, status: number, error: string, code: number) {
  expect(res.status).toBe(status);
  expect(res.body['error']).toBe(error);
  expect(String(res.body['error_description'])).toMatch(new RegExp(`^AADSTS${code}: `));
  expect(res.body['error_codes']).toEqual([code]);
  expect(String(res.body['timestamp'])).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$/);
  expect(String(res.body['trace_id'])).toMatch(/^[0-9a-f-]{36}$/);
  expect(String(res.body['correlation_id'])).toMatch(/^[0-9a-f-]{36}$/);
  return res.body;
}

const pkce = () => {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
};

/** Runs the authorize page over HTTP and returns the code (or the redirect's error). */
async function authorize(
  e: Emulator,
  a: Agent,
  q: Record<string, string>,
  creds = { username: e.defaults.username, password: e.defaults.password },
): Promise<URL> {
  const url = new URL(`${e.authorityHost}/${e.defaults.tenantId}/oauth2/v2.0/authorize`);
  for (const [k, v] of Object.entries({ response_type: 'code', ...q })) url.searchParams.set(k, v);
  const page = await fetch(url, { dispatcher: a, redirect: 'manual' });
  expect(page.status).toBe(200);
  const form = parseForm(await page.text());
  const res = await submitForm(e, a, form.action, { ...form.fields, login: creds.username, passwd: creds.password, action: 'signin' });
  expect(res.status).toBe(302);
  return new URL(res.headers.get('location')!);
}

describe('error shape', () => {
  it('echoes client-request-id as correlation_id and the header', async () => {
    const id = '0f0e0d0c-0b0a-4908-8706-050403020100';
    const res = await tokenRequest(emu, agent, { grant_type: 'client_credentials', client_id: emu.defaults.clientId, client_secret: 'x', scope: 'https://graph.microsoft.com/.default' }, undefined, { 'client-request-id': id });
    expect(res.body['correlation_id']).toBe(id);
    expect(res.headers.get('client-request-id')).toBe(id);
    expect(String(res.body['error_description'])).toContain(`Correlation ID: ${id}`);
  });

  it('error_description ends with the CRLF-separated trailer Entra writes', async () => {
    const res = await tokenRequest(emu, agent, { grant_type: 'client_credentials', client_id: emu.defaults.clientId, client_secret: 'x', scope: 'https://graph.microsoft.com/.default' });
    const b = res.body;
    const [first, ...rest] = String(b['error_description']).split('\r\n');
    expect(first).toMatch(/^AADSTS7000215: Invalid client secret provided\./);
    expect(rest).toEqual([`Trace ID: ${String(b['trace_id'])}`, `Correlation ID: ${String(b['correlation_id'])}`, `Timestamp: ${String(b['timestamp'])}`]);
  });
});

describe('tenant and client', () => {
  it('unknown tenant: AADSTS90002 from the token endpoint and the OpenID configuration', async () => {
    const tenant = '00000000-1111-4222-8333-444444444444';
    expectAadError(await tokenRequest(emu, agent, { grant_type: 'client_credentials', client_id: emu.defaults.clientId, client_secret: emu.defaults.clientSecret, scope: 'https://graph.microsoft.com/.default' }, tenant), 400, 'invalid_request', 90002);
    const res = await fetch(`${emu.authorityHost}/${tenant}/v2.0/.well-known/openid-configuration`, { dispatcher: agent });
    expectAadError({ status: res.status, body: (await res.json()) as Record<string, unknown> }, 400, 'invalid_request', 90002);
  });

  it('the tenant domain works like its id', async () => {
    const res = await tokenRequest(emu, agent, { grant_type: 'client_credentials', client_id: emu.defaults.clientId, client_secret: emu.defaults.clientSecret, scope: 'https://graph.microsoft.com/.default' }, 'contoso.onmicrosoft.com');
    expect(res.status).toBe(200);
  });

  it('unknown client: AADSTS700016', async () => {
    expectAadError(await tokenRequest(emu, agent, { grant_type: 'client_credentials', client_id: '99999999-9999-4999-8999-999999999999', client_secret: 'x', scope: 'https://graph.microsoft.com/.default' }), 400, 'unauthorized_client', 700016);
  });

  it('wrong secret: AADSTS7000215 (401); missing secret: AADSTS7000218; secret on a public app: AADSTS700025', async () => {
    const base = { grant_type: 'client_credentials', client_id: emu.defaults.clientId, scope: 'https://graph.microsoft.com/.default' };
    expectAadError(await tokenRequest(emu, agent, { ...base, client_secret: 'nope' }), 401, 'invalid_client', 7000215);
    expectAadError(await tokenRequest(emu, agent, base), 401, 'invalid_client', 7000218);
    expectAadError(await tokenRequest(emu, agent, { ...base, client_id: emu.defaults.publicClientId, client_secret: 'x' }), 401, 'invalid_client', 700025);
    expectAadError(await tokenRequest(emu, agent, { ...base, client_id: emu.defaults.publicClientId }), 401, 'invalid_client', 7000218);
  });

  it('client_secret_basic is accepted', async () => {
    const basic = Buffer.from(`${emu.defaults.clientId}:${encodeURIComponent(emu.defaults.clientSecret)}`).toString('base64');
    const res = await tokenRequest(emu, agent, { grant_type: 'client_credentials', scope: 'https://graph.microsoft.com/.default' }, undefined, { authorization: `Basic ${basic}` });
    expect(res.status).toBe(200);
  });
});

describe('client assertions', () => {
  const tokenUrl = () => `${emu.authorityHost}/${emu.defaults.tenantId}/oauth2/v2.0/token`;
  const x5t = () => Buffer.from(emu.defaults.certificate.thumbprint, 'hex').toString('base64url');
  const claims = (over: Record<string, unknown> = {}) => {
    const now = Math.floor(Date.now() / 1000);
    return { aud: tokenUrl(), iss: emu.defaults.clientId, sub: emu.defaults.clientId, jti: randomBytes(8).toString('hex'), nbf: now, iat: now, exp: now + 600, ...over };
  };
  const send = (assertion: string) =>
    tokenRequest(emu, agent, {
      grant_type: 'client_credentials',
      client_id: emu.defaults.clientId,
      scope: 'https://graph.microsoft.com/.default',
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: assertion,
    });
  const { privateKey: otherKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });

  it('a valid assertion is accepted', async () => {
    const res = await send(signJwt(claims(), createPrivateKey(emu.defaults.certificate.privateKey), { x5t: x5t() }));
    expect(res.status).toBe(200);
  });

  it('signed by another key: AADSTS700027', async () => {
    expectAadError(await send(signJwt(claims(), otherKey, { x5t: x5t() })), 401, 'invalid_client', 700027);
  });

  it('unknown thumbprint: AADSTS700027 naming the thumbprint', async () => {
    const body = expectAadError(await send(signJwt(claims(), otherKey, { x5t: Buffer.alloc(20, 7).toString('base64url') })), 401, 'invalid_client', 700027);
    expect(String(body['error_description'])).toContain('The key was not found');
  });

  it('wrong audience: AADSTS700027; expired: AADSTS700024; iss/sub not the client: AADSTS700021; garbage: AADSTS700027', async () => {
    const key = createPrivateKey(emu.defaults.certificate.privateKey);
    expectAadError(await send(signJwt(claims({ aud: 'https://example.com/token' }), key, { x5t: x5t() })), 401, 'invalid_client', 700027);
    const past = Math.floor(Date.now() / 1000) - 7200;
    expectAadError(await send(signJwt(claims({ nbf: past, iat: past, exp: past + 600 }), key, { x5t: x5t() })), 401, 'invalid_client', 700024);
    expectAadError(await send(signJwt(claims({ iss: 'someone-else' }), key, { x5t: x5t() })), 401, 'invalid_client', 700021);
    expectAadError(await send('not.a.jwt'), 401, 'invalid_client', 700027);
  });
});

describe('user credentials and scopes', () => {
  const ropc = (over: Record<string, string>) =>
    tokenRequest(emu, agent, { grant_type: 'password', client_id: emu.defaults.publicClientId, username: emu.defaults.username, password: emu.defaults.password, scope: 'User.Read offline_access', ...over });

  it('wrong password or unknown user: AADSTS50126', async () => {
    expectAadError(await ropc({ password: 'wrong' }), 400, 'invalid_grant', 50126);
    expectAadError(await ropc({ username: 'nobody@contoso.onmicrosoft.com' }), 400, 'invalid_grant', 50126);
  });

  it('MFA user via ROPC: AADSTS50076 with suberror basic_action', async () => {
    const body = expectAadError(await ropc({ username: emu.defaults.mfaUsername }), 400, 'invalid_grant', 50076);
    expect(body['suberror']).toBe('basic_action');
  });

  it('invalid scope: AADSTS70011; unknown resource: AADSTS500011; client credentials without .default: AADSTS1002012', async () => {
    expectAadError(await ropc({ scope: 'User.Fly' }), 400, 'invalid_scope', 70011);
    expectAadError(await ropc({ scope: 'https://graph.microsoft.com/.default User.Read' }), 400, 'invalid_scope', 70011);
    expectAadError(await ropc({ scope: 'https://contoso.example/Things.Read' }), 400, 'invalid_resource', 500011);
    // Scopes of two resources in one request: AADSTS700022 (InvalidMultipleResourcesScope).
    expectAadError(await ropc({ scope: 'User.Read https://contoso.example/Things.Read offline_access' }), 400, 'invalid_scope', 700022);
    // Graph by URI and by app id is still one resource.
    expect((await ropc({ scope: 'https://graph.microsoft.com/User.Read 00000003-0000-0000-c000-000000000000/User.ReadBasic.All' })).status).toBe(200);
    expectAadError(await tokenRequest(emu, agent, { grant_type: 'client_credentials', client_id: emu.defaults.clientId, client_secret: emu.defaults.clientSecret, scope: 'User.Read' }), 400, 'invalid_scope', 1002012);
  });

  it('accepts every spelling of Graph scopes and echoes them as requested', async () => {
    for (const [scope, aud, echoed] of [
      ['https://graph.microsoft.com/User.Read openid', 'https://graph.microsoft.com', 'https://graph.microsoft.com/User.Read'],
      ['User.Read', '00000003-0000-0000-c000-000000000000', 'User.Read'],
      ['https://graph.microsoft.com/.default', 'https://graph.microsoft.com', 'https://graph.microsoft.com/.default'],
      ['openid profile offline_access', '00000003-0000-0000-c000-000000000000', 'openid'],
    ] as const) {
      const res = await ropc({ scope });
      expect(res.status).toBe(200);
      expect(String(res.body['scope']).split(' ')).toContain(echoed);
      const claims = JSON.parse(Buffer.from(String(res.body['access_token']).split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
      expect(claims['aud']).toBe(aud);
      expect(String(claims['scp']).split(' ')).toEqual(expect.arrayContaining(['User.Read', 'User.ReadBasic.All']));
    }
  });

  it('missing parameters: AADSTS900144; unknown grant: AADSTS70003; GET: AADSTS900561', async () => {
    expectAadError(await tokenRequest(emu, agent, { client_id: emu.defaults.publicClientId }), 400, 'invalid_request', 900144);
    expectAadError(await ropc({ username: '' }), 400, 'invalid_request', 900144);
    expectAadError(await tokenRequest(emu, agent, { grant_type: 'magic', client_id: emu.defaults.publicClientId }), 400, 'unsupported_grant_type', 70003);
    const res = await fetch(`${emu.authorityHost}/${emu.defaults.tenantId}/oauth2/v2.0/token`, { dispatcher: agent });
    expectAadError({ status: res.status, body: (await res.json()) as Record<string, unknown> }, 400, 'invalid_request', 900561);
  });
});

describe('authorization codes', () => {
  const redirectUri = 'http://localhost:8765/cb';

  it('redirect URI not registered: AADSTS50011 error page, no redirect', async () => {
    const url = `${emu.authorityHost}/${emu.defaults.tenantId}/oauth2/v2.0/authorize?client_id=${emu.defaults.publicClientId}&response_type=code&scope=User.Read&redirect_uri=${encodeURIComponent('https://evil.example/cb')}`;
    const res = await fetch(url, { dispatcher: agent, redirect: 'manual' });
    expect(res.status).toBe(400);
    expect(res.headers.get('location')).toBeNull();
    expect(await res.text()).toContain('AADSTS50011');
  });

  it('loopback redirect URIs match on any port, and nativeclient is registered', async () => {
    for (const uri of ['http://localhost:1/x', 'http://127.0.0.1:65000/', 'https://login.microsoftonline.com/common/oauth2/nativeclient', `${emu.url}/common/oauth2/nativeclient`]) {
      const { challenge } = pkce();
      const location = await authorize(emu, agent, { client_id: emu.defaults.publicClientId, redirect_uri: uri, scope: 'User.Read', code_challenge: challenge, code_challenge_method: 'S256' });
      expect(location.searchParams.get('code')).toBeTruthy();
    }
  });

  it('reused code: AADSTS54005; PKCE mismatch: AADSTS501481; redirect mismatch: AADSTS500112; expired: AADSTS70008', async () => {
    const redeem = (code: string, verifier: string, uri = redirectUri) =>
      tokenRequest(emu, agent, { grant_type: 'authorization_code', client_id: emu.defaults.publicClientId, code, redirect_uri: uri, code_verifier: verifier, scope: 'User.Read' });
    const first = pkce();
    const code1 = (await authorize(emu, agent, { client_id: emu.defaults.publicClientId, redirect_uri: redirectUri, scope: 'User.Read', code_challenge: first.challenge, code_challenge_method: 'S256' })).searchParams.get('code')!;
    expectAadError(await redeem(code1, 'wrong-verifier-wrong-verifier-wrong-verifier'), 400, 'invalid_grant', 501481);
    // Any redemption attempt burns the code, a failed one included.
    expectAadError(await redeem(code1, first.verifier), 400, 'invalid_grant', 54005);

    const second = pkce();
    const code2 = (await authorize(emu, agent, { client_id: emu.defaults.publicClientId, redirect_uri: redirectUri, scope: 'User.Read', code_challenge: second.challenge, code_challenge_method: 'S256' })).searchParams.get('code')!;
    expectAadError(await redeem(code2, second.verifier, 'http://localhost:8765/other'), 400, 'invalid_grant', 500112);

    const fourth = pkce();
    const code4 = (await authorize(emu, agent, { client_id: emu.defaults.publicClientId, redirect_uri: redirectUri, scope: 'User.Read', code_challenge: fourth.challenge, code_challenge_method: 'S256' })).searchParams.get('code')!;
    const ok = await redeem(code4, fourth.verifier);
    expect(ok.status).toBe(200);
    expectAadError(await redeem(code4, fourth.verifier), 400, 'invalid_grant', 54005);

    const third = pkce();
    const code3 = (await authorize(emu, agent, { client_id: emu.defaults.publicClientId, redirect_uri: redirectUri, scope: 'User.Read', code_challenge: third.challenge, code_challenge_method: 'S256' })).searchParams.get('code')!;
    emu.clock.advance(601);
    expectAadError(await redeem(code3, third.verifier), 400, 'invalid_grant', 70008);
  });

  it('state round-trips; cancel gives access_denied (AADSTS65004); prompt=none needs a session', async () => {
    const base = `${emu.authorityHost}/${emu.defaults.tenantId}/oauth2/v2.0/authorize?client_id=${emu.defaults.publicClientId}&response_type=code&scope=User.Read&redirect_uri=${encodeURIComponent(redirectUri)}&state=s1`;
    const page = await fetch(base, { dispatcher: agent });
    const form = parseForm(await page.text());
    const cancelled = await submitForm(emu, agent, form.action, { ...form.fields, action: 'cancel' });
    const loc = new URL(cancelled.headers.get('location')!);
    expect(loc.searchParams.get('error')).toBe('access_denied');
    expect(loc.searchParams.get('error_description')).toMatch(/^AADSTS65004: /);
    expect(loc.searchParams.get('state')).toBe('s1');

    const silent = await fetch(`${base}&prompt=none`, { dispatcher: agent, redirect: 'manual' });
    expect(new URL(silent.headers.get('location')!).searchParams.get('error')).toBe('login_required');

    // Sign in once; the session cookie then makes prompt=none succeed.
    const page2 = await fetch(base, { dispatcher: agent });
    const form2 = parseForm(await page2.text());
    const signedIn = await submitForm(emu, agent, form2.action, { ...form2.fields, login: emu.defaults.username, passwd: emu.defaults.password, action: 'signin' });
    const cookie = signedIn.headers.get('set-cookie')!.split(';')[0]!;
    const silent2 = await fetch(`${base}&prompt=none`, { dispatcher: agent, redirect: 'manual', headers: { cookie } });
    expect(new URL(silent2.headers.get('location')!).searchParams.get('code')).toBeTruthy();
  });

  it('a wrong password re-renders the form with the error, like Entra', async () => {
    const base = `${emu.authorityHost}/${emu.defaults.tenantId}/oauth2/v2.0/authorize?client_id=${emu.defaults.publicClientId}&response_type=code&scope=User.Read&redirect_uri=${encodeURIComponent(redirectUri)}&login_hint=${encodeURIComponent(emu.defaults.username)}`;
    const page = await fetch(base, { dispatcher: agent });
    const form = parseForm(await page.text());
    expect(form.fields['login']).toBe(emu.defaults.username);
    const res = await submitForm(emu, agent, form.action, { ...form.fields, passwd: 'bad', action: 'signin' });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('data-aadsts="50126"');
  });
});

describe('refresh tokens', () => {
  const login = async () =>
    (await tokenRequest(emu, agent, { grant_type: 'password', client_id: emu.defaults.publicClientId, username: emu.defaults.username, password: emu.defaults.password, scope: 'User.Read offline_access' })).body;
  const refresh = (rt: string) => tokenRequest(emu, agent, { grant_type: 'refresh_token', client_id: emu.defaults.publicClientId, refresh_token: rt, scope: 'User.Read offline_access' });

  it('rotates: each refresh answers a new refresh token', async () => {
    const rt = String((await login())['refresh_token']);
    const next = await refresh(rt);
    expect(next.status).toBe(200);
    expect(next.body['refresh_token']).toBeTruthy();
    expect(next.body['refresh_token']).not.toBe(rt);
  });

  it('revoked: AADSTS50173; expired by inactivity: AADSTS700082; unknown: AADSTS9002313', async () => {
    const rt1 = String((await login())['refresh_token']);
    emu.revokeRefreshTokens(emu.defaults.username);
    expectAadError(await refresh(rt1), 400, 'invalid_grant', 50173);
    const rt2 = String((await login())['refresh_token']);
    expect((await refresh(rt2)).status).toBe(200);
    emu.clock.advance(91 * 24 * 3600);
    expectAadError(await refresh(rt2), 400, 'invalid_grant', 700082);
    // Entra: `invalid_grant` with AADSTS9002313 for a refresh token it cannot read.
    expectAadError(await refresh('garbage'), 400, 'invalid_grant', 9002313);
  });

  it('a refresh token of another client: AADSTS70000', async () => {
    const rt = String((await login())['refresh_token']);
    expectAadError(
      await tokenRequest(emu, agent, { grant_type: 'refresh_token', client_id: emu.defaults.clientId, client_secret: emu.defaults.clientSecret, refresh_token: rt, scope: 'User.Read' }),
      400,
      'invalid_grant',
      70000,
    );
  });
});

describe('consent', () => {
  let e2: Emulator;
  let a2: Agent;
  const appId = 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee';
  beforeAll(async () => {
    const seed: EmulatorSeed = defaultSeed();
    seed.tenants[0]!.apps.push({
      clientId: appId,
      displayName: 'Unconsented app',
      publicClient: true,
      redirectUris: ['http://localhost'],
      delegatedConsents: [{ scopes: ['User.Read'], users: [seed.tenants[0]!.users[1]!.userPrincipalName] }],
    });
    e2 = await startEmulator({ port: 0, seed });
    a2 = trustingAgent(e2.ca);
  });
  afterAll(async () => {
    await a2.close();
    await e2.stop();
  });

  it('ROPC without consent: AADSTS65001 with suberror consent_required; consented user works', async () => {
    const base = { grant_type: 'password', client_id: appId, password: e2.defaults.password, scope: 'User.Read' };
    const body = expectAadError(await tokenRequest(e2, a2, { ...base, username: e2.defaults.username }), 400, 'invalid_grant', 65001);
    expect(body['suberror']).toBe('consent_required');
    expect((await tokenRequest(e2, a2, { ...base, username: 'AlexW@contoso.onmicrosoft.com' })).status).toBe(200);
    expectAadError(await tokenRequest(e2, a2, { ...base, username: 'AlexW@contoso.onmicrosoft.com', scope: 'User.ReadBasic.All' }), 400, 'invalid_grant', 65001);
  });

  it('authorize without consent redirects with consent_required and AADSTS65001', async () => {
    const { challenge } = pkce();
    const loc = await authorize(e2, a2, { client_id: appId, redirect_uri: 'http://localhost:9/cb', scope: 'User.Read', code_challenge: challenge, code_challenge_method: 'S256' });
    expect(loc.searchParams.get('error')).toBe('consent_required');
    expect(loc.searchParams.get('error_description')).toMatch(/^AADSTS65001: /);
  });
});

describe('device code over HTTP', () => {
  let e3: Emulator;
  let a3: Agent;
  beforeAll(async () => {
    e3 = await startEmulator({ port: 0, deviceCodeInterval: 5, deviceCodeExpiresIn: 60 });
    a3 = trustingAgent(e3.ca);
  });
  afterAll(async () => {
    await a3.close();
    await e3.stop();
  });
  const start = async () => {
    const res = await fetch(`${e3.authorityHost}/${e3.defaults.tenantId}/oauth2/v2.0/devicecode`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ client_id: e3.defaults.publicClientId, scope: 'User.Read offline_access' }).toString(),
      dispatcher: a3,
    });
    expect(res.status).toBe(200);
    return (await res.json()) as { device_code: string; user_code: string; interval: number; expires_in: number; verification_uri: string };
  };
  const poll = (deviceCode: string) =>
    tokenRequest(e3, a3, { grant_type: 'urn:ietf:params:oauth:grant-type:device_code', client_id: e3.defaults.publicClientId, device_code: deviceCode });

  it('pending, slow_down when polled too fast, then tokens after approval', async () => {
    const dc = await start();
    expect(dc).toMatchObject({ interval: 5, expires_in: 60, verification_uri: `${e3.url}/devicelogin` });
    expectAadError(await poll(dc.device_code), 400, 'authorization_pending', 70016);
    expectAadError(await poll(dc.device_code), 400, 'slow_down', 70021);
    e3.deviceCodes.approve(dc.user_code, { username: e3.defaults.username, password: e3.defaults.password });
    e3.clock.advance(5);
    const ok = await poll(dc.device_code);
    expect(ok.status).toBe(200);
    expect(ok.body['refresh_token']).toBeTruthy();
    expectAadError(await poll(dc.device_code), 400, 'invalid_grant', 54005);
  });

  it('expired_token after expires_in (emulator clock), authorization_declined after decline', async () => {
    const dc = await start();
    e3.clock.advance(61);
    expectAadError(await poll(dc.device_code), 400, 'expired_token', 70019);
    const dc2 = await start();
    e3.deviceCodes.decline(dc2.user_code);
    expectAadError(await poll(dc2.device_code), 400, 'authorization_declined', 70020);
  });

  it('an unknown device_code: bad_verification_code, as the device-flow documentation lists', async () => {
    expectAadError(await poll('DAQABAAEAAADnot-a-real-device-code'), 400, 'bad_verification_code', 70018);
  });

  it('the device-login page rejects a wrong code and re-asks', async () => {
    const page = await fetch(`${e3.url}/devicelogin`, { dispatcher: a3 });
    const form = parseForm(await page.text());
    const res = await submitForm(e3, a3, form.action, { ...form.fields, otc: 'NOPE12345' });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('Check the code and try again.');
  });
});
