import { NETWORK_ERROR_CODES } from '@o365/core/backend';

/** What went wrong in a Redis call, reduced to the cases the backends explain differently. */
export interface RedisFailure {
  kind:
    | 'unreachable'
    | 'credentials-rejected'
    | 'password-required'
    | 'permission-denied'
    | 'timeout'
    | 'closed'
    | 'wrong-type'
    | 'not-ours'
    | 'other';
  /** The Redis error word (`WRONGPASS`), Node's error code (`ECONNREFUSED`) or the error's name. */
  code: string;
  message: string;
}

// node-redis's own error classes, recognised by name: in jest's sandbox (and with two copies of
// the library) `instanceof` across realms fails.
const NETWORK_NAMES = new Set(['ConnectionTimeoutError', 'SocketClosedUnexpectedlyError', 'SocketTimeoutError', 'ReconnectStrategyError']);
const CLOSED_NAMES = new Set(['ClientClosedError', 'ClientOfflineError', 'DisconnectsClientError']);

/**
 * A value found at a key that is not a cache written by these backends (another type, or a hash
 * without the `data`/`ver` fields), or a reply the backend cannot read. Kept as the `cause`.
 */
export class UnexpectedRedisValueError extends Error {
  override readonly name = 'UnexpectedRedisValueError';
  readonly code: 'WRONGTYPE' | 'NOT_OURS';
  constructor(code: 'WRONGTYPE' | 'NOT_OURS', message: string) {
    super(message);
    this.code = code;
  }
}

/** A command that got no answer in time (the server hangs, or the client waits for a reconnect). */
export class RedisCommandTimeoutError extends Error {
  override readonly name = 'RedisCommandTimeoutError';
  readonly code = 'ETIMEDOUT';
  constructor(command: string, ms: number) {
    super(`${command} got no answer within ${ms} ms`);
  }
}

/** Sorts an error of node-redis, the socket or the backend into the cases it explains. */
export function classifyRedisError(error: unknown): RedisFailure {
  const e = typeof error === 'object' && error !== null ? (error as { name?: unknown; code?: unknown; message?: unknown }) : {};
  // node-redis's classes do not set `name`: their constructor's name is what tells them apart.
  const ctor = typeof error === 'object' && error !== null ? (error as { constructor?: { name?: unknown } }).constructor?.name : undefined;
  const ownName = typeof e.name === 'string' ? e.name : 'Error';
  const name = ownName === 'Error' && typeof ctor === 'string' && ctor !== '' ? ctor : ownName;
  const nodeCode = typeof e.code === 'string' ? e.code : undefined;
  const message = typeof e.message === 'string' && e.message !== '' ? e.message : String(error);
  const failure = (kind: RedisFailure['kind'], code: string): RedisFailure => ({ kind, code, message });

  if (error instanceof UnexpectedRedisValueError || name === 'UnexpectedRedisValueError') {
    return failure(nodeCode === 'WRONGTYPE' ? 'wrong-type' : 'not-ours', nodeCode ?? 'NOT_OURS');
  }
  if (name === 'RedisCommandTimeoutError' || name === 'TimeoutError') return failure('timeout', name);
  // Server replies (node-redis's ErrorReply / SimpleError) start with an upper-case error word.
  const word = /^([A-Z][A-Z_]+)\b/.exec(message)?.[1];
  if (word === 'WRONGPASS') return failure('credentials-rejected', word);
  if (word === 'NOAUTH') return failure('password-required', word);
  if (word === 'NOPERM') return failure('permission-denied', word);
  // A command a script calls without the ACL for it: `ERR The user executing the script can't run this command ...`.
  if (/user executing the script can't run/i.test(message)) return failure('permission-denied', 'NOPERM');
  if (word === 'WRONGTYPE') return failure('wrong-type', word);
  if (nodeCode !== undefined && NETWORK_ERROR_CODES.has(nodeCode)) return failure('unreachable', nodeCode);
  const inText = /\b(E[A-Z]{4,})\b/.exec(message)?.[1];
  if (inText !== undefined && NETWORK_ERROR_CODES.has(inText)) return failure('unreachable', inText);
  if (NETWORK_NAMES.has(name)) return failure('unreachable', name);
  if (CLOSED_NAMES.has(name)) return failure('closed', name);
  return failure('other', word ?? nodeCode ?? name);
}

/** What to do next, for a failure at `server`; appended to the error message. */
export function adviceFor(failure: RedisFailure, server: string, key: string): string | undefined {
  switch (failure.kind) {
    case 'unreachable':
      return `the Redis server at ${server} could not be reached; check url / REDIS_URL and that the server is running`;
    case 'credentials-rejected':
      return `the Redis server at ${server} rejected the username or password; check the credentials in url / REDIS_URL`;
    case 'password-required':
      return `the Redis server at ${server} requires a password; put it in the url (redis://:password@host:6379)`;
    case 'permission-denied':
      return `the Redis user may not run this command or use this key; see the ACL section of the @o365/backend-redis README`;
    case 'timeout':
      return `the Redis server at ${server} did not answer in time (commandTimeoutMs)`;
    case 'closed':
      return `the Redis client is closed; connect it, or let the backend create its own client from a url`;
    case 'wrong-type':
    case 'not-ours':
      return `${key} does not hold a token cache written by @o365/backend-redis; choose another key or keyPrefix, or remove the key (DEL) if it is a leftover`;
    default:
      return undefined;
  }
}

/**
 * `error` itself, or a copy of it whose message no longer contains `secret` (same prototype, own
 * properties and stack), so it can be kept as a `cause`.
 */
export function scrubError(error: unknown, secret: string | undefined): unknown {
  if (secret === undefined || !(error instanceof Error) || !error.message.includes(secret)) return error;
  const copy = Object.create(Object.getPrototypeOf(error) as object | null) as Error;
  for (const name of Object.getOwnPropertyNames(error)) {
    const descriptor = Object.getOwnPropertyDescriptor(error, name);
    if (descriptor !== undefined) Object.defineProperty(copy, name, descriptor);
  }
  const scrub = (text: string) => text.split(secret).join('***');
  Object.defineProperty(copy, 'message', { value: scrub(error.message), writable: true, configurable: true });
  if (typeof error.stack === 'string') Object.defineProperty(copy, 'stack', { value: scrub(error.stack), writable: true, configurable: true });
  return copy;
}
