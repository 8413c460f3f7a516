import { MAX_PARTITION_KEY_LENGTH } from '@o365/core/backend';

/** The default `keyPrefix`: every key the backends write starts with it. */
export const DEFAULT_KEY_PREFIX = 'o365:';
/** The default `key` of a {@link RedisTokenBackend} that is given none. */
export const DEFAULT_KEY = 'token';

/** Where one token cache lives in Redis: its data hash and its lock. */
export interface RedisKeys {
  /** The hash holding the cache (`data`) and its version (`ver`): `o365:{name}:data`. */
  readonly data: string;
  /** The string holding the lock owner's token while a process holds the lock: `o365:{name}:lock`. */
  readonly lock: string;
}

/**
 * The keys of the cache named `name` under `prefix`: `${prefix}{${name}}:data` and
 * `${prefix}{${name}}:lock`. The braces are a Redis Cluster hash tag: cluster hashes only what
 * is between the first `{` and the next `}`, so both keys of one cache land in the same slot
 * (whatever `name` and `prefix` contain, since both keys share everything up to the `}` we add).
 * The mapping is injective: two names never share a key.
 */
export function redisKeys(prefix: string, name: string): RedisKeys {
  const base = `${prefix}{${name}}`;
  return { data: `${base}:data`, lock: `${base}:lock` };
}

/** Validates `keyPrefix` (a string without control characters; may be empty). Throws TypeError. */
export function checkKeyPrefix(owner: string, prefix: unknown): string {
  if (prefix === undefined) return DEFAULT_KEY_PREFIX;
  if (typeof prefix !== 'string') throw new TypeError(`${owner}: keyPrefix must be a string`);
  if (prefix.length > MAX_PARTITION_KEY_LENGTH) {
    throw new TypeError(`${owner}: keyPrefix must be at most ${MAX_PARTITION_KEY_LENGTH} characters`);
  }
  if (/[\u0000-\u001f\u007f]/.test(prefix)) throw new TypeError(`${owner}: keyPrefix must not contain control characters`);
  return prefix;
}
