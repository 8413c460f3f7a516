import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GraphError, O365Error } from '../errors.js';
import { createHttpClient, type HttpClient } from '../http/http-client.js';
import { graphGet, graphRequest } from './graph-request.js';
import { createGraphSession, resolveGraphUrl, type GraphSession } from './graph-session.js';
import { iterateGraphPages } from './paging.js';

// Graph misbehaviours the emulator does not produce (foreign or looping nextLinks, broken pages),
// served by a real loopback server.
type Route = (req: IncomingMessage, res: ServerResponse, base: string) => void;

const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void => {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(typeof body === 'string' ? body : JSON.stringify(body));
};

describe('Graph paging and error mapping against a loopback server', () => {
  let server: Server;
  let base = '';
  let http: HttpClient;
  let session: GraphSession;
  const seen: { path: string; auth: string | undefined; clientRequestId: string | undefined }[] = [];
  const routes = new Map<string, Route>();

  beforeAll(async () => {
    server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      seen.push({
        path: `${url.pathname}${url.search}`,
        auth: req.headers.authorization,
        clientRequestId: req.headers['client-request-id'] as string | undefined,
      });
      const route = routes.get(url.pathname);
      if (route === undefined) json(res, 404, { error: { code: 'Request_ResourceNotFound', message: 'no route' } });
      else route(req, res, base);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1.0/`;
    http = createHttpClient({ retry: { maxRetries: 0 } });
    session = createGraphSession({ http, graphUrl: base, getAccessToken: () => 'test-token-abc' });

    // 3 pages of 2 items, nextLink carries a skiptoken.
    routes.set('/v1.0/items', (req, res, b) => {
      const page = Number(new URL(req.url ?? '', 'http://x').searchParams.get('$skiptoken') ?? '0');
      const value = [{ n: page * 2 }, { n: page * 2 + 1 }];
      json(res, 200, page < 2 ? { value, '@odata.nextLink': `${b}items?$skiptoken=${page + 1}` } : { value });
    });
    routes.set('/v1.0/loop', (_req, res, b) => json(res, 200, { value: [{ n: 1 }], '@odata.nextLink': `${b}loop` }));
    routes.set('/v1.0/foreign', (_req, res) =>
      json(res, 200, { value: [{ n: 1 }], '@odata.nextLink': 'https://evil.example/v1.0/steal' }),
    );
    routes.set('/v1.0/novalue', (_req, res) => json(res, 200, { items: [] }));
    routes.set('/v1.0/garbage', (_req, res) => json(res, 200, '{"value": [tru'));
    routes.set('/v1.0/html-error', (_req, res) => {
      res.writeHead(502, { 'content-type': 'text/html', 'request-id': 'rid-502' });
      res.end('<html>Bad gateway</html>');
    });
    routes.set('/v1.0/forbidden', (_req, res) =>
      json(
        res,
        403,
        { error: { code: 'Authorization_RequestDenied', message: 'Insufficient privileges to complete the operation.', innerError: { 'request-id': 'inner-rid', date: '2024-01-01T00:00:00' } } },
        { 'client-request-id': 'crid-1' },
      ),
    );
    routes.set('/v1.0/nocontent', (_req, res) => {
      res.writeHead(204);
      res.end();
    });
  });

  afterAll(async () => {
    await http.close();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
    const out: T[] = [];
    for await (const x of it) out.push(x);
    return out;
  }

  it('follows nextLink across pages and sends the token to the same origin only', async () => {
    seen.length = 0;
    const items = await collect(iterateGraphPages(session, `${base}items`, { map: (j) => j.n }));
    expect(items).toEqual([0, 1, 2, 3, 4, 5]);
    expect(seen.map((s) => s.path)).toEqual(['/v1.0/items', '/v1.0/items?$skiptoken=1', '/v1.0/items?$skiptoken=2']);
    expect(seen.every((s) => s.auth === 'Bearer test-token-abc')).toBe(true);
    expect(new Set(seen.map((s) => s.clientRequestId)).size).toBe(3);
  });

  it('stops requesting pages once the limit is reached', async () => {
    seen.length = 0;
    expect(await collect(iterateGraphPages(session, `${base}items`, { limit: 3, map: (j) => j.n }))).toEqual([0, 1, 2]);
    expect(seen).toHaveLength(2);
    seen.length = 0;
    expect(await collect(iterateGraphPages(session, `${base}items`, { limit: 2, map: (j) => j.n }))).toEqual([0, 1]);
    expect(seen).toHaveLength(1);
    seen.length = 0;
    expect(await collect(iterateGraphPages(session, `${base}items`, { limit: 0, map: (j) => j.n }))).toEqual([]);
    expect(seen).toHaveLength(0);
  });

  it('fetches lazily: a page is requested only when the previous one is consumed', async () => {
    seen.length = 0;
    const it = iterateGraphPages(session, `${base}items`, { map: (j) => j.n });
    await it.next();
    await it.next();
    expect(seen).toHaveLength(1);
    await it.next();
    expect(seen).toHaveLength(2);
    await it.return(undefined);
  });

  it('refuses a nextLink to another host, a repeated nextLink, and too many pages', async () => {
    seen.length = 0;
    const foreign = await collect(iterateGraphPages(session, `${base}foreign`, { map: (j) => j.n })).catch((e: unknown) => e);
    expect(foreign).toBeInstanceOf(O365Error);
    expect((foreign as Error).message).toMatch(/evil\.example.*refusing/);
    expect(seen.map((s) => s.path)).toEqual(['/v1.0/foreign']);

    const loop = await collect(iterateGraphPages(session, `${base}loop`, { map: (j) => j.n })).catch((e: unknown) => e);
    expect((loop as Error).message).toMatch(/repeats a page/);

    const bounded = await collect(iterateGraphPages(session, `${base}items`, { maxPages: 2, map: (j) => j.n })).catch(
      (e: unknown) => e,
    );
    expect((bounded as Error).message).toMatch(/after 2 pages/);
  });

  it('rejects a page without a value array and a body that is not JSON', async () => {
    const novalue = await collect(iterateGraphPages(session, `${base}novalue`, { map: (j) => j })).catch((e: unknown) => e);
    expect(novalue).toBeInstanceOf(GraphError);
    expect((novalue as GraphError).message).toMatch(/without a "value" array/);
    const garbage = await graphGet(session, 'garbage').catch((e: unknown) => e);
    expect(garbage).toBeInstanceOf(GraphError);
    expect((garbage as GraphError).cause).toBeInstanceOf(SyntaxError);
    expect((garbage as GraphError).status).toBe(200);
  });

  it('maps error answers to GraphError with code and ids, never the token', async () => {
    const denied = (await graphGet(session, '/forbidden').catch((e: unknown) => e)) as GraphError;
    expect(denied).toBeInstanceOf(GraphError);
    expect(denied).toMatchObject({
      code: 'GRAPH_ERROR',
      status: 403,
      graphCode: 'Authorization_RequestDenied',
      requestId: 'inner-rid',
      clientRequestId: 'crid-1',
      method: 'GET',
      path: '/v1.0/forbidden',
    });
    expect(denied.message).toContain('Insufficient privileges');
    const html = (await graphGet(session, 'html-error').catch((e: unknown) => e)) as GraphError;
    expect(html).toMatchObject({ status: 502, requestId: 'rid-502' });
    expect(html.graphCode).toBeUndefined();
    for (const e of [denied, html]) expect(JSON.stringify({ ...e, m: e.message, s: e.stack })).not.toContain('test-token-abc');
  });

  it('returns undefined for a 204 answer', async () => {
    expect(await graphRequest(session, 'nocontent', { method: 'DELETE' })).toBeUndefined();
  });

  it('resolves relative URLs under the API version and keeps the token on its origin', () => {
    expect(resolveGraphUrl('/users?$top=1', 'https://graph.microsoft.com/v1.0/').href).toBe(
      'https://graph.microsoft.com/v1.0/users?$top=1',
    );
    expect(resolveGraphUrl('me', 'https://graph.microsoft.com/beta').href).toBe('https://graph.microsoft.com/beta/me');
    expect(resolveGraphUrl('https://graph.microsoft.com/v1.0/me', 'https://graph.microsoft.com/beta/').href).toBe(
      'https://graph.microsoft.com/v1.0/me',
    );
    expect(() => resolveGraphUrl('https://evil.example/me', 'https://graph.microsoft.com/v1.0/')).toThrow(/Refusing/);
  });

  it('keeps the token on its origin for relative URLs the URL parser would read as another host', async () => {
    const graph = 'https://graph.microsoft.com/v1.0/';
    // Backslashes count as slashes for https; leading spaces and tabs are stripped before that.
    for (const sneaky of ['\\\\evil.example/me', '\\/evil.example/me', ' \\\\evil.example/me', '\t\\\\evil.example/me']) {
      let resolved: string;
      try {
        resolved = resolveGraphUrl(sneaky, graph).href;
      } catch (error) {
        expect(error).toBeInstanceOf(O365Error);
        expect((error as Error).message).toMatch(/Refusing to send the Graph access token/);
        continue;
      }
      expect(new URL(resolved).origin).toBe('https://graph.microsoft.com');
    }
    expect(resolveGraphUrl('/\\users', graph).href).toBe('https://graph.microsoft.com/v1.0/users');
    // Through the session: leading backslashes are dropped (the request stays on this server, as a
    // path), and what the parser would still send elsewhere is refused before any request.
    seen.length = 0;
    const stayed = await session.fetch('\\\\127.0.0.2:1/v1.0/me');
    await stayed.text();
    expect(seen.map((s) => s.path)).toEqual(['/v1.0/127.0.0.2:1/v1.0/me']);
    await expect(session.fetch(' \\\\127.0.0.2:1/v1.0/me')).rejects.toThrow(/Refusing to send the Graph access token/);
    expect(seen).toHaveLength(1);
  });

  it('does not call the network when the session refuses a foreign URL', async () => {
    seen.length = 0;
    await expect(session.fetch('http://127.0.0.2:1/v1.0/me')).rejects.toThrow(/Refusing to send the Graph access token/);
    expect(seen).toHaveLength(0);
  });
});
