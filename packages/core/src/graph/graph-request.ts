import type { Response } from 'undici';
import { GraphError } from '../errors.js';
import type { HttpRequestInit } from '../http/http-client.js';
import type { GraphSession } from './graph-session.js';

/**
 * Options of {@link graphRequest}.
 *
 * @example
 * ```ts
 * const options: GraphRequestOptions = { method: 'PATCH', json: { jobTitle: 'Manager' } };
 * await graphRequest(session, 'users/adele@contoso.com', options);
 * ```
 */
export interface GraphRequestOptions {
  /** Default `GET`. */
  method?: string;
  /** Sent as JSON. */
  json?: unknown;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

const MAX_MESSAGE_LENGTH = 300;

/**
 * Sends a request through a {@link GraphSession} and returns the parsed JSON body (`undefined`
 * for 204). A non-2xx answer becomes a {@link GraphError} with status, Graph's `error.code` and
 * the request id; the access token is never part of it.
 *
 * @example
 * ```ts
 * const me = await graphRequest<{ displayName: string }>(session, 'me');
 * await graphRequest(session, 'me/sendMail', { method: 'POST', json: { message } });
 * ```
 */
export async function graphRequest<T = unknown>(
  session: GraphSession,
  url: string,
  options: GraphRequestOptions = {},
): Promise<T> {
  const method = (options.method ?? 'GET').toUpperCase();
  const headers: Record<string, string> = { ...options.headers };
  const init: HttpRequestInit = { method, headers };
  if (options.json !== undefined) {
    headers['content-type'] = 'application/json';
    init.body = JSON.stringify(options.json);
  }
  if (options.signal !== undefined) init.signal = options.signal;

  const response = await session.fetch(url, init);
  if (!response.ok) throw await graphErrorFromResponse(response, method);
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  if (text.trim() === '') return undefined as T;
  try {
    return JSON.parse(text) as T;
  } catch (cause) {
    throw new GraphError(
      `Microsoft Graph ${method} ${pathOf(response)} answered ${response.status} with a body that is not JSON`,
      { status: response.status, method, path: pathOf(response), ...ids(response), cause },
    );
  }
}

/**
 * GET shorthand of {@link graphRequest}.
 *
 * @example
 * ```ts
 * const page = await graphGet<{ value: unknown[] }>(session, 'users?$top=5');
 * ```
 */
export function graphGet<T = unknown>(session: GraphSession, url: string, options: Omit<GraphRequestOptions, 'method' | 'json'> = {}): Promise<T> {
  return graphRequest<T>(session, url, { ...options, method: 'GET' });
}

/**
 * Builds the {@link GraphError} for a non-2xx Graph answer, reading Graph's error body
 * (`{ error: { code, message, innerError: { 'request-id' } } }`) when there is one.
 *
 * @example
 * ```ts
 * const res = await session.fetch('users/nobody');
 * if (!res.ok) throw await graphErrorFromResponse(res, 'GET');
 * ```
 */
export async function graphErrorFromResponse(response: Response, method: string): Promise<GraphError> {
  const path = pathOf(response);
  let graphCode: string | undefined;
  let graphMessage: string | undefined;
  let innerRequestId: string | undefined;
  let cause: unknown;
  try {
    const text = await response.text();
    const body = text.trim() === '' ? undefined : (JSON.parse(text) as unknown);
    const error = isRecord(body) && isRecord(body.error) ? body.error : undefined;
    if (error !== undefined) {
      if (typeof error.code === 'string') graphCode = error.code;
      if (typeof error.message === 'string') graphMessage = error.message;
      const inner = isRecord(error.innerError) ? error.innerError : isRecord(error.innererror) ? error.innererror : undefined;
      if (inner !== undefined && typeof inner['request-id'] === 'string') innerRequestId = inner['request-id'];
    }
  } catch (e) {
    cause = e;
  }
  const { requestId, clientRequestId } = ids(response);
  const reqId = requestId ?? innerRequestId;
  const parts = [`Microsoft Graph ${method} ${path} answered ${response.status}`];
  if (graphCode !== undefined) parts.push(` ${graphCode}`);
  if (graphMessage !== undefined) parts.push(`: ${truncate(graphMessage)}`);
  if (reqId !== undefined) parts.push(` (request-id ${reqId})`);
  return new GraphError(parts.join(''), {
    status: response.status,
    method,
    path,
    ...(graphCode === undefined ? {} : { graphCode }),
    ...(reqId === undefined ? {} : { requestId: reqId }),
    ...(clientRequestId === undefined ? {} : { clientRequestId }),
    ...(cause === undefined ? {} : { cause }),
  });
}

function ids(response: Response): { requestId?: string; clientRequestId?: string } {
  const requestId = response.headers.get('request-id') ?? undefined;
  const clientRequestId = response.headers.get('client-request-id') ?? undefined;
  return {
    ...(requestId === undefined ? {} : { requestId }),
    ...(clientRequestId === undefined ? {} : { clientRequestId }),
  };
}

function pathOf(response: Response): string {
  try {
    return new URL(response.url).pathname;
  } catch {
    return '';
  }
}

function truncate(s: string): string {
  return s.length > MAX_MESSAGE_LENGTH ? `${s.slice(0, MAX_MESSAGE_LENGTH)}...` : s;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
