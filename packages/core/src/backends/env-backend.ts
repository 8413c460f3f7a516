import { createHash } from 'node:crypto';
import { TokenBackendError, TokenCacheConflictError } from '../errors.js';
import { AsyncMutex } from './async-mutex.js';
import type { LockOptions, ReleaseLock, SaveOptions, StoredToken, TokenBackend } from './token-backend.js';

const BACKEND = 'EnvTokenBackend';
const DEFAULT_LOCK_TIMEOUT_MS = 10_000;

/**
 * Options of {@link EnvTokenBackend}.
 *
 * @example
 * ```ts
 * new EnvTokenBackend({ envVarName: 'MYAPP_O365_TOKEN' });
 * ```
 */
export interface EnvTokenBackendOptions {
  /** Name of the environment variable. Default `O365_TOKEN` (python-o365's). */
  envVarName?: string;
}

/** One lock per variable name, shared by every instance in the process (the environment is process-wide). */
const locks = new Map<string, AsyncMutex>();

function version(data: string): string {
  return `sha256-${createHash('sha256').update(data, 'utf8').digest('hex')}`;
}

/**
 * Keeps the token cache in an environment variable of this process, like python-o365's
 * `EnvTokenBackend`. It does NOT persist: the variable lives in this process's memory, is lost when
 * it exits, and is only inherited by child processes started afterwards (never seen by the parent
 * or by other processes). Use it to hand a cache to a process through its environment, e.g. a CI job
 * whose secret store sets `O365_TOKEN`.
 *
 * Versions are the SHA-256 of the value; `expectedVersion` is honoured, and `lock()` is a
 * process-local mutex. Environment variables cannot hold NUL characters, and a very large value
 * makes later `child_process.spawn` calls fail (E2BIG on Linux above 128 KiB per variable).
 *
 * @example
 * ```ts
 * import { Account, EnvTokenBackend } from '@o365/core';
 * // O365_TOKEN was set by the job's secret store
 * const account = new Account(['client-id'], { tokenBackend: new EnvTokenBackend() });
 * console.log(await account.isAuthenticated());
 * ```
 */
export class EnvTokenBackend implements TokenBackend {
  /** Name of the environment variable. */
  readonly envVarName: string;

  constructor(options: EnvTokenBackendOptions = {}) {
    const name = options.envVarName ?? 'O365_TOKEN';
    // Node silently ignores such names (or truncates at NUL): refuse them rather than lose the cache.
    if (name === '' || name.includes('=') || name.includes('\0')) {
      throw new TokenBackendError(`${BACKEND}: invalid environment variable name ${JSON.stringify(name)}`, { backend: BACKEND });
    }
    this.envVarName = name;
  }

  /** Where the cache lives, for messages: `env:<name>`. */
  get location(): string {
    return `env:${this.envVarName}`;
  }

  async load(): Promise<StoredToken | undefined> {
    const data = process.env[this.envVarName];
    return data === undefined ? undefined : { data, version: version(data) };
  }

  async save(data: string, options: SaveOptions = {}): Promise<{ version?: string }> {
    if (typeof data !== 'string') {
      throw new TokenBackendError(`${BACKEND}: data must be a string`, { backend: BACKEND, location: this.location });
    }
    if (data.includes('\0')) {
      throw new TokenBackendError(`${BACKEND}: an environment variable cannot hold NUL characters; nothing was stored`, {
        backend: BACKEND,
        location: this.location,
      });
    }
    const { expectedVersion } = options;
    // Check and write are one synchronous step: no other saver can interleave.
    if (expectedVersion !== undefined) {
      const current = process.env[this.envVarName];
      const actual = current === undefined ? undefined : version(current);
      if (expectedVersion === null ? current !== undefined : actual !== expectedVersion) {
        throw new TokenCacheConflictError(
          expectedVersion === null
            ? `${BACKEND}: ${this.envVarName} is already set (create-only save); reload and retry`
            : `${BACKEND}: ${this.envVarName} changed since it was loaded; reload and retry`,
          { backend: BACKEND, location: this.location, expectedVersion, ...(actual !== undefined ? { actualVersion: actual } : {}) },
        );
      }
    }
    const previous = process.env[this.envVarName];
    process.env[this.envVarName] = data;
    if (process.env[this.envVarName] !== data) {
      if (previous === undefined) delete process.env[this.envVarName];
      else process.env[this.envVarName] = previous;
      throw new TokenBackendError(`${BACKEND}: the platform did not store ${this.envVarName} as given; the previous value is kept`, {
        backend: BACKEND,
        location: this.location,
      });
    }
    return { version: version(data) };
  }

  async delete(): Promise<void> {
    delete process.env[this.envVarName];
  }

  /**
   * A process-local lock, shared by every `EnvTokenBackend` on the same variable.
   *
   * @example
   * ```ts
   * const release = await backend.lock({ timeoutMs: 1000 });
   * try { ... } finally { await release(); }
   * ```
   */
  async lock(options: LockOptions = {}): Promise<ReleaseLock> {
    const timeoutMs = options.timeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS;
    let mutex = locks.get(this.envVarName);
    if (!mutex) {
      mutex = new AsyncMutex();
      locks.set(this.envVarName, mutex);
    }
    const release = await mutex.acquire(
      timeoutMs,
      () =>
        new TokenBackendError(`${BACKEND}: timed out after ${timeoutMs} ms waiting for the lock on ${this.envVarName}`, {
          backend: BACKEND,
          location: this.location,
        }),
    );
    return async () => release();
  }
}
