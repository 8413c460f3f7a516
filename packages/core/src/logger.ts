/**
 * Where o365-ts writes what it does. Library code never writes to the console; pass a logger to
 * see its messages. Messages and data never contain tokens, secrets or codes: they are redacted
 * before they reach a logger.
 *
 * @example
 * ```ts
 * const logger: Logger = { debug: () => {}, info: console.info, warn: console.warn, error: console.error };
 * new Account(['client-id'], { logger });
 * ```
 */
export interface Logger {
  debug(message: string, data?: Record<string, unknown>): void;
  info(message: string, data?: Record<string, unknown>): void;
  warn(message: string, data?: Record<string, unknown>): void;
  error(message: string, data?: Record<string, unknown>): void;
}

/**
 * A logger that drops everything (the default).
 *
 * @example
 * ```ts
 * new Account(['client-id'], { logger: noopLogger }); // the default: nothing is logged
 * ```
 */
export const noopLogger: Logger = Object.freeze({
  debug() {},
  info() {},
  warn() {},
  error() {},
});
