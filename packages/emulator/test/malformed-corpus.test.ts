// A corpus of malformed requests: each gets a platform-shaped (or Graph-shaped) 4xx, the
// emulator logs no internal error, and it still answers afterwards.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { connect } from 'node:tls';
import { fetch, type Agent } from 'undici';
import { startEmulator, type Emulator, type EmulatorLogger } from '../src/index.js';
import { trustingAgent } from './helpers.js';

let emu: Emulator;
let agent: Agent;
const internalErrors: string[] = [];
const logger: EmulatorLogger = { warn: () => undefined, error: (m, meta) => internalErrors.push(`${m} ${JSON.stringify(meta)}`) };

beforeAll(async () => {
  emu = await startEmulator({ port: 0, logger });
  agent = trustingAgent(emu.ca);
});

afterAll(async () => {
  await agent.close();
  await emu.stop();
});

interface Case {
  name: string;
  method?: string;
  path: string | (() => string);
  body?: string | Buffer;
  headers?: Record<string, string>;
  /** Expected status; 4xx. */
  status: number;
  shape: 'aad' | 'graph' | 'html';
  code?: number;
}

const FORM = { 'content-type': 'application/x-www-form-urlencoded' };
const tenantPath = (p: string) => () => `/${emu.defaults.tenantId}${p}`;
const token = tenantPath('/oauth2/v2.0/token');
const form = (o: Record<string, string>) => new URLSearchParams(o).toString();
const cc = () => ({ grant_type: 'client_credentials', client_id: emu.defaults.clientId, client_secret: emu.defaults.clientSecret, scope: 'https://graph.microsoft.com/.default' });

const cases: Case[] = [
  { name: 'empty token request', method: 'POST', path: token, body: '', headers: FORM, status: 400, shape: 'aad', code: 900144 },
  { name: 'missing grant_type', method: 'POST', path: token, body: 'client_id=x', headers: FORM, status: 400, shape: 'aad', code: 900144 },
  { name: 'duplicated grant_type', method: 'POST', path: token, body: 'grant_type=password&grant_type=client_credentials', headers: FORM, status: 400, shape: 'aad', code: 9002313 },
  { name: 'duplicated client_id', method: 'POST', path: token, body: 'grant_type=client_credentials&client_id=a&client_id=b', headers: FORM, status: 400, shape: 'aad', code: 9002313 },
  { name: 'unknown grant type', method: 'POST', path: token, body: 'grant_type=urn:x:magic', headers: FORM, status: 400, shape: 'aad', code: 70003 },
  { name: 'repeated scope', method: 'POST', path: token, body: () => `${form(cc())}&scope=User.Read`, headers: FORM, status: 400, shape: 'aad', code: 9002313 } as unknown as Case,
  // Entra reads token parameters from the body only: in the query string they are missing.
  { name: 'token parameters in the query string of a POST', method: 'POST', path: () => `/${emu.defaults.tenantId}/oauth2/v2.0/token?${form(cc())}`, body: '', headers: FORM, status: 400, shape: 'aad', code: 900144 },
  { name: 'multipart body', method: 'POST', path: token, body: '--x\r\nContent-Disposition: form-data; name="grant_type"\r\n\r\nclient_credentials\r\n--x--\r\n', headers: { 'content-type': 'multipart/form-data; boundary=x' }, status: 400, shape: 'aad', code: 900144 },
  { name: 'JSON body (wrong content type)', method: 'POST', path: token, body: JSON.stringify({ grant_type: 'client_credentials' }), headers: { 'content-type': 'application/json' }, status: 400, shape: 'aad', code: 900144 },
  { name: 'no content type', method: 'POST', path: token, body: 'grant_type=client_credentials', status: 400, shape: 'aad', code: 900144 },
  { name: 'binary garbage', method: 'POST', path: token, body: Buffer.from([0, 1, 2, 0xff, 0xfe, 0x3d, 0x26, 0x80]), headers: FORM, status: 400, shape: 'aad' },
  { name: 'bad percent-encoding', method: 'POST', path: token, body: 'grant_type=%ZZ%&client_id=%', headers: FORM, status: 400, shape: 'aad' },
  { name: 'oversized body (2 MiB)', method: 'POST', path: token, body: Buffer.alloc(2 * 1024 * 1024, 'a'), headers: FORM, status: 413, shape: 'aad', code: 9002331 },
  { name: 'huge scope within the cap', method: 'POST', path: token, body: () => form({ ...cc(), scope: 'x'.repeat(200_000) }), headers: FORM, status: 400, shape: 'aad', code: 70011 } as unknown as Case,
  { name: 'blank scope', method: 'POST', path: token, body: () => form({ ...cc(), scope: '   ' }), headers: FORM, status: 400, shape: 'aad', code: 900144 } as unknown as Case,
  { name: 'garbage client assertion', method: 'POST', path: token, body: () => form({ grant_type: 'client_credentials', client_id: emu.defaults.clientId, scope: 'https://graph.microsoft.com/.default', client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: 'eyJ.eyJ.sig' }), headers: FORM, status: 401, shape: 'aad', code: 700027 } as unknown as Case,
  { name: 'assertion with alg none', method: 'POST', path: token, body: () => form({ grant_type: 'client_credentials', client_id: emu.defaults.clientId, scope: 'https://graph.microsoft.com/.default', client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: `${Buffer.from('{"alg":"none","x5t":"AAAA"}').toString('base64url')}.${Buffer.from('{}').toString('base64url')}.` }), headers: FORM, status: 401, shape: 'aad', code: 700027 } as unknown as Case,
  { name: 'wrong assertion type', method: 'POST', path: token, body: () => form({ grant_type: 'client_credentials', client_id: emu.defaults.clientId, scope: 'https://graph.microsoft.com/.default', client_assertion_type: 'saml', client_assertion: 'x' }), headers: FORM, status: 400, shape: 'aad', code: 9002313 } as unknown as Case,
  { name: 'secret and assertion together', method: 'POST', path: token, body: () => form({ ...cc(), client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: 'x' }), headers: FORM, status: 400, shape: 'aad', code: 9002313 } as unknown as Case,
  { name: 'malformed Basic header', method: 'POST', path: token, body: 'grant_type=client_credentials&scope=https://graph.microsoft.com/.default', headers: { ...FORM, authorization: 'Basic !!!' }, status: 400, shape: 'aad', code: 9002313 },
  { name: 'empty refresh_token', method: 'POST', path: token, body: () => form({ grant_type: 'refresh_token', client_id: emu.defaults.publicClientId, refresh_token: '' }), headers: FORM, status: 400, shape: 'aad', code: 900144 } as unknown as Case,
  { name: 'huge client_id', method: 'POST', path: token, body: () => form({ ...cc(), client_id: 'z'.repeat(50_000) }), headers: FORM, status: 400, shape: 'aad', code: 700016 } as unknown as Case,
  { name: 'PUT on the token endpoint', method: 'PUT', path: token, body: '', status: 400, shape: 'aad', code: 900561 },
  { name: 'non-GUID unknown tenant', method: 'POST', path: '/not-a-tenant/oauth2/v2.0/token', body: () => form(cc()), headers: FORM, status: 400, shape: 'aad', code: 90002 } as unknown as Case,
  { name: 'weird tenant segment', method: 'GET', path: '/%00%ff/v2.0/.well-known/openid-configuration', status: 404, shape: 'aad' },
  { name: 'unknown identity path', method: 'GET', path: tenantPath('/oauth2/v2.0/nothing'), status: 404, shape: 'aad' },
  { name: 'devicecode without client_id', method: 'POST', path: tenantPath('/oauth2/v2.0/devicecode'), body: 'scope=User.Read', headers: FORM, status: 400, shape: 'aad', code: 900144 },
  { name: 'authorize with duplicated client_id', method: 'GET', path: () => `/${emu.defaults.tenantId}/oauth2/v2.0/authorize?client_id=a&client_id=b`, status: 400, shape: 'html' },
  { name: 'authorize without client_id', method: 'GET', path: tenantPath('/oauth2/v2.0/authorize?response_type=code'), status: 400, shape: 'html' },
  { name: 'sign-in POST with unknown ctx', method: 'POST', path: tenantPath('/oauth2/v2.0/authorize'), body: 'ctx=nope&login=a&passwd=b', headers: FORM, status: 400, shape: 'html' },
  { name: 'Graph without token', path: '/v1.0/me', status: 401, shape: 'graph' },
  { name: 'Graph with Basic auth', path: '/v1.0/me', headers: { authorization: 'Basic abc' }, status: 401, shape: 'graph' },
  { name: 'Graph with empty bearer', path: '/v1.0/me', headers: { authorization: 'Bearer ' }, status: 401, shape: 'graph' },
  { name: 'Graph with a.b.c', path: '/v1.0/me', headers: { authorization: 'Bearer a.b.c' }, status: 401, shape: 'graph' },
  { name: 'Graph with alg none', path: '/v1.0/me', headers: { authorization: `Bearer ${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from('{"aud":"https://graph.microsoft.com"}').toString('base64url')}.` }, status: 401, shape: 'graph' },
  { name: 'Graph with a 20 KB garbage token', path: '/v1.0/me', headers: { authorization: `Bearer ${'a'.repeat(20_000)}.b.c` }, status: 401, shape: 'graph' },
  { name: 'headers past 32 KB', path: '/v1.0/me', headers: { authorization: `Bearer ${'a'.repeat(70_000)}` }, status: 431, shape: 'aad' },
  { name: 'Graph with bad URL encoding', path: '/v1.0/users/%E0%A4%A', status: 400, shape: 'graph' },
  { name: 'Graph oversized body', method: 'POST', path: '/v1.0/users', body: Buffer.alloc(1024 * 1024 + 1, 'x'), status: 413, shape: 'graph' },
];

async function send(c: Case) {
  const path = typeof c.path === 'function' ? c.path() : c.path;
  const body = typeof c.body === 'function' ? (c.body as () => string)() : c.body;
  return fetch(`${emu.url}${path}`, { method: c.method ?? 'GET', headers: c.headers, body, dispatcher: agent, redirect: 'manual' });
}

describe('malformed request corpus', () => {
  it.each(cases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const res = await send(c);
    expect(res.status).toBe(c.status);
    if (c.shape === 'html') {
      expect(res.headers.get('content-type')).toContain('text/html');
      expect(await res.text()).toMatch(/AADSTS\d+/);
      return;
    }
    const body = (await res.json()) as Record<string, unknown>;
    if (c.shape === 'aad') {
      expect(typeof body['error']).toBe('string');
      expect(String(body['error_description'])).toMatch(/^AADSTS\d+: /);
      expect(Array.isArray(body['error_codes'])).toBe(true);
      expect(body['correlation_id']).toBeTruthy();
      if (c.code !== undefined) expect(body['error_codes']).toEqual([c.code]);
    } else {
      const error = body['error'] as Record<string, unknown>;
      expect(typeof error['code']).toBe('string');
      expect(typeof error['message']).toBe('string');
    }
  });

  it('Graph query options that are not valid OData get 400', async () => {
    const appToken = String(
      ((await (
        await fetch(`${emu.url}/${emu.defaults.tenantId}/oauth2/v2.0/token`, { method: 'POST', headers: FORM, body: form(cc()), dispatcher: agent })
      ).json()) as Record<string, unknown>)['access_token'],
    );
    for (const q of ['$filter=((((', "$filter=displayName eq", '$filter=foo eq 1', '$top=-1', '$top=abc', '$skiptoken=garbage', '$orderby=displayName sideways', '$select=', '$count=maybe', '$bogus=1']) {
      const res = await fetch(`${emu.graphUrl}v1.0/users?${q}`, { headers: { authorization: `Bearer ${appToken}` }, dispatcher: agent });
      expect([q, res.status]).toEqual([q, 400]);
      expect(((await res.json()) as { error: { code: string } }).error.code).toMatch(/BadRequest/);
    }
  });

  it('a raw non-HTTP byte stream inside TLS gets 400 and the socket is closed', async () => {
    const url = new URL(emu.url);
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect({ host: url.hostname, port: Number(url.port), ca: emu.ca }, () => socket.write('GARBAGE \x00\x01 NOT HTTP\r\n\r\n'));
      let data = '';
      socket.on('data', (d: Buffer) => (data += d.toString('latin1')));
      socket.on('end', () => resolve(data));
      socket.on('error', reject);
    });
    expect(answer).toMatch(/^HTTP\/1\.1 400/);
  });

  it('after the corpus the server still answers and logged no internal error', async () => {
    const res = await fetch(`${emu.url}/${emu.defaults.tenantId}/v2.0/.well-known/openid-configuration`, { dispatcher: agent });
    expect(res.status).toBe(200);
    const tok = await fetch(`${emu.url}/${emu.defaults.tenantId}/oauth2/v2.0/token`, { method: 'POST', headers: FORM, body: form(cc()), dispatcher: agent });
    expect(tok.status).toBe(200);
    expect(internalErrors).toEqual([]);
    expect(emu.requests().every((r) => r.status < 500)).toBe(true);
  });
});
