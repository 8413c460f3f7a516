import { createHash } from 'node:crypto';
import { inspect } from 'node:util';
import type { AccountInfo, AuthenticationResult } from '@azure/msal-node';
import { FileSystemTokenBackend } from './backends/file-system-backend.js';
import { MemoryTokenBackend } from './backends/memory-backend.js';
import type { TokenBackend } from './backends/token-backend.js';
import { AuthenticationError, InvalidArgumentError, TokenBackendError, TokenExpiredError } from './errors.js';
import { createGraphSession, type GraphSession } from './graph/graph-session.js';
import type { HttpClient } from './http/http-client.js';
import { noopLogger, type Logger } from './logger.js';
import { MSGraphProtocol, type Protocol } from './protocol.js';
import { redactData, registerSecret } from './redact.js';
import { authorityUrl } from './auth/authority.js';
import {
  findAccessToken,
  hasRefreshToken,
  listAccounts,
  normalizeScopes,
  refreshTime,
  refreshTokenClients,
  restampAccessToken,
  type CachedAccount,
  type FoundAccessToken,
} from './auth/cache-format.js';
import { isAssertion, isCertificate, type ClientCredential, type Credentials } from './auth/credentials.js';
import { AuthEngine, type DeviceCodeInfo } from './auth/engine.js';
import { mapAuthError } from './auth/error-mapping.js';
import { TokenStore } from './auth/token-store.js';
import {
  managedIdentityClientId,
  ManagedIdentityEngine,
  type ManagedIdentityId,
} from './auth/managed-identity.js';
import { accountInfoOf } from './auth/account-info.js';
import { normalizeClaims } from './auth/claims-challenge.js';
import { OnBehalfOfTokens } from './auth/on-behalf-of-tokens.js';
import { ExternalAccessToken, type AccessTokenSource } from './auth/external-token.js';
import { checkDefaultHeaders, RequestPacer } from './graph/request-pacer.js';
import type { AbortSignalLike, AccessToken, GetTokenOptions, TokenCredential } from './token-credential.js';
import { throwIfAborted, untilAborted } from './abort.js';

import {
  checkCapabilities,
  DEFAULT_LOCK_TIMEOUT_MS,
  DEFAULT_SKEW_SECONDS,
  FLOWS,
  httpClientFor,
  managedIdentityOf,
  MULTI_TENANT,
  trustKeyOf,
} from './connection-setup.js';
import { readRedirect, validateFlow } from './auth/authorization-flow-checks.js';
import type {
  AuthFlowType,
  AuthorizationFlow,
  Clock,
  ConnectionOptions,
  GetAccessTokenOptions,
  OnBehalfOfConnection,
  UserConnection,
} from './connection-options.js';

export type {
  AuthFlowType,
  AuthorizationFlow,
  Clock,
  ConnectionOptions,
  GetAccessTokenOptions,
  OnBehalfOfConnection,
  UserConnection,
} from './connection-options.js';

/** Whom a call is for: captured synchronously when the call starts, so a later user switch cannot change it. */
interface Selection {
  username?: string;
  homeAccountId?: string;
  /** Scopes of the user's last sign-in or first token (Graph calls use them). */
  scopes?: string[];
  memo?: { homeAccountId: string; scopes: readonly string[]; key: string };
}

/**
 * The authenticated link to Microsoft 365: msal-node for the OAuth flows, the token cache kept
 * in memory and in a {@link TokenBackend}, and an authenticated Graph session that refreshes the
 * token before it expires and once on a 401.
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
  readonly #clock: Clock;
  readonly #skewMs: number;
  readonly #lockTimeoutMs: number;
  readonly #store: TokenStore;
  readonly #engine: AuthEngine;
  readonly #memory = new Map<string, FoundAccessToken>();
  readonly #inflight = new Map<string, Promise<FoundAccessToken>>();
  /** Whom calls without a named user are for; replaced (never mutated across users) when the user changes. */
  #selection: Selection;
  /** Selections of named users (`forUser`, `{ username }`): a user switch is one map lookup. */
  readonly #named = new Map<string, Selection>();

  constructor(credentials: Credentials, options: ConnectionOptions = {}) {
    this.authFlowType = options.authFlowType ?? 'authorization';
    if (!FLOWS.includes(this.authFlowType)) {
      throw new TypeError(`Unknown authFlowType "${String(this.authFlowType)}"`);
    }
    let credential: ClientCredential | undefined;
    if (this.authFlowType === 'external') {
      this.#external = new ExternalAccessToken(options.accessToken as AccessTokenSource, () =>
        this.#clock.now(),
      );
      if (typeof options.accessToken === 'string') registerSecret(options.accessToken);
      const clientId: unknown = Array.isArray(credentials) ? credentials[0] : undefined;
      this.clientId = typeof clientId === 'string' && clientId.trim() !== '' ? clientId.trim() : 'external';
    } else if (options.accessToken !== undefined) {
      throw new TypeError("the accessToken option needs authFlowType: 'external'");
    } else if (this.authFlowType === 'managedIdentity') {
      const identity = managedIdentityOf(credentials, options);
      this.#managedIdentity = identity;
      this.clientId = managedIdentityClientId(identity);
    } else {
      if (!Array.isArray(credentials) || typeof credentials[0] !== 'string' || credentials[0].trim() === '') {
        throw new TypeError('credentials must be [clientId] or [clientId, clientSecretOrCertificate]');
      }
      if (options.managedIdentity !== undefined)
        throw new TypeError("the managedIdentity option needs authFlowType: 'managedIdentity'");
      credential = credentials[1];
      if (
        credential !== undefined &&
        typeof credential !== 'string' &&
        !isCertificate(credential) &&
        !isAssertion(credential)
      ) {
        throw new TypeError(
          'the second credential must be a client secret string, { thumbprint, privateKey } or { clientAssertion }',
        );
      }
      if (typeof credential === 'string' && credential === '') {
        throw new TypeError('the client secret is empty; pass [clientId] alone for a public client');
      }
      this.clientId = credentials[0].trim();
    }
    this.#credential = credential;
    if (this.authFlowType === 'credentials' && credential === undefined) {
      throw new TypeError(
        "authFlowType 'credentials' needs a client secret, certificate or assertion: new Account([clientId, secret], ...)",
      );
    }
    if (this.authFlowType === 'device' && credential !== undefined) {
      // msal-node offers the device code grant on public clients only; fail here, not after a request.
      throw new TypeError(
        "authFlowType 'device' is for public clients: pass [clientId] alone (no secret, certificate or assertion)",
      );
    }
    this.tenantId = options.tenantId ?? 'common';
    if (this.authFlowType === 'credentials' && MULTI_TENANT.has(this.tenantId.toLowerCase())) {
      // As python-o365: app-only tokens come from one directory; Microsoft refuses 'common' for them.
      throw new TypeError(
        `authFlowType 'credentials' needs the tenantId of your directory (its id or domain, e.g. 'contoso.onmicrosoft.com'); '${this.tenantId}' cannot issue app-only tokens`,
      );
    }
    this.protocol = options.protocol ?? new MSGraphProtocol();
    this.authority = authorityUrl(options.authorityHost ?? this.protocol.authorityHost, this.tenantId);
    if (
      (this.authFlowType === 'managedIdentity' || this.authFlowType === 'external') &&
      options.tokenBackend !== undefined
    ) {
      // As msal-node and @azure/identity: the endpoint is local and cheap, its tokens are not stored.
      throw new TypeError(
        `authFlowType '${this.authFlowType}' keeps its tokens in memory only; remove the tokenBackend option`,
      );
    }
    this.tokenBackend =
      options.tokenBackend ??
      (this.authFlowType === 'managedIdentity' || this.authFlowType === 'external'
        ? new MemoryTokenBackend()
        : new FileSystemTokenBackend());
    this.#password = options.password;
    this.#selection = options.username === undefined ? {} : { username: options.username };
    this.#logger = options.logger ?? noopLogger;
    this.#clock = options.clock ?? { now: () => Date.now() };
    this.#skewMs = Math.max(0, options.refreshSkewSeconds ?? DEFAULT_SKEW_SECONDS) * 1000;
    this.#lockTimeoutMs = options.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS;
    if (typeof credential === 'string') registerSecret(credential);
    if (isCertificate(credential)) registerSecret(credential.privateKey);
    registerSecret(options.password);

    this.#ownsHttp = options.httpClient === undefined;
    this.#http = options.httpClient ?? httpClientFor(options, this.#logger);
    this.#store = new TokenStore(this.tokenBackend, this.#logger);
    const ca = options.tls?.ca;
    const trustKey = createHash('sha256')
      .update(
        JSON.stringify([
          Array.isArray(ca) ? ca : ca ? [ca] : [],
          options.tls?.rejectUnauthorized ?? true,
          options.proxy ?? '',
        ]),
      )
      .digest('hex');
    this.#engine = new AuthEngine({
      clientId: this.clientId,
      ...(credential !== undefined ? { credential } : {}),
      authority: this.authority,
      http: this.#http,
      logger: this.#logger,
      store: this.#store,
      trustKey: options.httpClient ? trustKeyOf(options.httpClient) : trustKey,
      ...(options.clientCapabilities !== undefined
        ? { clientCapabilities: checkCapabilities(options.clientCapabilities) }
        : {}),
    });
    this.#graphExtras = {
      ...(options.defaultHeaders !== undefined
        ? { defaultHeaders: checkDefaultHeaders(options.defaultHeaders) }
        : {}),
      ...(options.requestsDelay !== undefined && options.requestsDelay !== 0
        ? {
            pacer: new RequestPacer(
              options.requestsDelay,
              options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
            ),
          }
        : {}),
    };
    this.#obo = new OnBehalfOfTokens(
      (assertion, scopes, force) => this.#acquireOnBehalfOf(assertion, scopes, force),
      () => this.#clock.now(),
    );
  }

  readonly #obo: OnBehalfOfTokens;
  /** What every Graph session of this connection adds: default headers and the request pacer. */
  readonly #graphExtras: { defaultHeaders?: Readonly<Record<string, string>>; pacer?: RequestPacer };

  readonly #managedIdentity: ManagedIdentityId | undefined;
  #managedEngine: ManagedIdentityEngine | undefined;
  /** `authFlowType: 'external'`: where tokens come from (none are requested or stored). */
  readonly #external: ExternalAccessToken | undefined;

  #managed(): ManagedIdentityEngine {
    this.#managedEngine ??= new ManagedIdentityEngine({
      ...(this.#managedIdentity ? { id: this.#managedIdentity } : {}),
      http: this.#http,
      logger: this.#logger,
    });
    return this.#managedEngine;
  }

  /** Whether tokens are app-only (client credentials or managed identity): no user is involved. */
  get appOnly(): boolean {
    return this.#appOnly;
  }

  /** The selected user (from options, the last sign-in, or the only account of the cache). */
  get username(): string | undefined {
    return this.#selection.username;
  }

  set username(value: string | undefined) {
    if (value?.toLowerCase() === this.#selection.username?.toLowerCase()) return;
    // A new object: calls already started keep the selection they captured.
    this.#selection = value === undefined ? {} : { username: value };
  }

  /**
   * The selection of a named user, shared by every call naming that user (it remembers the
   * user's account id and scopes, so the next call is served from memory).
   */
  #selectionOf(username: string): Selection {
    if (typeof username !== 'string' || username.trim() === '')
      throw new TypeError('username must be a non-empty string');
    const key = username.trim().toLowerCase();
    let selection = this.#named.get(key);
    if (selection === undefined) {
      selection = { username: username.trim() };
      this.#named.set(key, selection);
    }
    return selection;
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
    const selection = this.#selectionOf(username);
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

  readonly #views = new WeakMap<Selection, UserConnection>();

  /** The HTTP client shared by Graph calls and token requests. */
  get httpClient(): HttpClient {
    return this.#http;
  }

  get #appOnly(): boolean {
    return this.authFlowType === 'credentials' || this.authFlowType === 'managedIdentity';
  }

  // ---------------------------------------------------------------- scopes and accounts

  /** The scopes a flow requests: python-o365's helpers expanded and prefixed; `.default` for app-only. */
  resolveScopes(requested?: readonly string[]): string[] {
    if (this.#appOnly) {
      const wanted = requested?.filter((s) => s.trim() !== '') ?? [];
      const defaults = wanted.filter((s) => s.endsWith('/.default') || s === '.default');
      if (wanted.length > defaults.length) {
        this.#logger.warn(
          "the credentials flow only takes '<resource>/.default' scopes; using the Graph .default scope",
          {
            requested: wanted,
          },
        );
      }
      return defaults.length > 0
        ? this.protocol.getScopesFor(defaults)
        : [this.protocol.prefixScope('.default')];
    }
    return this.protocol.getScopesFor(requested && requested.length > 0 ? [...requested] : ['basic']);
  }

  /** Scopes used for Graph calls: those of the last sign-in, of the cached token, or the Graph defaults. */
  #callScopes(selection: Selection, account: CachedAccount | undefined): string[] {
    if (selection.scopes) return selection.scopes;
    if (this.#appOnly) return this.resolveScopes();
    if (account) {
      const found = findAccessToken(this.#store.cache, {
        clientId: this.clientId,
        homeAccountId: account.homeAccountId,
        scopes: [],
        scopePrefix: this.protocol.scopePrefix,
        now: Number.NEGATIVE_INFINITY,
        skewMs: 0,
      });
      if (found && found.scopes.length > 0) return found.scopes.map((s) => this.protocol.prefixScope(s));
    }
    return this.resolveScopes();
  }

  /** The cached account this connection acts for. */
  #account(selection: Selection): CachedAccount | undefined {
    if (this.#appOnly) return undefined;
    const accounts = listAccounts(this.#store.cache);
    if (selection.homeAccountId) {
      const byId = accounts.find((a) => a.homeAccountId === selection.homeAccountId);
      if (byId) return byId;
    }
    if (selection.username) {
      const wanted = selection.username.toLowerCase();
      const byName = accounts.find((a) => a.username.toLowerCase() === wanted);
      if (byName) selection.homeAccountId = byName.homeAccountId;
      return byName;
    }
    if (accounts.length === 1) {
      const only = accounts[0]!;
      selection.username = only.username;
      selection.homeAccountId = only.homeAccountId;
      return only;
    }
    return undefined;
  }

  #requireAccount(selection: Selection): CachedAccount {
    const account = this.#account(selection);
    if (account) return account;
    const count = listAccounts(this.#store.cache).length;
    if (selection.username) {
      throw new AuthenticationError(
        `${selection.username} is not signed in (no tokens for this user in ${this.#where()}); call account.authenticate()`,
      );
    }
    if (count > 1) {
      throw new AuthenticationError(
        `The token cache holds ${count} users; choose one with account.username = '...' (see getAuthenticatedUsernames())`,
      );
    }
    throw new AuthenticationError(
      `Not signed in (no tokens in ${this.#where()}); call account.authenticate() first`,
    );
  }

  #where(): string {
    return this.#store.source.location ?? this.#store.source.backend;
  }

  // The hot path asks for the same scope array again and again: each selection remembers its key.
  #memoKey(selection: Selection, homeAccountId: string, scopes: readonly string[]): string {
    const last = selection.memo;
    if (last !== undefined && last.scopes === scopes && last.homeAccountId === homeAccountId) return last.key;
    const key = this.#key(homeAccountId, scopes);
    selection.memo = { homeAccountId, scopes, key };
    return key;
  }

  #key(homeAccountId: string, scopes: readonly string[]): string {
    // A frozen array (ours, from getToken's resolution) cannot change: its last key is kept.
    const frozen = Object.isFrozen(scopes);
    if (frozen) {
      const known = this.#frozenKeys.get(scopes);
      if (known !== undefined && known.homeAccountId === homeAccountId) return known.key;
    }
    const key = `${homeAccountId}|${normalizeScopes(scopes, this.protocol.scopePrefix).join(' ')}`;
    if (frozen) this.#frozenKeys.set(scopes, { homeAccountId, key });
    return key;
  }

  readonly #frozenKeys = new WeakMap<readonly string[], { homeAccountId: string; key: string }>();

  // ---------------------------------------------------------------- tokens (hot path)

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
    return this.#accessToken(
      options.username === undefined ? this.#selection : this.#selectionOf(options.username),
      options,
    );
  }

  async #accessToken(
    selection: Selection,
    options: { scopes?: string[]; claims?: string; signal?: AbortSignalLike },
  ): Promise<string> {
    throwIfAborted(options.signal);
    const claims = options.claims === undefined ? undefined : normalizeClaims(options.claims, 'claims');
    return (
      await untilAborted(
        this.#token(selection, options.scopes, claims === undefined ? {} : { claims }),
        options.signal,
      )
    ).token;
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
    return this.#getToken(this.#selection, scopes, options);
  }

  async #getToken(
    selection: Selection,
    scopes: string | string[],
    options: GetTokenOptions = {},
  ): Promise<AccessToken> {
    throwIfAborted(options.abortSignal);
    const resolved = this.#tokenCredentialScopes(scopes);
    const claims =
      options.claims === undefined || options.claims === ''
        ? undefined
        : normalizeClaims(options.claims, 'options.claims');
    const found = await untilAborted(
      this.#token(selection, resolved, claims === undefined ? {} : { claims }),
      options.abortSignal,
    );
    return {
      token: found.token,
      expiresOnTimestamp: found.expiresOn,
      refreshAfterTimestamp: found.refreshAt,
      tokenType: 'Bearer',
    };
  }

  /** Resolved `getToken` scopes by their text: the Azure SDKs ask for the same scopes on every call. */
  readonly #credentialScopes = new Map<string, readonly string[] | undefined>();

  #tokenCredentialScopes(scopes: string | string[]): readonly string[] | undefined {
    const text =
      typeof scopes === 'string'
        ? scopes
        : Array.isArray(scopes) && scopes.every((x) => typeof x === 'string')
          ? scopes.join('\n')
          : undefined;
    if (text !== undefined) {
      const known = this.#credentialScopes.get(text);
      if (known !== undefined || this.#credentialScopes.has(text)) return known;
    }
    const list = (Array.isArray(scopes) ? scopes : [scopes]).filter(
      (x) => typeof x === 'string' && x.trim() !== '',
    );
    const resolved =
      list.length === 0
        ? undefined
        : Object.freeze(this.#appOnly ? this.resolveScopes(list) : this.protocol.getScopesFor(list));
    if (text !== undefined) {
      // Bounded: a caller building scope strings per request must not grow it without end.
      if (this.#credentialScopes.size >= 256) this.#credentialScopes.clear();
      this.#credentialScopes.set(text, resolved);
    }
    return resolved;
  }

  /**
   * Forces a new access token now (refresh token grant, or a new client credentials request).
   * Resolves `true`; rejects with `TokenExpiredError` when the refresh token is no longer valid.
   */
  async refreshToken(): Promise<boolean> {
    await this.#token(this.#selection, undefined, { force: true });
    return true;
  }

  async #token(
    selection: Selection,
    scopes?: readonly string[],
    options: { force?: boolean; stale?: string; claims?: string } = {},
  ): Promise<FoundAccessToken> {
    if (this.#external) return this.#external.token(scopes ?? this.resolveScopes(), options.stale);
    // Hot path: the account and a valid token already in memory, no I/O at all.
    const homeAccountId = this.#appOnly ? '' : selection.homeAccountId;
    if (homeAccountId !== undefined && !options.force && options.claims === undefined) {
      const resolvedScopes = scopes ?? selection.scopes;
      if (resolvedScopes) {
        // Only our own scope array is memoized: a caller's array may change between calls.
        const key =
          resolvedScopes === selection.scopes
            ? this.#memoKey(selection, homeAccountId, resolvedScopes)
            : this.#key(homeAccountId, resolvedScopes);
        const mem = this.#memory.get(key);
        if (mem) {
          const now = this.#clock.now();
          if (
            options.stale === undefined
              ? mem.refreshAt > now
              : mem.token !== options.stale && mem.expiresOn > now
          ) {
            return mem;
          }
        }
      }
    }
    await this.#store.ensureLoaded();
    this.#store.assertReadable();
    const account = this.#appOnly ? undefined : this.#requireAccount(selection);
    const accountId = account?.homeAccountId ?? '';
    const resolved = scopes ? [...scopes] : this.#callScopes(selection, account);
    const key = this.#key(accountId, resolved);
    const now = this.#clock.now();
    const mem = this.#memory.get(key);
    if (options.claims !== undefined) {
      // A challenged request whose token was already replaced (by the claims request of another
      // request that got the same challenge) uses the replacement.
      if (options.stale !== undefined && mem && mem.token !== options.stale && mem.expiresOn > now)
        return mem;
      return this.#tokenWithClaims(key, account, resolved, options.stale ?? mem?.token, options.claims);
    }
    if (mem && !options.force) {
      if (
        options.stale === undefined ? mem.refreshAt > now : mem.token !== options.stale && mem.expiresOn > now
      ) {
        return mem;
      }
    }
    if (mem === undefined && !options.force && options.stale === undefined) {
      // First use in this process: a valid token loaded from the backend serves without a token request.
      const cached = findAccessToken(this.#store.cache, {
        clientId: this.clientId,
        homeAccountId: accountId,
        scopes: resolved,
        scopePrefix: this.protocol.scopePrefix,
        now,
        skewMs: this.#skewMs,
      });
      if (cached) {
        this.#memory.set(key, cached);
        if (!scopes && !selection.scopes) selection.scopes = resolved;
        return cached;
      }
    }
    const exclude = options.stale ?? (options.force ? mem?.token : undefined);
    for (let round = 0; round < 2; round++) {
      let flight = this.#inflight.get(key);
      if (flight === undefined) {
        flight = this.#refresh(
          key,
          account,
          resolved,
          exclude,
          options.force === true && options.stale === undefined,
        ).finally(() => {
          this.#inflight.delete(key);
        });
        this.#inflight.set(key, flight);
      }
      const result = await flight;
      // Joined a refresh that returned the very token the caller saw refused: refresh once more.
      if (exclude === undefined || result.token !== exclude) {
        if (!scopes && !selection.scopes) selection.scopes = resolved;
        return result;
      }
    }
    throw new AuthenticationError(
      'Could not obtain an access token different from the one the server refused',
    );
  }

  /**
   * A token requested with `claims` (a CAE challenge's): always from the server, once for all
   * concurrent callers with the same claims (a 401 storm after a CAE event makes one request).
   */
  async #tokenWithClaims(
    key: string,
    account: CachedAccount | undefined,
    scopes: string[],
    refused: string | undefined,
    claims: string,
  ): Promise<FoundAccessToken> {
    const flightKey = `${key}\nclaims:${claims}`;
    let flight = this.#inflight.get(flightKey);
    if (flight === undefined) {
      flight = this.#refresh(key, account, scopes, refused, true, claims).finally(() => {
        this.#inflight.delete(flightKey);
      });
      this.#inflight.set(flightKey, flight);
    }
    return flight;
  }

  /** Refresh under the store's lock: reload, reuse a token another process got, else one token request. */
  #refresh(
    key: string,
    account: CachedAccount | undefined,
    scopes: string[],
    exclude: string | undefined,
    force: boolean,
    claims?: string,
  ): Promise<FoundAccessToken> {
    return this.#store.exclusive(async () => {
      await this.#store.reload();
      this.#store.assertReadable();
      // An explicit refreshToken() always asks the server; otherwise a token another process (or
      // an earlier refresh here) stored since is used instead of a new request.
      if (!force) {
        const fresh = findAccessToken(this.#store.cache, {
          clientId: this.clientId,
          homeAccountId: account?.homeAccountId ?? '',
          scopes,
          scopePrefix: this.protocol.scopePrefix,
          now: this.#clock.now(),
          skewMs: this.#skewMs,
          ...(exclude !== undefined ? { exclude } : {}),
        });
        if (fresh) {
          this.#logger.debug('using an access token refreshed by another process', { where: this.#where() });
          this.#memory.set(key, fresh);
          return fresh;
        }
      }
      let result: AuthenticationResult;
      if (this.authFlowType === 'managedIdentity') {
        this.#logger.debug('requesting a managed identity access token');
        // A token this connection held is due: skip msal-node's in-memory copy of it.
        result = await this.#managed().acquire(
          scopes,
          force || exclude !== undefined || this.#memory.has(key),
        );
      } else if (this.#appOnly) {
        this.#logger.debug(
          'requesting a new app-only access token',
          claims === undefined ? {} : { claims: 'yes' },
        );
        result = await this.#engine.acquireByClientCredential(scopes, claims);
      } else {
        if (account === undefined)
          throw new AuthenticationError('Not signed in; call account.authenticate() first');
        if (!hasRefreshToken(this.#store.cache, this.clientId, account.homeAccountId)) {
          const other = refreshTokenClients(this.#store.cache, account.homeAccountId).find(
            (id) => id.toLowerCase() !== this.clientId.toLowerCase(),
          );
          if (other !== undefined) {
            throw new AuthenticationError(
              `The token cache in ${this.#where()} holds ${account.username}'s tokens for another app (client id ${other}), not for ${this.clientId}; sign in with this app (account.authenticate()) or use that app's client id`,
            );
          }
          throw mapAuthError(
            Object.assign(new Error('no refresh token'), { errorCode: 'no_tokens_found' }),
            'refresh',
          );
        }
        const info = await this.#accountInfo(account);
        this.#logger.debug('refreshing the access token', {
          username: account.username,
          ...(claims === undefined ? {} : { claims: 'yes' }),
        });
        result = await this.#engine.refresh(info, scopes, claims);
      }
      const { token, saveError } = await this.#adopt(result);
      this.#memory.set(key, token);
      if (saveError) {
        // The new token is good: serve it rather than fail the caller's request (and refresh again
        // on every call). The change stays pending and is saved by the next refresh or sign-in; the
        // stored copy is left as it was.
        this.#logger.error(
          'the refreshed token cache could not be saved; using it from memory, the save is retried at the next refresh',
          {
            ...this.#store.source,
            error: redactData(saveError),
            cause: redactData(saveError.cause),
          },
        );
      }
      return token;
    }, this.#lockTimeoutMs);
  }

  async #accountInfo(account: CachedAccount): Promise<AccountInfo> {
    // Built from the entry core already parsed: msal-node's getAllAccounts() is quadratic in the users of the cache.
    const info = accountInfoOf(this.#store.cache, account.homeAccountId, this.clientId);
    if (!info)
      throw new AuthenticationError(
        `${account.username} is not in the token cache any more; call account.authenticate()`,
      );
    return info;
  }

  /**
   * Records a token msal-node just obtained: expiry in our clock, cache saved with matching
   * timestamps. A failed save is returned, not thrown: the token is valid either way, and the
   * caller decides whether the failure is fatal.
   */
  async #adopt(
    result: AuthenticationResult,
  ): Promise<{ token: FoundAccessToken; saveError?: TokenBackendError }> {
    const offset = this.#clock.now() - Date.now();
    const msalExpiry = result.expiresOn ? result.expiresOn.getTime() : Date.now() + 3_600_000;
    let saveError: TokenBackendError | undefined;
    try {
      await this.#store.flush((cache) => {
        restampAccessToken(cache, result.accessToken, offset);
      });
    } catch (error) {
      saveError =
        error instanceof TokenBackendError
          ? error
          : new TokenBackendError(`${this.#store.source.backend}: could not save the token cache`, {
              ...this.#store.source,
              cause: error,
            });
    }
    const expiresOn = msalExpiry + offset;
    const token = {
      token: result.accessToken,
      expiresOn,
      refreshAt: refreshTime(expiresOn, this.#clock.now(), this.#skewMs),
      scopes: normalizeScopes(result.scopes, this.protocol.scopePrefix),
    };
    return saveError ? { token, saveError } : { token };
  }

  /**
   * A sign-in completed: select its user, keep the token in memory, save the cache. When the save
   * fails, the sign-in still works in this process, but the caller is told with a
   * `TokenBackendError` (the next process would not find the tokens).
   */
  async #signedIn(result: AuthenticationResult, scopes: string[]): Promise<void> {
    const { token, saveError } = await this.#adopt(result);
    let selection: Selection;
    if (this.#appOnly) {
      selection = {
        ...(this.#selection.username !== undefined ? { username: this.#selection.username } : {}),
        homeAccountId: '',
        scopes,
      };
    } else {
      if (!result.account)
        throw new AuthenticationError('The identity platform returned no account for the sign-in');
      selection = { username: result.account.username, homeAccountId: result.account.homeAccountId, scopes };
      // A named selection of this user may remember an account id of an earlier sign-in.
      this.#named.delete(result.account.username.toLowerCase());
    }
    this.#selection = selection;
    this.#memory.set(this.#key(selection.homeAccountId!, scopes), token);
    this.#logger.info('signed in', {
      flow: this.authFlowType,
      ...(this.#appOnly ? {} : { username: selection.username }),
      expiresOn: new Date(token.expiresOn).toISOString(),
    });
    if (saveError) {
      throw new TokenBackendError(
        `Signed in${this.#appOnly ? '' : ` as ${selection.username}`}, but the token cache could not be saved to ${this.#where()}: this process can use the account, the stored copy was left as it was, and the save is retried at the next refresh; fix the backend or sign in again`,
        { ...this.#store.source, cause: saveError },
      );
    }
  }

  // ---------------------------------------------------------------- flows

  /** Client credentials flow (app-only); with `authFlowType: 'managedIdentity'`, a managed identity token. */
  async acquireWithClientCredentials(requestedScopes?: readonly string[]): Promise<boolean> {
    const scopes = this.resolveScopes(requestedScopes);
    await this.#store.ensureLoaded();
    const result =
      this.authFlowType === 'managedIdentity'
        ? await this.#managed().acquire(scopes, true)
        : await this.#engine.acquireByClientCredential(scopes);
    await this.#signedIn(result, scopes);
    return true;
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
  async importRefreshToken(
    refreshToken: string,
    requestedScopes?: readonly string[],
  ): Promise<string | undefined> {
    if (typeof refreshToken !== 'string' || refreshToken.trim() === '') {
      throw new InvalidArgumentError('refreshToken must be a non-empty string', {
        parameter: 'refreshToken',
      });
    }
    if (this.#appOnly)
      throw new AuthenticationError(
        `A refresh token belongs to a user; authFlowType '${this.authFlowType}' has none`,
      );
    registerSecret(refreshToken);
    const scopes = this.resolveScopes(requestedScopes);
    await this.#store.ensureLoaded();
    const result = await this.#engine.acquireByRefreshToken(refreshToken.trim(), scopes);
    await this.#signedIn(result, scopes);
    return this.#selection.username;
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
  async migrateLegacyToken(requestedScopes?: readonly string[]): Promise<boolean> {
    await this.#store.exclusive(() => this.#store.reload(), this.#lockTimeoutMs, { crossProcess: false });
    if (!this.#store.legacyError) return false;
    const legacy = this.#store.legacyToken();
    if (!legacy) {
      throw new TokenExpiredError(
        `The python-o365 token in ${this.#where()} holds no refresh token to migrate; sign in again with account.authenticate() (the old data is left in place until then)`,
      );
    }
    const known = legacy.scopes.filter((sc) => !/^(openid|profile|offline_access)$/i.test(sc));
    await this.importRefreshToken(
      legacy.refreshToken,
      requestedScopes ?? (known.length > 0 ? known : undefined),
    );
    this.#logger.info('migrated the pre-2.1 python-o365 token to an MSAL cache', {
      ...this.#store.source,
      username: this.#selection.username,
    });
    return true;
  }

  /** Resource owner password flow (`username`/`password` options, or the arguments). */
  async acquireWithPassword(
    requestedScopes?: readonly string[],
    credentials: { username?: string; password?: string } = {},
  ): Promise<boolean> {
    const username = credentials.username ?? this.#selection.username;
    const password = credentials.password ?? this.#password;
    if (!username || !password) {
      throw new AuthenticationError("The password flow needs the 'username' and 'password' options");
    }
    registerSecret(password);
    const scopes = this.resolveScopes(requestedScopes);
    await this.#store.ensureLoaded();
    const result = await this.#engine.acquireByPassword(scopes, username, password);
    await this.#signedIn(result, scopes);
    return true;
  }

  /**
   * Device code flow: `onCode` shows the code and URL to the person. Resolves `false` when the
   * person declined or let the code expire.
   */
  async acquireWithDeviceCode(
    requestedScopes: readonly string[] | undefined,
    onCode: (info: DeviceCodeInfo) => void | Promise<void>,
    options: { timeoutSeconds?: number; signal?: AbortSignalLike } = {},
  ): Promise<boolean> {
    const scopes = this.resolveScopes(requestedScopes);
    await this.#store.ensureLoaded();
    const result = await this.#engine.acquireByDeviceCode(scopes, onCode, options);
    if (result === null) {
      this.#logger.info('device code sign-in declined or expired');
      return false;
    }
    await this.#signedIn(result, scopes);
    return true;
  }

  /**
   * Step 1 of the authorization code flow (web apps): the URL to send the person to, and the
   * `flow` to keep (plain JSON, e.g. in the session) until the redirect comes back.
   */
  async getAuthorizationUrl(
    requestedScopes: readonly string[] | undefined,
    options: { redirectUri: string; state?: string; loginHint?: string; prompt?: string },
  ): Promise<{ url: string; flow: AuthorizationFlow }> {
    if (!options || typeof options.redirectUri !== 'string' || options.redirectUri === '') {
      throw new TypeError('getAuthorizationUrl needs { redirectUri }');
    }
    if (this.#appOnly)
      throw new AuthenticationError('The credentials flow has no user sign-in; use authenticate()');
    const scopes = this.resolveScopes(requestedScopes);
    const { url, request } = await this.#engine.authorizationUrl(scopes, options);
    return { url, flow: { version: 1, clientId: this.clientId, authority: this.authority, ...request } };
  }

  /**
   * Step 2: the URL the identity platform redirected to (with `code` and `state`) and the `flow`
   * from step 1. Rejects with a typed error on `error=`, a wrong `state`, a missing `code` or a
   * malformed URL.
   */
  async requestToken(redirectedUrl: string, options: { flow: AuthorizationFlow }): Promise<boolean> {
    const flow = validateFlow(options?.flow, this);
    const { code, clientInfo } = readRedirect(redirectedUrl, flow);
    await this.#store.ensureLoaded();
    const result = await this.#engine.acquireByCode(flow, code, clientInfo);
    await this.#signedIn(result, flow.scopes);
    return true;
  }

  // ---------------------------------------------------------------- cache state

  /** Whether tokens for the selected user (or app) are stored: a refresh token, or a valid access token. No network. */
  isAuthenticated(): Promise<boolean> {
    return this.#isAuthenticated(this.#selection);
  }

  async #isAuthenticated(selection: Selection): Promise<boolean> {
    if (this.#external) {
      return this.#external.token(this.resolveScopes()).then(
        () => true,
        (error: unknown) => {
          if (error instanceof TokenExpiredError) return false;
          throw error;
        },
      );
    }
    await this.#store.ensureLoaded();
    if (this.#store.legacyError) return false;
    const now = this.#clock.now();
    if (this.#appOnly) {
      return (
        findAccessToken(this.#store.cache, {
          clientId: this.clientId,
          homeAccountId: '',
          scopes: [],
          scopePrefix: this.protocol.scopePrefix,
          now,
          skewMs: 0,
        }) !== undefined
      );
    }
    const account = this.#account(selection);
    if (!account) return false;
    if (hasRefreshToken(this.#store.cache, this.clientId, account.homeAccountId)) return true;
    return (
      findAccessToken(this.#store.cache, {
        clientId: this.clientId,
        homeAccountId: account.homeAccountId,
        scopes: [],
        scopePrefix: this.protocol.scopePrefix,
        now,
        skewMs: 0,
      }) !== undefined
    );
  }

  /** Usernames of every account in the token cache. */
  async getAuthenticatedUsernames(): Promise<string[]> {
    // Other processes may have signed users in: read the backend again (no lock needed to read).
    await this.#store.exclusive(() => this.#store.reload(), this.#lockTimeoutMs, { crossProcess: false });
    return listAccounts(this.#store.cache).map((a) => a.username);
  }

  /** Removes one user's tokens (default: the selected user); other users' entries stay. Resolves whether a user was removed. */
  logout(username?: string): Promise<boolean> {
    return this.#logout(username, this.#selection);
  }

  async #logout(username: string | undefined, selection: Selection): Promise<boolean> {
    await this.#store.ensureLoaded();
    // A fresh connection over a cache of one user acts for that user (as every other call does).
    if (username === undefined) this.#account(selection);
    const target = (username ?? selection.username)?.toLowerCase();
    if (!target) return false;
    return this.#store.exclusive(async () => {
      await this.#store.reload();
      const matches = listAccounts(this.#store.cache)
        .filter((a) => a.username.toLowerCase() === target)
        .map((a) => accountInfoOf(this.#store.cache, a.homeAccountId, this.clientId))
        .filter((info): info is AccountInfo => info !== undefined);
      for (const info of matches) {
        await this.#engine.removeAccount(info);
        for (const key of [...this.#memory.keys()])
          if (key.startsWith(`${info.homeAccountId}|`)) this.#memory.delete(key);
      }
      await this.#store.flush();
      this.#named.delete(target);
      if (this.#selection.username?.toLowerCase() === target) this.#selection = {};
      return matches.length > 0;
    }, this.#lockTimeoutMs);
  }

  /**
   * Forgets every token, in memory and in the backend. Waits for a refresh in progress (and takes
   * the backend's lock): a refresh finishing after the clear would otherwise save its tokens again
   * and serve them from memory.
   */
  async clearTokenCache(): Promise<void> {
    await this.#store.exclusive(async () => {
      await this.#store.clear();
      this.#memory.clear();
      this.#named.clear();
      this.#selection = this.#selection.username === undefined ? {} : { username: this.#selection.username };
    }, this.#lockTimeoutMs);
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
        return (
          await untilAborted(this.#obo.token(userAssertion, this.#oboScopes(options.scopes)), options.signal)
        ).token;
      },
      getSession: () =>
        (session ??= createGraphSession({
          ...this.#graphExtras,
          http: this.#http,
          graphUrl: this.protocol.graphUrl,
          refreshOn401: true,
          logger: this.#logger,
          getAccessToken: async (request) =>
            (await this.#obo.token(userAssertion, this.#oboScopes(undefined), request.refused)).token,
        })),
    };
  }

  #oboScopes(scopes: string[] | undefined): string[] {
    return this.protocol.getScopesFor(scopes && scopes.length > 0 ? scopes : ['User.Read']);
  }

  async #acquireOnBehalfOf(assertion: string, scopes: string[], force: boolean): Promise<FoundAccessToken> {
    if (this.#credential === undefined || this.authFlowType === 'managedIdentity') {
      throw new AuthenticationError(
        'On-behalf-of needs a confidential client: new Account([clientId, secretOrCertificate], ...) for your web API',
      );
    }
    await this.#store.ensureLoaded();
    this.#store.assertReadable();
    return this.#store.exclusive(async () => {
      await this.#store.reload();
      this.#store.assertReadable();
      this.#logger.debug('requesting an on-behalf-of access token', { scopes: scopes.join(' ') });
      const result = await this.#engine.acquireOnBehalfOf(assertion, scopes, force);
      const { token, saveError } = await this.#adopt(result);
      if (saveError) {
        this.#logger.error(
          'the token cache could not be saved after an on-behalf-of request; the token is used from memory',
          {
            ...this.#store.source,
            error: redactData(saveError),
          },
        );
      }
      return token;
    }, this.#lockTimeoutMs);
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
    return { fetch: (url, init) => this.#sessionOf(this.#selection).fetch(url, init) };
  }

  readonly #sessions = new WeakMap<Selection, GraphSession>();

  /** The Graph session of one selection: both tokens of a 401 retry are for the same user. */
  #sessionOf(selection: Selection): GraphSession {
    let session = this.#sessions.get(selection);
    if (session === undefined) {
      session = createGraphSession({
        ...this.#graphExtras,
        http: this.#http,
        graphUrl: this.protocol.graphUrl,
        refreshOn401: true,
        logger: this.#logger,
        getAccessToken: async (request) =>
          (
            await this.#token(selection, undefined, {
              ...(request.refused === undefined ? {} : { stale: request.refused }),
              ...(request.claims === undefined ? {} : { claims: request.claims }),
            })
          ).token,
      });
      this.#sessions.set(selection, session);
    }
    return session;
  }

  /** Closes the HTTP client's idle connections (when this connection created it). */
  async close(): Promise<void> {
    if (this.#ownsHttp) await this.#http.close();
  }

  /** Secrets never appear in `util.inspect` output. */
  [inspect.custom](): string {
    return `Connection ${inspect(
      redactData({
        clientId: this.clientId,
        authFlowType: this.authFlowType,
        tenantId: this.tenantId,
        authority: this.authority,
        username: this.#selection.username,
        credential:
          this.#credential === undefined
            ? 'none'
            : typeof this.#credential === 'string'
              ? 'client secret'
              : isCertificate(this.#credential)
                ? 'certificate'
                : 'client assertion',
        tokenBackend: this.#store.source,
      }),
    )}`;
  }

  toJSON(): Record<string, unknown> {
    return {
      clientId: this.clientId,
      authFlowType: this.authFlowType,
      tenantId: this.tenantId,
      username: this.#selection.username,
    };
  }

  toString(): string {
    const username = this.#selection.username;
    return `Connection(${this.clientId}, ${this.authFlowType}${username ? `, ${username}` : ''})`;
  }
}
