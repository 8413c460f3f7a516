import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect as netConnect, type AddressInfo, type Socket } from 'node:net';
import type { Logger } from '../logger.js';
import { createHttpClient, type HttpClient, type HttpOptions } from './http-client.js';
import { HttpTimeoutError, NetworkError } from '../errors.js';

type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;

/** A real HTTP server on loopback whose n-th request is answered by the n-th handler (the last one repeats). */
class ScriptedServer {
  readonly server: Server;
  readonly seen: { method: string; url: string; body: string; headers: IncomingMessage['headers'] }[] = [];
  private handlers: Handler[] = [];
  private readonly sockets = new Set<Socket>();

  constructor() {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        this.seen.push({ method: req.method ?? '', url: req.url ?? '', body, headers: req.headers });
        const handler = this.handlers[Math.min(this.seen.length - 1, this.handlers.length - 1)];
        if (handler === undefined) throw new Error('no handler scripted');
        handler(req, res, body);
      });
    });
    this.server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
  }

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  script(...handlers: Handler[]): void {
    this.handlers = handlers;
    this.seen.length = 0;
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

const ok: Handler = (_req, res) => {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ ok: true }));
};
const status =
  (code: number, headers: Record<string, string> = {}): Handler =>
  (_req, res) => {
    res.writeHead(code, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify({ error: { code: `status${code}` } }));
  };
const reset: Handler = (req) => {
  req.socket.destroy();
};

/** Records every requested delay and resolves at once, so retries cost no real time. */
function fakeSleep(): { sleep: (ms: number) => Promise<void>; delays: number[] } {
  const delays: number[] = [];
  return {
    delays,
    sleep: (ms: number) => {
      delays.push(ms);
      return Promise.resolve();
    },
  };
}

function recordingLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const rec =
    (level: string) =>
    (message: string, data?: Record<string, unknown>): void => {
      lines.push(`${level} ${message} ${JSON.stringify(data ?? {})}`);
    };
  return { lines, logger: { debug: rec('debug'), info: rec('info'), warn: rec('warn'), error: rec('error') } };
}

describe('createHttpClient retries against a real loopback server', () => {
  const srv = new ScriptedServer();
  let base = '';
  const clients: HttpClient[] = [];
  function client(options: HttpOptions = {}): HttpClient {
    const c = createHttpClient(options);
    clients.push(c);
    return c;
  }

  beforeAll(async () => {
    base = await srv.start();
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
  });
  afterAll(async () => {
    await srv.stop();
  });

  it('honours Retry-After in seconds on 429 and then returns the success', async () => {
    srv.script(status(429, { 'retry-after': '2' }), status(429, { 'retry-after': '0' }), ok);
    const { sleep, delays } = fakeSleep();
    const res = await client({ sleep }).fetch(`${base}/v1.0/users`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true });
    expect(srv.seen).toHaveLength(3);
    expect(delays).toEqual([2000, 0]);
  });

  it('honours Retry-After given as an HTTP date', async () => {
    srv.script((req, res) => {
      res.writeHead(503, { 'retry-after': new Date(Date.now() + 5000).toUTCString() });
      res.end();
    }, ok);
    const { sleep, delays } = fakeSleep();
    const res = await client({ sleep }).fetch(`${base}/x`);
    expect(res.status).toBe(200);
    expect(delays).toHaveLength(1);
    // HTTP dates have one-second resolution.
    expect(delays[0]).toBeGreaterThan(3000);
    expect(delays[0]).toBeLessThanOrEqual(5000);
  });

  it('backs off exponentially with jitter, capped, when there is no Retry-After', async () => {
    srv.script(status(500), status(502), status(504), status(503), ok);
    const { sleep, delays } = fakeSleep();
    const res = await client({ sleep, retry: { maxRetries: 4, baseDelayMs: 100, maxDelayMs: 300 } }).fetch(`${base}/x`);
    expect(res.status).toBe(200);
    expect(srv.seen).toHaveLength(5);
    expect(delays).toHaveLength(4);
    const steps = [100, 200, 300, 300];
    delays.forEach((d, i) => {
      const step = steps[i] ?? 0;
      expect(d).toBeGreaterThanOrEqual(step / 2);
      expect(d).toBeLessThanOrEqual(step);
    });
  });

  it('returns the last error response once retries are spent', async () => {
    srv.script(status(503));
    const { sleep, delays } = fakeSleep();
    const res = await client({ sleep, retry: { maxRetries: 2 } }).fetch(`${base}/x`);
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ error: { code: 'status503' } });
    expect(srv.seen).toHaveLength(3);
    expect(delays).toHaveLength(2);
  });

  it('does not retry statuses that are not transient', async () => {
    for (const code of [400, 401, 403, 404, 501]) {
      srv.script(status(code), ok);
      const res = await client({ sleep: fakeSleep().sleep }).fetch(`${base}/x`);
      expect(res.status).toBe(code);
      expect(srv.seen).toHaveLength(1);
    }
  });

  it('does not wait for a Retry-After longer than maxDelayMs; it hands the 429 back', async () => {
    srv.script(status(429, { 'retry-after': '3600' }), ok);
    const { sleep, delays } = fakeSleep();
    const res = await client({ sleep, retry: { maxDelayMs: 10_000 } }).fetch(`${base}/x`);
    expect(res.status).toBe(429);
    expect(srv.seen).toHaveLength(1);
    expect(delays).toEqual([]);
  });

  it('never resends a POST unless it is declared idempotent', async () => {
    srv.script(status(503), ok);
    const { sleep } = fakeSleep();
    const http = client({ sleep });
    const res = await http.fetch(`${base}/token`, { method: 'POST', body: 'grant_type=x' });
    expect(res.status).toBe(503);
    expect(srv.seen).toHaveLength(1);

    srv.script(status(429, { 'retry-after': '1' }), ok);
    const again = await http.fetch(`${base}/token`, { method: 'POST', body: 'grant_type=x', idempotent: true });
    expect(again.status).toBe(200);
    expect(srv.seen.map((s) => s.body)).toEqual(['grant_type=x', 'grant_type=x']);
  });

  it('does not resend a one-shot stream body even when declared idempotent', async () => {
    srv.script(status(503), ok);
    const stream = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(new TextEncoder().encode('payload'));
        c.close();
      },
    });
    const res = await client({ sleep: fakeSleep().sleep }).fetch(`${base}/upload`, {
      method: 'PUT',
      body: stream,
      duplex: 'half',
      idempotent: true,
    });
    expect(res.status).toBe(503);
    expect(srv.seen).toHaveLength(1);
  });

  it('turns retries off per request with retry: false and per client with maxRetries: 0', async () => {
    srv.script(status(503), ok);
    expect((await client({ sleep: fakeSleep().sleep }).fetch(`${base}/x`, { retry: false })).status).toBe(503);
    expect(srv.seen).toHaveLength(1);
    srv.script(status(503), ok);
    expect((await client({ sleep: fakeSleep().sleep, retry: { maxRetries: 0 } }).fetch(`${base}/x`)).status).toBe(503);
    expect(srv.seen).toHaveLength(1);
  });

  it('retries a GET whose connection was reset, but not a POST', async () => {
    srv.script(reset, reset, ok);
    const { sleep, delays } = fakeSleep();
    const http = client({ sleep });
    const res = await http.fetch(`${base}/x`);
    expect(res.status).toBe(200);
    expect(srv.seen).toHaveLength(3);
    expect(delays).toHaveLength(2);

    srv.script(reset, ok);
    const err = await http.fetch(`${base}/x`, { method: 'POST', body: 'a=1' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NetworkError);
    expect(err).toMatchObject({ code: 'NETWORK_ERROR', method: 'POST', path: '/x', attempts: 1 });
    expect((err as NetworkError).cause).toBeDefined();
    expect(srv.seen).toHaveLength(1);
  });

  it('gives up with a NetworkError after maxRetries resets', async () => {
    srv.script(reset);
    const { sleep, delays } = fakeSleep();
    const err = await client({ sleep, retry: { maxRetries: 2 } })
      .fetch(`${base}/x`)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NetworkError);
    expect((err as NetworkError).attempts).toBe(3);
    expect(srv.seen).toHaveLength(3);
    expect(delays).toHaveLength(2);
  });

  it('reports a refused connection as a NetworkError', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const { sleep, delays } = fakeSleep();
    const err = await client({ sleep, retry: { maxRetries: 1 } })
      .fetch(`http://127.0.0.1:${port}/x`)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NetworkError);
    expect((err as Error).message).toContain('connection refused (ECONNREFUSED) after 2 attempt(s)');
    expect((err as NetworkError).attempts).toBe(2);
    expect(delays).toHaveLength(1);
  });

  it('applies the configured retries to a refused connection of a resendable POST (a token request)', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const { sleep, delays } = fakeSleep();
    const err = await client({ sleep, retry: { maxRetries: 3 } })
      .fetch(`http://127.0.0.1:${port}/token`, { method: 'POST', body: 'grant_type=x', idempotent: true })
      .catch((e: unknown) => e);
    expect((err as NetworkError).attempts).toBe(4);
    expect((err as Error).message).toContain('POST /token failed: connection refused (ECONNREFUSED) after 4 attempt(s)');
    expect(delays).toHaveLength(3);
  });

  it('names a TLS failure as such (https to a plain HTTP server)', async () => {
    const { sleep } = fakeSleep();
    const err = await client({ sleep, retry: { maxRetries: 0 } })
      .fetch(`${base.replace('http:', 'https:')}/x`)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NetworkError);
    expect((err as Error).message).toMatch(/TLS failure \(\w+\) after 1 attempt\(s\)/);
  });

  it('names a DNS failure as such (.invalid never resolves, RFC 6761)', async () => {
    const { sleep } = fakeSleep();
    const err = await client({ sleep, retry: { maxRetries: 0 } })
      .fetch('http://o365-ts-test.invalid/x')
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NetworkError);
    expect((err as Error).message).toMatch(/DNS lookup failed \((ENOTFOUND|EAI_AGAIN)\)/);
  });

  it('times out an attempt that gets no headers, and retries it', async () => {
    const timers: NodeJS.Timeout[] = [];
    srv.script((_req, res) => {
      // Answer long after the client gave up; the client must not wait for it.
      timers.push(setTimeout(() => ok(_req, res, ''), 5000));
    }, ok);
    const { sleep, delays } = fakeSleep();
    try {
      const res = await client({ sleep, timeoutMs: 150 }).fetch(`${base}/slow`);
      expect(res.status).toBe(200);
      expect(srv.seen).toHaveLength(2);
      expect(delays).toHaveLength(1);

      srv.script((_req, res2) => {
        timers.push(setTimeout(() => ok(_req, res2, ''), 5000));
      });
      const err = await client({ sleep, timeoutMs: 150, retry: { maxRetries: 1 } })
        .fetch(`${base}/slow`)
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(HttpTimeoutError);
      expect(err).toMatchObject({ code: 'HTTP_TIMEOUT', timeoutMs: 150, attempts: 2, path: '/slow' });
    } finally {
      timers.forEach(clearTimeout);
    }
  });

  it('gives an HttpTimeoutError, cause attached, when the server never answers (the dispatcher\'s headersTimeout), with or without a caller signal', async () => {
    // Reads the request and never writes a byte back.
    const never: Handler = () => undefined;
    srv.script(never);
    const { sleep, delays } = fakeSleep();
    const err = await client({ sleep, timeoutMs: 200, retry: { maxRetries: 1 } })
      .fetch(`${base}/stalled?token=SECRET-QUERY`)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HttpTimeoutError);
    expect(err).toMatchObject({ code: 'HTTP_TIMEOUT', timeoutMs: 200, attempts: 2, method: 'GET', path: '/stalled' });
    expect(delays).toHaveLength(1);
    expect(srv.seen).toHaveLength(2);
    // The low-level reason is kept: undici's headers timeout, under its 'fetch failed'.
    const cause = (err as Error).cause as Error & { cause?: { code?: string } };
    expect(cause).toBeInstanceOf(Error);
    expect(cause.cause?.code).toBe('UND_ERR_HEADERS_TIMEOUT');
    expect((err as Error).message).not.toContain('SECRET');

    // A caller's signal that does not fire leaves the timeout in force.
    srv.script(never);
    const withSignal = await client({ timeoutMs: 200, retry: { maxRetries: 0 } })
      .fetch(`${base}/stalled`, { signal: new AbortController().signal })
      .catch((e: unknown) => e);
    expect(withSignal).toBeInstanceOf(HttpTimeoutError);
    expect(withSignal).toMatchObject({ attempts: 1 });
  });

  it('a caller abort during a stalled answer rejects with the caller\'s reason, not a timeout', async () => {
    srv.script(() => undefined);
    const ctl = new AbortController();
    const pending = client({ timeoutMs: 60_000 }).fetch(`${base}/stalled`, { signal: ctl.signal });
    // Abort once the server has the request, so the abort hits an attempt in flight.
    const seen = async (): Promise<void> => {
      while (srv.seen.length === 0) await new Promise((resolve) => setImmediate(resolve));
    };
    await seen();
    ctl.abort(new Error('caller stopped'));
    const err = await pending.catch((e: unknown) => e);
    expect(err).not.toBeInstanceOf(HttpTimeoutError);
    expect((err as Error).message).toBe('caller stopped');
  });

  it('stops at once when the caller aborts, before or between attempts', async () => {
    srv.script(status(503), ok);
    const pre = new AbortController();
    pre.abort(new Error('caller gave up'));
    await expect(client().fetch(`${base}/x`, { signal: pre.signal })).rejects.toThrow('caller gave up');
    expect(srv.seen).toHaveLength(0);

    const during = new AbortController();
    // A sleep that never ends on its own: only the abort can end the wait.
    const neverSleep = (): Promise<void> => {
      queueMicrotask(() => during.abort(new Error('aborted while waiting')));
      return new Promise<void>(() => undefined);
    };
    await expect(client({ sleep: neverSleep }).fetch(`${base}/x`, { signal: during.signal })).rejects.toThrow(
      'aborted while waiting',
    );
    expect(srv.seen).toHaveLength(1);
  });

  it('aborts an attempt in flight', async () => {
    const timers: NodeJS.Timeout[] = [];
    srv.script((_req, res) => {
      timers.push(setTimeout(() => ok(_req, res, ''), 5000));
    });
    const ctl = new AbortController();
    const pending = client().fetch(`${base}/x`, { signal: ctl.signal });
    setTimeout(() => ctl.abort(new Error('stop now')), 50);
    await expect(pending).rejects.toThrow('stop now');
    timers.forEach(clearTimeout);
  });

  it('logs method and path only: no query string, headers or body', async () => {
    srv.script(status(429, { 'retry-after': '0' }), ok);
    const { logger, lines } = recordingLogger();
    const res = await client({ logger, sleep: fakeSleep().sleep }).fetch(`${base}/oauth2/v2.0/token?code=SECRET-CODE-123`, {
      method: 'POST',
      idempotent: true,
      headers: { authorization: 'Bearer SECRET-TOKEN-456' },
      body: 'client_secret=SECRET-789',
    });
    expect(res.status).toBe(200);
    expect(srv.seen[0]?.headers.authorization).toBe('Bearer SECRET-TOKEN-456');
    const all = lines.join('\n');
    expect(all).toContain('/oauth2/v2.0/token');
    expect(all).toContain('POST');
    expect(all).toContain('http retry');
    for (const secret of ['SECRET-CODE-123', 'SECRET-TOKEN-456', 'SECRET-789', 'code=', '127.0.0.1']) {
      expect(all).not.toContain(secret);
    }
  });

  it('rejects nonsensical options with a RangeError', () => {
    expect(() => createHttpClient({ timeoutMs: 0 })).toThrow(RangeError);
    expect(() => createHttpClient({ retry: { maxRetries: -1 } })).toThrow(RangeError);
    expect(() => createHttpClient({ retry: { maxRetries: 1.5 } })).toThrow(RangeError);
  });

  it('shows a request undici refuses to send (an invalid header) as the TypeError it is, sending nothing', async () => {
    srv.script(ok);
    const err = await client({ sleep: fakeSleep().sleep })
      .fetch(`${base}/x`, { headers: { 'bad name': 'v' } })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TypeError);
    expect(err).not.toBeInstanceOf(NetworkError);
    expect(srv.seen).toHaveLength(0);
  });

  it('builds its dispatcher once, on first use, and hands that one out', async () => {
    srv.script(ok);
    const http = client();
    const [a, b] = await Promise.all([http.getDispatcher(), http.getDispatcher()]);
    expect(a).toBe(b);
    expect((await http.fetch(`${base}/x`)).status).toBe(200);
    expect(await http.getDispatcher()).toBe(a);
  });

  it('once closed, rejects requests and getDispatcher() with a NetworkError, whether or not it ever sent one', async () => {
    srv.script(ok);
    const used = client();
    expect((await used.fetch(`${base}/x`)).status).toBe(200);
    const unused = client();
    await Promise.all([used.close(), unused.close(), unused.close()]);
    for (const http of [used, unused]) {
      const err = await http.fetch(`${base}/y`).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(NetworkError);
      expect(err).toMatchObject({ method: 'GET', path: '/y' });
      expect((err as Error).message).toMatch(/closed/);
      await expect(http.getDispatcher()).rejects.toBeInstanceOf(NetworkError);
    }
    expect(srv.seen.map((s) => s.url)).toEqual(['/x']);
  });

  it('rejects a proxy that is not a URL where it is configured, without echoing it', () => {
    let err: unknown;
    try {
      createHttpClient({ proxy: 'http://user:SECRET-PROXY-PASSWORD@proxy corp:8080' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TypeError);
    expect(String(err)).not.toContain('SECRET');
    expect((err as Error).cause).toBeUndefined();
  });

  it('goes through an HTTP proxy when one is configured', async () => {
    srv.script(ok);
    let tunnels = 0;
    const proxy = createServer();
    proxy.on('connect', (req: IncomingMessage, clientSocket: Socket, head: Buffer) => {
      tunnels++;
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
      const http = client({ proxy: proxyUrl });
      const res = await http.fetch(`${base}/via-proxy`);
      expect(res.status).toBe(200);
      expect(tunnels).toBe(1);
      expect(srv.seen.map((s) => s.url)).toEqual(['/via-proxy']);
      await http.close();
    } finally {
      proxy.closeAllConnections();
      await new Promise<void>((resolve) => proxy.close(() => resolve()));
    }
  });
});
