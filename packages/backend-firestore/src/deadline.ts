import { FirestoreDeadlineError } from './firestore-errors.js';

/**
 * Settles like `op(signal)`, or rejects with {@link FirestoreDeadlineError} after `timeoutMs`.
 * The Firestore client offers no per-call timeout or cancellation for reads, commits and
 * transactions, and retries an unreachable endpoint for minutes (a commit up to 10): this is
 * what bounds them. When the deadline passes, `signal` aborts (an operation checks it before it
 * commits anything) and the still running call is added to `abandoned` until it settles, so that
 * the owner of the client can wait for it before terminating the client.
 */
export async function withDeadline<T>(
  timeoutMs: number,
  op: (signal: AbortSignal) => Promise<T>,
  abandoned?: Set<Promise<unknown>>,
): Promise<T> {
  const controller = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const running = op(controller.signal);
  try {
    return await Promise.race([
      running,
      new Promise<never>((_resolve, reject) => {
        timer = setTimeout(() => {
          controller.abort(new FirestoreDeadlineError(timeoutMs));
          reject(new FirestoreDeadlineError(timeoutMs));
        }, timeoutMs);
      }),
    ]);
  } finally {
    if (timer !== undefined) clearTimeout(timer);
    if (controller.signal.aborted) {
      // What the client still does after the deadline must not surface as an unhandled rejection.
      const settled = running.then(
        () => undefined,
        () => undefined,
      );
      abandoned?.add(settled);
      void settled.then(() => abandoned?.delete(settled));
    }
  }
}

/** Throws the deadline error once `signal` aborted: nothing is committed after the caller was told it failed. */
export function throwIfAborted(signal: AbortSignal): void {
  if (signal.aborted) throw signal.reason instanceof Error ? signal.reason : new Error('aborted');
}

const abandonedByClient = new WeakMap<object, Set<Promise<unknown>>>();

/**
 * The calls abandoned at their deadline on one Firestore client, shared by every backend on that
 * client, so that closing any of them waits for all of them before the client is terminated.
 */
export function abandonedCalls(client: object): Set<Promise<unknown>> {
  let calls = abandonedByClient.get(client);
  if (calls === undefined) {
    calls = new Set();
    abandonedByClient.set(client, calls);
  }
  return calls;
}

/** Resolves once none of `calls` is still running (new ones may join while it waits). */
export async function drain(calls: Set<Promise<unknown>>): Promise<void> {
  while (calls.size > 0) await Promise.allSettled([...calls]);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
