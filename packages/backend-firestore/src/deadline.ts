import { FirestoreDeadlineError } from './firestore-errors.js';

/**
 * Settles like `op()`, or rejects with {@link FirestoreDeadlineError} after `timeoutMs`. The
 * Firestore client offers no per-call timeout or cancellation for reads, commits and
 * transactions, and retries an unreachable endpoint for minutes: this is what bounds them.
 */
export async function withDeadline<T>(timeoutMs: number, op: () => Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const running = op();
  try {
    return await Promise.race([
      running,
      new Promise<never>((_resolve, reject) => {
        timer = setTimeout(() => reject(new FirestoreDeadlineError(timeoutMs)), timeoutMs);
      }),
    ]);
  } finally {
    if (timer !== undefined) clearTimeout(timer);
    // What the client still does after the deadline must not surface as an unhandled rejection.
    running.catch(() => undefined);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
