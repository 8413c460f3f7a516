import { AuthenticationError } from '../errors.js';
import { clipServerText } from '../text-limits.js';
import type { AuthorizationFlow } from '../connection-options.js';
import type { AuthCodeRequestState } from './engine.js';

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
