import { AuthenticationError } from '../../errors.js';
import { redactText } from '../../redact.js';
import { mapAuthError } from '../error-mapping.js';
import { clipServerText } from '../../text-limits.js';
import type { AuthorizationFlow } from '../../connection-options.js';
import type { AuthCodeRequestState } from './authorization-code.js';

/**
 * The `flow` given back to `requestToken` must be the one `getAuthorizationUrl` returned, for
 * this app and authority (it travels through a session store as plain JSON).
 */
export function validateFlow(
  flow: unknown,
  connection: { clientId: string; authority: string },
): AuthorizationFlow & AuthCodeRequestState {
  const f = flow as Partial<AuthorizationFlow> | undefined;
  const ok =
    f !== null &&
    typeof f === 'object' &&
    f.version === 1 &&
    typeof f.state === 'string' &&
    typeof f.nonce === 'string' &&
    typeof f.codeVerifier === 'string' &&
    typeof f.redirectUri === 'string' &&
    Array.isArray(f.scopes) &&
    f.scopes.every((s) => typeof s === 'string');
  if (!ok) {
    throw new AuthenticationError(
      'requestToken needs the `flow` returned by getAuthorizationUrl (unchanged, e.g. after JSON round trip)',
    );
  }
  if (f.clientId !== connection.clientId || f.authority !== connection.authority) {
    throw new AuthenticationError(
      'This flow was started by a different app or authority; start the sign-in again',
    );
  }
  return f as AuthorizationFlow;
}

/**
 * The redirected URL must be the flow's redirect URI (scheme, origin and path) with the identity
 * platform's parameters: a `javascript:`/`data:` URL or another site's URL carrying a copied
 * `state` and `code` is not redeemed.
 */
export function assertRedirectMatches(url: URL, redirectUri: string): void {
  let expected: URL;
  try {
    expected = new URL(redirectUri);
  } catch {
    return; // validateFlow checked the flow; an unparsable redirect URI cannot be compared
  }
  const samePath = (a: string, b: string): boolean =>
    (a.replace(/\/+$/, '') || '/') === (b.replace(/\/+$/, '') || '/');
  // Loopback redirect URIs may come back on another port (the platform allows any port for them).
  const loopback =
    expected.protocol === 'http:' && (expected.hostname === 'localhost' || expected.hostname === '127.0.0.1');
  const sameOrigin = loopback
    ? url.protocol === 'http:' && (url.hostname === 'localhost' || url.hostname === '127.0.0.1')
    : url.protocol === expected.protocol && url.host === expected.host;
  if (!sameOrigin || !samePath(url.pathname, expected.pathname)) {
    const shown =
      url.protocol === 'http:' || url.protocol === 'https:'
        ? clipServerText(`${url.origin}${url.pathname}`, 200)
        : `a ${clipServerText(url.protocol, 20)} URL`;
    throw new AuthenticationError(
      `The redirected URL (${shown}) is not this sign-in's redirect URI (${expected.origin}${expected.pathname}); paste the full address the browser ended on after signing in`,
    );
  }
}

/**
 * Reads the URL the identity platform redirected to at the end of an authorization code sign-in:
 * it must be the flow's redirect URI, carry no `error=` (mapped to the typed error, the server's
 * text clipped), carry the flow's `state` and a `code`. Returns the code and `client_info`.
 */
export function readRedirect(
  redirectedUrl: string,
  flow: AuthorizationFlow,
): { code: string; clientInfo: string | undefined } {
  let url: URL;
  try {
    url = new URL(String(redirectedUrl).trim());
  } catch (cause) {
    throw new AuthenticationError(
      'The redirected URL is not a valid URL; paste the full address the browser ended on',
      {
        cause: new TypeError(redactText(String(cause instanceof Error ? cause.message : cause))),
      },
    );
  }
  assertRedirectMatches(url, flow.redirectUri);
  const params = url.search.length > 1 ? url.searchParams : new URLSearchParams(url.hash.replace(/^#/, ''));
  const error = params.get('error');
  if (error) {
    const codes = (params.get('error_codes') ?? '')
      .split(/[^0-9]+/)
      .filter(Boolean)
      .map(Number);
    const body = {
      error,
      ...(params.get('error_description') ? { error_description: params.get('error_description')! } : {}),
      ...(codes.length ? { error_codes: codes } : {}),
      ...(params.get('error_subcode') ? { suberror: params.get('error_subcode')! } : {}),
      ...(params.get('correlation_id') ? { correlation_id: params.get('correlation_id')! } : {}),
      ...(params.get('trace_id') ? { trace_id: params.get('trace_id')! } : {}),
    };
    throw mapAuthError(new Error(`the sign-in redirect carries error=${error}`), 'authorization_code', {
      body,
    });
  }
  const state = params.get('state');
  if (state !== flow.state) {
    throw new AuthenticationError(
      state === null
        ? 'The redirected URL has no state parameter; it does not come from this sign-in'
        : 'The state of the redirected URL does not match this sign-in (a different or forged sign-in); start again',
    );
  }
  const code = params.get('code');
  if (!code)
    throw new AuthenticationError(
      'The redirected URL has no authorization code; paste the full address the browser ended on',
    );
  return { code, clientInfo: params.get('client_info') ?? undefined };
}
