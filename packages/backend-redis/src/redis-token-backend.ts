import { randomBytes } from 'node:crypto';
import {
  assertSaveData,
  MAX_PARTITION_KEY_LENGTH,
  noopLogger,
  toBackendError,
  TokenBackendError,
  versionConflict,
  type BackendIdentity,
  type LockOptions,
  type Logger,
  type ReleaseLock,
  type SaveOptions,
  type StoredToken,
  type TokenBackend,
} from '@o365/core/backend';
import type { RedisClientLike, RedisClusterLike } from './redis-client.js';
import { RedisCommands } from './redis-commands.js';
import { checkClientOptions, DEFAULT_CONNECT_TIMEOUT_MS, RedisConnection } from './redis-connection.js';
import { adviceFor, classifyRedisError, scrubError, UnexpectedRedisValueError } from './redis-errors.js';
import { checkKeyPrefix, DEFAULT_KEY, redisKeys } from './redis-keys.js';
import { acquireLease, type LeaseFailure } from './redis-lock.js';
import { DELETE, LOAD, replyText, SAVE, scriptReply } from './redis-scripts.js';

const BACKEND = 'RedisTokenBackend';
const inspectSymbol = Symbol.for('nodejs.util.inspect.custom');

/**
 * The default `ttlSeconds`, 90 days: a Microsoft Entra refresh token not used for 90 days expires.
 *
 * @example
 * ```ts
 * new RedisTokenBackend({ key: 'app', ttlSeconds: 2 * DEFAULT_TTL_SECONDS });
 * ```
 */
export const DEFAULT_TTL_SECONDS = 90 * 24 * 60 * 60;
const DEFAULT_LOCK_LEASE_MS = 15_000;
const DEFAULT_LOCK_TIMEOUT_MS = 30_000;
const DEFAULT_COMMAND_TIMEOUT_MS = 10_000;

/**
 * Options of {@link RedisTokenBackend}.
 *
 * @example
 * ```ts
 * const options: RedisTokenBackendOptions = {
 *   url: 'redis://:password@cache.internal:6379/0',
 *   key: 'mail-sync',          // data in o365:{mail-sync}:data, lock in o365:{mail-sync}:lock
 *   ttlSeconds: 90 * 24 * 3600, // the default: a refresh token's life, renewed on every save
 * };
 * ```
 */
export interface RedisTokenBackendOptions {
  /**
   * A node-redis 5 client of yours, connected or not: `createClient()` from `redis`, or
   * `createCluster()` for Redis Cluster. The backend connects it if it is not open, and never
   * closes it. Give it an `error` listener, as node-redis requires of every client. Exclusive
   * with `url`.
   */
  client?: RedisClientLike | RedisClusterLike;
  /**
   * The server, `redis://[[username]:password@]host[:port][/database]` (`rediss://` for TLS), for a
   * client the backend creates and owns (closed by {@link RedisTokenBackend.close}). Default:
   * the `REDIS_URL` environment variable, else `redis://127.0.0.1:6379`.
   */
  url?: string;
  /**
   * Name of this cache: the data is stored at `${keyPrefix}{${key}}:data` and the lock at
   * `${keyPrefix}{${key}}:lock`. Any non-empty string of at most 1,024 characters without control
   * characters (e.g. an application or tenant name). Default `token`.
   */
  key?: string;
  /** Prefix of every key. Default `o365:`. */
  keyPrefix?: string;
  /**
   * Expiry of the stored cache, in seconds, set again on every save: a cache nobody refreshed for
   * that long is removed by Redis. Default 90 days (the life of an unused Entra refresh token).
   * `0`: never expires.
   */
  ttlSeconds?: number;
  /**
   * Lease of the cross-process lock, in ms: renewed every third of it while its holder runs, so a
   * holder that dies blocks the others at most this long. Default 15,000.
   */
  lockLeaseMs?: number;
  /** How long `lock()` waits when called without `timeoutMs`. Default 30,000 ms. */
  lockTimeoutMs?: number;
  /** Bound on connecting (per attempt) for a client the backend creates. Default 5,000 ms. */
  connectTimeoutMs?: number;
  /** Bound on every command's answer; a hung server gives a `TokenBackendError` after it. Default 10,000 ms. */
  commandTimeoutMs?: number;
  /** Where the backend logs (lock lost, client errors). Never given token data or credentials. Default: nothing logged. */
  logger?: Logger;
}

/**
 * Options of {@link RedisTokenBackend.lock}: core's `LockOptions` plus an `AbortSignal`.
 *
 * @example
 * ```ts
 * const release = await backend.lock({ timeoutMs: 5_000, signal: AbortSignal.timeout(10_000) } satisfies RedisLockOptions);
 * ```
 */
export interface RedisLockOptions extends LockOptions {
  /** Stops waiting for the lock; `lock()` then rejects with the signal's reason. */
  signal?: AbortSignal;
}

/**
 * Keeps the token cache in Redis, so that every instance of a service shares one sign-in, with a
 * server-side compare-and-swap for conditional saves and a lease lock, so that N processes on an
 * expiring token make one refresh request.
 *
 * The cache is a hash at `${keyPrefix}{${key}}:data` with the fields `data` (the cache) and `ver`
 * (its version: a random 96-bit revision drawn for each save, never reused, so a delete followed
 * by a new save can never be mistaken for the version a process loaded earlier). Saves, loads and
 * deletes are Lua scripts that check the key's type first: a key holding anything else is
 * reported, never overwritten.
 *
 * @example
 * ```ts
 * import { Account } from '@o365/core';
 * import { RedisTokenBackend } from '@o365/backend-redis';
 *
 * const tokenBackend = new RedisTokenBackend({ url: process.env.REDIS_URL, key: 'mail-sync' });
 * const account = new Account(['client-id', 'client-secret'], { tokenBackend });
 * // ... when the process is done:
 * await tokenBackend.close();
 * ```
 */
export class RedisTokenBackend implements TokenBackend {
  /** The name of this cache (`key` option). */
  readonly key: string;
  /** The prefix of its keys (`keyPrefix` option). */
  readonly keyPrefix: string;
  /** The Redis key of the hash holding the cache: `${keyPrefix}{${key}}:data`. */
  readonly dataKey: string;
  /** The Redis key of the lock: `${keyPrefix}{${key}}:lock`. */
  readonly lockKey: string;
  /** Expiry set on every save, in seconds; 0 when the cache never expires. */
  readonly ttlSeconds: number;
  // Private fields keep the client (whose options hold the password) out of util.inspect and JSON.
  readonly #redis: RedisConnection;
  readonly #commands: RedisCommands;
  readonly #logger: Logger;
  readonly #lockLeaseMs: number;
  readonly #lockTimeoutMs: number;

  constructor(options: RedisTokenBackendOptions = {}) {
    if (options === null || typeof options !== 'object') throw new TypeError(`${BACKEND}: options must be an object`);
    const { client, url } = options;
    checkClientOptions(BACKEND, client, url);
    this.key = checkName(options.key);
    this.keyPrefix = checkKeyPrefix(BACKEND, options.keyPrefix);
    const keys = redisKeys(this.keyPrefix, this.key);
    this.dataKey = keys.data;
    this.lockKey = keys.lock;
    this.ttlSeconds = checkInteger('ttlSeconds', options.ttlSeconds, DEFAULT_TTL_SECONDS, 0);
    this.#lockLeaseMs = checkInteger('lockLeaseMs', options.lockLeaseMs, DEFAULT_LOCK_LEASE_MS, 30);
    this.#lockTimeoutMs = checkInteger('lockTimeoutMs', options.lockTimeoutMs, DEFAULT_LOCK_TIMEOUT_MS, 0);
    const connectTimeoutMs = checkInteger('connectTimeoutMs', options.connectTimeoutMs, DEFAULT_CONNECT_TIMEOUT_MS, 1);
    const commandTimeoutMs = checkInteger('commandTimeoutMs', options.commandTimeoutMs, DEFAULT_COMMAND_TIMEOUT_MS, 1);
    this.#logger = options.logger ?? noopLogger;

    this.#redis = new RedisConnection(BACKEND, { client, url, connectTimeoutMs, logger: this.#logger, identity: () => this.#identity() });
    this.#commands = new RedisCommands(this.#redis.client, commandTimeoutMs, () => this.#redis.closed);
  }

  /** `redis://host:port[/db]/<dataKey>`, for messages and `TokenBackendError.location`; never credentials. */
  get location(): string {
    return `${this.#redis.server}/${this.dataKey}`;
  }

  /**
   * Reads the cache and its version; `undefined` when nothing is stored. One `HMGET` (atomic); only
   * when it finds nothing, or the key holds another type, a Lua script tells "nothing stored" from
   * "something that is not ours" and names what is there.
   */
  async load(): Promise<StoredToken | undefined> {
    this.#assertOpen('load');
    let fields: unknown;
    try {
      fields = await this.#commands.send(this.dataKey, ['HMGET', this.dataKey, 'data', 'ver']);
    } catch (error) {
      if (classifyRedisError(error).kind !== 'wrong-type') throw this.#error('load', error);
    }
    if (Array.isArray(fields)) {
      const data = replyText(fields[0]);
      const version = replyText(fields[1]);
      if (data !== undefined && version !== undefined && version !== '') return { data, version };
    }
    let reply;
    try {
      reply = scriptReply(await this.#commands.eval(LOAD, this.dataKey));
    } catch (error) {
      throw this.#error('load', error);
    }
    const [data, version] = reply.values;
    if (reply.status === 'none') return undefined;
    if (reply.status === 'ok' && data !== undefined && version !== undefined && version !== '') return { data, version };
    throw this.#error('load', this.#unexpected(reply));
  }

  /**
   * Stores `data` with a new version, atomically (one Lua script): with `expectedVersion: '<v>'`
   * only if the stored version is still `<v>`, with `expectedVersion: null` only if nothing is
   * stored; otherwise rejects with `TokenCacheConflictError` and leaves the stored copy as it was.
   * Sets the key's expiry to `ttlSeconds`. Resolves the new version.
   */
  async save(data: string, options: SaveOptions = {}): Promise<{ version?: string }> {
    assertSaveData(data, this.#identity());
    this.#assertOpen('save');
    if (!isWellFormed(data)) {
      throw new TokenBackendError(
        `${BACKEND} (${this.location}): could not save: the data contains a lone UTF-16 surrogate, which Redis (UTF-8) cannot store unchanged`,
        { ...this.#identity(), cause: new TypeError('data is not well-formed UTF-16') },
      );
    }
    const { expectedVersion } = options;
    const mode = expectedVersion === undefined ? 'any' : expectedVersion === null ? 'create' : 'match';
    const version = randomBytes(12).toString('base64url');
    let reply;
    try {
      reply = scriptReply(
        await this.#commands.eval(SAVE, this.dataKey, [mode, expectedVersion ?? '', data, version, String(this.ttlSeconds * 1000)]),
      );
    } catch (error) {
      throw this.#error('save', error);
    }
    if (reply.status === 'ok') return { version };
    if (reply.status === 'conflict' && expectedVersion !== undefined) {
      throw versionConflict(this.#identity(), expectedVersion, reply.values[0]);
    }
    throw this.#error('save', this.#unexpected(reply));
  }

  /** Removes the cache; nothing stored is not an error. The lock key is left alone (another process may hold it). */
  async delete(): Promise<void> {
    this.#assertOpen('delete');
    let reply;
    try {
      reply = scriptReply(await this.#commands.eval(DELETE, this.dataKey));
    } catch (error) {
      throw this.#error('delete', error);
    }
    if (reply.status === 'ok' || reply.status === 'none') return;
    throw this.#error('delete', this.#unexpected(reply));
  }

  /**
   * Takes the cross-process lock at {@link lockKey}: `SET NX PX` with a random owner token,
   * retried with jittered backoff until `timeoutMs` (then `TokenBackendError`) or until `signal`
   * aborts (then its reason). The lease is renewed while held; the returned function releases the
   * lock only if this owner still holds it (a lost lease is logged, not thrown). Safe to call twice.
   */
  async lock(options: RedisLockOptions = {}): Promise<ReleaseLock> {
    this.#assertOpen('lock');
    const timeoutMs = options.timeoutMs ?? this.#lockTimeoutMs;
    if (typeof timeoutMs !== 'number' || !(timeoutMs >= 0)) throw new TypeError(`${BACKEND}: lock timeoutMs must be a number >= 0`);
    return acquireLease(
      {
        commands: this.#commands,
        lockKey: this.lockKey,
        settings: { leaseMs: this.#lockLeaseMs, minRetryMs: 10, maxRetryMs: 200 },
        logger: this.#logger,
        logData: { ...this.#identity() },
        fail: (failure) => this.#lockError(failure),
      },
      timeoutMs,
      options.signal,
    );
  }

  /**
   * Closes the client the backend created from `url` (waiting for pending replies); a client passed
   * as `client` is left open. Afterwards every call rejects with `TokenBackendError`. Idempotent.
   */
  close(): Promise<void> {
    return this.#redis.close();
  }

  toString(): string {
    return `${BACKEND}(${this.location})`;
  }

  /** What `JSON.stringify` shows: the backend and its location, nothing else. */
  toJSON(): BackendIdentity {
    return this.#identity();
  }

  [inspectSymbol](): string {
    return `${BACKEND} { location: '${this.location}', ttlSeconds: ${this.ttlSeconds} }`;
  }

  #identity(): BackendIdentity {
    return { backend: BACKEND, location: this.location };
  }

  #assertOpen(operation: string): void {
    if (!this.#redis.closed) return;
    throw new TokenBackendError(`${BACKEND} (${this.location}): cannot ${operation}: the backend was closed`, {
      ...this.#identity(),
      cause: new Error('closed'),
    });
  }

  #unexpected(reply: { status: string; values: (string | undefined)[] }): Error {
    if (reply.status === 'wrongtype') {
      return new UnexpectedRedisValueError('WRONGTYPE', `${this.dataKey} holds a ${reply.values[0] ?? 'value'} instead of a hash`);
    }
    if (reply.status === 'foreign') {
      return new UnexpectedRedisValueError('NOT_OURS', `${this.dataKey} holds a hash without the fields data and ver`);
    }
    return new UnexpectedRedisValueError('NOT_OURS', `unexpected reply from the script (status ${JSON.stringify(reply.status.slice(0, 40))})`);
  }

  #error(operation: 'load' | 'save' | 'delete' | 'take the lock' | 'release the lock', error: unknown): TokenBackendError {
    const cause = scrubError(error, this.#redis.password);
    const failure = classifyRedisError(cause);
    const key = operation.endsWith('lock') ? this.lockKey : this.dataKey;
    const advice = adviceFor(failure, this.#redis.server, key);
    return toBackendError(cause, this.#identity(), `could not ${operation} ${key}`, advice === undefined ? {} : { advice });
  }

  #lockError(failure: LeaseFailure): unknown {
    if (failure.kind === 'aborted') return failure.reason;
    if (failure.kind === 'error') return this.#error(failure.operation === 'take' ? 'take the lock' : 'release the lock', failure.error);
    const lease = failure.remainingLeaseMs === undefined ? '' : ` (its lease ends in ${failure.remainingLeaseMs} ms unless renewed)`;
    return new TokenBackendError(
      `${BACKEND} (${this.location}): could not take the lock ${this.lockKey} within ${failure.timeoutMs} ms: another process holds it${lease}`,
      { ...this.#identity(), cause: new Error(`lock ${this.lockKey} busy after ${failure.attempts} attempts`) },
    );
  }
}

function checkName(key: unknown): string {
  if (key === undefined) return DEFAULT_KEY;
  if (typeof key !== 'string' || key === '') throw new TypeError(`${BACKEND}: key must be a non-empty string`);
  if (key.length > MAX_PARTITION_KEY_LENGTH) throw new TypeError(`${BACKEND}: key must be at most ${MAX_PARTITION_KEY_LENGTH} characters`);
  if (/[\u0000-\u001f\u007f]/.test(key)) throw new TypeError(`${BACKEND}: key must not contain control characters`);
  return key;
}

function checkInteger(name: string, value: unknown, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    throw new TypeError(`${BACKEND}: ${name} must be an integer >= ${min}`);
  }
  return value;
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function isWellFormed(text: string): boolean {
  const native = (text as { isWellFormed?: () => boolean }).isWellFormed;
  return typeof native === 'function' ? native.call(text) : !LONE_SURROGATE.test(text);
}
