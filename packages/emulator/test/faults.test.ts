// Fault injection: status answers with Retry-After, delays, dropped connections, malformed
// bodies; programmatic and over the admin route.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { fetch, type Agent } from 'undici';
import { FaultSpecError, startEmulator, type Emulator, type FaultSpec } from '../src/index.js';
import { graphGet, tokenRequest, trustingAgent } from './helpers.js';

let emu: Emulator;
let agent: Agent;
let token: string;

beforeAll(async () => {
  emu = await startEmulator({ port: 0 });
  agent = trustingAgent(emu.ca);
  token = String(
    (await tokenRequest(emu, agent, { grant_type: 'password', client_id: emu.defaults.publicClientId, username: emu.defaults.username, password: emu.defaults.password, scope: 'User.Read' })).body['access_token'],
  );
});

beforeEach(() => {
  emu.faults.clear();
  emu.clearRequests();
});

afterAll(async () => {
  await agent.close();
  await emu.stop();
});

describe('status faults', () => {
  it('managed identity endpoints throttle in their own shape (IMDS: too_many_requests, Retry-After)', async () => {
    emu.faults.add({ path: /\/metadata\/identity\/oauth2\/token\/?$/, kind: 'status', status: 429, retryAfter: 3, count: 1 });
    const url = `${emu.url}/metadata/identity/oauth2/token?api-version=2018-02-01&resource=${encodeURIComponent('https://graph.microsoft.com')}`;
    const throttled = await fetch(url, { headers: { Metadata: 'true' }, dispatcher: agent });
    expect(throttled.status).toBe(429);
    expect(throttled.headers.get('retry-after')).toBe('3');
    expect(await throttled.json()).toEqual({ error: 'too_many_requests', error_description: expect.stringContaining('Too many requests') });
    const next = await fetch(url, { headers: { Metadata: 'true' }, dispatcher: agent });
    expect(next.status).toBe(200);
    expect(((await next.json()) as Record<string, unknown>)['access_token']).toEqual(expect.any(String));
  });

  it('answers 429 with Retry-After the next N times, then normally', async () => {
    emu.faults.add({ path: '/v1.0/me', kind: 'status', status: 429, retryAfter: 7, count: 2 });
    for (let i = 0; i < 2; i++) {
      const res = await graphGet(emu, agent, 'v1.0/me', token);
      expect(res.status).toBe(429);
      expect(res.headers.get('retry-after')).toBe('7');
      expect((res.body['error'] as Record<string, unknown>)['code']).toBe('TooManyRequests');
    }
    expect((await graphGet(emu, agent, 'v1.0/me', token)).status).toBe(200);
    expect(emu.requests().map((r) => [r.status, r.fault])).toEqual([
      [429, 'status'],
      [429, 'status'],
      [200, undefined],
    ]);
  });

  it.each([500, 502, 503, 504] as const)('identity endpoints answer %i in the platform shape', async (status) => {
    emu.faults.add({ method: 'POST', path: '/oauth2/v2.0/token', kind: 'status', status });
    const res = await tokenRequest(emu, agent, { grant_type: 'client_credentials', client_id: emu.defaults.clientId, client_secret: emu.defaults.clientSecret, scope: 'https://graph.microsoft.com/.default' });
    expect(res.status).toBe(status);
    expect(res.body['error_codes']).toEqual([90033]);
    expect(String(res.body['error_description'])).toMatch(/^AADSTS90033: /);
  });

  it('matches method and RegExp paths only', async () => {
    emu.faults.add({ method: 'POST', path: /\/users$/, kind: 'status', status: 500 });
    expect((await graphGet(emu, agent, 'v1.0/me', token)).status).toBe(200);
    expect((await graphGet(emu, agent, 'v1.0/users?$top=1', token)).status).toBe(200);
    expect(emu.faults.list()).toHaveLength(1);
  });

  it('rejects invalid rules', () => {
    expect(() => emu.faults.add({ path: '/x', kind: 'status', status: 418 } as unknown as FaultSpec)).toThrow(FaultSpecError);
    expect(() => emu.faults.add({ path: '/x', kind: 'delay', ms: -1 })).toThrow(FaultSpecError);
    expect(() => emu.faults.add({ path: '/x', kind: 'drop', count: 0 })).toThrow(FaultSpecError);
  });
});

describe('delay, drop, malformed', () => {
  it('a delayed answer arrives after an undelayed one sent later', async () => {
    // Long enough that the second request finishes first even on a loaded machine.
    emu.faults.add({ path: '/v1.0/me', kind: 'delay', ms: 1500 });
    const order: string[] = [];
    const delayed = graphGet(emu, agent, 'v1.0/me', token).then((r) => order.push(`me:${r.status}`));
    await new Promise((r) => setImmediate(r));
    const other = graphGet(emu, agent, 'v1.0/users?$top=1', token).then((r) => order.push(`users:${r.status}`));
    await Promise.all([delayed, other]);
    expect(order).toEqual(['users:200', 'me:200']);
    expect(emu.requests().find((r) => r.path === '/v1.0/me')?.fault).toBe('delay');
  });

  it('drops the connection, and the server keeps answering', async () => {
    emu.faults.add({ path: '/v1.0/me', kind: 'drop' });
    await expect(graphGet(emu, agent, 'v1.0/me', token)).rejects.toThrow();
    expect((await graphGet(emu, agent, 'v1.0/me', token)).status).toBe(200);
    expect(emu.requests()[0]).toMatchObject({ path: '/v1.0/me', status: 0, fault: 'drop' });
  });

  it('sends a broken JSON body with 200', async () => {
    emu.faults.add({ path: '/oauth2/v2.0/token', kind: 'malformed' });
    const res = await fetch(`${emu.authorityHost}/${emu.defaults.tenantId}/oauth2/v2.0/token`, { method: 'POST', dispatcher: agent });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('application/json');
    const text = await res.text();
    expect(() => JSON.parse(text)).toThrow(SyntaxError);
  });
});

describe('admin routes', () => {
  it('POST/GET/DELETE /_emulator/faults and GET /_emulator/requests', async () => {
    const add = await fetch(`${emu.url}/_emulator/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ pathRegex: '^/v1\\.0/me$', kind: 'status', status: 503, retryAfter: 2 }),
      dispatcher: agent,
    });
    expect(add.status).toBe(201);
    const listed = (await (await fetch(`${emu.url}/_emulator/faults`, { dispatcher: agent })).json()) as unknown[];
    expect(listed).toHaveLength(1);
    expect((await graphGet(emu, agent, 'v1.0/me', token)).status).toBe(503);
    const requests = (await (await fetch(`${emu.url}/_emulator/requests`, { dispatcher: agent })).json()) as Array<Record<string, unknown>>;
    expect(requests).toEqual([expect.objectContaining({ method: 'GET', path: '/v1.0/me', status: 503, fault: 'status' })]);
    await fetch(`${emu.url}/_emulator/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ path: '/v1.0/me', kind: 'drop' }), dispatcher: agent });
    const del = await fetch(`${emu.url}/_emulator/faults`, { method: 'DELETE', dispatcher: agent });
    expect(del.status).toBe(204);
    expect((await graphGet(emu, agent, 'v1.0/me', token)).status).toBe(200);
    const bad = await fetch(`${emu.url}/_emulator/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"kind":"status"', dispatcher: agent });
    expect(bad.status).toBe(400);
  });

  it('/_emulator/clock and /_emulator/revoke', async () => {
    const post = (path: string, body: string) =>
      fetch(`${emu.url}/_emulator/${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body, dispatcher: agent });
    expect((await post('clock', 'null')).status).toBe(400);
    const before = emu.clock.now();
    const moved = await post('clock', JSON.stringify({ advanceSeconds: 120 }));
    expect(moved.status).toBe(200);
    expect(((await moved.json()) as { now: number }).now - before).toBeGreaterThanOrEqual(120_000);
    const revoked = await post('revoke', JSON.stringify({ username: emu.defaults.username }));
    expect(await revoked.json()).toEqual({ revokedUsers: 1 });
    expect((await post('revoke', '{"username": 5}')).status).toBe(400);
    expect(emu.requests()).toEqual([]);
  });

  it('the request log never holds secrets', async () => {
    await tokenRequest(emu, agent, { grant_type: 'password', client_id: emu.defaults.publicClientId, username: emu.defaults.username, password: emu.defaults.password, scope: 'User.Read' });
    const dump = JSON.stringify(emu.requests());
    expect(dump).toContain('"grantType":"password"');
    expect(dump).not.toContain(emu.defaults.password);
    expect(dump).not.toContain(token);
  });
});
