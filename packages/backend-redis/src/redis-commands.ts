import { ClientClosedError, ensureOpen, isCluster, type AnyRedisClient } from './redis-client.js';
import { RedisCommandTimeoutError } from './redis-errors.js';
import type { RedisScript } from './redis-scripts.js';

/**
 * Sends commands on a client: opens it first when it is not open, and bounds every command by
 * `timeoutMs` (node-redis's own `timeout` only covers the wait before a command is written, not
 * the wait for its answer). Once `closed()` is true it refuses to send, so that nothing (a lock
 * renewal timer, a late release) opens a closed backend's client again. Errors come out raw; the
 * backend wraps them.
 */
export class RedisCommands {
  readonly #client: AnyRedisClient;
  readonly #timeoutMs: number;
  readonly #closed: () => boolean;

  constructor(client: AnyRedisClient, timeoutMs: number, closed: () => boolean) {
    this.#client = client;
    this.#timeoutMs = timeoutMs;
    this.#closed = closed;
  }

  /** Sends `args`; `key` is the key it touches, by which a cluster client routes it. */
  async send(key: string, args: string[]): Promise<unknown> {
    if (this.#closed()) throw new ClientClosedError('the backend was closed');
    await ensureOpen(this.#client);
    const options = { timeout: this.#timeoutMs };
    const reply = isCluster(this.#client) ? this.#client.sendCommand(key, false, args, options) : this.#client.sendCommand(args, options);
    return withTimeout(reply, this.#timeoutMs, args[0] ?? 'command');
  }

  /** Runs a script with EVALSHA, falling back to EVAL (which caches it) when the server answers NOSCRIPT. */
  async eval(script: RedisScript, key: string, argv: readonly string[] = []): Promise<unknown> {
    try {
      return await this.send(key, ['EVALSHA', script.sha1, '1', key, ...argv]);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return this.send(key, ['EVAL', script.source, '1', key, ...argv]);
    }
  }
}

function withTimeout<T>(work: Promise<T>, ms: number, command: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new RedisCommandTimeoutError(command, ms)), ms);
  });
  // A reply that comes after the timeout must not become an unhandled rejection.
  work.catch(() => undefined);
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
