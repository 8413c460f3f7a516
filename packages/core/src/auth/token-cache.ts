import type { AccountInfo, ICachePlugin, TokenCacheContext } from '@azure/msal-node';
import { LegacyTokenFormatError, TokenBackendError, TokenCacheConflictError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Clock } from '../connection-options.js';
import type { TokenBackend } from '../backends/token-backend.js';
import { describeBackend } from '../backends/backend-contract.js';
import { accountInfoOf } from './account-info.js';
import {
  emptyCache,
  findAccessToken,
  hasRefreshToken,
  mergeCaches,
  parseCache,
  refreshTokenClients,
  restampNewAccessTokens,
  type AccessTokenQuery,
  type CachedAccount,
  type CacheJson,
  type CacheSource,
  type FoundAccessToken,
} from './cache-format.js';
import { CacheLock } from './cache-lock.js';
import {
  accountListOf,
  applyMsalOutput,
  indexByAccount,
  msalSectionsOf,
  viewOf,
  type AccountEntries,
  type AccountList,
} from './cache-partition.js';
import { readLegacyToken, type LegacyToken } from './legacy-token.js';

const MAX_SAVE_ATTEMPTS = 8;

/**
 * The token cache: the only reader and writer of MSAL's cache JSON, for core and for msal-node.
 * - The backend is read at start, under the refresh lock, and after a lost conditional write; a
 *   read that finds the version last seen keeps the cache as it is.
 * - msal-node sees it through {@link TokenCache.plugin}, never the backend; a call made inside
 *   {@link TokenCache.forAccount} sees that account's entries only, so a refresh costs the same
 *   with one user or a thousand in the cache.
 * - Each state is a new object (entries are never changed in place), so the last stored state
 *   is kept as the merge base without a copy.
 * - Writes are conditional (`expectedVersion`); a conflict is resolved by a three-way merge of
 *   this process's changes onto the stored copy, so entries written elsewhere are never lost.
 */
export class TokenCache {
  readonly #backend: TokenBackend;
  readonly #logger: Logger;
  readonly #lock: CacheLock;
  readonly source: CacheSource;
  /** The current state, as core and msal-node see it. */
  #snapshot: CacheJson = emptyCache();
  /** The last state known to be stored (merge base). */
  #base: CacheJson = this.#snapshot;
  #version: string | undefined;
  #exists = false;
  #loaded: Promise<void> | undefined;
  #dirty = false;
  #index: Map<string, AccountEntries> | undefined;
  #accounts: AccountList | undefined;
  /** Set when the stored data is a pre-2.1 python-o365 token: reads fail, a sign-in replaces it. */
  #legacy: LegacyTokenFormatError | undefined;
  #legacyData: string | undefined;
  /** The account the {@link TokenCache.accountPlugin} call in progress is about (see {@link TokenCache.forAccount}). */
  #focus: string | undefined;

  readonly #clock: Clock;

  constructor(backend: TokenBackend, logger: Logger, clock: Clock) {
    this.#backend = backend;
    this.#logger = logger;
    this.#clock = clock;
    this.source = describeBackend(backend);
    this.#lock = new CacheLock(backend, this.source, logger);
  }

  // ---------------------------------------------------------------- msal-node's side

  /** The cache plugin of msal-node's application for sign-ins: it sees the whole in-memory state. */
  readonly plugin: ICachePlugin = this.#pluginFor(() => undefined);

  /**
   * The cache plugin of msal-node's application for calls about one account (refresh,
   * sign-out): it sees the entries of the account given to {@link TokenCache.forAccount}. Those
   * calls are made under the cache's lock, one at a time, so one field says which account.
   */
  readonly accountPlugin: ICachePlugin = this.#pluginFor(() => this.#focus);

  #pluginFor(focusOf: () => string | undefined): ICachePlugin {
    return {
      beforeCacheAccess: async (context: TokenCacheContext): Promise<void> => {
        const focus = focusOf();
        const view = focus === undefined ? msalSectionsOf(this.#snapshot) : viewOf(this.#entries().get(focus), this.#snapshot);
        context.tokenCache.deserialize(JSON.stringify(view));
      },
      afterCacheAccess: async (context: TokenCacheContext): Promise<void> => {
        if (!context.cacheHasChanged) return;
        const output = JSON.parse(context.tokenCache.serialize()) as CacheJson;
        restampNewAccessTokens(output, this.#snapshot, this.#clock.now() - Date.now());
        const { cache, replaced } = applyMsalOutput(this.#snapshot, output, focusOf());
        if (this.#index !== undefined) {
          for (const id of replaced) this.#index.delete(id);
          for (const [id, entries] of indexByAccount(output)) this.#index.set(id, entries);
        }
        this.#set(cache, this.#index);
        this.#dirty = true;
      },
    };
  }

  /** Runs `fn`, an {@link TokenCache.accountPlugin} call about one account ('' for app-only), under the cache's lock. */
  async forAccount<T>(homeAccountId: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.#focus;
    this.#focus = homeAccountId;
    try {
      return await fn();
    } finally {
      this.#focus = previous;
    }
  }

  /** Puts the whole cache into msal-node's, for flows it reads before calling the plugin (on-behalf-of). */
  hydrate(tokenCache: { deserialize(cache: string): void }): void {
    tokenCache.deserialize(JSON.stringify(msalSectionsOf(this.#snapshot)));
  }

  // ---------------------------------------------------------------- queries

  /** Accounts of the cache (deduplicated by home account id, the first realm wins). */
  accounts(): readonly CachedAccount[] {
    return this.#accountList().all;
  }

  /** The account with this home account id, or by username (case-insensitive). */
  account(by: { homeAccountId?: string; username?: string }): CachedAccount | undefined {
    const list = this.#accountList();
    if (by.homeAccountId !== undefined) {
      const byId = list.byId.get(by.homeAccountId);
      if (byId !== undefined || by.username === undefined) return byId;
    }
    return by.username === undefined ? undefined : list.byName.get(by.username.toLowerCase());
  }

  /** The longest-lived access token matching the query (see `findAccessToken`), from that account's entries only. */
  accessToken(query: AccessTokenQuery): FoundAccessToken | undefined {
    const entries = this.#entries().get(query.homeAccountId);
    return entries === undefined ? undefined : findAccessToken({ AccessToken: entries.AccessToken }, query);
  }

  /** Whether a refresh token this client can use is stored for the account. */
  hasRefreshToken(clientId: string, homeAccountId: string): boolean {
    const entries = this.#entries().get(homeAccountId);
    return entries !== undefined && hasRefreshToken({ RefreshToken: entries.RefreshToken }, clientId, homeAccountId);
  }

  /** Client ids holding a refresh token for the account (to explain a cache written by another app). */
  refreshTokenClients(homeAccountId: string): string[] {
    const entries = this.#entries().get(homeAccountId);
    return entries === undefined ? [] : refreshTokenClients({ RefreshToken: entries.RefreshToken }, homeAccountId);
  }

  /** msal-node's `AccountInfo` of the account, built from its entries (never through `getAllAccounts()`). */
  accountInfo(homeAccountId: string, clientId: string): AccountInfo | undefined {
    const entries = this.#entries().get(homeAccountId);
    return entries === undefined ? undefined : accountInfoOf(viewOf(entries, this.#snapshot), homeAccountId, clientId);
  }

  #entries(): Map<string, AccountEntries> {
    this.#index ??= indexByAccount(this.#snapshot);
    return this.#index;
  }

  #accountList(): AccountList {
    this.#accounts ??= accountListOf(this.#snapshot);
    return this.#accounts;
  }

  /** A new state; the index is kept when the caller patched it, the account list is rebuilt when read. */
  #set(cache: CacheJson, index?: Map<string, AccountEntries>): void {
    this.#snapshot = cache;
    this.#index = index;
    this.#accounts = undefined;
  }

  // ---------------------------------------------------------------- the backend's side

  /** The error to report when the stored token is in python-o365's pre-2.1 format. */
  get legacyError(): LegacyTokenFormatError | undefined {
    return this.#legacy;
  }

  /** The refresh token and scopes of a stored pre-2.1 python-o365 token, if that is what is stored. */
  legacyToken(): LegacyToken | undefined {
    return this.#legacy && this.#legacyData !== undefined ? readLegacyToken(this.#legacyData) : undefined;
  }

  /** Throws the legacy-format error, if the stored token is one. */
  assertReadable(): void {
    if (this.#legacy) throw this.#legacy;
  }

  /** Loads the backend once (concurrent callers share the read). */
  ensureLoaded(): Promise<void> {
    if (this.#loaded === undefined) {
      this.#loaded = this.reload().catch((error: unknown) => {
        this.#loaded = undefined;
        throw error;
      });
    }
    return this.#loaded;
  }

  /** Reads the backend again; changes not saved yet stay on top of what is stored. */
  async reload(): Promise<void> {
    const stored = await this.#load();
    if (this.#dirty) {
      this.#legacy = undefined;
      this.#adoptTheirs(stored);
      return;
    }
    this.#loaded = Promise.resolve();
    if (stored === undefined) {
      if (!this.#exists && this.#legacy === undefined) return;
      this.#legacy = undefined;
      this.#replace(emptyCache(), undefined, false);
      return;
    }
    // The version last seen: the stored data is what this state came from (no parse, no copy).
    if (this.#legacy === undefined && this.#exists && stored.version !== undefined && stored.version === this.#version) return;
    this.#legacy = undefined;
    try {
      this.#replace(parseCache(stored.data, this.source), stored.version, true);
    } catch (error) {
      if (!(error instanceof LegacyTokenFormatError)) throw error;
      this.#logger.warn('the stored token is in the pre-2.1 python-o365 format; migrate it (account.migrateLegacyToken()) or sign in again', { ...this.source });
      this.#legacy = error;
      this.#legacyData = stored.data;
      this.#replace(emptyCache(), stored.version, true);
    }
  }

  #replace(cache: CacheJson, version: string | undefined, exists: boolean): void {
    this.#set(cache);
    this.#base = cache;
    this.#version = version;
    this.#exists = exists;
    this.#dirty = false;
  }

  /** Our unsaved changes applied onto the stored copy (three-way merge against the last stored state). */
  #adoptTheirs(stored: { data: string; version?: string } | undefined): void {
    const theirs = stored === undefined ? emptyCache() : this.#parseTolerant(stored.data);
    this.#set(mergeCaches(this.#base, this.#snapshot, theirs));
    this.#base = theirs;
    this.#version = stored?.version;
    this.#exists = stored !== undefined;
  }

  /** Parses stored data; a pre-2.1 python-o365 token counts as empty (a new sign-in replaces it). */
  #parseTolerant(data: string): CacheJson {
    try {
      return parseCache(data, this.source);
    } catch (error) {
      if (error instanceof LegacyTokenFormatError) return emptyCache();
      throw error;
    }
  }

  async #load(): Promise<{ data: string; version?: string } | undefined> {
    try {
      return await this.#backend.load();
    } catch (error) {
      if (error instanceof TokenBackendError) throw error;
      throw new TokenBackendError(`${this.source.backend}: could not load the token cache`, { ...this.source, cause: error });
    }
  }

  /** Runs `fn` alone in this process and holding the backend's cross-process lock, when it has one. */
  exclusive<T>(fn: () => Promise<T>, timeoutMs: number, options: { crossProcess?: boolean } = {}): Promise<T> {
    return this.#lock.run(fn, timeoutMs, options);
  }

  /**
   * Saves msal-node's changes, if any. Conditional on the version last seen; on conflict the
   * changes are merged onto the stored copy.
   */
  flush(): Promise<void> {
    if (!this.#dirty) return Promise.resolve();
    // Saves of one process go one after the other, each from the latest state.
    const run = this.#saves.then(() => (this.#dirty || this.#pendingSave ? this.#persist() : undefined));
    this.#pendingSave = true;
    this.#saves = run.catch(() => undefined);
    return run;
  }

  #saves: Promise<unknown> = Promise.resolve();
  #pendingSave = false;

  async #persist(): Promise<void> {
    this.#dirty = false;
    this.#pendingSave = false;
    for (let attempt = 1; ; attempt++) {
      const expectedVersion = this.#version !== undefined ? this.#version : this.#exists ? undefined : null;
      const saving = this.#snapshot;
      try {
        const { version } = await this.#backend.save(JSON.stringify(saving), expectedVersion === undefined ? {} : { expectedVersion });
        this.#version = version;
        this.#exists = true;
        this.#legacy = undefined;
        this.#base = saving;
        return;
      } catch (error) {
        if (!(error instanceof TokenCacheConflictError) || attempt >= MAX_SAVE_ATTEMPTS) {
          // The changes stay pending: the next flush retries them, and a reload keeps them on top
          // of the stored copy instead of replacing them with it (a rotated refresh token is not lost).
          this.#dirty = true;
          if (error instanceof TokenBackendError) throw error;
          throw new TokenBackendError(`${this.source.backend}: could not save the token cache`, { ...this.source, cause: error });
        }
        // Another process wrote first: apply our changes onto its copy and try again.
        this.#logger.debug('token cache changed elsewhere; merging', { ...this.source, attempt });
        this.#adoptTheirs(await this.#load());
      }
    }
  }

  /** Removes everything: memory and backend. */
  async clear(): Promise<void> {
    try {
      await this.#backend.delete();
    } catch (error) {
      if (error instanceof TokenBackendError) throw error;
      throw new TokenBackendError(`${this.source.backend}: could not delete the token cache`, { ...this.source, cause: error });
    }
    this.#legacy = undefined;
    this.#replace(emptyCache(), undefined, false);
    this.#loaded = Promise.resolve();
  }
}
