import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AuthenticationError } from '../errors.js';

/** A one-shot HTTP server on the loopback interface catching the authorization redirect. */
export interface LoopbackRedirect {
  /** The redirect URI to send to the identity platform (with the port actually bound). */
  readonly redirectUri: string;
  /** Resolves with the full redirected URL (query included) at the first request on the redirect path. */
  readonly redirected: Promise<string>;
  close(): Promise<void>;
}

/** Whether a redirect URI is one this library catches itself (`http://localhost[:port]/...`, `http://127.0.0.1...`). */
export function isLoopbackRedirectUri(redirectUri: string | undefined): boolean {
  if (!redirectUri) return false;
  try {
    const url = new URL(redirectUri);
    return url.protocol === 'http:' && (url.hostname === 'localhost' || url.hostname === '127.0.0.1');
  } catch {
    return false;
  }
}

const PAGE = (ok: boolean): string =>
  `<!doctype html><html><head><meta charset="utf-8"><title>o365-ts sign-in</title></head><body><p>${
    ok ? 'Sign-in complete. You can close this window and return to the application.' : 'Sign-in failed. Return to the application for details.'
  }</p></body></html>`;

/** Options of {@link startLoopbackRedirect}. */
export interface LoopbackRedirectOptions {
  /**
   * The `state` sent in the authorization request. When given, only a request carrying exactly
   * this `state` ends the sign-in; any other local request (another program probing the port, a
   * forged `?code=x`) gets a 400 and the server keeps waiting for the real redirect.
   */
  expectedState?: string;
}

/**
 * Listens on 127.0.0.1 at the redirect URI's port (or a free one when it has none: the identity
 * platform accepts any port for loopback redirect URIs) until the redirect arrives.
 *
 * @example
 * ```ts
 * const loopback = await startLoopbackRedirect('http://localhost', { expectedState: flow.state });
 * const redirectedUrl = await loopback.redirected;
 * await loopback.close();
 * ```
 */
export async function startLoopbackRedirect(redirectUri: string, options: LoopbackRedirectOptions = {}): Promise<LoopbackRedirect> {
  const wanted = new URL(redirectUri);
  const path = wanted.pathname || '/';
  let resolveRedirect!: (url: string) => void;
  const redirected = new Promise<string>((resolve) => {
    resolveRedirect = resolve;
  });
  let done = false;
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', `http://${req.headers.host ?? '127.0.0.1'}`);
    // A request without `code`, `error` or `state` is not the identity platform's redirect (a
    // stray request, a prefetch): answering it must not end the sign-in.
    const isRedirect = ['code', 'error', 'state'].some((name) => url.searchParams.has(name));
    if (req.method !== 'GET' || url.pathname !== path || done || !isRedirect) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('Not found');
      return;
    }
    if (options.expectedState !== undefined && url.searchParams.get('state') !== options.expectedState) {
      // Not the redirect of this sign-in: it must neither end nor abort it.
      res.writeHead(400, { 'content-type': 'text/plain' }).end('This request does not belong to the sign-in in progress');
      return;
    }
    done = true;
    const ok = url.searchParams.has('code') && !url.searchParams.has('error');
    res.writeHead(ok ? 200 : 400, { 'content-type': 'text/html; charset=utf-8', connection: 'close' }).end(PAGE(ok));
    resolveRedirect(`${actualUri}${url.search}`);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error) => {
      reject(new AuthenticationError(`Could not listen on 127.0.0.1:${wanted.port || 0} for the sign-in redirect`, { cause: error }));
    });
    server.listen(wanted.port === '' ? 0 : Number(wanted.port), '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const actual = new URL(wanted.href);
  actual.port = String(port);
  actual.search = '';
  actual.hash = '';
  const actualUri = wanted.pathname === '/' && !redirectUri.endsWith('/') ? actual.href.replace(/\/$/, '') : actual.href;
  return {
    redirectUri: actualUri,
    redirected,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
