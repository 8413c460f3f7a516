import type { ICachePlugin, TokenCacheContext } from '@azure/msal-node';
import { TokenBackendError, TokenCacheConflictError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { ReleaseLock, TokenBackend } from '../backends/token-backend.js';
import { emptyCache, mergeCaches, parseCache, type CacheJson, type CacheSource } from './cache-format.js';
import { LegacyTokenFormatError } from '../errors.js';

const MAX_SAVE_ATTEMPTS = 8;

/** Name and location of a backend for messages (duck-typed: backends may expose `location`/`path`). */
export function describeBackend(backend: TokenBackend): CacheSource {
  const name = (backend as { constructor?: { name?: string } }).constructor?.name || 'TokenBackend';
  const b = backend as unknown as Record<string, unknown>;
  for (const field of ['location', 'tokenPath', 'path', 'filePath']) {
    const value = b[field];
    if (typeof value === 'string' && value !== '') return { backend: name, location: value };
  }
  return { backend: name };
}

/**
 * Keeps the serialized MSAL cache in memory and in sync with a {@link TokenBackend}:
 * - the backend is read at start, under the refresh lock, and after a lost conditional write;
 * - msal-node sees the in-memory copy through {@link TokenStore.plugin}, never the backend;
 * - writes are conditional (`expectedVersion`) and a conflict is resolved by a three-way merge
 *   of this process's changes onto the stored copy, so a newer cache or another user's entries
 *   written elsewhere are never lost.
 */
export class TokenStore {
  readonly #backend: TokenBackend;
  readonly #logger: Logger;
  readonly source: CacheSource;
  /** What msal-node sees. */
  #snapshot: CacheJson = emptyCache();
  /** The last copy known to be stored (merge base). */
  #base: CacheJson = emptyCache();
  #version: string | undefined;
  #exists = false;
  #loaded: Promise<void> | undefined;
  #dirty = false;
  /** Set when the stored data is a pre-2.1 python-o365 token: reads fail, a sign-in replaces it. */
  #legacy: LegacyTokenFormatError | undefined;
  /** The pre-2.1 python-o365 token as stored, kept for {@link TokenStore.legacyToken}. */
  #legacyData: string | undefined;

  constructor(backend: TokenBackend, logger: Logger) {
    this.#backend = backend;
    this.#logger = logger;
    this.source = describeBackend(backend);
  }

  /** The cache as msal-node and the hot path see it. Read-only by convention. */
  get cache(): CacheJson {
    return this.#snapshot;
  }

  /** The error to report when the stored token is in python-o365's pre-2.1 format. */
  get legacyError(): LegacyTokenFormatError | undefined {
    return this.#legacy;
  }

  /** The cache plugin given to msal-node: it reads and writes the in-memory copy only. */
  readonly plugin: ICachePlugin = {
    beforeCacheAccess: async (context: TokenCacheContext): Promise<void> => {
      context.tokenCache.deserialize(JSON.stringify(this.#snapshot));
    },
    afterCacheAccess: async (context: TokenCacheContext): Promise<void> => {
      if (!context.cacheHasChanged) return;
      this.#snapshot = JSON.parse(context.tokenCache.serialize()) as CacheJson;
      this.#dirty = true;
    },
  };

  /**
   * Puts the in-memory copy into msal-node's cache. For the flows whose cache lookup msal-node
   * does before it calls the plugin (on-behalf-of): without this it would not see stored tokens.
   */
  hydrate(tokenCache: { deserialize(cache: string): void }): void {
    tokenCache.deserialize(JSON.stringify(this.#snapshot));
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

  /** Reads the backend again, replacing the in-memory copy (which holds no unsaved change). */
  async reload(): Promise<void> {
    const stored = await this.#load();
    this.#legacy = undefined;
    if (this.#dirty) {
      // msal-node changed the cache and the change is not saved yet: keep it on top of the stored copy.
      const theirs = stored === undefined ? emptyCache() : this.#parseTolerant(stored.data);
      this.#snapshot = mergeCaches(this.#base, this.#snapshot, theirs);
      this.#base = theirs;
      this.#version = stored?.version;
      this.#exists = stored !== undefined;
      return;
    }
    if (stored === undefined) {
      this.#snapshot = emptyCache();
      this.#base = emptyCache();
      this.#version = undefined;
      this.#exists = false;
    } else {
      this.#exists = true;
      this.#version = stored.version;
      try {
        const parsed = parseCache(stored.data, this.source);
        this.#snapshot = parsed;
        this.#base = structuredClone(parsed);
      } catch (error) {
        if (!(error instanceof LegacyTokenFormatError)) throw error;
        this.#logger.warn('the stored token is in the pre-2.1 python-o365 format; migrate it (account.migrateLegacyToken()) or sign in again', { ...this.source });
        this.#legacy = error;
        this.#legacyData = stored.data;
        this.#snapshot = emptyCache();
        this.#base = emptyCache();
      }
    }
    this.#dirty = false;
    this.#loaded = Promise.resolve();
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

  /**
   * The refresh token and scopes of a stored pre-2.1 python-o365 token (requests-oauthlib's token
   * dictionary), or `undefined` when the stored token is not one or holds no refresh token.
   */
  legacyToken(): { refreshToken: string; scopes: string[] } | undefined {
    if (!this.#legacy || this.#legacyData === undefined) return undefined;
    try {
      const old = JSON.parse(this.#legacyData) as { refresh_token?: unknown; scope?: unknown };
      if (typeof old.refresh_token !== 'string' || old.refresh_token === '') return undefined;
      const scope = old.scope;
      const scopes = Array.isArray(scope) ? scope.filter((x): x is string => typeof x === 'string') : typeof scope === 'string' ? scope.split(/\s+/).filter(Boolean) : [];
      return { refreshToken: old.refresh_token, scopes };
    } catch {
      return undefined;
    }
  }

  /** Throws the legacy-format error, if the stored token is one. */
  assertReadable(): void {
    if (this.#legacy) throw this.#legacy;
  }

  async #load(): Promise<{ data: string; version?: string } | undefined> {
    try {
      return await this.#backend.load();
    } catch (error) {
      if (error instanceof TokenBackendError) throw error;
      throw new TokenBackendError(`${this.source.backend}: could not load the token cache`, { ...this.source, cause: error });
    }
  }

  #queue: Promise<unknown> = Promise.resolve();

  /**
   * Runs `fn` alone in this process (reload, msal-node call and save never interleave with another
   * refresh) and holding the backend's cross-process lock, when it has one.
   */
  exclusive<T>(fn: () => Promise<T>, timeoutMs: number, options: { crossProcess?: boolean } = {}): Promise<T> {
    const run = this.#queue.then(() => (options.crossProcess === false ? fn() : this.#withLock(fn, timeoutMs)));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #withLock<T>(fn: () => Promise<T>, timeoutMs: number): Promise<T> {
    if (typeof this.#backend.lock !== 'function') return fn();
    let release: ReleaseLock;
    try {
      release = await this.#backend.lock({ timeoutMs });
    } catch (error) {
      if (error instanceof TokenBackendError) throw error;
      throw new TokenBackendError(`${this.source.backend}: could not take the token cache lock`, { ...this.source, cause: error });
    }
    try {
      return await fn();
    } finally {
      await release().catch((error: unknown) => {
        this.#logger.warn('releasing the token cache lock failed', { ...this.source, error: String(error) });
      });
    }
  }

  /** Whether msal-node changed the cache since the last save. */
  get dirty(): boolean {
    return this.#dirty;
  }

  /**
   * Saves msal-node's changes, if any. `edit` may adjust the new cache first (timestamps).
   * Conditional on the version last seen; on conflict the changes are merged onto the stored copy.
   */
  flush(edit?: (cache: CacheJson) => void): Promise<void> {
    if (!this.#dirty) return Promise.resolve();
    edit?.(this.#snapshot);
    // Saves of one process go one after the other, each from the latest snapshot.
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
      const data = JSON.stringify(this.#snapshot);
      try {
        const { version } = await this.#backend.save(data, expectedVersion === undefined ? {} : { expectedVersion });
        this.#version = version;
        this.#exists = true;
        this.#legacy = undefined;
        this.#base = JSON.parse(data) as CacheJson;
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
        const stored = await this.#load();
        const theirs = stored === undefined ? emptyCache() : this.#parseTolerant(stored.data);
        this.#snapshot = mergeCaches(this.#base, this.#snapshot, theirs);
        this.#base = theirs;
        this.#version = stored?.version;
        this.#exists = stored !== undefined;
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
    this.#snapshot = emptyCache();
    this.#base = emptyCache();
    this.#version = undefined;
    this.#exists = false;
    this.#legacy = undefined;
    this.#dirty = false;
    this.#loaded = Promise.resolve();
  }
}
