import type { AuthenticationResult } from '@azure/msal-node';
import { AuthenticationError, TokenBackendError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Protocol } from '../protocol.js';
import { redactData } from '../redact.js';
import type { Clock } from '../connection-options.js';
import { normalizeScopes, refreshTime, type CachedAccount, type FoundAccessToken } from './cache-format.js';
import { mapAuthError } from './error-mapping.js';
import type { ExternalAccessToken } from './external-token.js';
import type { ManagedIdentityEngine } from './managed-identity.js';
import type { MsalClient } from './msal-client.js';
import type { TokenCache } from './token-cache.js';
import { requireAccount, type Selection } from './user-selection.js';

/** What a {@link TokenProvider} works with. */
export interface TokenProviderOptions {
  clientId: string;
  protocol: Protocol;
  /** Client credentials or managed identity: no user, tokens under the account id ''. */
  appOnly: boolean;
  cache: TokenCache;
  msal: MsalClient;
  /** Set for `authFlowType: 'managedIdentity'`. */
  managedIdentity?: () => ManagedIdentityEngine;
  /** Set for `authFlowType: 'external'`: tokens come from the caller, none are requested or stored. */
  external?: ExternalAccessToken;
  clock: Clock;
  skewMs: number;
  lockTimeoutMs: number;
  logger: Logger;
  /** The scopes a call without scopes uses when nothing else says (see `Connection.resolveScopes`). */
  defaultScopes: () => string[];
}

/** How a token is wanted: `force` asks the server, `stale` is a token the server refused, `claims` a CAE challenge's. */
export interface TokenRequest {
  force?: boolean;
  stale?: string;
  claims?: string;
}

/**
 * Access tokens for a connection: from memory while valid (no I/O at all), else from the cache,
 * else refreshed under the backend's lock (once for all concurrent callers, using a token another
 * process stored meanwhile instead of a new request).
 */
export class TokenProvider {
  readonly #o: TokenProviderOptions;
  readonly #cache: TokenCache;
  readonly #memory = new Map<string, FoundAccessToken>();
  readonly #inflight = new Map<string, Promise<FoundAccessToken>>();
  readonly #frozenKeys = new WeakMap<readonly string[], { homeAccountId: string; key: string }>();

  constructor(options: TokenProviderOptions) {
    this.#o = options;
    this.#cache = options.cache;
  }

  /** A token for the selection's user (or the app) and `scopes` (default: the user's scopes). */
  async token(selection: Selection, scopes?: readonly string[], request: TokenRequest = {}): Promise<FoundAccessToken> {
    const o = this.#o;
    if (o.external) return o.external.token(scopes ?? o.defaultScopes(), request.stale);
    // Hot path: the account and a valid token already in memory.
    const homeAccountId = o.appOnly ? '' : selection.homeAccountId;
    if (homeAccountId !== undefined && !request.force && request.claims === undefined) {
      const wanted = scopes ?? selection.scopes;
      if (wanted) {
        // Only our own scope array is memoized: a caller's array may change between calls.
        const key = wanted === selection.scopes ? this.#memoKey(selection, homeAccountId, wanted) : this.key(homeAccountId, wanted);
        const mem = this.#memory.get(key);
        if (mem && this.#usable(mem, request.stale)) return mem;
      }
    }
    await this.#cache.ensureLoaded();
    this.#cache.assertReadable();
    const account = o.appOnly ? undefined : requireAccount(this.#cache, selection);
    const accountId = account?.homeAccountId ?? '';
    const resolved = scopes ? [...scopes] : this.#callScopes(selection, account);
    const key = this.key(accountId, resolved);
    const mem = this.#memory.get(key);
    if (request.claims !== undefined) {
      // A challenged request whose token was already replaced (by the claims request of another
      // request that got the same challenge) uses the replacement.
      if (request.stale !== undefined && mem && mem.token !== request.stale && mem.expiresOn > o.clock.now()) return mem;
      return this.#single(`${key}\nclaims:${request.claims}`, () =>
        this.#refresh(key, account, resolved, request.stale ?? mem?.token, true, request.claims),
      );
    }
    if (mem && !request.force && this.#usable(mem, request.stale)) return mem;
    const remember = (): void => {
      if (!scopes && !selection.scopes) selection.scopes = resolved;
    };
    if (mem === undefined && !request.force && request.stale === undefined) {
      // First use in this process: a valid token loaded from the backend serves without a request.
      const cached = this.#cache.accessToken(this.#query(accountId, resolved));
      if (cached) {
        this.#memory.set(key, cached);
        remember();
        return cached;
      }
    }
    const exclude = request.stale ?? (request.force ? mem?.token : undefined);
    for (let round = 0; round < 2; round++) {
      const result = await this.#single(key, () =>
        this.#refresh(key, account, resolved, exclude, request.force === true && request.stale === undefined),
      );
      // Joined a refresh that returned the very token the caller saw refused: refresh once more.
      if (exclude === undefined || result.token !== exclude) {
        remember();
        return result;
      }
    }
    throw new AuthenticationError('Could not obtain an access token different from the one the server refused');
  }

  #usable(token: FoundAccessToken, stale: string | undefined): boolean {
    const now = this.#o.clock.now();
    return stale === undefined ? token.refreshAt > now : token.token !== stale && token.expiresOn > now;
  }

  /** One flight per key: concurrent callers share it. */
  #single(key: string, start: () => Promise<FoundAccessToken>): Promise<FoundAccessToken> {
    let flight = this.#inflight.get(key);
    if (flight === undefined) {
      flight = start().finally(() => this.#inflight.delete(key));
      this.#inflight.set(key, flight);
    }
    return flight;
  }

  #query(homeAccountId: string, scopes: readonly string[], skewMs = this.#o.skewMs, exclude?: string) {
    return {
      clientId: this.#o.clientId,
      homeAccountId,
      scopes,
      scopePrefix: this.#o.protocol.scopePrefix,
      now: this.#o.clock.now(),
      skewMs,
      ...(exclude !== undefined ? { exclude } : {}),
    };
  }

  /** Whether a token for the account ('' app-only) is stored that is still valid. */
  hasValidToken(homeAccountId: string): boolean {
    return this.#cache.accessToken(this.#query(homeAccountId, [], 0)) !== undefined;
  }

  /** Scopes used for Graph calls: those of the last sign-in, of the cached token, or the defaults. */
  #callScopes(selection: Selection, account: CachedAccount | undefined): string[] {
    if (selection.scopes) return selection.scopes;
    const o = this.#o;
    if (account && !o.appOnly) {
      const found = this.#cache.accessToken({ ...this.#query(account.homeAccountId, [], 0), now: Number.NEGATIVE_INFINITY });
      if (found && found.scopes.length > 0) return found.scopes.map((s) => o.protocol.prefixScope(s));
    }
    return o.defaultScopes();
  }

  #memoKey(selection: Selection, homeAccountId: string, scopes: readonly string[]): string {
    const last = selection.memo;
    if (last !== undefined && last.scopes === scopes && last.homeAccountId === homeAccountId) return last.key;
    const key = this.key(homeAccountId, scopes);
    selection.memo = { homeAccountId, scopes, key };
    return key;
  }

  /** The memory key of a token: account and normalized scopes. */
  key(homeAccountId: string, scopes: readonly string[]): string {
    // A frozen array (ours, from getToken's resolution) cannot change: its last key is kept.
    const frozen = Object.isFrozen(scopes);
    if (frozen) {
      const known = this.#frozenKeys.get(scopes);
      if (known !== undefined && known.homeAccountId === homeAccountId) return known.key;
    }
    const key = `${homeAccountId}|${normalizeScopes(scopes, this.#o.protocol.scopePrefix).join(' ')}`;
    if (frozen) this.#frozenKeys.set(scopes, { homeAccountId, key });
    return key;
  }

  /** Keeps a token a sign-in obtained. */
  keep(homeAccountId: string, scopes: readonly string[], token: FoundAccessToken): void {
    this.#memory.set(this.key(homeAccountId, scopes), token);
  }

  /** Forgets the tokens of one account (signed out) or of all (`undefined`). */
  forget(homeAccountId?: string): void {
    if (homeAccountId === undefined) return this.#memory.clear();
    for (const key of [...this.#memory.keys()]) if (key.startsWith(`${homeAccountId}|`)) this.#memory.delete(key);
  }

  /** Refresh under the cache's lock: reload, reuse a token another process got, else one token request. */
  #refresh(
    key: string,
    account: CachedAccount | undefined,
    scopes: string[],
    exclude: string | undefined,
    force: boolean,
    claims?: string,
  ): Promise<FoundAccessToken> {
    const o = this.#o;
    return this.#cache.exclusive(async () => {
      await this.#cache.reload();
      this.#cache.assertReadable();
      // An explicit refreshToken() always asks the server; otherwise a token another process (or
      // an earlier refresh here) stored since is used instead of a new request.
      if (!force) {
        const fresh = this.#cache.accessToken(this.#query(account?.homeAccountId ?? '', scopes, o.skewMs, exclude));
        if (fresh) {
          o.logger.debug('using an access token refreshed by another process', { where: this.#where() });
          this.#memory.set(key, fresh);
          return fresh;
        }
      }
      const result = await this.#request(key, account, scopes, force || exclude !== undefined, claims);
      const { token, saveError } = await this.adopt(result);
      this.#memory.set(key, token);
      if (saveError) {
        // The new token is good: serve it rather than fail the caller's request (and refresh again
        // on every call). The change stays pending and is saved by the next refresh or sign-in.
        o.logger.error(
          'the refreshed token cache could not be saved; using it from memory, the save is retried at the next refresh',
          { ...this.#cache.source, error: redactData(saveError), cause: redactData(saveError.cause) },
        );
      }
      return token;
    }, o.lockTimeoutMs);
  }

  async #request(
    key: string,
    account: CachedAccount | undefined,
    scopes: string[],
    replacing: boolean,
    claims: string | undefined,
  ): Promise<AuthenticationResult> {
    const o = this.#o;
    const withClaims = claims === undefined ? {} : { claims: 'yes' };
    if (o.managedIdentity) {
      o.logger.debug('requesting a managed identity access token');
      // A token this connection held is due: skip msal-node's in-memory copy of it.
      return o.managedIdentity().acquire(scopes, replacing || this.#memory.has(key));
    }
    if (o.appOnly) {
      o.logger.debug('requesting a new app-only access token', withClaims);
      return o.msal.acquireByClientCredential(scopes, claims);
    }
    if (account === undefined) throw new AuthenticationError('Not signed in; call account.authenticate() first');
    if (!this.#cache.hasRefreshToken(o.clientId, account.homeAccountId)) {
      const other = this.#cache
        .refreshTokenClients(account.homeAccountId)
        .find((id) => id.toLowerCase() !== o.clientId.toLowerCase());
      if (other !== undefined) {
        throw new AuthenticationError(
          `The token cache in ${this.#where()} holds ${account.username}'s tokens for another app (client id ${other}), not for ${o.clientId}; sign in with this app (account.authenticate()) or use that app's client id`,
        );
      }
      throw mapAuthError(Object.assign(new Error('no refresh token'), { errorCode: 'no_tokens_found' }), 'refresh');
    }
    const info = this.#cache.accountInfo(account.homeAccountId, o.clientId);
    if (!info) throw new AuthenticationError(`${account.username} is not in the token cache any more; call account.authenticate()`);
    o.logger.debug('refreshing the access token', { username: account.username, ...withClaims });
    return o.msal.refresh(info, scopes, claims);
  }

  /**
   * Records a token msal-node just obtained: expiry in our clock, cache saved with matching
   * timestamps. A failed save is returned, not thrown: the token is valid either way, and the
   * caller decides whether the failure is fatal.
   */
  async adopt(result: AuthenticationResult): Promise<{ token: FoundAccessToken; saveError?: TokenBackendError }> {
    const o = this.#o;
    const offsetMs = o.clock.now() - Date.now();
    const msalExpiry = result.expiresOn ? result.expiresOn.getTime() : Date.now() + 3_600_000;
    let saveError: TokenBackendError | undefined;
    try {
      await this.#cache.flush();
    } catch (error) {
      saveError =
        error instanceof TokenBackendError
          ? error
          : new TokenBackendError(`${this.#cache.source.backend}: could not save the token cache`, {
              ...this.#cache.source,
              cause: error,
            });
    }
    const expiresOn = msalExpiry + offsetMs;
    const token = {
      token: result.accessToken,
      expiresOn,
      refreshAt: refreshTime(expiresOn, o.clock.now(), o.skewMs),
      scopes: normalizeScopes(result.scopes, o.protocol.scopePrefix),
    };
    return saveError ? { token, saveError } : { token };
  }

  #where(): string {
    return this.#cache.source.location ?? this.#cache.source.backend;
  }
}
