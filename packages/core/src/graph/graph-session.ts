import { claimsFromChallenge } from '../auth/claims-challenge.js';
import { randomUUID } from 'node:crypto';
import type { Response } from 'undici';
import { O365Error } from '../errors.js';
import type { HttpClient, HttpRequestInit } from '../http/http-client.js';
import { noopLogger, type Logger } from '../logger.js';
import { throwIfAborted, untilAborted } from '../abort.js';
import { mergeDefaultHeaders, type RequestPacer } from './request-pacer.js';

/**
 * An authenticated `fetch` for Microsoft Graph: relative URLs resolve against the protocol's
 * `graphUrl` (`users` -> `https://graph.microsoft.com/v1.0/users`) and every request carries the
 * access token. `account.connection.getSession()` returns one that also refreshes the token.
 *
 * @example
 * ```ts
 * const session = account.connection.getSession();
 * const res = await session.fetch('me?$select=displayName');
 * console.log((await res.json()).displayName);
 * ```
 */
export interface GraphSession {
  fetch(url: string, init?: HttpRequestInit): Promise<Response>;
}

/**
 * Options of {@link createGraphSession}.
 *
 * @example
 * ```ts
 * const options: CreateGraphSessionOptions = { http: createHttpClient(), graphUrl: new MSGraphProtocol().graphUrl, getAccessToken: () => token };
 * const session = createGraphSession(options);
 * ```
 */
export interface CreateGraphSessionOptions {
  http: HttpClient;
  /** Base for relative URLs, e.g. `protocol.graphUrl`. Absolute URLs must share its origin. */
  graphUrl: string;
  /**
   * Returns a valid access token; called for every request, so it should serve from memory.
   * After a 401 (with `refreshOn401`), called once more with the token the server `refused` and,
   * when the 401 was a Continuous Access Evaluation challenge, the `claims` (JSON) it asked for.
   */
  getAccessToken: (request: { refused?: string; claims?: string }) => Promise<string> | string;
  /**
   * On a 401, get a token other than the refused one and send the request once more (what
   * `account.connection.getSession()` does). Default `false`: the 401 response is returned.
   */
  refreshOn401?: boolean;
  /** Receives redacted diagnostics (the 401 retry). */
  logger?: Logger;
  /** Sent with every request (a request's own header wins; `Prefer` values are joined). */
  defaultHeaders?: Readonly<Record<string, string>>;
  /** Spaces the starts of requests (python-o365's `requests_delay`); share one across sessions. */
  pacer?: RequestPacer;
}

/**
 * Resolves a Graph URL: a relative one against `graphUrl` (a leading `/` does not drop the API
 * version), an absolute one only if it has the same origin, so the token is never sent elsewhere.
 *
 * @example
 * ```ts
 * resolveGraphUrl('/users', 'https://graph.microsoft.com/v1.0/'); // https://graph.microsoft.com/v1.0/users
 * ```
 */
export function resolveGraphUrl(url: string, graphUrl: string): URL {
  return resolveAgainst(url, new URL(graphUrl.endsWith('/') ? graphUrl : `${graphUrl}/`));
}

const ABSOLUTE_URL = /^[a-z][a-z0-9+.-]*:/i;

function refuse(origin: string, base: URL): O365Error {
  return new O365Error(`Refusing to send the Graph access token to ${origin}: only ${base.origin} is trusted with it`);
}

function resolveAgainst(url: string, base: URL): URL {
  if (ABSOLUTE_URL.test(url)) {
    let absolute: URL;
    try {
      absolute = new URL(url);
    } catch (cause) {
      throw new O365Error(`Not a valid URL for Microsoft Graph: ${url.split('?')[0] ?? ''}`, { cause });
    }
    if (absolute.origin !== base.origin) throw refuse(absolute.origin, base);
    return absolute;
  }
  // Leading slashes and backslashes are dropped so `/users` stays under the API version; and the
  // origin is checked after resolving, because the URL parser reads `\\host/x` (and a relative
  // reference behind leading spaces or tabs, which it strips) as another host for https: the
  // token must never follow it there. host + protocol is origin without building its string.
  const first = url.charCodeAt(0);
  const resolved = new URL(first === 47 /* / */ || first === 92 /* \ */ ? url.replace(/^[/\\]+/, '') : url, base);
  if (resolved.host !== base.host || resolved.protocol !== base.protocol) throw refuse(resolved.origin, base);
  return resolved;
}

type HeadersInit = NonNullable<HttpRequestInit['headers']>;

/** A Headers-like view of a plain record with lowercase names, for {@link mergeDefaultHeaders}. */
function recordHeaders(record: Record<string, string>): { get(name: string): string | null; set(name: string, value: string): void; has(name: string): boolean } {
  return {
    get: (name) => record[name.toLowerCase()] ?? null,
    set: (name, value) => {
      record[name.toLowerCase()] = value;
    },
    has: (name) => Object.hasOwn(record, name.toLowerCase()),
  };
}

/**
 * The caller's headers as a plain record with lowercase names (values of a repeated name joined
 * as `Headers` joins them). undici builds its own `Headers` from what `fetch` gets, so building a
 * `Headers` here as well cost a second copy and validation per request; undici still validates
 * names and values once.
 */
function headersRecord(input: HttpRequestInit['headers']): Record<string, string> {
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  if (input === undefined || input === null) return out;
  const add = (name: string, value: string): void => {
    const key = name.toLowerCase();
    const previous = out[key];
    out[key] = previous === undefined ? value : `${previous}, ${value}`;
  };
  const iterable = input as Partial<Iterable<unknown>>;
  if (typeof iterable[Symbol.iterator] === 'function') {
    // An array of pairs or a Headers (undici's, Node's global one, or any other implementation).
    for (const pair of input as Iterable<readonly [string, string]>) add(String(pair[0]), String(pair[1]));
    return out;
  }
  for (const [name, value] of Object.entries(input as Record<string, string | readonly string[] | undefined>)) {
    if (value === undefined) continue;
    add(name, typeof value === 'string' ? value : value.join(', '));
  }
  return out;
}

/**
 * A {@link GraphSession} over an {@link HttpClient} and a token source: the one Graph session of
 * o365-ts (the Connection's session is this with `refreshOn401`). Use it directly when you manage
 * tokens yourself.
 *
 * @example
 * ```ts
 * const session = createGraphSession({ http: createHttpClient(), graphUrl: new MSGraphProtocol().graphUrl,
 *   getAccessToken: () => process.env.GRAPH_TOKEN ?? '' });
 * const directory = new Directory({ session, protocol: new MSGraphProtocol() });
 * ```
 */
export function createGraphSession(options: CreateGraphSessionOptions): GraphSession {
  const logger = options.logger ?? noopLogger;
  // Parsed once: every request resolves against it.
  const base = new URL(options.graphUrl.endsWith('/') ? options.graphUrl : `${options.graphUrl}/`);
  const defaultHeaders = options.defaultHeaders !== undefined && Object.keys(options.defaultHeaders).length > 0 ? options.defaultHeaders : undefined;
  const send = (target: URL, init: HttpRequestInit, token: string): Promise<Response> => {
    let headers: HeadersInit;
    if ((init.headers === undefined || init.headers === null) && defaultHeaders === undefined) {
      // The common case (a plain `session.fetch('me')`): nothing to merge.
      headers = { authorization: `Bearer ${token}`, accept: 'application/json', 'client-request-id': randomUUID() };
    } else {
      const record = headersRecord(init.headers);
      if (defaultHeaders !== undefined) mergeDefaultHeaders(recordHeaders(record), defaultHeaders);
      record.authorization = `Bearer ${token}`;
      record.accept ??= 'application/json';
      // Graph echoes it back; it ties a failure in our logs to Microsoft's.
      record['client-request-id'] ??= randomUUID();
      headers = record;
    }
    if (options.pacer) return options.pacer.wait().then(() => options.http.fetch(target, { ...init, headers }));
    return options.http.fetch(target, { ...init, headers });
  };
  return {
    async fetch(url: string, init: HttpRequestInit = {}): Promise<Response> {
      const target = resolveAgainst(url, base);
      const signal = init.signal ?? undefined;
      throwIfAborted(signal);
      const first = await untilAborted(Promise.resolve(options.getAccessToken({})), signal);
      const response = await send(target, init, first);
      if (response.status !== 401 || options.refreshOn401 !== true) return response;
      // The server refused the token (revoked, expired early, clock skew, a CAE event): one new
      // token, with the claims a CAE challenge asks for, and one retry.
      const claims = claimsFromChallenge(response.headers.get('www-authenticate'));
      // Read (not cancel) the small error body so the connection is reused rather than torn down.
      await response.text().catch(() => '');
      logger.debug(claims ? 'Graph answered 401 with a claims challenge; getting a new access token with the claims' : 'Graph answered 401; getting a new access token', {
        path: target.pathname,
      });
      const second = await untilAborted(Promise.resolve(options.getAccessToken(claims ? { refused: first, claims } : { refused: first })), signal);
      return send(target, init, second);
    },
  };
}
