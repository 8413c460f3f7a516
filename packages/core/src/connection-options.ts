// The public shapes of a Connection: its options, the per-user and on-behalf-of views, the
// authorization flow state. Types only; connection.ts re-exports them.
import type { TokenBackend } from './backends/token-backend.js';
import type { GraphSession } from './graph/graph-session.js';
import type { HttpClient, HttpRetryOptions } from './http/http-client.js';
import type { TlsOptions } from './http/dispatcher.js';
import type { Logger } from './logger.js';
import type { Protocol } from './protocol.js';
import type { AccessTokenSource } from './auth/external-token.js';
import type { ManagedIdentityId } from './auth/managed-identity.js';
import type { AbortSignalLike, AccessToken, GetTokenOptions, TokenCredential } from './token-credential.js';

/**
 * Options of {@link Connection.getAccessToken}.
 *
 * @example
 * ```ts
 * const options: GetAccessTokenOptions = { username: 'adele@contoso.com', scopes: ['User.Read'], signal: AbortSignal.timeout(10_000) };
 * const token = await connection.getAccessToken(options);
 * ```
 */
export interface GetAccessTokenOptions {
  /** Scopes of the token (default: those of the sign-in, or Graph's defaults). */
  scopes?: string[];
  /** The user of the token cache the token is for (default: the selected `username`); what servers should pass. */
  username?: string;
  /**
   * A claims request (JSON, or base64 of JSON as a CAE challenge carries it): a new token is
   * requested with it, whatever is cached. See `clientCapabilities`.
   */
  claims?: string;
  signal?: AbortSignalLike;
}

/**
 * One user's side of a {@link Connection} (from {@link Connection.forUser}): every call is for
 * that user, whatever the connection's `username` is set to meanwhile.
 *
 * @example
 * ```ts
 * const adele: UserConnection = connection.forUser('adele@contoso.com');
 * const res = await adele.getSession().fetch('me');
 * ```
 */
export interface UserConnection extends TokenCredential {
  readonly username: string;
  getAccessToken(options?: { scopes?: string[]; signal?: AbortSignalLike }): Promise<string>;
  getToken(scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken>;
  isAuthenticated(): Promise<boolean>;
  /** Removes this user's tokens; other users' entries stay. */
  logout(): Promise<boolean>;
  /** A Graph session whose requests all carry this user's token. */
  getSession(): GraphSession;
}

/**
 * A web API's side of on-behalf-of for one caller (from {@link Connection.onBehalfOf}): Graph
 * tokens and a Graph session for the user of the caller's token.
 *
 * @example
 * ```ts
 * const me = await (await account.connection.onBehalfOf(callerToken).getSession().fetch('me')).json();
 * ```
 */
export interface OnBehalfOfConnection {
  /** A Graph token (or one for `scopes`) for the caller's user, from memory while it is valid. */
  getAccessToken(options?: { scopes?: string[]; signal?: AbortSignalLike }): Promise<string>;
  /** A Graph session whose requests carry the caller's user's token (refreshed once on a 401). */
  getSession(): GraphSession;
}

/**
 * A source of time, epoch milliseconds. Tests pass the emulator's clock.
 *
 * @example
 * ```ts
 * const clock: Clock = { now: () => emu.clock.now() }; // tests move time with the emulator
 * new Account(['client-id'], { clock });
 * ```
 */
export interface Clock {
  now(): number;
}

/**
 * The OAuth flows python-o365 offers (plus device code).
 *
 * @example
 * ```ts
 * const authFlowType: AuthFlowType = 'device';
 * new Account(['client-id'], { authFlowType, tenantId });
 * ```
 */
export type AuthFlowType =
  'authorization' | 'credentials' | 'password' | 'public' | 'device' | 'managedIdentity' | 'external';

/**
 * Options of {@link Connection} (and of `Account`, which passes them on).
 *
 * @example
 * ```ts
 * const options: ConnectionOptions = { authFlowType: 'password', tenantId, username: 'adele@contoso.com', password, refreshSkewSeconds: 120 };
 * const connection = new Connection(['client-id'], options);
 * ```
 */
export interface ConnectionOptions {
  /** Default `'authorization'`. */
  authFlowType?: AuthFlowType;
  /** Directory (tenant) id or domain, or `common` / `organizations` / `consumers`. Default `'common'`. */
  tenantId?: string;
  /** Default `new MSGraphProtocol()`. */
  protocol?: Protocol;
  /** Identity host, e.g. `https://login.microsoftonline.us` or the emulator's `emu.authorityHost`. Default: the protocol's cloud. */
  authorityHost?: string;
  /** Where tokens are kept. Default `new FileSystemTokenBackend()` (`./o365_token.txt`). */
  tokenBackend?: TokenBackend;
  /** Selects the signed-in user when the cache holds several; the password flow's user. */
  username?: string;
  /** The password flow's password (kept in memory only). */
  password?: string;
  /** Extra trusted CA (corporate TLS inspection, the emulator). */
  tls?: TlsOptions;
  /** Proxy URL for Graph and token requests. */
  proxy?: string;
  /** Per-request timeout in ms (default 30 000). */
  timeoutMs?: number;
  /** Retries of 429/5xx and broken connections (default 3, `Retry-After` honoured). */
  retry?: HttpRetryOptions;
  /** Receives redacted diagnostics. Default: nothing is logged. */
  logger?: Logger;
  /** Time source for token expiry (default `Date`). */
  clock?: Clock;
  /** Refresh this many seconds before the access token expires (default 300). */
  refreshSkewSeconds?: number;
  /**
   * Minimum gap in milliseconds between the starts of Graph requests (python-o365's
   * `requests_delay`, which defaults to 200). Default `0`: Graph's throttling is answered by the
   * retries, which honour `Retry-After`.
   */
  requestsDelay?: number;
  /** Headers sent with every Graph request (a request's own header wins; `Prefer` values are joined). */
  defaultHeaders?: Record<string, string>;
  /**
   * `authFlowType: 'external'` only: the access token obtained elsewhere (another library, a
   * gateway), or a function returning one. It is used as given, never refreshed or stored.
   */
  accessToken?: AccessTokenSource;
  /**
   * Capabilities declared with every token request. `['cp1']` makes the client CAE-capable:
   * Microsoft Graph then revokes its tokens at once on a critical event (sessions revoked, a
   * Conditional Access change) with a claims challenge, which `getSession()` answers by getting a
   * token with those claims and retrying once; in return Entra may issue longer-lived tokens.
   */
  clientCapabilities?: string[];
  /** How retries wait (tests inject a fake). */
  sleep?: (ms: number) => Promise<void>;
  /** How long to wait for the backend's cross-process lock around a refresh (default 30 000 ms). */
  lockTimeoutMs?: number;
  /** An HTTP client to use instead of building one (its TLS/proxy/retry settings then apply). */
  httpClient?: HttpClient;
  /**
   * `authFlowType: 'managedIdentity'` only: a user-assigned identity by resource id or object id
   * (by client id, pass `[clientId]` as the credentials or `{ clientId }` here). Omitted with
   * `[]` credentials: the system-assigned identity.
   */
  managedIdentity?: ManagedIdentityId;
}

/**
 * Plain-JSON state between {@link Connection.getAuthorizationUrl} and {@link Connection.requestToken}.
 *
 * @example
 * ```ts
 * const { url, flow } = await account.getAuthorizationUrl(['basic'], { redirectUri });
 * req.session.flow = flow satisfies AuthorizationFlow; // plain JSON, kept server-side
 * ```
 */
export interface AuthorizationFlow {
  version: 1;
  clientId: string;
  authority: string;
  scopes: string[];
  redirectUri: string;
  state: string;
  nonce: string;
  /** PKCE verifier: keep the flow server-side (session store), never in a URL. */
  codeVerifier: string;
}

/**
 * Options of `getAuthorizationUrl` (step 1 of the authorization code flow).
 *
 * @example
 * ```ts
 * const options: AuthorizationUrlOptions = { redirectUri: 'https://app.example/callback', prompt: 'select_account' };
 * const { url, flow } = await account.getAuthorizationUrl(['basic'], options);
 * ```
 */
export interface AuthorizationUrlOptions {
  /** Where the identity platform sends the person back (registered on the app). */
  redirectUri: string;
  /** Your own state value (default: a random one); checked when the redirect comes back. */
  state?: string;
  /** Pre-fills the sign-in name. */
  loginHint?: string;
  /** `login`, `consent`, `select_account` or `none`, as the identity platform defines them. */
  prompt?: string;
}
