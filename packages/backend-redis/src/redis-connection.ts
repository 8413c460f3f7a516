import type { BackendIdentity, Logger } from '@o365/core/backend';
import {
  clientPassword,
  closeOwnedClient,
  createOwnedClient,
  describeClient,
  describeServer,
  passwordOf,
  resolveUrl,
  type AnyRedisClient,
} from './redis-client.js';
import { classifyRedisError, scrubError } from './redis-errors.js';

/** Default `connectTimeoutMs` of every Redis backend. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;

/** What a backend's options say about its Redis: a client of the caller's, or where to connect. */
export interface RedisConnectionOptions {
  client?: AnyRedisClient | undefined;
  url?: string | undefined;
  /** For a client created from `url`: bounds connecting (an integer >= 1; default 5,000 ms). */
  connectTimeoutMs?: unknown;
  /** Receives the `error` events of a client created from `url`, scrubbed of the password. */
  logger: Logger;
  /** Names the backend in those warnings. */
  identity: () => BackendIdentity;
}

/**
 * Checks the `client` and `url` options a Redis backend takes (one or the other, and a client that
 * is node-redis's), throwing the `TypeError` a caller sees at construction.
 */
export function checkClientOptions(owner: string, client: unknown, url: unknown): void {
  if (client !== undefined && url !== undefined) throw new TypeError(`${owner}: pass either client or url, not both`);
  if (client !== undefined && (typeof client !== 'object' || client === null || typeof (client as { sendCommand?: unknown }).sendCommand !== 'function')) {
    throw new TypeError(`${owner}: client must be a node-redis client (createClient() or createCluster() from 'redis')`);
  }
}

/**
 * The Redis client of a backend, and whose it is: a client passed as `client` stays the caller's
 * (left open by `close()`); one created from `url` (or `REDIS_URL`) is the backend's, cannot
 * retry forever (see `createOwnedClient`) and is closed by `close()`. Also what messages may say of
 * the server (`redis://host:port[/db]`, never credentials) and the password to scrub from errors.
 */
export class RedisConnection {
  readonly client: AnyRedisClient;
  /** `redis://host:port[/db]`: for locations and advice, never credentials. */
  readonly server: string;
  /** The password in use, to scrub from error messages; undefined when there is none. */
  readonly password: string | undefined;
  readonly #owned: boolean;
  #closed = false;

  /** `owner` names the backend class in `TypeError`s about the options. */
  constructor(owner: string, options: RedisConnectionOptions) {
    const { client, url, connectTimeoutMs, logger, identity } = options;
    if (client !== undefined) {
      this.client = client;
      this.#owned = false;
      this.server = describeClient(client);
      this.password = clientPassword(client);
      return;
    }
    const serverUrl = resolveUrl(owner, url);
    this.server = describeServer(serverUrl);
    this.password = passwordOf(serverUrl);
    this.#owned = true;
    if (connectTimeoutMs !== undefined && !(typeof connectTimeoutMs === 'number' && Number.isSafeInteger(connectTimeoutMs) && connectTimeoutMs >= 1)) {
      throw new TypeError(`${owner}: connectTimeoutMs must be an integer >= 1`);
    }
    this.client = createOwnedClient({
      url: serverUrl,
      connectTimeoutMs: connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
      onError: (error) => {
        const failure = classifyRedisError(scrubError(error, this.password));
        logger.warn('Redis client error', { ...identity(), code: failure.code, error: failure.message });
      },
    });
  }

  /** Whether `close()` was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Marks the connection closed and closes the client if the backend created it. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#owned) await closeOwnedClient(this.client);
  }
}
