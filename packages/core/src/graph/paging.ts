import { GraphError, O365Error } from '../errors.js';
import { graphGet } from './graph-request.js';
import type { GraphSession } from './graph-session.js';

/**
 * python-o365's `NEXT_LINK_KEYWORD`.
 *
 * @example
 * ```ts
 * const next = page[NEXT_LINK_KEYWORD]; // the URL of the next page, or undefined
 * ```
 */
export const NEXT_LINK_KEYWORD = '@odata.nextLink';

/**
 * Options of {@link iterateGraphPages}.
 *
 * @example
 * ```ts
 * const options: GraphPagingOptions<string> = { limit: 20, map: (item) => String(item['displayName']) };
 * for await (const name of iterateGraphPages(session, 'users', options)) console.log(name);
 * ```
 */
export interface GraphPagingOptions<T> {
  /** Stop after this many items; no further page is requested once it is reached. Default: no limit. */
  limit?: number;
  /** Safety bound on requests, against a server that never stops paging. Default 10 000. */
  maxPages?: number;
  signal?: AbortSignal;
  /** Headers sent with every page request, e.g. `{ ConsistencyLevel: 'eventual' }`. */
  headers?: Record<string, string>;
  /** Turns one item of `value` into what the iterator yields. */
  map: (item: Record<string, unknown>) => T;
}

const DEFAULT_MAX_PAGES = 10_000;

/**
 * Iterates a Graph collection across pages, following `@odata.nextLink`. Each page is fetched
 * only when the previous one is consumed. `nextLink` must stay on the first URL's origin (the
 * token is never sent elsewhere) and never repeat.
 *
 * @example
 * ```ts
 * for await (const u of iterateGraphPages(session, `${protocol.graphUrl}users?$top=50`, { limit: 120, map: (j) => new User(j) })) {
 *   console.log(u.displayName);
 * }
 * ```
 */
export async function* iterateGraphPages<T>(
  session: GraphSession,
  firstUrl: string,
  options: GraphPagingOptions<T>,
): AsyncGenerator<T, void, undefined> {
  const limit = options.limit ?? Number.POSITIVE_INFINITY;
  const maxPages = options.maxPages ?? DEFAULT_MAX_PAGES;
  if (!(limit >= 0) || (Number.isFinite(limit) && !Number.isInteger(limit))) {
    throw new RangeError(`limit must be a non-negative integer or Infinity, got ${String(options.limit)}`);
  }
  if (!(Number.isInteger(maxPages) && maxPages > 0)) {
    throw new RangeError(`maxPages must be a positive integer, got ${String(options.maxPages)}`);
  }
  if (limit === 0) return;

  const origin = new URL(firstUrl).origin;
  const seen = new Set<string>();
  let url: string | undefined = new URL(firstUrl).href;
  let yielded = 0;
  for (let page = 1; url !== undefined; page++) {
    if (page > maxPages) {
      throw new O365Error(`Stopped paging after ${maxPages} pages (maxPages); the collection did not end`);
    }
    seen.add(url);
    const body: unknown = await graphGet(session, url, {
      ...(options.signal === undefined ? {} : { signal: options.signal }),
      ...(options.headers === undefined ? {} : { headers: options.headers }),
    });
    const pageUrlPath = new URL(url).pathname;
    if (!isRecord(body) || !Array.isArray(body.value)) {
      throw new GraphError(`Microsoft Graph GET ${pageUrlPath} answered a page without a "value" array`, {
        status: 200,
        method: 'GET',
        path: pageUrlPath,
      });
    }
    for (const item of body.value) {
      if (!isRecord(item)) continue;
      yield options.map(item);
      yielded++;
      if (yielded >= limit) return;
    }
    const next = body[NEXT_LINK_KEYWORD];
    if (next === undefined || next === null) return;
    if (typeof next !== 'string') {
      throw new GraphError(`Microsoft Graph GET ${pageUrlPath} answered a non-string ${NEXT_LINK_KEYWORD}`, {
        status: 200,
        method: 'GET',
        path: pageUrlPath,
      });
    }
    let nextUrl: URL;
    try {
      nextUrl = new URL(next, url);
    } catch (cause) {
      throw new GraphError(`Microsoft Graph GET ${pageUrlPath} answered an invalid ${NEXT_LINK_KEYWORD}`, {
        status: 200,
        method: 'GET',
        path: pageUrlPath,
        cause,
      });
    }
    if (nextUrl.origin !== origin) {
      throw new O365Error(
        `${NEXT_LINK_KEYWORD} points to ${nextUrl.origin}, not ${origin}; refusing to send the access token there`,
      );
    }
    if (seen.has(nextUrl.href)) {
      throw new O365Error(`${NEXT_LINK_KEYWORD} repeats a page already read (${nextUrl.pathname}); stopping`);
    }
    url = nextUrl.href;
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
