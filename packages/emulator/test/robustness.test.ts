// Robustness: many simultaneous token requests, a client that stops mid-request, and stop()
// with open keep-alive connections and requests still in flight.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { connect, type TLSSocket } from 'node:tls';
import { Agent, fetch } from 'undici';
import { startEmulator, type Emulator, type EmulatorLogger } from '../src/index.js';
import { jwtClaims, tokenRequest, trustingAgent } from './helpers.js';

const internalErrors: string[] = [];
const logger: EmulatorLogger = { warn: () => undefined, error: (m) => internalErrors.push(m) };

let emu: Emulator;
let agent: Agent;

beforeAll(async () => {
  emu = await startEmulator({ port: 0, logger, requestTimeoutMs: 300 });
  agent = trustingAgent(emu.ca);
});

afterAll(async () => {
  await agent.close();
  await emu.stop();
});

/** Opens a raw TLS connection to the emulator. */
function rawSocket(e: Emulator): Promise<TLSSocket> {
  const url = new URL(e.url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: url.hostname, port: Number(url.port), ca: e.ca }, () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Everything the server writes until it closes the connection. */
function readUntilClosed(socket: TLSSocket): Promise<string> {
  return new Promise((resolve) => {
    let data = '';
    socket.on('data', (d: Buffer) => (data += d.toString('latin1')));
    socket.on('close', () => resolve(data));
    socket.on('error', () => undefined);
  });
}

describe('concurrency', () => {
  it('100 simultaneous client-credentials requests each get their own valid token', async () => {
    emu.clearRequests();
    const many = new Agent({ connect: { ca: emu.ca }, connections: 100 });
    const form = { grant_type: 'client_credentials', client_id: emu.defaults.clientId, client_secret: emu.defaults.clientSecret, scope: 'https://graph.microsoft.com/.default' };
    const answers = await Promise.all(Array.from({ length: 100 }, () => tokenRequest(emu, many, form)));
    await many.close();
    expect(answers.map((a) => a.status)).toEqual(Array.from({ length: 100 }, () => 200));
    const ids = new Set(answers.map((a) => String(jwtClaims(String(a.body['access_token']))['uti'])));
    expect(ids.size).toBe(100);
    const logged = emu.requests().filter((r) => r.grantType === 'client_credentials');
    expect(logged).toHaveLength(100);
    expect(logged.every((r) => r.status === 200)).toBe(true);
    expect(internalErrors).toEqual([]);
  });
});

describe('request log', () => {
  it('keeps at most 256 characters of a client-supplied client_id or grant_type', async () => {
    emu.clearRequests();
    const huge = 'z'.repeat(500_000);
    const res = await tokenRequest(emu, agent, { grant_type: `urn:${huge}`, client_id: huge });
    expect(res.status).toBe(400);
    const [entry] = emu.requests();
    expect(entry!.grantType!.length).toBeLessThanOrEqual(257);
    expect(entry!.clientId ?? '').toBe('');
    const res2 = await tokenRequest(emu, agent, { grant_type: 'client_credentials', client_id: huge, client_secret: 'x', scope: 'https://graph.microsoft.com/.default' });
    expect(res2.body['error_codes']).toEqual([700016]);
    expect(emu.requests()[1]!.clientId).toBe(`${'z'.repeat(256)}…`);
  });
});

describe('slow clients', () => {
  it('a request whose body never arrives gets 408 in the platform shape; the server keeps answering', async () => {
    const socket = await rawSocket(emu);
    const answer = readUntilClosed(socket);
    // Announces 100 bytes, sends 10, then goes quiet.
    socket.write(
      `POST /${emu.defaults.tenantId}/oauth2/v2.0/token HTTP/1.1\r\nHost: 127.0.0.1\r\n` +
        'Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\ngrant_type',
    );
    const text = await answer;
    expect(text).toMatch(/^HTTP\/1\.1 408 /);
    const body = JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4)) as Record<string, unknown>;
    expect(body['error']).toBe('invalid_request');
    expect(body['error_codes']).toEqual([9002313]);
    const ok = await tokenRequest(emu, agent, { grant_type: 'client_credentials', client_id: emu.defaults.clientId, client_secret: emu.defaults.clientSecret, scope: 'https://graph.microsoft.com/.default' });
    expect(ok.status).toBe(200);
    expect(internalErrors).toEqual([]);
  });

  it('requestTimeoutMs must be a positive integer', async () => {
    await expect(startEmulator({ port: 0, requestTimeoutMs: 0 })).rejects.toThrow(RangeError);
  });
});

describe('stop()', () => {
  it('closes idle keep-alive connections and requests still in flight, and resolves', async () => {
    const e = await startEmulator({ port: 0 });
    const keepAlive = trustingAgent(e.ca);
    // One keep-alive connection left idle after an answer...
    const first = await fetch(`${e.url}/${e.defaults.tenantId}/v2.0/.well-known/openid-configuration`, { dispatcher: keepAlive });
    expect(first.status).toBe(200);
    await first.arrayBuffer();
    // ...one request held by a ten-minute delay...
    e.faults.add({ path: '/v1.0/me', kind: 'delay', ms: 600_000 });
    const held = fetch(`${e.url}/v1.0/me`, { dispatcher: keepAlive }).then(
      (r) => r.status,
      (err: unknown) => err,
    );
    // ...and a raw connection in the middle of its headers.
    const raw = await rawSocket(e);
    const rawClosed = readUntilClosed(raw);
    raw.write('GET /v1.0/me HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    while (!e.requests().some((r) => r.path === '/v1.0/me')) await new Promise((r) => setTimeout(r, 10));

    await e.stop();
    await rawClosed;
    // The held request ended one way or the other (answered when its delay was cancelled, or
    // cut off); it does not hang.
    const outcome = await held;
    expect(outcome === 401 || outcome instanceof Error).toBe(true);
    await expect(
      fetch(`${e.url}/${e.defaults.tenantId}/v2.0/.well-known/openid-configuration`, { dispatcher: keepAlive }),
    ).rejects.toThrow();
    await keepAlive.close();
  });
});
