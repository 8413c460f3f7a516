// What the Connection constructor checks and builds from its options, each on its own.
import { randomUUID } from 'node:crypto';
import type { Credentials } from './auth/credentials.js';
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
