import { O365Error } from '../errors.js';
import { clipServerText } from '../text-limits.js';

/**
 * Options of {@link NetworkError}.
 *
 * @example
 * ```ts
 * throw new NetworkError('GET /v1.0/me failed', { method: 'GET', path: '/v1.0/me', attempts: 3, cause: error });
 * ```
 */
export interface NetworkErrorOptions {
  /** HTTP method of the failed request. */
  method?: string;
  /** URL path of the failed request (never the query string, which may carry user data). */
  path?: string;
  /** How many attempts were made before giving up. */
  attempts?: number;
  cause?: unknown;
}

/**
 * A request never got an HTTP answer: connection refused or reset, TLS failure (for example an
 * untrusted certificate: pass `tls.ca`), DNS failure. `cause` holds the low-level error.
 *
 * @example
 * ```ts
 * try { await http.fetch('https://graph.microsoft.com/v1.0/me'); }
 * catch (e) { if (e instanceof NetworkError) console.error(e.method, e.path, e.cause); }
 * ```
 */
export class NetworkError extends O365Error {
  override readonly code: string = 'NETWORK_ERROR';
  readonly method?: string;
  readonly path?: string;
  readonly attempts?: number;

  constructor(message: string, options: NetworkErrorOptions = {}) {
    super(message, { cause: options.cause });
    if (options.method !== undefined) this.method = clipServerText(options.method, 20);
    if (options.path !== undefined) this.path = clipServerText(options.path, 2048);
    if (options.attempts !== undefined) this.attempts = options.attempts;
  }
}

/**
 * A request got no response headers within `timeoutMs`.
 *
 * @example
 * ```ts
 * catch (e) { if (e instanceof HttpTimeoutError) console.error(`no answer after ${e.timeoutMs} ms`); }
 * ```
 */
export class HttpTimeoutError extends NetworkError {
  override readonly code: string = 'HTTP_TIMEOUT';
  readonly timeoutMs: number;

  constructor(message: string, options: NetworkErrorOptions & { timeoutMs: number }) {
    super(message, options);
    this.timeoutMs = options.timeoutMs;
  }
}
