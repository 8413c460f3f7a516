import {
  assertPartitionKey,
  noopLogger,
  type BackendIdentity,
  type Logger,
  type PartitionedTokenBackend,
} from '@o365/core/backend';
import { closableView, type AnyRedisClient } from './redis-client.js';
import { checkClientOptions, RedisConnection } from './redis-connection.js';
import { checkKeyPrefix, redisKeys } from './redis-keys.js';
import { RedisTokenBackend, type RedisTokenBackendOptions } from './redis-token-backend.js';

const BACKEND = 'RedisPartitionedTokenBackend';
const inspectSymbol = Symbol.for('nodejs.util.inspect.custom');

/**
 * Options of {@link RedisPartitionedTokenBackend}: those of {@link RedisTokenBackend} but `key`,
 * which is the partition key given to `partition()`.
 *
 * @example
 * ```ts
 * const options: RedisPartitionedTokenBackendOptions = { url: 'redis://cache.internal:6379', keyPrefix: 'webapp:' };
 * ```
 */
export type RedisPartitionedTokenBackendOptions = Omit<RedisTokenBackendOptions, 'key'>;

/**
 * Many token caches in one Redis, one per partition key (a user's home account id, a tenant id),
 * sharing one client: a web app serving many users loads, locks and saves only the partition of
 * the user it serves. `partition(key)` is a {@link RedisTokenBackend} at
 * `${keyPrefix}{${key}}:data` (lock `${keyPrefix}{${key}}:lock`); partitions never see each
 * other's data. The braces are a Redis Cluster hash tag: a partition's two keys share a slot.
 *
 * @example
 * ```ts
 * import { Account } from '@o365/core';
 * import { RedisPartitionedTokenBackend } from '@o365/backend-redis';
 *
 * const caches = new RedisPartitionedTokenBackend({ url: process.env.REDIS_URL, keyPrefix: 'webapp:' });
 * const account = new Account(['client-id', 'client-secret'], {
 *   tokenBackend: caches.partition('adele-home-account-id'), // webapp:{adele-home-account-id}:data
 * });
 * // ... at shutdown:
 * await caches.close();
 * ```
 */
export class RedisPartitionedTokenBackend implements PartitionedTokenBackend {
  /** The prefix of every partition's keys. */
  readonly keyPrefix: string;
  readonly #redis: RedisConnection;
  readonly #shared: AnyRedisClient;
  readonly #settings: Omit<RedisTokenBackendOptions, 'key' | 'client' | 'url'>;

  constructor(options: RedisPartitionedTokenBackendOptions = {}) {
    if (options === null || typeof options !== 'object') throw new TypeError(`${BACKEND}: options must be an object`);
    if ((options as { key?: unknown }).key !== undefined) {
      throw new TypeError(`${BACKEND}: there is no key option; the partition key is given to partition(key)`);
    }
    const { client, url, logger, connectTimeoutMs, ...settings } = options;
    checkClientOptions(BACKEND, client, url);
    this.keyPrefix = checkKeyPrefix(BACKEND, settings.keyPrefix);
    const log: Logger = logger ?? noopLogger;
    // connectTimeoutMs belongs to the client created from url (checked there), not to the partitions.
    this.#redis = new RedisConnection(BACKEND, { client, url, connectTimeoutMs, logger: log, identity: () => this.#identity() });
    this.#shared = closableView(this.#redis.client, () => this.#redis.closed, BACKEND);
    this.#settings = { ...settings, keyPrefix: this.keyPrefix, logger: log };
    // Checks the remaining options (ttlSeconds, timeouts) now rather than at the first partition.
    try {
      new RedisTokenBackend({ ...this.#settings, client: this.#shared, key: 'options-check' });
    } catch (error) {
      if (error instanceof TypeError) throw new TypeError(error.message.replace(/^RedisTokenBackend:/, `${BACKEND}:`));
      throw error;
    }
  }

  /** `redis://host:port[/db]/${keyPrefix}{*}:data`: where the partitions live, never credentials. */
  get location(): string {
    return `${this.#redis.server}/${redisKeys(this.keyPrefix, '*').data}`;
  }

  /**
   * The backend of partition `key`: a {@link RedisTokenBackend} on the shared client at
   * `${keyPrefix}{${key}}:data`. The same key always names the same storage. Keys are non-empty
   * strings of at most 1,024 characters without control characters (else `TokenBackendError`).
   * Cheap: call it per request. Its `close()` leaves the shared client open.
   */
  partition(key: string): RedisTokenBackend {
    assertPartitionKey(key, this.#identity());
    return new RedisTokenBackend({ ...this.#settings, client: this.#shared, key });
  }

  /**
   * Closes the client created from `url` (a client passed as `client` is left open); every
   * partition's calls reject with `TokenBackendError` afterwards. Idempotent.
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
    return `${BACKEND} { location: '${this.location}' }`;
  }

  #identity(): BackendIdentity {
    return { backend: BACKEND, location: this.location };
  }
}
