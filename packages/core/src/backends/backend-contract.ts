import { createHash } from 'node:crypto';
import { TokenBackendError, TokenCacheConflictError } from '../errors.js';
import { copyErrorWithout } from './copy-error-without.js';
import type { TokenBackend } from './token-backend.js';

/**
 * Who is speaking in a backend's errors: the backend's class name and where it stores (never a
 * secret). Every helper of `@o365/core/backend` takes one, so the same misuse reads the same in
 * every backend.
 *
 * @example
 * ```ts
 * const id: BackendIdentity = { backend: 'RedisTokenBackend', location: 'redis://127.0.0.1:6379/o365:app' };
 * ```
 */
export interface BackendIdentity {
  /** Name of the backend class, e.g. `AWSS3Backend`. */
  backend: string;
  /** Where it stores: a file path, `s3://bucket/key`, a row, a secret id. Never secret material. */
  location?: string;
}

/**
 * The name and location of a backend for messages: its `location` property when it has one,
 * and its class name.
 *
 * @example
 * ```ts
 * describeBackend(new FileSystemTokenBackend({ tokenPath: '/var/lib/app' }));
 * // { backend: 'FileSystemTokenBackend', location: '/var/lib/app/o365_token.txt' }
 * ```
 */
export function describeBackend(backend: TokenBackend): BackendIdentity {
  const name = (backend as { constructor?: { name?: string } }).constructor?.name || 'TokenBackend';
  const { location } = backend;
  return typeof location === 'string' && location !== '' ? { backend: name, location } : { backend: name };
}

function where(id: BackendIdentity): string {
  return id.location === undefined ? id.backend : `${id.backend} (${id.location})`;
}

/**
 * The input guard of `save()`: backends store strings only. From JavaScript (or through an
 * `as`), anything else is a `TokenBackendError` naming the type received, the same in every
 * backend, before any I/O.
 *
 * @example
 * ```ts
 * async save(data: string, options: SaveOptions = {}) {
 *   assertSaveData(data, this.#id);
 *   // ...
 * }
 * ```
 */
export function assertSaveData(data: unknown, id: BackendIdentity): asserts data is string {
  if (typeof data === 'string') return;
  const got = data === null ? 'null' : Array.isArray(data) ? 'array' : typeof data;
  throw new TokenBackendError(`${where(id)}: save() takes the serialized token cache as a string, got ${got}`, {
    ...id,
    cause: new TypeError(`expected a string, got ${got}`),
  });
}

/**
 * The error of a lost conditional save: `expectedVersion` was a version that is no longer
 * stored, or `null` (create-only) while something is stored.
 *
 * @example
 * ```ts
 * if (row.version !== expectedVersion) throw versionConflict(this.#id, expectedVersion, row.version);
 * ```
 */
export function versionConflict(
  id: BackendIdentity,
  expectedVersion: string | null,
  actualVersion?: string,
): TokenCacheConflictError {
  const message =
    expectedVersion === null
      ? `${where(id)}: a token cache is already stored (create-only save); reload and retry`
      : `${where(id)}: the stored token cache changed since it was loaded (expected version ${expectedVersion}, found ${actualVersion ?? 'nothing'}); reload and retry`;
  return new TokenCacheConflictError(message, {
    ...id,
    expectedVersion,
    ...(actualVersion !== undefined ? { actualVersion } : {}),
  });
}

/**
 * The `expectedVersion` rule of {@link TokenBackend.save}, for backends that read the current
 * version themselves (inside a transaction, under a lock, or in one synchronous step):
 * `undefined` always passes, `null` passes only when nothing is stored, a string only when it
 * is the stored version. Throws {@link versionConflict}'s error otherwise.
 *
 * @example
 * ```ts
 * const current = await tx.get(ref);
 * assertExpectedVersion(this.#id, options.expectedVersion, current.exists ? { version: current.updateTime } : undefined);
 * tx.set(ref, { token: data });
 * ```
 */
export function assertExpectedVersion(
  id: BackendIdentity,
  expectedVersion: string | null | undefined,
  stored: { version?: string } | undefined,
): void {
  if (expectedVersion === undefined) return;
  if (expectedVersion === null) {
    if (stored !== undefined) throw versionConflict(id, null, stored.version);
    return;
  }
  if (stored?.version !== expectedVersion) throw versionConflict(id, expectedVersion, stored?.version);
}

/**
 * Options of {@link toBackendError}.
 *
 * @example
 * ```ts
 * toBackendError(err, id, 'could not save', { redact: ['$response'] } satisfies ToBackendErrorOptions);
 * ```
 */
export interface ToBackendErrorOptions {
  /** Own properties of the SDK's error to drop from the kept `cause` (raw responses, request bodies). */
  redact?: Iterable<string>;
  /** What to do next, appended to the message ("check that the role may s3:PutObject"). */
  advice?: string;
}

/**
 * "Rethrow a `TokenBackendError`, wrap anything else": the one way a backend turns an SDK's or
 * the OS's failure into the contract's error, naming the backend, the location and the
 * operation, with the (redacted) cause attached.
 *
 * @example
 * ```ts
 * try { await client.send(new PutObjectCommand(input)); }
 * catch (err) { throw toBackendError(err, this.#id, 'could not save the token cache', { redact: ['$response'] }); }
 * ```
 */
export function toBackendError(
  err: unknown,
  id: BackendIdentity,
  what: string,
  options: ToBackendErrorOptions = {},
): TokenBackendError {
  if (err instanceof TokenBackendError) return err;
  const reason = err instanceof Error ? err.message : String(err);
  const advice = options.advice === undefined ? '' : `; ${options.advice}`;
  const cause = options.redact === undefined ? err : copyErrorWithout(err, options.redact);
  return new TokenBackendError(`${where(id)}: ${what}: ${reason}${advice}`, { ...id, cause });
}

/** Longest partition key accepted: keys become file names, object keys and Redis keys. */
export const MAX_PARTITION_KEY_LENGTH = 1024;

/**
 * The rule for partition keys of a {@link PartitionedTokenBackend}: a non-empty string of at
 * most {@link MAX_PARTITION_KEY_LENGTH} characters without control characters. Backends that
 * map keys onto names with stricter rules (file names) encode them on top of this.
 *
 * @example
 * ```ts
 * partition(key: string): TokenBackend {
 *   assertPartitionKey(key, this.#id);
 *   return new RedisPartition(this.#client, this.#prefix + key);
 * }
 * ```
 */
export function assertPartitionKey(key: unknown, id: BackendIdentity): asserts key is string {
  let problem: string | undefined;
  if (typeof key !== 'string') problem = `must be a string, got ${key === null ? 'null' : typeof key}`;
  else if (key === '') problem = 'must not be empty';
  else if (key.length > MAX_PARTITION_KEY_LENGTH) problem = `must be at most ${MAX_PARTITION_KEY_LENGTH} characters`;
  else if (/[\u0000-\u001f\u007f]/.test(key)) problem = 'must not contain control characters';
  if (problem !== undefined) {
    throw new TokenBackendError(`${where(id)}: partition key ${problem}`, { ...id, cause: new TypeError(problem) });
  }
}

/**
 * A storage name for a partition key that is safe as a file name, an object key segment, a
 * Firestore document id or a Redis key on every platform: a readable part (the key lowercased,
 * characters other than `a-z 0-9 . _ -` replaced by `_`, at most 48 characters) and 32 hex
 * characters of the key's SHA-256, so distinct keys never share a name, also on case-insensitive
 * file systems, and no name is longer than 81 characters whatever the key.
 *
 * @example
 * ```ts
 * partitionName('00000000-0000-0000-0000-000000000001.72f988bf-86f1-41af-91ab-2d7cd011db47');
 * // '00000000-0000-0000-0000-000000000001.72f988bf-86-<32 hex>'
 * ```
 */
export function partitionName(key: string): string {
  const readable = key
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '_')
    .replace(/^[.]+/, '_')
    .slice(0, 48);
  return `${readable}-${createHash('sha256').update(key, 'utf8').digest('hex').slice(0, 32)}`;
}

/**
 * Error codes Node and undici give when a service could not be reached or the connection broke
 * before an answer: what backends report as "unreachable" (with the advice to check the endpoint
 * and network) rather than as a refusal by the service.
 *
 * @example
 * ```ts
 * if (isNetworkErrorCode((err as NodeJS.ErrnoException).code)) throw unreachable(err);
 * ```
 */
export const NETWORK_ERROR_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'ECONNABORTED',
  'UND_ERR_SOCKET',
]);

/**
 * Whether `code` is one of {@link NETWORK_ERROR_CODES}.
 *
 * @example
 * ```ts
 * isNetworkErrorCode('ECONNREFUSED'); // true
 * ```
 */
export function isNetworkErrorCode(code: unknown): code is string {
  return typeof code === 'string' && NETWORK_ERROR_CODES.has(code);
}
