import { inspect } from 'node:util';
import type { AuthenticationResult } from '@azure/msal-node';
import { FileSystemTokenBackend } from './backends/file-system-backend.js';
import { MemoryTokenBackend } from './backends/memory-backend.js';
import type { TokenBackend } from './backends/token-backend.js';
import { AuthenticationError, TokenBackendError, TokenExpiredError } from './errors.js';
import { createGraphSession, type GraphSession } from './graph/graph-session.js';
import type { HttpClient } from './http/http-client.js';
import { noopLogger, type Logger } from './logger.js';
import { MSGraphProtocol, type Protocol } from './protocol.js';
import { redactData, registerSecret } from './redact.js';
import { authorityUrl } from './auth/authority.js';
import { isCertificate, type ClientCredential, type Credentials } from './auth/credentials.js';
import { normalizeClaims } from './auth/claims-challenge.js';
import { CredentialScopes } from './auth/credential-scopes.js';
import { ExternalAccessToken, type AccessTokenSource } from './auth/external-token.js';
import { ManagedIdentityEngine } from './auth/managed-identity.js';
import { MsalClient } from './auth/msal-client.js';
import { OnBehalfOfTokens } from './auth/on-behalf-of-tokens.js';
import { TokenCache } from './auth/token-cache.js';
import { TokenProvider, type TokenRequest } from './auth/token-provider.js';
import { accountOf, UserSelections, type Selection } from './auth/user-selection.js';
import { authorizationUrl, signInWithRedirect } from './auth/flows/authorization-code.js';
import { signInWithClientCredentials } from './auth/flows/client-credentials.js';
import { signInWithDeviceCode, type DeviceCodeInfo } from './auth/flows/device-code.js';
import type { FlowContext } from './auth/flows/flow-context.js';
import { requestOnBehalfOf } from './auth/flows/on-behalf-of.js';
import { signInWithPassword } from './auth/flows/password.js';
import { importRefreshToken, migrateLegacyToken } from './auth/flows/refresh-token-import.js';
import type { AbortSignalLike, AccessToken, GetTokenOptions, TokenCredential } from './token-credential.js';
import { throwIfAborted, untilAborted } from './abort.js';
import {
  checkCapabilities,
  checkTokenBackendOption,
  DEFAULT_LOCK_TIMEOUT_MS,
  DEFAULT_SKEW_SECONDS,
  graphExtrasOf,
  httpClientFor,
  identityOf,
  trustKeyFor,
  type GraphExtras,
} from './connection-setup.js';
import type {
  AuthFlowType,
  AuthorizationFlow,
  AuthorizationUrlOptions,
  Clock,
  ConnectionOptions,
  GetAccessTokenOptions,
  OnBehalfOfConnection,
  UserConnection,
} from './connection-options.js';

export type {
  AuthFlowType,
  AuthorizationFlow,
  AuthorizationUrlOptions,
  Clock,
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
  readonly #credential: ClientCredential | undefined;
  readonly #password: string | undefined;
  readonly #http: HttpClient;
  readonly #ownsHttp: boolean;
  readonly #logger: Logger;
  readonly #cache: TokenCache;
  readonly #msal: MsalClient;
  readonly #tokens: TokenProvider;
  readonly #users: UserSelections;
  readonly #flow: FlowContext & { readonly confidential: boolean };
  readonly #graphExtras: GraphExtras;
  readonly #obo: OnBehalfOfTokens;
  readonly #credentialScopes: CredentialScopes;
  readonly #views = new WeakMap<Selection, UserConnection>();
  readonly #sessions = new WeakMap<Selection, GraphSession>();
  readonly #managedIdentity: ConnectionOptions['managedIdentity'];
  #managedEngine: ManagedIdentityEngine | undefined;

  constructor(credentials: Credentials, options: ConnectionOptions = {}) {
    const identity = identityOf(credentials, options);
    this.authFlowType = identity.authFlowType;
    this.clientId = identity.clientId;
    this.#credential = identity.credential;
    this.tenantId = options.tenantId ?? 'common';
    this.protocol = options.protocol ?? new MSGraphProtocol();
    this.authority = authorityUrl(options.authorityHost ?? this.protocol.authorityHost, this.tenantId);
    checkTokenBackendOption(this.authFlowType, options);
    const inMemoryOnly = this.authFlowType === 'managedIdentity' || this.authFlowType === 'external';
    this.tokenBackend = options.tokenBackend ?? (inMemoryOnly ? new MemoryTokenBackend() : new FileSystemTokenBackend());
    this.#password = options.password;
    this.#users = new UserSelections(options.username);
    this.#logger = options.logger ?? noopLogger;
    const clock: Clock = options.clock ?? { now: () => Date.now() };
    const credential = identity.credential;
    if (typeof credential === 'string') registerSecret(credential);
    if (isCertificate(credential)) registerSecret(credential.privateKey);
    registerSecret(options.password);
    if (typeof options.accessToken === 'string') registerSecret(options.accessToken);

    this.#ownsHttp = options.httpClient === undefined;
    this.#http = options.httpClient ?? httpClientFor(options, this.#logger);
    this.#cache = new TokenCache(this.tokenBackend, this.#logger, clock);
    this.#msal = new MsalClient({
      clientId: this.clientId,
      ...(credential !== undefined ? { credential } : {}),
      authority: this.authority,
      http: this.#http,
      logger: this.#logger,
      cache: this.#cache,
      trustKey: trustKeyFor(options),
      ...(options.clientCapabilities !== undefined ? { clientCapabilities: checkCapabilities(options.clientCapabilities) } : {}),
    });
    const lockTimeoutMs = options.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS;
    this.#managedIdentity = identity.managedIdentity;
    this.#tokens = new TokenProvider({
      clientId: this.clientId,
      protocol: this.protocol,
      appOnly: this.appOnly,
      cache: this.#cache,
      msal: this.#msal,
      ...(this.authFlowType === 'managedIdentity' ? { managedIdentity: () => this.#managed() } : {}),
      ...(this.authFlowType === 'external'
        ? { external: new ExternalAccessToken(options.accessToken as AccessTokenSource, () => clock.now()) }
        : {}),
      clock,
      skewMs: Math.max(0, options.refreshSkewSeconds ?? DEFAULT_SKEW_SECONDS) * 1000,
      lockTimeoutMs,
      logger: this.#logger,
      defaultScopes: () => this.resolveScopes(),
    });
    const users = this.#users;
    this.#flow = {
      clientId: this.clientId,
      authority: this.authority,
      authFlowType: this.authFlowType,
      appOnly: this.appOnly,
      confidential: credential !== undefined,
      msal: this.#msal,
      cache: this.#cache,
      logger: this.#logger,
      lockTimeoutMs,
      get username() {
        return users.username;
      },
      resolveScopes: (requested) => this.resolveScopes(requested),
      signedIn: (result, scopes) => this.#signedIn(result, scopes),
    };
    this.#graphExtras = graphExtrasOf(options);
    this.#credentialScopes = new CredentialScopes((list) => (this.appOnly ? this.resolveScopes(list) : this.protocol.getScopesFor(list)));
    this.#obo = new OnBehalfOfTokens(
      (assertion, scopes, force) => requestOnBehalfOf(this.#flow, this.#tokens, assertion, scopes, force),
      () => clock.now(),
    );
  }

  #managed(): ManagedIdentityEngine {
    const id = this.#managedIdentity;
    this.#managedEngine ??= new ManagedIdentityEngine({ ...(id ? { id } : {}), http: this.#http, logger: this.#logger });
    return this.#managedEngine;
  }

  /** Whether tokens are app-only (client credentials or managed identity): no user is involved. */
  get appOnly(): boolean {
    return this.authFlowType === 'credentials' || this.authFlowType === 'managedIdentity';
  }

  /** The selected user (from options, the last sign-in, or the only account of the cache). */
  get username(): string | undefined {
    return this.#users.username;
  }

  set username(value: string | undefined) {
    // A new selection: calls already started keep the one they captured.
    this.#users.username = value;
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
    const selection = this.#users.named(username);
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
    return this.#http;
  }

  /** The scopes a flow requests: python-o365's helpers expanded and prefixed; `.default` for app-only. */
  resolveScopes(requested?: readonly string[]): string[] {
    if (!this.appOnly) return this.protocol.getScopesFor(requested && requested.length > 0 ? [...requested] : ['basic']);
    const wanted = requested?.filter((s) => s.trim() !== '') ?? [];
    const defaults = wanted.filter((s) => s.endsWith('/.default') || s === '.default');
    if (wanted.length > defaults.length) {
      this.#logger.warn("the credentials flow only takes '<resource>/.default' scopes; using the Graph .default scope", { requested: wanted });
    }
    return defaults.length > 0 ? this.protocol.getScopesFor(defaults) : [this.protocol.prefixScope('.default')];
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
    return this.#accessToken(options.username === undefined ? this.#users.current : this.#users.named(options.username), options);
  }

  async #accessToken(selection: Selection, options: { scopes?: string[]; claims?: string; signal?: AbortSignalLike }): Promise<string> {
    throwIfAborted(options.signal);
    const request: TokenRequest = options.claims === undefined ? {} : { claims: normalizeClaims(options.claims, 'claims') };
    return (await untilAborted(this.#tokens.token(selection, options.scopes, request), options.signal)).token;
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
    return this.#getToken(this.#users.current, scopes, options);
  }

  async #getToken(selection: Selection, scopes: string | string[], options: GetTokenOptions = {}): Promise<AccessToken> {
    throwIfAborted(options.abortSignal);
    const resolved = this.#credentialScopes.resolve(scopes);
    const request: TokenRequest =
      options.claims === undefined || options.claims === '' ? {} : { claims: normalizeClaims(options.claims, 'options.claims') };
    const found = await untilAborted(this.#tokens.token(selection, resolved, request), options.abortSignal);
    return { token: found.token, expiresOnTimestamp: found.expiresOn, refreshAfterTimestamp: found.refreshAt, tokenType: 'Bearer' };
  }

  /**
   * Forces a new access token now (refresh token grant, or a new client credentials request).
   * Resolves `true`; rejects with `TokenExpiredError` when the refresh token is no longer valid.
   */
  async refreshToken(): Promise<boolean> {
    await this.#tokens.token(this.#users.current, undefined, { force: true });
    return true;
  }

  /**
   * A sign-in completed: select its user, keep the token in memory, save the cache. When the save
   * fails, the sign-in still works in this process, but the caller is told with a
   * `TokenBackendError` (the next process would not find the tokens).
   */
  async #signedIn(result: AuthenticationResult, scopes: string[]): Promise<void> {
    const { token, saveError } = await this.#tokens.adopt(result);
    let selection: Selection;
    if (this.appOnly) {
      const username = this.#users.username;
      selection = { ...(username !== undefined ? { username } : {}), homeAccountId: '', scopes };
    } else {
      if (!result.account) throw new AuthenticationError('The identity platform returned no account for the sign-in');
      selection = { username: result.account.username, homeAccountId: result.account.homeAccountId, scopes };
    }
    this.#users.signedIn(selection);
    this.#tokens.keep(selection.homeAccountId!, scopes, token);
    this.#logger.info('signed in', {
      flow: this.authFlowType,
      ...(this.appOnly ? {} : { username: selection.username }),
      expiresOn: new Date(token.expiresOn).toISOString(),
    });
    if (saveError) {
      throw new TokenBackendError(
        `Signed in${this.appOnly ? '' : ` as ${selection.username}`}, but the token cache could not be saved to ${this.#where()}: this process can use the account, the stored copy was left as it was, and the save is retried at the next refresh; fix the backend or sign in again`,
        { ...this.#cache.source, cause: saveError },
      );
    }
  }

  #where(): string {
    return this.#cache.source.location ?? this.#cache.source.backend;
  }

  // ---------------------------------------------------------------- flows (auth/flows/)

  /** Client credentials flow (app-only); with `authFlowType: 'managedIdentity'`, a managed identity token. */
  acquireWithClientCredentials(requestedScopes?: readonly string[]): Promise<boolean> {
    return signInWithClientCredentials(this.#flow, requestedScopes, this.authFlowType === 'managedIdentity' ? () => this.#managed() : undefined);
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
    await importRefreshToken(this.#flow, refreshToken, requestedScopes);
    return this.#users.username;
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
    return migrateLegacyToken(this.#flow, requestedScopes);
  }

  /** Resource owner password flow (`username`/`password` options, or the arguments). */
  acquireWithPassword(requestedScopes?: readonly string[], credentials: { username?: string; password?: string } = {}): Promise<boolean> {
    return signInWithPassword(this.#flow, requestedScopes, {
      username: credentials.username ?? this.#users.username,
      password: credentials.password ?? this.#password,
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
    return signInWithDeviceCode(this.#flow, requestedScopes, onCode, options);
  }

  /**
   * Step 1 of the authorization code flow (web apps): the URL to send the person to, and the
   * `flow` to keep (plain JSON, e.g. in the session) until the redirect comes back.
   */
  getAuthorizationUrl(
    requestedScopes: readonly string[] | undefined,
    options: AuthorizationUrlOptions,
  ): Promise<{ url: string; flow: AuthorizationFlow }> {
    return authorizationUrl(this.#flow, requestedScopes, options);
  }

  /**
   * Step 2: the URL the identity platform redirected to (with `code` and `state`) and the `flow`
   * from step 1. Rejects with a typed error on `error=`, a wrong `state`, a missing `code` or a
   * malformed URL.
   */
  requestToken(redirectedUrl: string, options: { flow: AuthorizationFlow }): Promise<boolean> {
    return signInWithRedirect(this.#flow, redirectedUrl, options?.flow);
  }

  // ---------------------------------------------------------------- cache state

  /** Whether tokens for the selected user (or app) are stored: a refresh token, or a valid access token. No network. */
  isAuthenticated(): Promise<boolean> {
    return this.#isAuthenticated(this.#users.current);
  }

  async #isAuthenticated(selection: Selection): Promise<boolean> {
    if (this.authFlowType === 'external') {
      return this.#tokens.token(selection).then(
        () => true,
        (error: unknown) => {
          if (error instanceof TokenExpiredError) return false;
          throw error;
        },
      );
    }
    await this.#cache.ensureLoaded();
    if (this.#cache.legacyError) return false;
    if (this.appOnly) return this.#tokens.hasValidToken('');
    const account = accountOf(this.#cache, selection);
    if (!account) return false;
    return this.#cache.hasRefreshToken(this.clientId, account.homeAccountId) || this.#tokens.hasValidToken(account.homeAccountId);
  }

  /** Usernames of every account in the token cache. */
  async getAuthenticatedUsernames(): Promise<string[]> {
    // Other processes may have signed users in: read the backend again (no lock needed to read).
    await this.#cache.exclusive(() => this.#cache.reload(), this.#flow.lockTimeoutMs, { crossProcess: false });
    return this.#cache.accounts().map((a) => a.username);
  }

  /** Removes one user's tokens (default: the selected user); other users' entries stay. Resolves whether a user was removed. */
  logout(username?: string): Promise<boolean> {
    return this.#logout(username, this.#users.current);
  }

  async #logout(username: string | undefined, selection: Selection): Promise<boolean> {
    await this.#cache.ensureLoaded();
    // A fresh connection over a cache of one user acts for that user (as every other call does).
    if (username === undefined && !this.appOnly) accountOf(this.#cache, selection);
    const target = username ?? selection.username;
    if (!target) return false;
    return this.#cache.exclusive(async () => {
      await this.#cache.reload();
      const matches = this.#cache.accounts().filter((a) => a.username.toLowerCase() === target.toLowerCase());
      let removed = 0;
      for (const account of matches) {
        const info = this.#cache.accountInfo(account.homeAccountId, this.clientId);
        if (info === undefined) continue;
        await this.#cache.forAccount(info.homeAccountId, () => this.#msal.removeAccount(info));
        this.#tokens.forget(info.homeAccountId);
        removed++;
      }
      await this.#cache.flush();
      this.#users.forget(target);
      return removed > 0;
    }, this.#flow.lockTimeoutMs);
  }

  /**
   * Forgets every token, in memory and in the backend. Waits for a refresh in progress (and takes
   * the backend's lock): a refresh finishing after the clear would otherwise save its tokens again
   * and serve them from memory.
   */
  async clearTokenCache(): Promise<void> {
    await this.#cache.exclusive(async () => {
      await this.#cache.clear();
      this.#tokens.forget();
      this.#users.clear();
    }, this.#flow.lockTimeoutMs);
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
  async acquireOnBehalfOf(userAssertion: string, scopes?: string[]): Promise<string> {
    return (await this.#obo.token(userAssertion, this.#oboScopes(scopes))).token;
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
    let session: GraphSession | undefined;
    return {
      getAccessToken: async (options = {}) => {
        throwIfAborted(options.signal);
        return (await untilAborted(this.#obo.token(userAssertion, this.#oboScopes(options.scopes)), options.signal)).token;
      },
      getSession: () =>
        (session ??= this.#graphSession(async (request) => (await this.#obo.token(userAssertion, this.#oboScopes(undefined), request.refused)).token)),
    };
  }

  #oboScopes(scopes: string[] | undefined): string[] {
    return this.protocol.getScopesFor(scopes && scopes.length > 0 ? scopes : ['User.Read']);
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
    return { fetch: (url, init) => this.#sessionOf(this.#users.current).fetch(url, init) };
  }

  /** The Graph session of one selection: both tokens of a 401 retry are for the same user. */
  #sessionOf(selection: Selection): GraphSession {
    let session = this.#sessions.get(selection);
    if (session === undefined) {
      session = this.#graphSession(async (request) => {
        const wanted: TokenRequest = {
          ...(request.refused === undefined ? {} : { stale: request.refused }),
          ...(request.claims === undefined ? {} : { claims: request.claims }),
        };
        return (await this.#tokens.token(selection, undefined, wanted)).token;
      });
      this.#sessions.set(selection, session);
    }
    return session;
  }

  #graphSession(getAccessToken: Parameters<typeof createGraphSession>[0]['getAccessToken']): GraphSession {
    return createGraphSession({
      ...this.#graphExtras,
      http: this.#http,
      graphUrl: this.protocol.graphUrl,
      refreshOn401: true,
      logger: this.#logger,
      getAccessToken,
    });
  }

  /** Closes the HTTP client's idle connections (when this connection created it). */
  async close(): Promise<void> {
    if (this.#ownsHttp) await this.#http.close();
  }

  /** Secrets never appear in `util.inspect` output. */
  [inspect.custom](): string {
    const credential = this.#credential;
    const kind =
      credential === undefined ? 'none' : typeof credential === 'string' ? 'client secret' : isCertificate(credential) ? 'certificate' : 'client assertion';
    return `Connection ${inspect(
      redactData({
        clientId: this.clientId,
        authFlowType: this.authFlowType,
        tenantId: this.tenantId,
        authority: this.authority,
        username: this.#users.username,
        credential: kind,
        tokenBackend: this.#cache.source,
      }),
    )}`;
  }

  toJSON(): Record<string, unknown> {
    return { clientId: this.clientId, authFlowType: this.authFlowType, tenantId: this.tenantId, username: this.#users.username };
  }

  toString(): string {
    const username = this.#users.username;
    return `Connection(${this.clientId}, ${this.authFlowType}${username ? `, ${username}` : ''})`;
  }
}
