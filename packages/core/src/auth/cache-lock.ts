import { TokenBackendError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { ReleaseLock, TokenBackend } from '../backends/token-backend.js';
import type { CacheSource } from './cache-format.js';

/**
 * Who may change the token cache: one task at a time in this process (reload, msal-node call and
 * save never interleave with another refresh), holding the backend's cross-process lock when the
 * backend has one.
 */
export class CacheLock {
  readonly #backend: TokenBackend;
  readonly #source: CacheSource;
  readonly #logger: Logger;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(backend: TokenBackend, source: CacheSource, logger: Logger) {
    this.#backend = backend;
    this.#source = source;
    this.#logger = logger;
  }

  /** Runs `fn` after every task queued before it; `crossProcess: false` skips the backend's lock (reads). */
  run<T>(fn: () => Promise<T>, timeoutMs: number, options: { crossProcess?: boolean } = {}): Promise<T> {
    const run = this.#queue.then(() => (options.crossProcess === false ? fn() : this.#withLock(fn, timeoutMs)));
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #withLock<T>(fn: () => Promise<T>, timeoutMs: number): Promise<T> {
    if (typeof this.#backend.lock !== 'function') return fn();
    let release: ReleaseLock;
    try {
      release = await this.#backend.lock({ timeoutMs });
    } catch (error) {
      if (error instanceof TokenBackendError) throw error;
      throw new TokenBackendError(`${this.#source.backend}: could not take the token cache lock`, {
        ...this.#source,
        cause: error,
      });
    }
    try {
      return await fn();
    } finally {
      await release().catch((error: unknown) => {
        this.#logger.warn('releasing the token cache lock failed', { ...this.#source, error: String(error) });
      });
    }
  }
}
