/**
 * A process-local FIFO mutex with an acquisition timeout. Internal: the memory and env backends
 * use it for `lock()`, the file backend to queue same-process waiters before they poll the lock
 * file (polling is only needed to wait for other processes).
 */
export class AsyncMutex {
  #locked = false;
  readonly #waiters: Array<{ grant: () => void }> = [];

  /** Whether someone holds the mutex right now. */
  get locked(): boolean {
    return this.#locked;
  }

  /**
   * Waits for the mutex. Resolves with a release function (idempotent), or rejects with the error
   * built by `onTimeout` when `timeoutMs` passes first.
   */
  acquire(timeoutMs: number, onTimeout: () => Error): Promise<() => void> {
    if (!this.#locked) {
      this.#locked = true;
      return Promise.resolve(this.#releaser());
    }
    return new Promise((resolve, reject) => {
      const waiter = {
        grant: () => {
          clearTimeout(timer);
          resolve(this.#releaser());
        },
      };
      const timer = setTimeout(() => {
        const index = this.#waiters.indexOf(waiter);
        if (index >= 0) this.#waiters.splice(index, 1);
        reject(onTimeout());
      }, Math.max(0, timeoutMs));
      this.#waiters.push(waiter);
    });
  }

  #releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.#waiters.shift();
      if (next) next.grant();
      else this.#locked = false;
    };
  }
}
