import { TokenBackendError, type TokenBackendErrorOptions } from '@o365/core/backend';

/**
 * Options of {@link FirestoreLockTimeoutError}.
 *
 * @example
 * ```ts
 * new FirestoreLockTimeoutError('could not take the lock', { backend: 'FirestoreBackend', timeoutMs: 5_000 } satisfies FirestoreLockTimeoutErrorOptions);
 * ```
 */
export interface FirestoreLockTimeoutErrorOptions extends TokenBackendErrorOptions {
  /** How long `lock()` waited. */
  timeoutMs: number;
  /** Who held the lease when `lock()` gave up (`host pid N`), when known. */
  holder?: string;
  /** When that lease ends (by the server's clock), when known. */
  expiresAt?: Date;
}

/**
 * `FirestoreBackend.lock()` gave up: another process held the lease for the whole `timeoutMs`.
 * A `TokenBackendError`, so o365-ts reports it like any storage failure.
 *
 * @example
 * ```ts
 * try { await backend.lock({ timeoutMs: 5_000 }); }
 * catch (e) { if (e instanceof FirestoreLockTimeoutError) console.warn(`lock held by ${e.holder} until ${e.expiresAt?.toISOString()}`); }
 * ```
 */
export class FirestoreLockTimeoutError extends TokenBackendError {
  /** How long `lock()` waited. */
  readonly timeoutMs: number;
  /** Who held the lease when `lock()` gave up, when known. */
  readonly holder?: string;
  /** When that lease ends, when known. */
  readonly expiresAt?: Date;

  constructor(message: string, options: FirestoreLockTimeoutErrorOptions) {
    super(message, options);
    this.timeoutMs = options.timeoutMs;
    if (options.holder !== undefined) this.holder = options.holder;
    if (options.expiresAt !== undefined) this.expiresAt = options.expiresAt;
  }
}
