/**
 * What a backend holds: the serialized cache (opaque to the backend) and its version.
 *
 * @example
 * ```ts
 * const stored: StoredToken | undefined = await backend.load();
 * if (stored) console.log(stored.version);
 * ```
 */
export interface StoredToken {
  /** The serialized token cache (MSAL's unified cache JSON, possibly encrypted). Opaque to backends. */
  data: string;
  /** An opaque version (ETag, VersionId, row version, mtime+hash...) used for `expectedVersion`. */
  version?: string;
}

/**
 * Options of {@link TokenBackend.save}.
 *
 * @example
 * ```ts
 * const options: SaveOptions = { expectedVersion: stored?.version ?? null };
 * await backend.save(data, options);
 * ```
 */
export interface SaveOptions {
  /**
   * Conditional write. A string: the save succeeds only if the stored version is still this one.
   * `null`: create-only, the save succeeds only if nothing is stored. Omitted: unconditional.
   * A lost condition rejects with `TokenCacheConflictError` and leaves the stored copy untouched.
   */
  expectedVersion?: string | null;
}

/**
 * Options of {@link TokenBackend.lock}.
 *
 * @example
 * ```ts
 * const options: LockOptions = { timeoutMs: 5_000 };
 * const release = await backend.lock?.(options);
 * ```
 */
export interface LockOptions {
  /** Give up (with `TokenBackendError`) after this long. */
  timeoutMs?: number;
}

/**
 * Releases a lock taken with {@link TokenBackend.lock}. Safe to call more than once.
 *
 * @example
 * ```ts
 * const release: ReleaseLock = await backend.lock!({ timeoutMs: 5_000 });
 * try { await refresh(); } finally { await release(); }
 * ```
 */
export type ReleaseLock = () => Promise<void>;

/**
 * Storage for a token cache. Backends store an opaque string and know nothing of tokens; every
 * failure surfaces as `TokenBackendError` (with the backend name and cause), and a failed write
 * leaves the previous good copy in place.
 *
 * @example
 * ```ts
 * class MapBackend implements TokenBackend {
 *   #value?: StoredToken;
 *   async load() { return this.#value; }
 *   async save(data: string) { this.#value = { data, version: String(Date.now()) }; return { version: this.#value.version }; }
 *   async delete() { this.#value = undefined; }
 * }
 * ```
 */
export interface TokenBackend {
  /** The stored cache and its version, or `undefined` when nothing is stored. */
  load(): Promise<StoredToken | undefined>;
  /** Store `data`; honours `expectedVersion` (see {@link SaveOptions}). Returns the new version. */
  save(data: string, options?: SaveOptions): Promise<{ version?: string }>;
  /** Remove what is stored; no error when nothing is. */
  delete(): Promise<void>;
  /** Optional cross-process lock held around a refresh, so that N processes make one token request. */
  lock?(options?: LockOptions): Promise<ReleaseLock>;
  /**
   * Where it stores, for messages: a file path, `s3://bucket/key`, a row, a secret id. Never
   * secret material (no credentials, no token).
   */
  readonly location?: string;
}

/**
 * A store of many token caches, one per partition key (a user's home account id, a tenant for
 * app-only tokens): a web app serving many users loads, locks and saves only the partition of
 * the user it serves, so its cost does not grow with the number of users in other partitions.
 * Each partition is an ordinary {@link TokenBackend}; partitions never see each other's data.
 *
 * @example
 * ```ts
 * const users: PartitionedTokenBackend = new PartitionedFileSystemTokenBackend({ folder: '/var/lib/myapp/tokens' });
 * const adele = users.partition('adele-home-account-id');
 * await adele.save(cacheJson);
 * ```
 */
export interface PartitionedTokenBackend {
  /**
   * The backend of one partition. The same key always names the same storage; keys are
   * non-empty strings of at most 1,024 characters (see `assertPartitionKey`).
   */
  partition(key: string): TokenBackend;
  /** Where the partitions live (a folder, a key prefix, a table), for messages. */
  readonly location?: string;
}
