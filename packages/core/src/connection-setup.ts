// What the Connection constructor checks and builds from its options, each on its own.
import { createHash, randomUUID } from 'node:crypto';
import { isAssertion, isCertificate, type ClientCredential, type Credentials } from './auth/credentials.js';
import { managedIdentityClientId } from './auth/managed-identity.js';
import { checkDefaultHeaders, RequestPacer } from './graph/request-pacer.js';
import { checkManagedIdentityId, type ManagedIdentityId } from './auth/managed-identity.js';
import type { AuthFlowType, ConnectionOptions } from './connection-options.js';
import { createHttpClient, type HttpClient } from './http/http-client.js';
import type { Logger } from './logger.js';

export const DEFAULT_SKEW_SECONDS = 300;
export const FLOWS: readonly AuthFlowType[] = [
  'authorization',
  'credentials',
  'password',
  'public',
  'device',
  'managedIdentity',
  'external',
];

/** The identity `authFlowType: 'managedIdentity'` uses: `[]` system-assigned, `[clientId]` or the option user-assigned. */
export function managedIdentityOf(
  credentials: Credentials,
  options: ConnectionOptions,
): ManagedIdentityId | undefined {
  if (!Array.isArray(credentials))
    throw new TypeError(
      "credentials must be [] or [userAssignedClientId] with authFlowType 'managedIdentity'",
    );
  if (credentials.length > 1) {
    throw new TypeError(
      "authFlowType 'managedIdentity' takes no secret or certificate: pass [] (system-assigned) or [userAssignedClientId]",
    );
  }
  const option =
    options.managedIdentity === undefined ? undefined : checkManagedIdentityId(options.managedIdentity);
  const clientId: unknown = credentials[0];
  if (clientId === undefined) return option;
  if (typeof clientId !== 'string' || clientId.trim() === '')
    throw new TypeError('the managed identity client id must be a non-empty string');
  if (
    option !== undefined &&
    !('clientId' in option && option.clientId.toLowerCase() === clientId.trim().toLowerCase())
  ) {
    throw new TypeError('name the managed identity once: [clientId] or the managedIdentity option, not both');
  }
  return { clientId: clientId.trim() };
}
export const MULTI_TENANT = new Set(['common', 'organizations', 'consumers']);

export function checkCapabilities(value: unknown): string[] {
  if (!Array.isArray(value) || value.some((c) => typeof c !== 'string' || c.trim() === '')) {
    throw new TypeError("clientCapabilities must be an array of capability names, e.g. ['cp1']");
  }
  return value.map((c: string) => c.trim());
}

/** The HTTP client a connection builds from its options when none is given. */
export function httpClientFor(options: ConnectionOptions, logger: Logger): HttpClient {
  return createHttpClient({
    ...(options.tls ? { tls: options.tls } : {}),
    ...(options.proxy ? { proxy: options.proxy } : {}),
    ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
    ...(options.retry ? { retry: options.retry } : {}),
    ...(options.sleep ? { sleep: options.sleep } : {}),
    logger,
  });
}

/**
 * The authority metadata fetched over a caller's HTTP client is trusted for that client only (its
 * TLS and proxy settings are unknown to us); connections sharing one client share one discovery.
 */
const clientTrustKeys = new WeakMap<HttpClient, string>();
export function trustKeyOf(http: HttpClient): string {
  let key = clientTrustKeys.get(http);
  if (key === undefined) {
    key = randomUUID();
    clientTrustKeys.set(http, key);
  }
  return key;
}
export const DEFAULT_LOCK_TIMEOUT_MS = 30_000;

/** Who the connection is: flow, client id, credential, and the managed identity it uses. */
export interface ConnectionIdentity {
  authFlowType: AuthFlowType;
  clientId: string;
  credential?: ClientCredential;
  managedIdentity?: ManagedIdentityId;
}

/** Checks the credentials against the flow; every misuse is a `TypeError` before any request. */
export function identityOf(credentials: Credentials, options: ConnectionOptions): ConnectionIdentity {
  const authFlowType = options.authFlowType ?? 'authorization';
  if (!FLOWS.includes(authFlowType)) throw new TypeError(`Unknown authFlowType "${String(authFlowType)}"`);
  if (authFlowType !== 'external' && options.accessToken !== undefined) {
    throw new TypeError("the accessToken option needs authFlowType: 'external'");
  }
  if (authFlowType === 'external') {
    const clientId: unknown = Array.isArray(credentials) ? credentials[0] : undefined;
    return { authFlowType, clientId: typeof clientId === 'string' && clientId.trim() !== '' ? clientId.trim() : 'external' };
  }
  if (authFlowType === 'managedIdentity') {
    const identity = managedIdentityOf(credentials, options);
    return { authFlowType, clientId: managedIdentityClientId(identity), ...(identity ? { managedIdentity: identity } : {}) };
  }
  if (!Array.isArray(credentials) || typeof credentials[0] !== 'string' || credentials[0].trim() === '') {
    throw new TypeError('credentials must be [clientId] or [clientId, clientSecretOrCertificate]');
  }
  if (options.managedIdentity !== undefined) throw new TypeError("the managedIdentity option needs authFlowType: 'managedIdentity'");
  const credential = credentials[1];
  if (credential !== undefined && typeof credential !== 'string' && !isCertificate(credential) && !isAssertion(credential)) {
    throw new TypeError('the second credential must be a client secret string, { thumbprint, privateKey } or { clientAssertion }');
  }
  if (credential === '') throw new TypeError('the client secret is empty; pass [clientId] alone for a public client');
  if (authFlowType === 'credentials' && credential === undefined) {
    throw new TypeError("authFlowType 'credentials' needs a client secret, certificate or assertion: new Account([clientId, secret], ...)");
  }
  if (authFlowType === 'device' && credential !== undefined) {
    // msal-node offers the device code grant on public clients only; fail here, not after a request.
    throw new TypeError("authFlowType 'device' is for public clients: pass [clientId] alone (no secret, certificate or assertion)");
  }
  const tenantId = options.tenantId ?? 'common';
  if (authFlowType === 'credentials' && MULTI_TENANT.has(tenantId.toLowerCase())) {
    // As python-o365: app-only tokens come from one directory; Microsoft refuses 'common' for them.
    throw new TypeError(
      `authFlowType 'credentials' needs the tenantId of your directory (its id or domain, e.g. 'contoso.onmicrosoft.com'); '${tenantId}' cannot issue app-only tokens`,
    );
  }
  return { authFlowType, clientId: credentials[0].trim(), ...(credential !== undefined ? { credential } : {}) };
}

/** Tokens that are not stored (managed identity, external) refuse a backend; the file system is the default. */
export function checkTokenBackendOption(authFlowType: AuthFlowType, options: ConnectionOptions): void {
  if ((authFlowType === 'managedIdentity' || authFlowType === 'external') && options.tokenBackend !== undefined) {
    // As msal-node and @azure/identity: the endpoint is local and cheap, its tokens are not stored.
    throw new TypeError(`authFlowType '${authFlowType}' keeps its tokens in memory only; remove the tokenBackend option`);
  }
}

/** The discovery cache key of the TLS and proxy settings a connection builds its HTTP client with. */
export function trustKeyFor(options: ConnectionOptions): string {
  if (options.httpClient) return trustKeyOf(options.httpClient);
  const ca = options.tls?.ca;
  return createHash('sha256')
    .update(JSON.stringify([Array.isArray(ca) ? ca : ca ? [ca] : [], options.tls?.rejectUnauthorized ?? true, options.proxy ?? '']))
    .digest('hex');
}

/** What every Graph session of a connection adds: default headers and the request pacer. */
export interface GraphExtras {
  defaultHeaders?: Readonly<Record<string, string>>;
  pacer?: RequestPacer;
}

export function graphExtrasOf(options: ConnectionOptions): GraphExtras {
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  return {
    ...(options.defaultHeaders !== undefined ? { defaultHeaders: checkDefaultHeaders(options.defaultHeaders) } : {}),
    ...(options.requestsDelay !== undefined && options.requestsDelay !== 0
      ? { pacer: new RequestPacer(options.requestsDelay, sleep) }
      : {}),
  };
}
