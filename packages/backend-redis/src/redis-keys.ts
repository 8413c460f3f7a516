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
 * The keys of the cache named `name` under `prefix`: `${prefix}{${tag}}:data` and
 * `${prefix}{${tag}}:lock`, where `tag` is `name` with `%`, `{` and `}` percent-encoded (`%25`,
 * `%7B`, `%7D`; any other name is used as is). The braces are a Redis Cluster hash tag: cluster
 * hashes only what is between the first `{` and the next `}`, which is then exactly the non-empty
 * encoded name, so both keys of one cache land in the same slot and different caches spread over
 * the slots. (Unencoded, a name starting with `}` would make an empty tag, and Redis would hash
 * the whole key.) The encoding is reversible, so two names never share a key.
 */
export function redisKeys(prefix: string, name: string): RedisKeys {
  const base = `${prefix}{${encodeTag(name)}}`;
  return { data: `${base}:data`, lock: `${base}:lock` };
}

function encodeTag(name: string): string {
  return name.replace(/[%{}]/g, (c) => (c === '%' ? '%25' : c === '{' ? '%7B' : '%7D'));
}

/**
 * Validates `keyPrefix`: a string (may be empty) without control characters and without braces,
 * which would move the Redis Cluster hash tag into the prefix. Throws TypeError.
 */
export function checkKeyPrefix(owner: string, prefix: unknown): string {
  if (prefix === undefined) return DEFAULT_KEY_PREFIX;
  if (typeof prefix !== 'string') throw new TypeError(`${owner}: keyPrefix must be a string`);
  if (prefix.length > MAX_PARTITION_KEY_LENGTH) {
    throw new TypeError(`${owner}: keyPrefix must be at most ${MAX_PARTITION_KEY_LENGTH} characters`);
  }
  if (/[\u0000-\u001f\u007f]/.test(prefix)) throw new TypeError(`${owner}: keyPrefix must not contain control characters`);
  if (/[{}]/.test(prefix)) {
    throw new TypeError(`${owner}: keyPrefix must not contain { or }: the backend puts the Redis Cluster hash tag around the key itself`);
  }
  return prefix;
}
