import { TokenBackendError, TokenCacheConflictError } from '../errors.js';
import { AsyncMutex } from './async-mutex.js';
import type { LockOptions, ReleaseLock, SaveOptions, StoredToken, TokenBackend } from './token-backend.js';

const BACKEND = 'MemoryTokenBackend';
const DEFAULT_LOCK_TIMEOUT_MS = 10_000;

/**
 * Options of {@link MemoryTokenBackend}.
 *
 * @example
 * ```ts
 * new MemoryTokenBackend({ initialData: JSON.stringify(cache) });
 * ```
 */
export interface MemoryTokenBackendOptions {
  /** Data the backend starts with (e.g. a cache loaded from elsewhere). */
  initialData?: string;
}

/** The storage slot, shared by instances created with {@link MemoryTokenBackend.share}. */
interface Slot {
  value: StoredToken | undefined;
  /** Never reset, so a version is never reused after a delete (no ABA on `expectedVersion`). */
  counter: number;
  readonly mutex: AsyncMutex;
}

/**
 * Keeps the token cache in this process's memory: nothing survives a restart. Useful for tests,
 * short-lived scripts and as the inner store of a custom backend. Versions are increasing counters,
 * `expectedVersion` is honoured, and `lock()` is a process-local mutex.
 *
 * @example
 * ```ts
 * import { Account, MemoryTokenBackend } from '@o365/core';
 * const account = new Account(['client-id', 'secret'], { authFlowType: 'credentials', tenantId, tokenBackend: new MemoryTokenBackend() });
 * ```
 */
export class MemoryTokenBackend implements TokenBackend {
  #slot: Slot = { value: undefined, counter: 0, mutex: new AsyncMutex() };

  constructor(options: MemoryTokenBackendOptions = {}) {
    if (options.initialData !== undefined) this.#store(options.initialData);
  }

  /**
   * A second backend over the same stored value, as another process would see it: useful to test
   * coordination between several `Account`s.
   *
   * @example
   * ```ts
   * const a = new MemoryTokenBackend();
   * const b = a.share();
   * await a.save('x');
   * (await b.load())?.data; // 'x'
   * ```
   */
  share(): MemoryTokenBackend {
    const other = new MemoryTokenBackend();
    other.#slot = this.#slot;
    return other;
  }

  async load(): Promise<StoredToken | undefined> {
    const value = this.#slot.value;
    return value === undefined ? undefined : { ...value };
  }

  async save(data: string, options: SaveOptions = {}): Promise<{ version?: string }> {
    if (typeof data !== 'string') {
      throw new TokenBackendError(`${BACKEND}: data must be a string`, { backend: BACKEND, cause: new TypeError(typeof data) });
    }
    // Check and write happen in one synchronous step, so concurrent savers cannot interleave.
    const { expectedVersion } = options;
    if (expectedVersion !== undefined) {
      const actual = this.#slot.value?.version;
      if (expectedVersion === null ? this.#slot.value !== undefined : actual !== expectedVersion) {
        throw new TokenCacheConflictError(
          expectedVersion === null
            ? `${BACKEND}: a token cache is already stored (create-only save); reload and retry`
            : `${BACKEND}: the stored token cache changed since it was loaded (expected version ${expectedVersion}, found ${actual ?? 'nothing'}); reload and retry`,
          { backend: BACKEND, expectedVersion, ...(actual !== undefined ? { actualVersion: actual } : {}) },
        );
      }
    }
    return { version: this.#store(data) };
  }

  async delete(): Promise<void> {
    this.#slot.value = undefined;
  }

  /**
   * A process-local lock shared by every instance made with {@link share}.
   *
   * @example
   * ```ts
   * const release = await backend.lock({ timeoutMs: 5000 });
   * try { ... } finally { await release(); }
   * ```
   */
  async lock(options: LockOptions = {}): Promise<ReleaseLock> {
    const timeoutMs = options.timeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS;
    const release = await this.#slot.mutex.acquire(
      timeoutMs,
      () => new TokenBackendError(`${BACKEND}: timed out after ${timeoutMs} ms waiting for the lock`, { backend: BACKEND }),
    );
    return async () => release();
  }

  #store(data: string): string {
    this.#slot.counter += 1;
    const version = String(this.#slot.counter);
    this.#slot.value = { data, version };
    return version;
  }
}
