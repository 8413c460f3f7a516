// Discovery documents and the content of issued tokens.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash, createPublicKey, randomBytes, verify } from 'node:crypto';
import { fetch, type Agent } from 'undici';
import { DEFAULT_DELEGATED_SCOPES, startEmulator, type Emulator } from '../src/index.js';
import { jwtClaims, parseForm, submitForm, tokenRequest, trustingAgent } from './helpers.js';

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

const getJson = async (url: string) => {
  const res = await fetch(url, { dispatcher: agent });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};

describe('discovery', () => {
  it('OpenID configuration of a tenant, by id and by domain, and of common', async () => {
    const byId = await getJson(`${emu.authorityHost}/${emu.defaults.tenantId}/v2.0/.well-known/openid-configuration`);
    const base = `${emu.authorityHost}/${emu.defaults.tenantId}`;
    expect(byId.body).toMatchObject({
      issuer: `${base}/v2.0`,
      authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
      token_endpoint: `${base}/oauth2/v2.0/token`,
      device_authorization_endpoint: `${base}/oauth2/v2.0/devicecode`,
      jwks_uri: `${base}/discovery/v2.0/keys`,
      end_session_endpoint: `${base}/oauth2/v2.0/logout`,
    });
    const byDomain = await getJson(`${emu.authorityHost}/contoso.onmicrosoft.com/v2.0/.well-known/openid-configuration`);
    expect(byDomain.body['token_endpoint']).toBe(byId.body['token_endpoint']);
    const common = await getJson(`${emu.authorityHost}/common/v2.0/.well-known/openid-configuration`);
    expect(common.body['issuer']).toBe(`${emu.authorityHost}/{tenantid}/v2.0`);
    expect(common.body['token_endpoint']).toBe(`${emu.authorityHost}/common/oauth2/v2.0/token`);
  });

  it('instance discovery names the emulator host and refuses other instances', async () => {
    const host = new URL(emu.url).host;
    const ok = await getJson(`${emu.url}/common/discovery/instance?api-version=1.1&authorization_endpoint=${encodeURIComponent(`${emu.url}/${emu.defaults.tenantId}/oauth2/v2.0/authorize`)}`);
    expect(ok.body).toMatchObject({
      tenant_discovery_endpoint: `${emu.url}/${emu.defaults.tenantId}/v2.0/.well-known/openid-configuration`,
      metadata: [{ preferred_network: host, preferred_cache: host, aliases: [host] }],
    });
    const other = await getJson(`${emu.url}/common/discovery/instance?api-version=1.1&authorization_endpoint=${encodeURIComponent('https://login.example.com/x/oauth2/v2.0/authorize')}`);
    expect(other.status).toBe(400);
    expect(other.body['error']).toBe('invalid_instance');
    expect(other.body['error_codes']).toEqual([50049]);
    expect(String(other.body['error_description'])).toMatch(/^AADSTS50049: .*\r\nTrace ID: /);
  });

  it('tokens verify against the JWKS', async () => {
    const jwks = await getJson(`${emu.authorityHost}/${emu.defaults.tenantId}/discovery/v2.0/keys`);
    const [key] = jwks.body['keys'] as Array<Record<string, string>>;
    const token = String((await tokenRequest(emu, agent, { grant_type: 'client_credentials', client_id: emu.defaults.clientId, client_secret: emu.defaults.clientSecret, scope: 'https://graph.microsoft.com/.default' })).body['access_token']);
    const [h, p, s] = token.split('.') as [string, string, string];
    expect(JSON.parse(Buffer.from(h, 'base64url').toString())).toMatchObject({ alg: 'RS256', typ: 'JWT', kid: key!['kid'], x5t: key!['x5t'] });
    const publicKey = createPublicKey({ key: { kty: 'RSA', n: key!['n'], e: key!['e'] }, format: 'jwk' });
    expect(verify('sha256', Buffer.from(`${h}.${p}`), publicKey, Buffer.from(s, 'base64url'))).toBe(true);
    // The x5c certificate carries the same key.
    const fromCert = createPublicKey(`-----BEGIN CERTIFICATE-----\n${(key!['x5c'] as unknown as string[])[0]}\n-----END CERTIFICATE-----\n`);
    expect(fromCert.export({ format: 'jwk' })['n']).toBe(key!['n']);
  });
});

describe('token content', () => {
  it('ROPC with client_info=1: access, ID and refresh tokens, client_info, scope as requested', async () => {
    const res = await tokenRequest(emu, agent, {
      grant_type: 'password',
      client_id: emu.defaults.publicClientId,
      username: emu.defaults.username,
      password: emu.defaults.password,
      scope: 'https://graph.microsoft.com/User.Read openid profile email offline_access',
      client_info: '1',
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ token_type: 'Bearer', expires_in: 3599, ext_expires_in: 3599 });
    // As Entra does, the token carries every permission consented for the resource (the default
    // seed consents python-o365's scope helpers), not only the one requested.
    const consented = DEFAULT_DELEGATED_SCOPES.filter((s) => !['openid', 'profile', 'email', 'offline_access'].includes(s)).map((s) => `https://graph.microsoft.com/${s}`);
    expect(String(res.body['scope']).split(' ').sort()).toEqual(['email', ...consented, 'openid', 'profile'].sort());
    const info = JSON.parse(Buffer.from(String(res.body['client_info']), 'base64url').toString()) as Record<string, string>;
    const access = jwtClaims(String(res.body['access_token']));
    expect(info).toEqual({ uid: access['oid'], utid: emu.defaults.tenantId });
    expect(access).toMatchObject({ aud: 'https://graph.microsoft.com', upn: emu.defaults.username, idtyp: 'user', amr: ['pwd'], appidacr: '0', ver: '1.0' });
    const now = Math.floor(emu.clock.now() / 1000);
    expect(Math.abs(Number(access['iat']) - now)).toBeLessThanOrEqual(2);
    expect(Number(access['exp']) - Number(access['iat'])).toBe(3599);
    const id = jwtClaims(String(res.body['id_token']));
    expect(id).toMatchObject({ aud: emu.defaults.publicClientId, iss: `${emu.authorityHost}/${emu.defaults.tenantId}/v2.0`, preferred_username: emu.defaults.username, email: emu.defaults.username, tid: emu.defaults.tenantId, ver: '2.0' });
    expect(String(res.body['refresh_token'])).toMatch(/^1\.AQ/);
  });

  it('without offline_access there is no refresh token; without openid no ID token', async () => {
    const res = await tokenRequest(emu, agent, { grant_type: 'password', client_id: emu.defaults.publicClientId, username: emu.defaults.username, password: emu.defaults.password, scope: 'User.Read' });
    expect(res.body['refresh_token']).toBeUndefined();
    expect(res.body['id_token']).toBeUndefined();
  });

  it('the authorize nonce lands in the ID token; fragment and form_post response modes', async () => {
    const verifier = randomBytes(32).toString('base64url');
    const challenge = createHash('sha256').update(verifier).digest('base64url');
    const signIn = async (responseMode: string) => {
      const url = new URL(`${emu.authorityHost}/${emu.defaults.tenantId}/oauth2/v2.0/authorize`);
      for (const [k, v] of Object.entries({ client_id: emu.defaults.publicClientId, response_type: 'code', redirect_uri: 'http://localhost:4000/cb', scope: 'openid User.Read', nonce: 'n-0S6', state: 'st', code_challenge: challenge, code_challenge_method: 'S256', response_mode: responseMode })) {
        url.searchParams.set(k, v);
      }
      const form = parseForm(await (await fetch(url, { dispatcher: agent })).text());
      return submitForm(emu, agent, form.action, { ...form.fields, login: emu.defaults.username, passwd: emu.defaults.password, action: 'signin' });
    };
    const fragment = await signIn('fragment');
    const hash = new URLSearchParams(new URL(fragment.headers.get('location')!).hash.slice(1));
    expect(hash.get('state')).toBe('st');
    const redeemed = await tokenRequest(emu, agent, { grant_type: 'authorization_code', client_id: emu.defaults.publicClientId, code: hash.get('code')!, redirect_uri: 'http://localhost:4000/cb', code_verifier: verifier });
    expect(jwtClaims(String(redeemed.body['id_token']))['nonce']).toBe('n-0S6');

    const posted = await signIn('form_post');
    expect(posted.status).toBe(200);
    const page = parseForm(await posted.text());
    expect(page.action).toBe('http://localhost:4000/cb');
    expect(page.fields).toMatchObject({ state: 'st' });
    expect(page.fields['code']).toBeTruthy();
  });

  it('an unknown response_mode: AADSTS70007 redirected in the default (query) mode, with the state', async () => {
    const url = new URL(`${emu.authorityHost}/${emu.defaults.tenantId}/oauth2/v2.0/authorize`);
    for (const [k, v] of Object.entries({ client_id: emu.defaults.publicClientId, response_type: 'code', redirect_uri: 'http://localhost:4000/cb', scope: 'User.Read', state: 'st', response_mode: 'web_message' })) {
      url.searchParams.set(k, v);
    }
    const res = await fetch(url, { dispatcher: agent, redirect: 'manual' });
    expect(res.status).toBe(302);
    const back = new URL(res.headers.get('location')!);
    expect(`${back.origin}${back.pathname}`).toBe('http://localhost:4000/cb');
    expect(back.searchParams.get('error')).toBe('invalid_request');
    expect(back.searchParams.get('error_description')).toMatch(/^AADSTS70007: /);
    expect(back.searchParams.get('state')).toBe('st');
  });
});
