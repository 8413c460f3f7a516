import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { createContext, readBody, sendHtml, sendJson, type RequestContext } from './http-kit.js';
import { AadFailure, aadTimestamp, buildAadError } from './identity/aad-errors.js';
import { handleAuthorize, NATIVE_CLIENT_PATH } from './identity/authorize.js';
import { DEVICE_LOGIN_PATH, handleDeviceCode, handleDeviceLogin } from './identity/device-code.js';
import { handleInstanceDiscovery, handleJwks, handleLogout, handleOpenIdConfiguration } from './identity/discovery.js';
import { errorPage } from './identity/pages.js';
import { handleToken } from './identity/token-endpoint.js';
import { prefetchFederationKeys } from './identity/federation.js';
import { APP_SERVICE_IDENTITY_PATH, handleManagedIdentity, IMDS_TOKEN_PATH } from './identity/managed-identity.js';
import { graphErrorBody, graphHeaders, handleGraph, handleUserInfo } from './graph/graph-api.js';
import { handleAdmin, ADMIN_PREFIX } from './admin-api.js';
import type { ActiveFault } from './faults.js';
import type { EmulatorState } from './state.js';

/**
 * Where the emulator reports its own failures (never secrets).
 *
 * @example
 * ```ts
 * const emu = await startEmulator({ logger: { warn: console.warn, error: console.error } });
 * ```
 */
export interface EmulatorLogger {
  warn(message: string, meta?: Record<string, unknown>): void;
  error(message: string, meta?: Record<string, unknown>): void;
}

/** A logger that drops everything. */
export const silentLogger: EmulatorLogger = { warn: () => undefined, error: () => undefined };

const TENANT_SEGMENT = /^[A-Za-z0-9._-]{1,256}$/;
const GRAPH_VERSIONS = new Set(['v1.0', 'beta']);

function isGraphPath(path: string): boolean {
  const first = path.split('/')[1] ?? '';
  return GRAPH_VERSIONS.has(first);
}

function sendAad(state: EmulatorState, ctx: RequestContext, failure: AadFailure): void {
  const answer = buildAadError(failure, {
    now: state.clock.now(),
    traceId: ctx.traceId,
    correlationId: ctx.correlationId,
    baseUrl: state.url,
  });
  const headers: Record<string, string> = { 'Cache-Control': 'no-store, no-cache', 'x-ms-request-id': ctx.traceId };
  if (ctx.clientRequestId) headers['client-request-id'] = ctx.clientRequestId;
  sendJson(ctx, answer.status, answer.body, headers);
}

function notFound(state: EmulatorState, ctx: RequestContext): void {
  sendAad(state, ctx, new AadFailure(9002313, { reason: `No endpoint at '${ctx.path}'.` }, { status: 404, error: 'not_found' }));
}

function routeIdentity(state: EmulatorState, ctx: RequestContext): void {
  const segments = ctx.path.split('/').filter(Boolean);
  const tenant = segments[0];
  if (!tenant || !TENANT_SEGMENT.test(tenant)) {
    notFound(state, ctx);
    return;
  }
  const rest = segments.slice(1).join('/').toLowerCase();
  switch (rest) {
    case 'oauth2/v2.0/token':
      handleToken(state, ctx, tenant);
      return;
    case 'oauth2/v2.0/authorize':
      handleAuthorize(state, ctx, tenant);
      return;
    case 'oauth2/v2.0/devicecode':
      handleDeviceCode(state, ctx, tenant);
      return;
    case 'oauth2/v2.0/logout':
      handleLogout(state, ctx, tenant);
      return;
    case 'v2.0/.well-known/openid-configuration':
    case '.well-known/openid-configuration':
      handleOpenIdConfiguration(state, ctx, tenant);
      return;
    case 'discovery/v2.0/keys':
    case 'discovery/keys':
      handleJwks(state, ctx, tenant);
      return;
    case 'discovery/instance':
      handleInstanceDiscovery(state, ctx);
      return;
    default:
      notFound(state, ctx);
  }
}

function route(state: EmulatorState, ctx: RequestContext): void {
  if (ctx.bodyTooLarge) {
    const limit = String(state.settings.maxBodyBytes);
    if (isGraphPath(ctx.path)) {
      sendJson(ctx, 413, graphErrorBody(state, ctx, 'RequestEntityTooLarge', `The request body exceeds ${limit} bytes.`), graphHeaders(ctx));
    } else {
      sendAad(state, ctx, new AadFailure(9002331, { limit }));
    }
    return;
  }
  if (isGraphPath(ctx.path)) {
    handleGraph(state, ctx);
    return;
  }
  if (ctx.path === DEVICE_LOGIN_PATH) {
    handleDeviceLogin(state, ctx);
    return;
  }
  if (ctx.path === '/') {
    sendJson(ctx, 200, {
      name: 'o365-ts emulator',
      authorityHost: state.url,
      graphUrl: `${state.url}/`,
      tenants: state.directory.tenants.map((t) => ({ id: t.id, domain: t.seed.domain })),
      openIdConfiguration: `${state.url}/common/v2.0/.well-known/openid-configuration`,
      deviceLogin: `${state.url}${DEVICE_LOGIN_PATH}`,
    });
    return;
  }
  if (ctx.path === '/oidc/userinfo') {
    handleUserInfo(state, ctx);
    return;
  }
  if (ctx.path === NATIVE_CLIENT_PATH && ctx.method === 'GET') {
    // Like Microsoft's page: blank; the client reads the code from the address bar.
    sendHtml(ctx, 200, '<!DOCTYPE html><html><head><title>nativeclient</title></head><body></body></html>');
    return;
  }
  if (ctx.path === '/error') {
    const code = Number(ctx.url.searchParams.get('code'));
    sendHtml(ctx, 200, errorPage(Number.isInteger(code) ? code : 0, 'See the error_description of the answer that linked here.'));
    return;
  }
  // msal-node canonicalises the endpoint it builds from the environment with a trailing
  // slash (`.../oauth2/token/`); Azure's endpoints take both spellings.
  const identityPath = ctx.path.length > 1 ? ctx.path.replace(/\/+$/, '') : ctx.path;
  if (identityPath === IMDS_TOKEN_PATH) {
    handleManagedIdentity(state, ctx, 'imds');
    return;
  }
  if (identityPath === APP_SERVICE_IDENTITY_PATH) {
    handleManagedIdentity(state, ctx, 'appService');
    return;
  }
  routeIdentity(state, ctx);
}

function applyFault(state: EmulatorState, ctx: RequestContext, fault: ActiveFault): boolean {
  ctx.log.fault = fault.kind;
  switch (fault.kind) {
    case 'drop':
      ctx.log.status = 0;
      ctx.req.socket.destroy();
      return true;
    case 'malformed': {
      const text = isGraphPath(ctx.path) ? '{"@odata.context":"broken","value":[{"id":' : '{"token_type":"Bearer","access_tok';
      ctx.log.status = 200;
      ctx.res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
      ctx.res.end(text);
      return true;
    }
    case 'status': {
      const headers: Record<string, string> = {};
      if (fault.retryAfter !== undefined) headers['Retry-After'] = String(Math.ceil(fault.retryAfter));
      if (isGraphPath(ctx.path)) {
        const codes: Record<number, [string, string]> = {
          429: ['TooManyRequests', 'Too many requests. Retry after the time given in the Retry-After header.'],
          500: ['generalException', 'General exception while processing.'],
          502: ['BadGateway', 'The gateway received an invalid response.'],
          503: ['serviceNotAvailable', 'The service is temporarily unavailable.'],
          504: ['GatewayTimeout', 'The gateway timed out.'],
        };
        const [code, message] = codes[fault.status] ?? ['UnknownError', 'Error'];
        sendJson(ctx, fault.status, graphErrorBody(state, ctx, code, message), { ...graphHeaders(ctx), ...headers });
      } else if ([IMDS_TOKEN_PATH, APP_SERVICE_IDENTITY_PATH].includes(ctx.path.replace(/\/+$/, ''))) {
        // The managed identity endpoints answer in their own shape (IMDS: "Too many requests").
        const throttled = fault.status === 429;
        sendJson(
          ctx,
          fault.status,
          {
            error: throttled ? 'too_many_requests' : 'server_error',
            error_description: throttled ? 'Too many requests. Retry after the time given in the Retry-After header.' : 'The managed identity endpoint failed.',
          },
          { 'Cache-Control': 'no-store', ...headers },
        );
      } else {
        const answer = buildAadError(
          new AadFailure(90033, {}, { status: fault.status, error: fault.status === 429 ? 'temporarily_unavailable' : 'server_error' }),
          { now: state.clock.now(), traceId: ctx.traceId, correlationId: ctx.correlationId, baseUrl: state.url },
        );
        sendJson(ctx, fault.status, answer.body, headers);
      }
      return true;
    }
    case 'delay':
      return false;
  }
}

/** The HTTPS server of one emulator. */
export function createEmulatorServer(
  state: EmulatorState,
  tls: { key: string; cert: string },
  logger: EmulatorLogger,
): { server: Server; cancelDelays: () => void; destroySockets: () => void } {
  // Every TCP connection, tracked here because `closeAllConnections()` misses connections that
  // have not completed a request (a TLS handshake and nothing else, or half-sent headers), and
  // `server.close()` would then wait for them forever.
  const sockets = new Set<Socket>();
  const delays = new Set<{ timer: NodeJS.Timeout; resolve: () => void }>();
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const entry = {
        timer: setTimeout(() => {
          delays.delete(entry);
          resolve();
        }, ms),
        resolve,
      };
      delays.add(entry);
    });

  async function onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const arrived = state.clock.now();
    const { body, tooLarge } = await readBody(req, state.settings.maxBodyBytes);
    const ctx = createContext(req, res, body, tooLarge, arrived);
    if (ctx.path.startsWith(ADMIN_PREFIX)) {
      handleAdmin(state, ctx);
      return;
    }
    // Logged on arrival (status is filled in when the answer is written), so the log's order is
    // arrival order and an entry never lands after a test has cleared the log.
    state.log.add(ctx.log);
    const fault = state.faults.take(ctx.method, ctx.path);
    if (fault) {
      if (applyFault(state, ctx, fault)) return;
      if (fault.kind === 'delay') await sleep(fault.ms);
      if (res.destroyed) return;
    }
    if (ctx.method === 'POST' && /\/oauth2\/v2\.0\/token\/?$/i.test(ctx.path)) {
      await prefetchFederationKeys(state, ctx.body.toString('utf8'), String(req.headers['content-type'] ?? ''));
      if (res.destroyed) return;
    }
    dispatch(state, ctx, () => route(state, ctx));
  }

  const timeout = state.settings.requestTimeoutMs;
  const options = {
    key: tls.key,
    cert: tls.cert,
    maxHeaderSize: 32 * 1024,
    // Node's defaults (300 s, checked every 30 s) let a client that stops mid-body hold a
    // connection and a pending handler for minutes.
    requestTimeout: timeout,
    headersTimeout: Math.min(timeout, 60_000),
    connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(timeout / 4))),
  };
  const server = createServer(options, (req, res) => {
    onRequest(req, res).catch((err: unknown) => {
      logger.error('emulator request failed', { error: err instanceof Error ? err.message : String(err) });
      if (!res.headersSent && !res.destroyed) {
        res.writeHead(500, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ error: 'server_error', error_description: 'AADSTS90033: A transient error has occurred. Please try again.', error_codes: [90033] }));
      } else if (!res.writableEnded) {
        res.destroy();
      }
    });
  });
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    if (!socket.writable) {
      socket.destroy();
      return;
    }
    // Not HTTP, headers past maxHeaderSize, or a request not completed in time: no request to
    // route, so a minimal platform error.
    const tooLarge = err.code === 'HPE_HEADER_OVERFLOW';
    const timedOut = err.code === 'ERR_HTTP_REQUEST_TIMEOUT';
    const reason = tooLarge ? ' The request headers are too large.' : timedOut ? ' The request was not completed in time.' : '';
    const body = JSON.stringify({
      error: 'invalid_request',
      error_description: `AADSTS9002313: Invalid request. Request is malformed or invalid.${reason}`,
      error_codes: [9002313],
      timestamp: aadTimestamp(state.clock.now()),
      trace_id: randomUUID(),
      correlation_id: randomUUID(),
    });
    const status = tooLarge ? '431 Request Header Fields Too Large' : timedOut ? '408 Request Timeout' : '400 Bad Request';
    socket.end(
      `HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
  });
  server.on('tlsClientError', (_err, socket) => socket.destroy());
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  return {
    server,
    destroySockets: () => {
      for (const socket of sockets) socket.destroy();
      sockets.clear();
    },
    cancelDelays: () => {
      for (const d of delays) {
        clearTimeout(d.timer);
        d.resolve();
      }
      delays.clear();
    },
  };
}

/** Runs a handler; an AadFailure it throws becomes the platform's error answer. */
function dispatch(state: EmulatorState, ctx: RequestContext, run: () => void): void {
  try {
    run();
  } catch (err) {
    if (err instanceof AadFailure) {
      if (!ctx.res.headersSent) sendAad(state, ctx, err);
      return;
    }
    throw err;
  }
}
