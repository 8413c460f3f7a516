import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startEmulator } from '@o365/emulator';
import { createServer, type IncomingMessage } from 'node:http';
import { connect as netConnect, type AddressInfo, type Socket } from 'node:net';
import { createHttpClient, type HttpClient, type HttpOptions } from '../../src/http/http-client.js';
import { HttpTimeoutError, NetworkError } from '../../src/errors.js';

type Emulator = Awaited<ReturnType<typeof startEmulator>>;

function fakeSleep(): { sleep: (ms: number) => Promise<void>; delays: number[] } {
  const delays: number[] = [];
  return { delays, sleep: (ms) => (delays.push(ms), Promise.resolve()) };
}

describe('HTTP client against the emulator (real HTTPS)', () => {
  let emu: Emulator;
  const clients: HttpClient[] = [];
  let discoveryUrl = '';
  let tokenUrl = '';
  let discoveryPath = '';

  function client(options: HttpOptions = {}): HttpClient {
    const c = createHttpClient({ tls: { ca: emu.ca }, ...options });
    clients.push(c);
    return c;
  }
  const count = (path: string): number => emu.requests().filter((r) => r.path === path).length;
  const tokenForm = (): string =>
    new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: emu.defaults.clientId,
      client_secret: emu.defaults.clientSecret,
      scope: 'https://graph.microsoft.com/.default',
    }).toString();
  const formHeaders = { 'content-type': 'application/x-www-form-urlencoded' };

  beforeAll(async () => {
    emu = await startEmulator();
    const host = emu.authorityHost.replace(/\/+$/, '');
    discoveryUrl = `${host}/${emu.defaults.tenantId}/v2.0/.well-known/openid-configuration`;
    discoveryPath = new URL(discoveryUrl).pathname;
    tokenUrl = `${host}/${emu.defaults.tenantId}/oauth2/v2.0/token`;
  });

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await emu?.stop();
  });

  it('fails TLS without the emulator CA and succeeds with it', async () => {
    const untrusting = createHttpClient({ retry: { maxRetries: 0 } });
    clients.push(untrusting);
    const err = await untrusting.fetch(discoveryUrl).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NetworkError);
    expect((err as NetworkError).message).toMatch(/CERT|certificate|SELF_SIGNED|UNABLE_TO_VERIFY/i);

    const res = await client().fetch(discoveryUrl);
    expect(res.status).toBe(200);
    const doc = (await res.json()) as { token_endpoint?: string };
    expect(doc.token_endpoint).toContain('/oauth2/v2.0/token');
  });

  it('honours Retry-After on 429 from the emulator, counting real attempts', async () => {
    emu.faults.add({ path: discoveryPath, kind: 'status', status: 429, retryAfter: 2, count: 2 });
    const before = count(discoveryPath);
    const { sleep, delays } = fakeSleep();
    const res = await client({ sleep }).fetch(discoveryUrl);
    expect(res.status).toBe(200);
    expect(delays).toEqual([2000, 2000]);
    expect(count(discoveryPath) - before).toBe(3);
  });

  it('retries a token POST on 503 only when it is declared idempotent', async () => {
    const { sleep, delays } = fakeSleep();
    const http = client({ sleep });

    emu.faults.add({ method: 'POST', path: '/oauth2/v2.0/token', kind: 'status', status: 503, count: 1 });
    let before = count(new URL(tokenUrl).pathname);
    const plain = await http.fetch(tokenUrl, { method: 'POST', headers: formHeaders, body: tokenForm() });
    expect(plain.status).toBe(503);
    expect(count(new URL(tokenUrl).pathname) - before).toBe(1);
    expect(delays).toEqual([]);

    emu.faults.add({ method: 'POST', path: '/oauth2/v2.0/token', kind: 'status', status: 503, count: 1 });
    before = count(new URL(tokenUrl).pathname);
    const retried = await http.fetch(tokenUrl, { method: 'POST', headers: formHeaders, body: tokenForm(), idempotent: true });
    expect(retried.status).toBe(200);
    expect(((await retried.json()) as { token_type?: string }).token_type).toBe('Bearer');
    expect(count(new URL(tokenUrl).pathname) - before).toBe(2);
    expect(delays).toHaveLength(1);
  });

  it('retries a dropped connection for a GET', async () => {
    emu.faults.add({ path: discoveryPath, kind: 'drop', count: 1 });
    const before = count(discoveryPath);
    const { sleep, delays } = fakeSleep();
    const res = await client({ sleep }).fetch(discoveryUrl);
    expect(res.status).toBe(200);
    expect(delays).toHaveLength(1);
    const mine = emu.requests().filter((r) => r.path === discoveryPath).slice(before);
    expect(mine.map((r) => r.status)).toEqual([0, 200]);
  });

  it('times out a delayed answer and retries it', async () => {
    emu.faults.add({ path: discoveryPath, kind: 'delay', ms: 3000, count: 1 });
    const { sleep } = fakeSleep();
    const res = await client({ sleep, timeoutMs: 300 }).fetch(discoveryUrl);
    expect(res.status).toBe(200);

    emu.faults.add({ path: discoveryPath, kind: 'delay', ms: 3000, count: 1 });
    const err = await client({ sleep, timeoutMs: 300, retry: { maxRetries: 0 } })
      .fetch(discoveryUrl)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HttpTimeoutError);
    expect((err as HttpTimeoutError).timeoutMs).toBe(300);
  });

  it('tunnels HTTPS through a proxy and still checks the certificate against tls.ca', async () => {
    const tunnels: string[] = [];
    const proxy = createServer();
    proxy.on('connect', (req: IncomingMessage, clientSocket: Socket, head: Buffer) => {
      tunnels.push(req.url ?? '');
      const [host, port] = (req.url ?? '').split(':');
      const upstream = netConnect(Number(port), host ?? '127.0.0.1', () => {
        clientSocket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        upstream.write(head);
        upstream.pipe(clientSocket);
        clientSocket.pipe(upstream);
      });
      upstream.on('error', () => clientSocket.destroy());
      clientSocket.on('error', () => upstream.destroy());
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    try {
      const proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
      const res = await client({ proxy: proxyUrl }).fetch(discoveryUrl);
      expect(res.status).toBe(200);
      expect(tunnels).toEqual([new URL(discoveryUrl).host]);

      const untrusting = createHttpClient({ proxy: proxyUrl, retry: { maxRetries: 0 } });
      clients.push(untrusting);
      await expect(untrusting.fetch(discoveryUrl)).rejects.toBeInstanceOf(NetworkError);
      expect(tunnels).toHaveLength(2);
    } finally {
      await Promise.all(clients.splice(0).map((c) => c.close()));
      proxy.closeAllConnections();
      await new Promise<void>((resolve) => proxy.close(() => resolve()));
    }
  });
});
