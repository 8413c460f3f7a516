import { inspect } from 'node:util';
import type { TokenBackend } from './backends/token-backend.js';
import type { GraphSession } from './graph/graph-session.js';
import type { HttpClient } from './http/http-client.js';
import type { Protocol } from './protocol.js';
import { redactData } from './redact.js';
import { authenticatedUsernames, clearTokens, isAuthenticated, signOut } from './auth/cache-state.js';
import { isCertificate, type Credentials } from './auth/credentials.js';
import { normalizeClaims } from './auth/claims-challenge.js';
import type { TokenRequest } from './auth/token-provider.js';
import type { Selection } from './auth/user-selection.js';
import { authorizationUrl, signInWithRedirect } from './auth/flows/authorization-code.js';
import { signInWithClientCredentials } from './auth/flows/client-credentials.js';
import { signInWithDeviceCode, type DeviceCodeInfo } from './auth/flows/device-code.js';
import { signInWithPassword } from './auth/flows/password.js';
import { importRefreshToken, migrateLegacyToken } from './auth/flows/refresh-token-import.js';
import type { AbortSignalLike, AccessToken, GetTokenOptions, TokenCredential } from './token-credential.js';
import { throwIfAborted, untilAborted } from './abort.js';
import { connectionParts, resolveScopes, type ConnectionParts } from './connection-parts.js';
import { onBehalfOfView, userGraphSession } from './connection-sessions.js';
import type {
  AuthFlowType,
  AuthorizationFlow,
  AuthorizationUrlOptions,
  ConnectionOptions,
  GetAccessTokenOptions,
  OnBehalfOfConnection,
  UserConnection,
} from './connection-options.js';


/**
 * The authenticated link to Microsoft 365: msal-node for the OAuth flows, the token cache kept
 * in memory and in a {@link TokenBackend}, and an authenticated Graph session that refreshes the
 * token before it expires and once on a 401. It wires the parts (`auth/token-cache.ts`,
 * `auth/token-provider.ts`, `auth/flows/`) and chooses whom each call is for.
 *
 * @example
 * ```ts
 * const connection = new Connection(['client-id', 'secret'], { authFlowType: 'credentials', tenantId });
 * await connection.acquireWithClientCredentials();
 * const res = await connection.getSession().fetch('users?$top=5');
 * ```
 */
export class Connection implements TokenCredential {
  readonly clientId: string;
  readonly authFlowType: AuthFlowType;
  readonly tenantId: string;
  readonly protocol: Protocol;
  readonly authority: string;
  readonly tokenBackend: TokenBackend;
  readonly #p: ConnectionParts;
  readonly #views = new WeakMap<Selection, UserConnection>();
  readonly #sessions = new WeakMap<Selection, GraphSession>();

  constructor(credentials: Credentials, options: ConnectionOptions = {}) {
    const parts = connectionParts(credentials, options);
    this.#p = parts;
    this.authFlowType = parts.identity.authFlowType;
    this.clientId = parts.identity.clientId;
    this.tenantId = parts.tenantId;
    this.protocol = parts.protocol;
    this.authority = parts.authority;
    this.tokenBackend = parts.tokenBackend;
  }

  /** Whether tokens are app-only (client credentials or managed identity): no user is involved. */
  get appOnly(): boolean {
    return this.#p.appOnly;
  }

  /** The selected user (from options, the last sign-in, or the only account of the cache). */
  get username(): string | undefined {
    return this.#p.users.username;
  }

  set username(value: string | undefined) {
    // A new selection: calls already started keep the one they captured.
    this.#p.users.username = value;
  }

  /**
   * A view of this connection acting for one user of the token cache, whatever `username` is set
   * to later. **The way for servers**: a request handler names its user per call instead of
   * setting the shared `username`, so overlapping requests never get each other's tokens.
   *
   * @example
   * ```ts
   * app.get('/me', async (req, res) => {
   *   const token = await connection.forUser(req.session.username).getAccessToken();
   *   res.json(await (await fetch(graphMe, { headers: { authorization: `Bearer ${token}` } })).json());
   * });
   * ```
   */
  forUser(username: string): UserConnection {
    const selection = this.#p.users.named(username);
    // One view per selection: switching users on the hot path allocates nothing.
    let view = this.#views.get(selection);
    if (view === undefined) {
      view = {
        username: selection.username!,
        getAccessToken: (options = {}) => this.#accessToken(selection, options),
        getToken: (scopes, options) => this.#getToken(selection, scopes, options),
        isAuthenticated: () => this.#isAuthenticated(selection),
        logout: () => this.#logout(selection.username, selection),
        getSession: () => this.#sessionOf(selection),
      };
      this.#views.set(selection, view);
    }
    return view;
  }

  /** The HTTP client shared by Graph calls and token requests. */
  get httpClient(): HttpClient {
    return this.#p.http;
  }

  /** The scopes a flow requests: python-o365's helpers expanded and prefixed; `.default` for app-only. */
  resolveScopes(requested?: readonly string[]): string[] {
    return resolveScopes(this.#p, requested);
  }

  // ---------------------------------------------------------------- tokens

  /**
   * A valid access token for Graph (or `scopes`), from memory when it is still valid; otherwise
   * refreshed (once for all concurrent callers, coordinated with other processes).
   *
   * @example
   * ```ts
   * const token = await account.connection.getAccessToken(); // send as `Authorization: Bearer ...`
   * ```
   */
  getAccessToken(options: GetAccessTokenOptions = {}): Promise<string> {
    // Whom the call is for is decided here, before any await.
    return this.#accessToken(options.username === undefined ? this.#p.users.current : this.#p.users.named(options.username), options);
  }

  async #accessToken(selection: Selection, options: { scopes?: string[]; claims?: string; signal?: AbortSignalLike }): Promise<string> {
    throwIfAborted(options.signal);
    const request: TokenRequest = options.claims === undefined ? {} : { claims: normalizeClaims(options.claims, 'claims') };
    return (await untilAborted(this.#p.tokens.token(selection, options.scopes, request), options.signal)).token;
  }

  /**
   * `@azure/core-auth` `TokenCredential.getToken`: `{ token, expiresOnTimestamp }` for the scopes.
   *
   * @example
   * ```ts
   * const { token, expiresOnTimestamp } = (await account.connection.getToken('https://graph.microsoft.com/.default'))!;
   * ```
   */
  getToken(scopes: string | string[], options: GetTokenOptions = {}): Promise<AccessToken> {
    return this.#getToken(this.#p.users.current, scopes, options);
  }

  async #getToken(selection: Selection, scopes: string | string[], options: GetTokenOptions = {}): Promise<AccessToken> {
    throwIfAborted(options.abortSignal);
    const resolved = this.#p.credentialScopes.resolve(scopes);
    const request: TokenRequest =
      options.claims === undefined || options.claims === '' ? {} : { claims: normalizeClaims(options.claims, 'options.claims') };
    const found = await untilAborted(this.#p.tokens.token(selection, resolved, request), options.abortSignal);
    return { token: found.token, expiresOnTimestamp: found.expiresOn, refreshAfterTimestamp: found.refreshAt, tokenType: 'Bearer' };
  }

  /**
   * Forces a new access token now (refresh token grant, or a new client credentials request).
   * Resolves `true`; rejects with `TokenExpiredError` when the refresh token is no longer valid.
   */
  async refreshToken(): Promise<boolean> {
    await this.#p.tokens.token(this.#p.users.current, undefined, { force: true });
    return true;
  }

  // ---------------------------------------------------------------- flows (auth/flows/)

  /** Client credentials flow (app-only); with `authFlowType: 'managedIdentity'`, a managed identity token. */
  acquireWithClientCredentials(requestedScopes?: readonly string[]): Promise<boolean> {
    return signInWithClientCredentials(this.#p.flow, requestedScopes, this.#p.managedIdentity);
  }

  /**
   * Brings a user signed in elsewhere into this account: redeems a refresh token obtained by
   * another library or an earlier tool (msal-node's `acquireTokenByRefreshToken`), selects its
   * user and saves the cache, so an app migrating to o365-ts keeps its users signed in. Resolves
   * the user's name; a refused refresh token is a `TokenExpiredError`.
   *
   * @example
   * ```ts
   * const username = await account.connection.importRefreshToken(process.env.OLD_REFRESH_TOKEN!, ['basic', 'message_all']);
   * ```
   */
  async importRefreshToken(refreshToken: string, requestedScopes?: readonly string[]): Promise<string | undefined> {
    await importRefreshToken(this.#p.flow, refreshToken, requestedScopes);
    return this.#p.users.username;
  }

  /**
   * Migrates a token stored by python-o365 before 2.1 (requests-oauthlib's `{ access_token,
   * refresh_token, scope, ... }`, which {@link LegacyTokenFormatError} reports): its refresh token
   * is redeemed at the token endpoint and the MSAL cache it gives replaces the old data, which
   * stays in place until the new cache is saved. Resolves `false` when the stored token is not in
   * that format (nothing to do); rejects with `TokenExpiredError` when the old refresh token is no
   * longer valid (sign in again).
   *
   * @example
   * ```ts
   * if (await account.connection.migrateLegacyToken()) console.log('kept the python-o365 sign-in of', account.username);
   * ```
   */
  migrateLegacyToken(requestedScopes?: readonly string[]): Promise<boolean> {
    return migrateLegacyToken(this.#p.flow, requestedScopes);
  }

  /** Resource owner password flow (`username`/`password` options, or the arguments). */
  acquireWithPassword(requestedScopes?: readonly string[], credentials: { username?: string; password?: string } = {}): Promise<boolean> {
    return signInWithPassword(this.#p.flow, requestedScopes, {
      username: credentials.username ?? this.#p.users.username,
      password: credentials.password ?? this.#p.password,
    });
  }

  /**
   * Device code flow: `onCode` shows the code and URL to the person. Resolves `false` when the
   * person declined or let the code expire.
   */
  acquireWithDeviceCode(
    requestedScopes: readonly string[] | undefined,
    onCode: (info: DeviceCodeInfo) => void | Promise<void>,
    options: { timeoutSeconds?: number; signal?: AbortSignalLike } = {},
  ): Promise<boolean> {
    return signInWithDeviceCode(this.#p.flow, requestedScopes, onCode, options);
  }

  /**
   * Step 1 of the authorization code flow (web apps): the URL to send the person to, and the
   * `flow` to keep (plain JSON, e.g. in the session) until the redirect comes back.
   */
  getAuthorizationUrl(
    requestedScopes: readonly string[] | undefined,
    options: AuthorizationUrlOptions,
  ): Promise<{ url: string; flow: AuthorizationFlow }> {
    return authorizationUrl(this.#p.flow, requestedScopes, options);
  }

  /**
   * Step 2: the URL the identity platform redirected to (with `code` and `state`) and the `flow`
   * from step 1. Rejects with a typed error on `error=`, a wrong `state`, a missing `code` or a
   * malformed URL.
   */
  requestToken(redirectedUrl: string, options: { flow: AuthorizationFlow }): Promise<boolean> {
    return signInWithRedirect(this.#p.flow, redirectedUrl, options?.flow);
  }

  // ---------------------------------------------------------------- cache state

  /** Whether tokens for the selected user (or app) are stored: a refresh token, or a valid access token. No network. */
  isAuthenticated(): Promise<boolean> {
    return this.#isAuthenticated(this.#p.users.current);
  }

  #isAuthenticated(selection: Selection): Promise<boolean> {
    return isAuthenticated(this.#p, selection);
  }

  /** Usernames of every account in the token cache. */
  getAuthenticatedUsernames(): Promise<string[]> {
    return authenticatedUsernames(this.#p);
  }

  /** Removes one user's tokens (default: the selected user); other users' entries stay. Resolves whether a user was removed. */
  logout(username?: string): Promise<boolean> {
    return this.#logout(username, this.#p.users.current);
  }

  #logout(username: string | undefined, selection: Selection): Promise<boolean> {
    return signOut(this.#p, username, selection);
  }

  /**
   * Forgets every token, in memory and in the backend. Waits for a refresh in progress (and takes
   * the backend's lock): a refresh finishing after the clear would otherwise save its tokens again
   * and serve them from memory.
   */
  clearTokenCache(): Promise<void> {
    return clearTokens(this.#p);
  }

  // ---------------------------------------------------------------- on-behalf-of

  /**
   * On-behalf-of, for a web API that calls Graph as its caller: exchanges the caller's access
   * token (`userAssertion`, the bearer token your API received, for your API's audience) for a
   * Graph token (or one for `scopes`) for the same user. Needs a confidential client (secret,
   * certificate or assertion). Tokens are kept in memory by the hash of the caller's token and in
   * msal-node's cache, saved through the backend; concurrent requests share one token request.
   * A refused caller token is an `InvalidUserAssertionError` (answer your caller 401); missing
   * consent an `InteractionRequiredError` with the admin-consent URL.
   *
   * @example
   * ```ts
   * const callerToken = req.headers.authorization!.replace(/^Bearer /i, '');
   * const graphToken = await account.connection.acquireOnBehalfOf(callerToken, ['User.Read']);
   * ```
   */
  acquireOnBehalfOf(userAssertion: string, scopes?: string[]): Promise<string> {
    return onBehalfOfView(this.#p, userAssertion).getAccessToken(scopes === undefined ? {} : { scopes });
  }

  /**
   * The on-behalf-of side of one caller: tokens and a Graph session for the user of
   * `userAssertion` (see {@link Connection.acquireOnBehalfOf}).
   *
   * @example
   * ```ts
   * const res = await account.connection.onBehalfOf(callerToken).getSession().fetch('me/messages?$top=5');
   * ```
   */
  onBehalfOf(userAssertion: string): OnBehalfOfConnection {
    return onBehalfOfView(this.#p, userAssertion);
  }

  // ---------------------------------------------------------------- Graph

  /**
   * An authenticated `fetch` for Microsoft Graph: relative URLs resolve against the protocol's
   * `graphUrl`; the token comes from memory, is refreshed before it expires, and on a 401 the
   * request is retried once with a new token (shared by every request that got the 401).
   *
   * @example
   * ```ts
   * const res = await account.connection.getSession().fetch('me');
   * ```
   */
  getSession(): GraphSession {
    // Each request is for the user selected when it is made (captured before any await).
    return { fetch: (url, init) => this.#sessionOf(this.#p.users.current).fetch(url, init) };
  }

  /** The Graph session of one selection: both tokens of a 401 retry are for the same user. */
  #sessionOf(selection: Selection): GraphSession {
    let session = this.#sessions.get(selection);
    if (session === undefined) {
      session = userGraphSession(this.#p, selection);
      this.#sessions.set(selection, session);
    }
    return session;
  }

  /** Closes the HTTP client's idle connections (when this connection created it). */
  async close(): Promise<void> {
    if (this.#p.ownsHttp) await this.#p.http.close();
  }

  /** Secrets never appear in `util.inspect` output. */
  [inspect.custom](): string {
    const credential = this.#p.identity.credential;
    const kind =
      credential === undefined ? 'none' : typeof credential === 'string' ? 'client secret' : isCertificate(credential) ? 'certificate' : 'client assertion';
    return `Connection ${inspect(
      redactData({
        clientId: this.clientId,
        authFlowType: this.authFlowType,
        tenantId: this.tenantId,
        authority: this.authority,
        username: this.#p.users.username,
        credential: kind,
        tokenBackend: this.#p.cache.source,
      }),
    )}`;
  }

  toJSON(): Record<string, unknown> {
    return { clientId: this.clientId, authFlowType: this.authFlowType, tenantId: this.tenantId, username: this.#p.users.username };
  }

  toString(): string {
    const username = this.#p.users.username;
    return `Connection(${this.clientId}, ${this.authFlowType}${username ? `, ${username}` : ''})`;
  }
}
