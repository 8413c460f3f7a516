import { inspect } from 'node:util';
import { TokenBackendError, TokenCacheConflictError, type StoredToken, type TokenBackend } from '@o365/core';
import { ConformanceError } from './conformance-error.js';
import type { TokenBackendConformanceOptions } from './conformance-options.js';

let keyCounter = 0;

/** A storage key no other check, run or process uses: letters, digits and `-`, at most 60 characters. */
export function uniqueKey(name: string): string {
  keyCounter += 1;
  const slug =
    name
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '')
      .slice(0, 20) || 'backend';
  const random = Math.random().toString(36).slice(2, 10);
  return `o365kit-${slug}-${process.pid.toString(36)}-${Date.now().toString(36)}-${keyCounter}-${random}`.slice(
    0,
    60,
  );
}

export async function open(options: TokenBackendConformanceOptions, key: string): Promise<TokenBackend> {
  const backend = await options.createBackend(key);
  if (
    !backend ||
    typeof backend.load !== 'function' ||
    typeof backend.save !== 'function' ||
    typeof backend.delete !== 'function'
  ) {
    throw new ConformanceError(
      'factory',
      `createBackend(${JSON.stringify(key)}) did not return a TokenBackend (load/save/delete)`,
    );
  }
  return backend;
}

/** Best-effort removal of what a check stored, so a shared service is left clean. */
export async function cleanup(options: TokenBackendConformanceOptions, key: string): Promise<void> {
  try {
    await (await options.createBackend(key)).delete();
  } catch {
    // The check's own result matters, not the cleanup's.
  }
}

/** Runs `check` on a fresh storage key, then removes what it stored (best effort), whatever the outcome. */
export async function withFreshKey(
  options: TokenBackendConformanceOptions,
  check: (key: string) => Promise<void>,
): Promise<void> {
  const key = uniqueKey(options.name);
  try {
    await check(key);
  } finally {
    await cleanup(options, key);
  }
}

/** Whether `error` is the contract's conflict error (also across two copies of @o365/core). */
export function isConflictError(error: unknown): boolean {
  if (error instanceof TokenCacheConflictError) return true;
  return (
    error instanceof Error &&
    error.name === 'TokenCacheConflictError' &&
    (error as { code?: unknown }).code === 'TOKEN_CACHE_CONFLICT'
  );
}

/** Whether `error` is a TokenBackendError (or a subclass; also across two copies of @o365/core). */
export function isBackendError(error: unknown): error is TokenBackendError {
  if (error instanceof TokenBackendError) return true;
  const code = (error as { code?: unknown } | undefined)?.code;
  return (
    error instanceof Error &&
    (code === 'TOKEN_BACKEND_ERROR' || code === 'TOKEN_CACHE_CONFLICT') &&
    typeof (error as { backend?: unknown }).backend === 'string'
  );
}

export function describeError(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return `${error.name}${code !== undefined ? ` (${String(code)})` : ''}: ${error.message}`;
  }
  return `a non-Error value (${typeof error})`;
}

export function describeValue(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (value === null) return 'null';
  if (typeof value === 'string') return `a string of ${value.length} characters`;
  if (typeof value === 'object') return `an object with keys [${Object.keys(value).join(', ')}]`;
  return `${typeof value} ${String(value)}`;
}

/** Rejects with a ConformanceError when `promise` does not settle within `ms` (a hung backend). */
export async function within<T>(checkId: string, what: string, ms: number, promise: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_resolve, reject) => {
        timer = setTimeout(
          () => reject(new ConformanceError(checkId, `${what} did not settle within ${ms} ms`)),
          ms,
        );
      }),
    ]);
  } finally {
    if (timer) clearTimeout(timer);
  }
}

/** Runs `op` and returns what it threw, or fails the check when it resolved. */
export async function rejection(checkId: string, what: string, op: () => Promise<unknown>): Promise<unknown> {
  let value: unknown;
  try {
    value = await op();
  } catch (error) {
    return error;
  }
  throw new ConformanceError(checkId, `${what} resolved (with ${describeValue(value)}) but must reject`);
}

export function check(checkId: string, condition: boolean, message: string): asserts condition {
  if (!condition) throw new ConformanceError(checkId, message);
}

/** Loads and checks the StoredToken shape: `{ data: string, version: non-empty string }`. */
export async function loadStored(
  checkId: string,
  backend: TokenBackend,
  what: string,
): Promise<StoredToken | undefined> {
  const stored = await backend.load();
  if (stored === undefined) return undefined;
  check(
    checkId,
    typeof stored === 'object' && stored !== null,
    `${what}: load() returned ${describeValue(stored)}, expected { data, version } or undefined`,
  );
  check(
    checkId,
    typeof stored.data === 'string',
    `${what}: load() returned data that is ${describeValue(stored.data)}, expected a string`,
  );
  check(
    checkId,
    typeof stored.version === 'string' && stored.version.length > 0,
    `${what}: load() returned version ${describeValue(stored.version)}; a backend must return a non-empty version string (needed for expectedVersion)`,
  );
  return stored;
}

/**
 * Loads through `backend` (checking the `{ data, version }` shape, as {@link loadStored}) and fails
 * the check with `failure` unless it is `expected`, data and version both: what a save left, or
 * what a rejected write must not have changed.
 */
export async function checkStored(
  checkId: string,
  backend: TokenBackend,
  expected: { data: string; version: string },
  what: string,
  failure: string,
): Promise<void> {
  const stored = await loadStored(checkId, backend, what);
  check(checkId, stored?.data === expected.data && stored.version === expected.version, failure);
}

export async function saveVersion(
  checkId: string,
  backend: TokenBackend,
  data: string,
  what: string,
  expectedVersion?: string | null,
): Promise<string> {
  const result = await backend.save(data, expectedVersion === undefined ? undefined : { expectedVersion });
  check(
    checkId,
    typeof result === 'object' && result !== null,
    `${what}: save() resolved with ${describeValue(result)}, expected { version }`,
  );
  check(
    checkId,
    typeof result.version === 'string' && result.version.length > 0,
    `${what}: save() returned version ${describeValue(result.version)}; it must return the new version`,
  );
  return result.version;
}

/** The error's message and inspect() output must not contain the stored data (a stand-in for a token). */
export function assertNoDataLeak(checkId: string, error: unknown, marker: string, what: string): void {
  const text = `${error instanceof Error ? error.message : ''}\n${inspect(error, { depth: 4 })}`;
  check(
    checkId,
    !text.includes(marker),
    `${what}: the error's message or inspect() output contains the stored data; errors must never carry token data`,
  );
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
