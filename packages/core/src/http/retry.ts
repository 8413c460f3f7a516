/** HTTP statuses worth retrying: throttling and transient server-side failures. */
export const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([429, 500, 502, 503, 504]);

/** Methods that can be sent twice without changing the outcome (RFC 9110 idempotent methods). */
const IDEMPOTENT_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']);

/** Low-level error codes meaning the connection broke before an answer arrived. */
const RETRYABLE_NETWORK_CODES: ReadonlySet<string> = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_CLOSED',
]);

/** Retry tuning; see {@link backoffDelay}. */
export interface RetryPolicy {
  /** Retries after the first attempt. */
  maxRetries: number;
  /** Upper bound of a computed backoff, and of an honoured `Retry-After`. */
  maxDelayMs: number;
  /** First backoff step. */
  baseDelayMs: number;
}

/**
 * Whether a request may be sent again: an idempotent method, or a POST the caller declared
 * idempotent (a token request), and a body that can be replayed (not a one-shot stream).
 */
export function isResendable(method: string, body: unknown, idempotent: boolean | undefined): boolean {
  const m = method.toUpperCase();
  if (!IDEMPOTENT_METHODS.has(m) && idempotent !== true) return false;
  return isReplayableBody(body);
}

function isReplayableBody(body: unknown): boolean {
  if (body === undefined || body === null) return true;
  if (typeof body === 'string') return true;
  if (body instanceof URLSearchParams || body instanceof ArrayBuffer || ArrayBuffer.isView(body)) return true;
  if (typeof Blob !== 'undefined' && body instanceof Blob) return true;
  if (typeof FormData !== 'undefined' && body instanceof FormData) return true;
  // ReadableStream, async iterables, Node streams: consumed by the first attempt.
  return false;
}

/**
 * Milliseconds a `Retry-After` header asks to wait: delta-seconds or an HTTP date (RFC 9110
 * section 10.2.3). `undefined` when absent or unparsable; never negative.
 *
 * @example
 * ```ts
 * parseRetryAfter('120');                                   // 120000
 * parseRetryAfter('Wed, 21 Oct 2026 07:28:00 GMT', now);    // ms from now until then (0 if past)
 * parseRetryAfter(res.headers.get('retry-after'));          // undefined when there is none
 * ```
 */
export function parseRetryAfter(value: string | null | undefined, now: number = Date.now()): number | undefined {
  if (value === null || value === undefined) return undefined;
  const trimmed = value.trim();
  if (trimmed === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  // Only accept things that look like an HTTP date; Date.parse is lenient with garbage like "5s".
  if (!/[a-z]{3}/i.test(trimmed)) return undefined;
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}

/**
 * Capped exponential backoff with "equal jitter": half the step is fixed, half random, so retries
 * from many clients spread out without collapsing to zero. `attempt` is 0 for the first retry.
 */
export function backoffDelay(attempt: number, policy: Pick<RetryPolicy, 'baseDelayMs' | 'maxDelayMs'>, random: () => number = Math.random): number {
  const step = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.min(attempt, 30));
  return Math.round(step / 2 + random() * (step / 2));
}

/** Whether an error thrown by fetch means a broken connection (safe to retry a resendable request). */
export function isRetryableNetworkError(error: unknown): boolean {
  // The whole cause chain: undici wraps socket errors in TypeError('fetch failed'), and a host with
  // several addresses fails with an AggregateError holding one error per address.
  return networkErrorCodes(error).some((code) => RETRYABLE_NETWORK_CODES.has(code));
}

/**
 * Whether fetch failed because no response headers came within the dispatcher's `headersTimeout`
 * (undici destroys the socket and rejects with `UND_ERR_HEADERS_TIMEOUT` in the cause chain).
 */
export function isHeadersTimeout(error: unknown): boolean {
  return networkErrorCodes(error).includes('UND_ERR_HEADERS_TIMEOUT');
}

/** Short description of a network error for logs (codes only, never a message that might echo a URL). */
export function networkErrorCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current !== null && typeof current === 'object'; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

const DNS_CODES: ReadonlySet<string> = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_FAIL', 'EAI_NONAME', 'EAI_NODATA']);
const TLS_CODE = /^(ERR_TLS_|ERR_SSL_|CERT_|UNABLE_TO_|DEPTH_ZERO_|SELF_SIGNED_|HOSTNAME_MISMATCH|EPROTO$|ERR_OSSL_)/;

/** Every low-level error code in a cause chain, including the members of an AggregateError (happy eyeballs). */
function networkErrorCodes(error: unknown): string[] {
  const codes: string[] = [];
  const queue: unknown[] = [error];
  for (let seen = 0; queue.length > 0 && seen < 20; seen++) {
    const current = queue.shift();
    if (current === null || typeof current !== 'object') continue;
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') codes.push(code);
    const nested = (current as { errors?: unknown }).errors;
    if (Array.isArray(nested)) queue.push(...nested.slice(0, 5));
    queue.push((current as { cause?: unknown }).cause);
  }
  return codes;
}

/**
 * What kind of connection failure an error is, in words a user can act on: `connection refused
 * (ECONNREFUSED)`, `DNS lookup failed (ENOTFOUND)`, `TLS failure (CERT_HAS_EXPIRED)`,
 * `connection reset (ECONNRESET)`; the bare code otherwise, `network error` without one.
 *
 * @example
 * ```ts
 * describeNetworkFailure(err); // 'connection refused (ECONNREFUSED)'
 * ```
 */
export function describeNetworkFailure(error: unknown): string {
  const codes = networkErrorCodes(error);
  const pick = (test: (code: string) => boolean): string | undefined => codes.find(test);
  const refused = pick((c) => c === 'ECONNREFUSED');
  if (refused) return `connection refused (${refused})`;
  const dns = pick((c) => DNS_CODES.has(c));
  if (dns) return `DNS lookup failed (${dns})`;
  const tls = pick((c) => TLS_CODE.test(c));
  if (tls) return `TLS failure (${tls})`;
  const reset = pick((c) => c === 'ECONNRESET' || c === 'EPIPE' || c === 'UND_ERR_SOCKET' || c === 'UND_ERR_CLOSED');
  if (reset) return `connection reset (${reset})`;
  const timeout = pick((c) => c === 'ETIMEDOUT' || c === 'UND_ERR_CONNECT_TIMEOUT');
  if (timeout) return `connection timed out (${timeout})`;
  return codes.find((c) => c !== 'UND_ERR' && !c.startsWith('ERR_INVALID')) ?? 'network error';
}
