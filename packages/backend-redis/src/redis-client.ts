import { createClient } from 'redis';

/**
 * What the backends need of a node-redis 5 client. Every client `createClient()` returns fits
 * (from `redis` or `@redis/client`, with any modules, scripts, RESP2 or RESP3, any type
 * mapping): the backends send raw commands, so they depend on no generic parameter of it.
 *
 * @example
 * ```ts
 * import { createClient } from 'redis';
 * const client: RedisClientLike = createClient({ url: 'redis://127.0.0.1:6379' });
 * ```
 */
export interface RedisClientLike {
  /** True from `connect()` until `close()`/`destroy()` (also while it reconnects). */
  readonly isOpen: boolean;
  connect(): Promise<unknown>;
  sendCommand(args: ReadonlyArray<string | Buffer>, options?: { timeout?: number }): Promise<unknown>;
  /** node-redis exposes the options the client was made with; used (without credentials) in messages. */
  readonly options?: RedisClientLikeOptions | undefined;
}

/**
 * The part of a node-redis client's `options` read to name the server in messages. Credentials
 * in it are never read.
 *
 * @example
 * ```ts
 * const options: RedisClientLikeOptions = { url: 'redis://cache.internal:6379', database: 2 };
 * ```
 */
export interface RedisClientLikeOptions {
  url?: string | undefined;
  database?: number | undefined;
  socket?: unknown;
  /** Read only to keep it out of messages. */
  password?: string | undefined;
}

/**
 * What the backends need of a node-redis 5 Redis Cluster client (`createCluster()` from `redis`):
 * commands are routed by the key they touch, and every script touches one key, whose slot the
 * backends fix with a hash tag.
 *
 * @example
 * ```ts
 * import { createCluster } from 'redis';
 * const cluster: RedisClusterLike = createCluster({ rootNodes: [{ url: 'redis://10.0.0.1:6379' }] });
 * ```
 */
export interface RedisClusterLike {
  readonly isOpen: boolean;
  connect(): Promise<unknown>;
  sendCommand(
    firstKey: string | Buffer | undefined,
    isReadonly: boolean | undefined,
    args: Array<string | Buffer>,
    options?: { timeout?: number },
  ): Promise<unknown>;
  /** node-redis's list of the cluster's masters; its presence tells a cluster client from a single-node one. */
  readonly masters: ReadonlyArray<unknown>;
  /** node-redis keeps the cluster's options here; the first root node names the cluster in messages. */
  readonly _options?:
    | { rootNodes?: ReadonlyArray<{ url?: string | undefined; socket?: unknown }>; defaults?: { password?: string | undefined } }
    | undefined;
}

/** Either kind of node-redis client the backends accept. */
export type AnyRedisClient = RedisClientLike | RedisClusterLike;

/** Whether `client` is a cluster client (node-redis's `RedisCluster` has `masters`; `RedisClient` does not). */
export function isCluster(client: AnyRedisClient): client is RedisClusterLike {
  return 'masters' in client;
}

/** The server a client talks to, for messages (never credentials). */
export function describeClient(client: AnyRedisClient): string {
  if (isCluster(client)) {
    const root = client._options?.rootNodes?.[0];
    const server = describeServer(typeof root?.url === 'string' ? root.url : undefined, root ?? {});
    return server.replace(/^redis(s?):\/\//, 'redis$1-cluster://');
  }
  const url = typeof client.options?.url === 'string' ? client.options.url : undefined;
  return describeServer(url, client.options);
}

/** The password a client was given (in its URL or as `password`), to keep it out of messages. */
export function clientPassword(client: AnyRedisClient): string | undefined {
  const given = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);
  if (isCluster(client)) {
    return given(client._options?.defaults?.password) ?? passwordOf(client._options?.rootNodes?.[0]?.url);
  }
  return given(client.options?.password) ?? passwordOf(typeof client.options?.url === 'string' ? client.options.url : undefined);
}

/** The default server when neither `url` nor `REDIS_URL` is given. */
export const DEFAULT_URL = 'redis://127.0.0.1:6379';

/** The settings of a client a backend creates itself. */
export interface OwnedClientSettings {
  url: string;
  connectTimeoutMs: number;
  /**
   * How many reconnects in a row, and how many within {@link RECONNECT_WINDOW_MS}, before the
   * client gives up and closes (the backend opens it again on its next call).
   */
  maxReconnects?: number;
  onError: (error: unknown) => void;
}

/** The window in which reconnects are counted: a server that accepts and then drops every connection must not loop forever. */
export const RECONNECT_WINDOW_MS = 30_000;

/**
 * A node-redis client for `url` that cannot hang or retry forever: connecting is bounded by
 * `connectTimeoutMs`, a lost connection is retried `maxReconnects` times with a short backoff
 * (and at most `3 * maxReconnects` times in any {@link RECONNECT_WINDOW_MS}, since node-redis
 * starts counting again after every connection that opened), then the client closes and the
 * backend opens it again on its next call; authentication errors are not retried at all, and
 * `error` events go to `onError` instead of crashing the process.
 */
export function createOwnedClient(settings: OwnedClientSettings): RedisClientLike {
  const maxReconnects = settings.maxReconnects ?? 3;
  const recent: number[] = [];
  const client = createClient({
    url: settings.url,
    socket: {
      connectTimeout: settings.connectTimeoutMs,
      reconnectStrategy: (retries: number, cause: Error) => {
        const now = Date.now();
        while (recent.length > 0 && recent[0]! < now - RECONNECT_WINDOW_MS) recent.shift();
        recent.push(now);
        if (isAuthFailure(cause) || retries >= maxReconnects || recent.length > 3 * maxReconnects) return false;
        return Math.min(50 * 2 ** retries, 1000);
      },
    },
  });
  client.on('error', settings.onError);
  return client;
}

function isAuthFailure(error: unknown): boolean {
  const message = error instanceof Error ? error.message : '';
  return /^(WRONGPASS|NOAUTH|NOPERM)\b/.test(message);
}

/**
 * Closes a client the backend created: waits for pending replies at most `graceMs` (a client
 * stuck reconnecting would wait for ever), then destroys it. Never throws.
 */
export async function closeOwnedClient(client: AnyRedisClient, graceMs = 2_000): Promise<void> {
  const c = client as AnyRedisClient & { close?: () => Promise<void>; destroy?: () => void };
  if (!c.isOpen) return;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const grace = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), graceMs);
  });
  try {
    const closing = Promise.resolve(c.close?.());
    closing.catch(() => undefined);
    if ((await Promise.race([closing, grace])) === 'late' && c.isOpen) c.destroy?.();
  } catch {
    if (c.isOpen) c.destroy?.();
  } finally {
    clearTimeout(timer);
  }
}

// One connect() per client at a time, shared by every backend using it (the partitions of a
// RedisPartitionedTokenBackend share one client).
const connecting = new WeakMap<AnyRedisClient, Promise<void>>();

/** Connects `client` when it is not open (a client given unconnected, or one that gave up reconnecting). */
export async function ensureOpen(client: AnyRedisClient): Promise<void> {
  // A connect() of ours still running comes first: a cluster client says isOpen as soon as
  // connect() starts, but cannot route a command before it has loaded the slots.
  let pending = connecting.get(client);
  if (pending !== undefined) return pending;
  if (client.isOpen) return;
  pending = (async () => {
    try {
      await client.connect();
    } catch (error) {
      // Another caller (the application itself) connected it meanwhile.
      if (client.isOpen && /already opened|already connected/i.test(String(error))) return;
      throw error;
    }
  })().finally(() => connecting.delete(client));
  connecting.set(client, pending);
  await pending;
}

/**
 * The server as `redis://host:port` (`rediss://` with TLS, `unix:/path` for a socket), followed by
 * `/N` when the database is not 0; never with a username or password. `url` is parsed here only
 * to drop its credentials; an unparsable URL is named as such instead of being echoed.
 */
export function describeServer(url: string | undefined, options?: RedisClientLikeOptions): string {
  let server = 'redis://localhost:6379';
  let database = options?.database;
  if (url !== undefined) {
    try {
      const u = new URL(url);
      const port = u.port === '' ? '6379' : u.port;
      server = `${u.protocol}//${u.hostname}:${port}`;
      const db = /^\/(\d+)$/.exec(u.pathname)?.[1];
      if (db !== undefined && database === undefined) database = Number(db);
    } catch {
      server = 'redis://(unparsable url)';
    }
  } else if (typeof options?.socket === 'object' && options.socket !== null) {
    const s = options.socket as { host?: unknown; port?: unknown; path?: unknown; tls?: unknown };
    if (typeof s.path === 'string') server = `unix:${s.path}`;
    else {
      const host = typeof s.host === 'string' ? s.host : 'localhost';
      const port = typeof s.port === 'number' ? s.port : 6379;
      server = `${s.tls === true ? 'rediss' : 'redis'}://${host.includes(':') ? `[${host}]` : host}:${port}`;
    }
  }
  return database === undefined || database === 0 ? server : `${server}/${database}`;
}

/**
 * Checks a Redis URL before node-redis sees it: node-redis hands a malformed URL to `new URL()`,
 * whose error keeps the whole input (password included) in its `input` property. Throws a
 * TypeError that does not contain the URL.
 */
export function checkUrl(owner: string, url: unknown): string {
  if (typeof url !== 'string' || url.trim() === '') throw new TypeError(`${owner}: url must be a non-empty string`);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new TypeError(`${owner}: url is not a valid URL (expected redis://[[username]:password@]host[:port][/database])`);
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw new TypeError(`${owner}: url must start with redis:// or rediss://, not ${parsed.protocol}//`);
  }
  return url;
}

/** `url`, else the `REDIS_URL` environment variable, else {@link DEFAULT_URL}; checked with {@link checkUrl}. */
export function resolveUrl(owner: string, url: unknown): string {
  if (url !== undefined) return checkUrl(owner, url);
  const fromEnv = process.env['REDIS_URL'];
  return checkUrl(owner, fromEnv === undefined || fromEnv.trim() === '' ? DEFAULT_URL : fromEnv);
}

/** The password of a Redis URL (to scrub it from text), if it has one. */
export function passwordOf(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  try {
    const password = decodeURIComponent(new URL(url).password);
    return password === '' ? undefined : password;
  } catch {
    return undefined;
  }
}

/** node-redis's name for "this client is closed", so the error reads the same as the library's own. */
export class ClientClosedError extends Error {
  override readonly name = 'ClientClosedError';
}

/**
 * A view of `client` that refuses to connect or send once `closed()` is true: the partitions of a
 * RedisPartitionedTokenBackend share its client through one such view, so that after the parent's
 * `close()` they fail instead of opening the client again. A view of a cluster client is a cluster
 * client too.
 */
export function closableView<C extends AnyRedisClient>(client: C, closed: () => boolean, what: string): C {
  const refuse = (): Error => new ClientClosedError(`${what} was closed`);
  const send = client.sendCommand.bind(client) as (...args: unknown[]) => Promise<unknown>;
  const view = {
    get isOpen() {
      return !closed() && client.isOpen && !connecting.has(client);
    },
    async connect() {
      if (closed()) throw refuse();
      await ensureOpen(client);
    },
    async sendCommand(...args: unknown[]) {
      if (closed()) throw refuse();
      return send(...args);
    },
  };
  for (const name of isCluster(client) ? ['masters', '_options'] : ['options']) {
    Object.defineProperty(view, name, { get: () => (client as unknown as Record<string, unknown>)[name], enumerable: false });
  }
  return view as unknown as C;
}
