// Several tenants, the common/organizations segments, browser sessions, logout and revocation.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { fetch, type Agent } from 'undici';
import { defaultSeed, startEmulator, type Emulator } from '../src/index.js';
import { jwtClaims, parseForm, submitForm, tokenRequest, trustingAgent } from './helpers.js';

const FABRIKAM = '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d';
const FABRIKAM_APP = '12121212-3434-4565-8787-909090909090';

let emu: Emulator;
let agent: Agent;

beforeAll(async () => {
  const seed = defaultSeed();
  seed.tenants.push({
    id: FABRIKAM,
    domain: 'fabrikam.onmicrosoft.com',
    apps: [{ clientId: FABRIKAM_APP, displayName: 'Fabrikam app', secrets: ['fab-secret'], applicationPermissions: ['User.Read.All'] }],
    users: [{ id: 'abababab-cdcd-4efe-8f0f-121212121212', userPrincipalName: 'zoe@fabrikam.onmicrosoft.com', password: 'pw', displayName: 'Zoe' }],
  });
  emu = await startEmulator({ port: 0, seed });
  agent = trustingAgent(emu.ca);
});

afterAll(async () => {
  await agent.close();
  await emu.stop();
});

const appToken = (tenant: string, clientId: string, secret: string) =>
  tokenRequest(emu, agent, { grant_type: 'client_credentials', client_id: clientId, client_secret: secret, scope: 'https://graph.microsoft.com/.default' }, tenant);

describe('tenants', () => {
  it('each app lives in its own tenant; another tenant does not know it (AADSTS700016)', async () => {
    const fab = await appToken(FABRIKAM, FABRIKAM_APP, 'fab-secret');
    expect(fab.status).toBe(200);
    expect(jwtClaims(String(fab.body['access_token']))['tid']).toBe(FABRIKAM);
    const wrong = await appToken(emu.defaults.tenantId, FABRIKAM_APP, 'fab-secret');
    expect(wrong.body['error_codes']).toEqual([700016]);
  });

  it('common and organizations resolve to the app tenant', async () => {
    for (const segment of ['common', 'organizations']) {
      const res = await appToken(segment, FABRIKAM_APP, 'fab-secret');
      expect(res.status).toBe(200);
      expect(jwtClaims(String(res.body['access_token']))['tid']).toBe(FABRIKAM);
    }
  });

  it('ROPC (password grant) is refused on /common and /consumers (AADSTS9001023), accepted on /organizations', async () => {
    const ropc = (tenant: string) =>
      tokenRequest(emu, agent, { grant_type: 'password', client_id: emu.defaults.publicClientId, username: emu.defaults.username, password: emu.defaults.password, scope: 'User.Read' }, tenant);
    for (const segment of ['common', 'consumers', 'Common']) {
      const res = await ropc(segment);
      expect([segment, res.status, res.body['error'], res.body['error_codes']]).toEqual([segment, 400, 'invalid_request', [9001023]]);
    }
    expect((await ropc('organizations')).status).toBe(200);
  });

  it('Graph lists only the users of the token tenant', async () => {
    const token = String((await appToken(FABRIKAM, FABRIKAM_APP, 'fab-secret')).body['access_token']);
    const res = await fetch(`${emu.graphUrl}v1.0/users`, { headers: { authorization: `Bearer ${token}` }, dispatcher: agent });
    const body = (await res.json()) as { value: Array<{ userPrincipalName: string }> };
    expect(body.value.map((u) => u.userPrincipalName)).toEqual(['zoe@fabrikam.onmicrosoft.com']);
  });

  it('a user of another tenant cannot sign in to this tenant app (AADSTS50126)', async () => {
    const res = await tokenRequest(emu, agent, { grant_type: 'password', client_id: emu.defaults.publicClientId, username: 'zoe@fabrikam.onmicrosoft.com', password: 'pw', scope: 'User.Read' });
    expect(res.body['error_codes']).toEqual([50126]);
  });
});

describe('browser sessions', () => {
  const authorizeUrl = (prompt?: string) => {
    const url = new URL(`${emu.authorityHost}/${emu.defaults.tenantId}/oauth2/v2.0/authorize`);
    for (const [k, v] of Object.entries({ client_id: emu.defaults.publicClientId, response_type: 'code', redirect_uri: 'http://localhost/cb', scope: 'User.Read' })) url.searchParams.set(k, v);
    if (prompt) url.searchParams.set('prompt', prompt);
    return url;
  };
  const signIn = async (): Promise<string> => {
    const form = parseForm(await (await fetch(authorizeUrl(), { dispatcher: agent })).text());
    const res = await submitForm(emu, agent, form.action, { ...form.fields, login: emu.defaults.username, passwd: emu.defaults.password, action: 'signin' });
    return res.headers.get('set-cookie')!.split(';')[0]!;
  };
  const silent = async (cookie: string) => {
    const res = await fetch(authorizeUrl('none'), { dispatcher: agent, redirect: 'manual', headers: { cookie } });
    return new URL(res.headers.get('location')!).searchParams;
  };

  it('logout ends the session', async () => {
    const cookie = await signIn();
    expect((await silent(cookie)).get('code')).toBeTruthy();
    const out = await fetch(`${emu.authorityHost}/${emu.defaults.tenantId}/oauth2/v2.0/logout?post_logout_redirect_uri=${encodeURIComponent('http://localhost/bye')}`, {
      dispatcher: agent,
      redirect: 'manual',
      headers: { cookie },
    });
    expect(out.status).toBe(302);
    expect(out.headers.get('location')).toBe('http://localhost/bye');
    expect((await silent(cookie)).get('error')).toBe('login_required');
  });

  it('logout redirects only to a registered redirect URI, never with injected header lines', async () => {
    const logout = (target: string, extra = '') =>
      fetch(`${emu.authorityHost}/${emu.defaults.tenantId}/oauth2/v2.0/logout?post_logout_redirect_uri=${encodeURIComponent(target)}${extra}`, {
        dispatcher: agent,
        redirect: 'manual',
      });
    // Not registered on any app: the signed-out page, no open redirect.
    const evil = await logout('https://evil.example/');
    expect(evil.status).toBe(200);
    expect(evil.headers.get('location')).toBeNull();
    expect(await evil.text()).toContain('signed-out');
    // Registered (loopback, any path), but CR/LF in it: a clean Location and no extra header.
    const injected = await logout('http://localhost/bye\r\nSet-Cookie: stolen=1');
    expect(injected.status).toBe(302);
    expect(injected.headers.get('location')).toBe('http://localhost/byeSet-Cookie:%20stolen=1');
    expect(injected.headers.get('set-cookie')).not.toContain('stolen');
    // client_id narrows the check to that app's registrations.
    const otherApp = await logout('http://localhost/bye', `&client_id=${FABRIKAM_APP}`);
    expect(otherApp.status).toBe(200);
    const sameApp = await logout('http://localhost/bye', `&client_id=${emu.defaults.publicClientId}`);
    expect(sameApp.headers.get('location')).toBe('http://localhost/bye');
  });

  it('revocation ends the session too', async () => {
    const cookie = await signIn();
    emu.revokeRefreshTokens();
    expect((await silent(cookie)).get('error')).toBe('login_required');
  });

  it('prompt=none with a login_hint for another user needs a login', async () => {
    const cookie = await signIn();
    const url = authorizeUrl('none');
    url.searchParams.set('login_hint', 'AlexW@contoso.onmicrosoft.com');
    const res = await fetch(url, { dispatcher: agent, redirect: 'manual', headers: { cookie } });
    expect(new URL(res.headers.get('location')!).searchParams.get('error')).toBe('login_required');
  });
});
