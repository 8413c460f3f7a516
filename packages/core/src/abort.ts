// AbortSignal handling shared by Connection and Account (not exported from the package).
import type { AbortSignalLike } from './token-credential.js';

/** The reason an aborted signal carries (an `AbortError` when it has none). */
export function abortReason(signal: AbortSignalLike): unknown {
  const reason = (signal as { reason?: unknown }).reason;
  return reason ?? new DOMException('The operation was aborted', 'AbortError');
}

export function throwIfAborted(signal: AbortSignalLike | undefined): void {
  if (signal?.aborted) throw abortReason(signal);
}

/**
 * Waits for `work` unless `signal` aborts first. Only this caller stops waiting: a refresh shared
 * with other callers goes on for them.
 */
export function untilAborted<T>(work: Promise<T>, signal: AbortSignalLike | undefined): Promise<T> {
  if (signal === undefined) return work;
  if (signal.aborted) {
    work.catch(() => undefined);
    return Promise.reject(abortReason(signal));
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(abortReason(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error as Error);
      },
    );
  });
}
