import { AuthenticationError } from '../errors.js';
import type { HttpClient } from '../http/http-client.js';
import { mapAuthError } from './error-mapping.js';

/**
 * The authority URL msal-node is configured with: `${authorityHost}/${tenantId}` without a
 * trailing slash.
 */
export function authorityUrl(authorityHost: string, tenantId: string): string {
  let host: URL;
  try {
    host = new URL(authorityHost);
  } catch (cause) {
    throw new AuthenticationError(`authorityHost is not a valid URL: ${JSON.stringify(authorityHost)}`, { cause });
  }
  if (host.protocol !== 'https:') {
    throw new AuthenticationError(
      `authorityHost must be an https:// URL (the identity platform and msal-node refuse http), got ${host.origin}`,
    );
  }
  if (!/^[A-Za-z0-9._-]+$/.test(tenantId)) {
    throw new AuthenticationError(`tenantId ${JSON.stringify(tenantId)} is not a tenant id, domain, 'common', 'organizations' or 'consumers'`);
  }
  return `${host.origin}${host.pathname.replace(/\/+$/, '')}/${tenantId}`;
}

/** The endpoints msal-node needs, from the OpenID configuration document. */
interface OpenIdConfiguration {
  token_endpoint: string;
  authorization_endpoint: string;
  end_session_endpoint?: string;
  issuer: string;
  jwks_uri: string;
  device_authorization_endpoint?: string;
}

// Authority metadata is discovered once per process per authority (and trust settings), not per
// call: msal-node alone makes one discovery request per concurrent cold call.
const discovered = new Map<string, Promise<string>>();

/**
 * Fetches `${authority}/v2.0/.well-known/openid-configuration` once per process and returns it as
 * the JSON string msal-node's `authorityMetadata` option takes. A failed discovery is forgotten so
 * the next call tries again.
 */
export function discoverAuthorityMetadata(authority: string, http: HttpClient, trustKey = ''): Promise<string> {
  const key = `${authority}\n${trustKey}`;
  let pending = discovered.get(key);
  if (pending === undefined) {
    pending = fetchMetadata(authority, http);
    discovered.set(key, pending);
    pending.catch(() => {
      if (discovered.get(key) === pending) discovered.delete(key);
    });
  }
  return pending;
}

async function fetchMetadata(authority: string, http: HttpClient): Promise<string> {
  const url = `${authority}/v2.0/.well-known/openid-configuration`;
  let response: Response;
  try {
    response = (await http.fetch(url, { headers: { accept: 'application/json' } })) as unknown as Response;
  } catch (cause) {
    throw new AuthenticationError(`Could not reach the identity platform at ${new URL(url).origin} to discover its endpoints`, { cause });
  }
  const text = await response.text();
  let doc: Partial<OpenIdConfiguration> & { error?: string; error_description?: string; error_codes?: number[] };
  try {
    doc = JSON.parse(text) as typeof doc;
  } catch (cause) {
    throw new AuthenticationError(`The identity platform's OpenID configuration at ${url} is not JSON (HTTP ${response.status})`, {
      cause,
      status: response.status,
    });
  }
  if (!response.ok && typeof doc.error === 'string') {
    // An identity-platform error (AADSTS90002 tenant not found, ...): classified like a token
    // request's, with its AADSTS codes, correlation and trace ids.
    throw mapAuthError(new Error(`OpenID configuration request answered HTTP ${response.status}`), 'discovery', {
      status: response.status,
      body: doc,
    });
  }
  if (!response.ok || typeof doc.token_endpoint !== 'string' || typeof doc.authorization_endpoint !== 'string') {
    throw new AuthenticationError(
      `The identity platform did not return endpoints for ${authority} (HTTP ${response.status}${doc.error ? `, ${doc.error}` : ''}); check tenantId and authorityHost`,
      {
        status: response.status,
        ...(doc.error ? { error: doc.error } : {}),
        ...(doc.error_description ? { errorDescription: doc.error_description } : {}),
        ...(doc.error_codes ? { errorCodes: doc.error_codes } : {}),
      },
    );
  }
  const metadata: OpenIdConfiguration = {
    token_endpoint: doc.token_endpoint,
    authorization_endpoint: doc.authorization_endpoint,
    issuer: doc.issuer ?? authority,
    ...(doc.end_session_endpoint ? { end_session_endpoint: doc.end_session_endpoint } : {}),
    jwks_uri: doc.jwks_uri ?? `${authority}/discovery/v2.0/keys`,
    ...(doc.device_authorization_endpoint ? { device_authorization_endpoint: doc.device_authorization_endpoint } : {}),
  };
  return JSON.stringify(metadata);
}

/** Forgets discovered metadata (tests). */
export function clearDiscoveryCache(): void {
  discovered.clear();
}
