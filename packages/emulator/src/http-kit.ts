import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { AadFailure } from './identity/aad-errors.js';
import { logText, type RecordedRequest } from './request-log.js';

/** Default cap on request bodies. */
export const MAX_BODY_BYTES = 1024 * 1024;
/** Past this many bytes an oversized body is no longer drained: the socket is closed. */
const MAX_DRAIN_BYTES = 16 * 1024 * 1024;

/** One request being answered. */
export interface RequestContext {
  req: IncomingMessage;
  res: ServerResponse;
  method: string;
  url: URL;
  path: string;
  body: Buffer;
  bodyTooLarge: boolean;
  /** `client-request-id` when the client sent a valid one, else a fresh GUID. */
  correlationId: string;
  /** Whether the client sent `client-request-id`. */
  clientRequestId: string | undefined;
  traceId: string;
  log: RecordedRequest;
}

const GUIDISH = /^[0-9a-zA-Z-]{1,64}$/;

/** Reads the body up to `limit` bytes; a larger body is drained and flagged, not buffered. */
export function readBody(req: IncomingMessage, limit: number): Promise<{ body: Buffer; tooLarge: boolean }> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      resolve({ body: tooLarge ? Buffer.alloc(0) : Buffer.concat(chunks), tooLarge });
    };
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        tooLarge = true;
        chunks.length = 0;
        if (size > MAX_DRAIN_BYTES) {
          // Answering first and closing after is kinder, but a client streaming without end
          // must not keep a core busy.
          finish();
          req.destroy();
        }
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', finish);
    req.on('error', finish);
    req.on('close', finish);
  });
}

/** Makes the context for a request whose body has been read. */
export function createContext(
  req: IncomingMessage,
  res: ServerResponse,
  body: Buffer,
  bodyTooLarge: boolean,
  now: number,
): RequestContext {
  let url: URL;
  try {
    url = new URL(req.url ?? '/', 'https://emulator.invalid');
  } catch {
    // An unparsable target routes nowhere and gets the platform's 404.
    url = new URL('/_invalid_target', 'https://emulator.invalid');
  }
  const header = req.headers['client-request-id'];
  const sent = typeof header === 'string' && GUIDISH.test(header) ? header : undefined;
  return {
    req,
    res,
    method: (req.method ?? 'GET').toUpperCase(),
    url,
    path: url.pathname,
    body,
    bodyTooLarge,
    correlationId: sent ?? randomUUID(),
    clientRequestId: sent,
    traceId: randomUUID(),
    log: { method: logText((req.method ?? 'GET').toUpperCase(), 32), path: logText(url.pathname, 2048), status: 0, time: now },
  };
}

/** Parameters of a form body or query string, with duplicates detected. */
export interface Params {
  get(name: string): string | undefined;
  has(name: string): boolean;
  /** Names that appeared more than once. */
  duplicates: string[];
  names: string[];
}

/** Wraps URLSearchParams, remembering duplicated names. */
export function toParams(search: URLSearchParams): Params {
  const seen = new Map<string, string>();
  const duplicates: string[] = [];
  for (const [k, val] of search) {
    if (seen.has(k)) {
      if (!duplicates.includes(k)) duplicates.push(k);
    } else {
      seen.set(k, val);
    }
  }
  return {
    get: (n) => seen.get(n),
    has: (n) => seen.has(n),
    duplicates,
    names: [...seen.keys()],
  };
}

/**
 * The form parameters of a POST body. Bodies that are not `application/x-www-form-urlencoded`
 * give no parameters (as Entra, which then reports the first missing one).
 */
export function formParams(ctx: RequestContext): Params {
  const type = String(ctx.req.headers['content-type'] ?? '').toLowerCase();
  if (!type.startsWith('application/x-www-form-urlencoded')) return toParams(new URLSearchParams());
  const text = ctx.body.toString('utf8');
  if (text.includes('\uFFFD')) throw new AadFailure(9002313, { reason: 'The body is not valid UTF-8.' });
  return toParams(new URLSearchParams(text));
}

/** Throws AADSTS9002313 when a parameter is duplicated. */
export function rejectDuplicates(params: Params): void {
  if (params.duplicates.length > 0) {
    throw new AadFailure(9002313, { reason: `Duplicate parameter '${params.duplicates[0] ?? ''}'.` });
  }
}

/** Sends a JSON answer. */
export function sendJson(
  ctx: RequestContext,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  ctx.log.status = status;
  ctx.res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    ...headers,
  });
  ctx.res.end(text);
}

/** Sends an HTML page. */
export function sendHtml(ctx: RequestContext, status: number, html: string, headers: Record<string, string> = {}): void {
  ctx.log.status = status;
  ctx.res.writeHead(status, {
    'Content-Type': 'text/html; charset=utf-8',
    'Content-Length': Buffer.byteLength(html),
    'Cache-Control': 'no-store',
    ...headers,
  });
  ctx.res.end(html);
}

/** Sends a 302 to `location`. */
export function sendRedirect(ctx: RequestContext, location: string, headers: Record<string, string> = {}): void {
  ctx.log.status = 302;
  ctx.res.writeHead(302, { Location: location, 'Content-Length': 0, 'Cache-Control': 'no-store', ...headers });
  ctx.res.end();
}

/** Sends an empty answer. */
export function sendEmpty(ctx: RequestContext, status: number, headers: Record<string, string> = {}): void {
  ctx.log.status = status;
  ctx.res.writeHead(status, { 'Content-Length': 0, ...headers });
  ctx.res.end();
}

/** Escapes text for HTML content and attribute values. */
export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** Reads a cookie value. */
export function readCookie(ctx: RequestContext, name: string): string | undefined {
  const header = ctx.req.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}
