import type * as Undici from 'undici';
import type { Dispatcher, RequestInit, Response } from 'undici';
import { noopLogger, type Logger } from '../logger.js';
import { checkProxy, createDispatcher, type TlsOptions } from './dispatcher.js';
import { loadUndici } from './load-undici.js';
import { HttpTimeoutError, NetworkError } from '../errors.js';
import {
  RETRYABLE_STATUSES,
  backoffDelay,
  isResendable,
  isHeadersTimeout,
  isRetryableNetworkError,
  describeNetworkFailure,
  parseRetryAfter,
  type RetryPolicy,
} from './retry.js';

/**
 * Retry settings of an {@link HttpClient}.
 *
 * @example
 * ```ts
 * const retry: HttpRetryOptions = { maxRetries: 5, maxDelayMs: 30_000 };
 * new Account(['client-id'], { retry });
 * ```
 */
export interface HttpRetryOptions {
  /** Retries after the first attempt (default 3; 0 turns retries off). */
  maxRetries?: number;
  /**
   * Cap of the computed backoff and of an honoured `Retry-After` (default 60 000 ms). When the
   * server asks to wait longer than this, the response is returned to the caller instead.
   */
  maxDelayMs?: number;
  /** First backoff step (default 500 ms); doubles each retry, with jitter. */
  baseDelayMs?: number;
}

/**
 * Options of {@link createHttpClient}.
 *
 * @example
 * ```ts
 * const options: HttpOptions = { tls: { ca: corporateCaPem }, proxy: 'http://proxy.corp:8080', timeoutMs: 10_000 };
 * const http = createHttpClient(options);
 * ```
 */
export interface HttpOptions {
  /** Extra trusted CA(s) and certificate checking. */
  tls?: TlsOptions;
  /** Proxy URL, e.g. `http://proxy.corp:8080`. */
  proxy?: string;
  /**
   * Per-attempt time to wait for response headers once the request is sent (the dispatcher's
   * `headersTimeout`; {@link HttpTimeoutError} when it passes), also the socket connect timeout
   * and the body-idle timeout (`bodyTimeout`). Default 30 000 ms. undici checks these timers
   * about twice a second (one shared timer for all sockets, not one per request), so an attempt
   * ends up to about a second after `timeoutMs`.
   */
  timeoutMs?: number;
  retry?: HttpRetryOptions;
  /** Receives method + URL path of each request and retry; never headers, bodies or query strings. */
  logger?: Logger;
  /** How to wait between retries; tests inject a fake so they never wait for real. */
  sleep?: (ms: number) => Promise<void>;
}

/**
 * A request as undici's `fetch` takes it, plus retry hints.
 * The dispatcher is the client's own and cannot be overridden per request.
 *
 * @example
 * ```ts
 * const init: HttpRequestInit = { method: 'POST', body: form, idempotent: true, signal: AbortSignal.timeout(5_000) };
 * await http.fetch(url, init);
 * ```
 */
export type HttpRequestInit = Omit<RequestInit, 'dispatcher'> & {
  /** Declares a POST/PATCH safe to send twice (token requests are), enabling retries for it. */
  idempotent?: boolean;
  /** `false` disables retries for this request. */
  retry?: boolean;
};

/**
 * `fetch` over one undici dispatcher with TLS trust, proxy, timeouts and retries. Shared by Graph
 * calls and the token requests of msal-node so they follow the same network rules.
 *
 * @example
 * ```ts
 * const http: HttpClient = createHttpClient({ tls: { ca: corporateCaPem } });
 * const res = await http.fetch(tokenUrl, { method: 'POST', body: form, idempotent: true });
 * ```
 */
export interface HttpClient {
  /**
   * Sends a request. Resolves with any HTTP answer (including 4xx/5xx once retries are spent);
   * rejects with {@link NetworkError} / {@link HttpTimeoutError} when no answer came, or with
   * the signal's reason when `init.signal` aborted.
   */
  fetch(url: string | URL, init?: HttpRequestInit): Promise<Response>;
  /**
   * The client's one undici dispatcher (TLS trust, proxy, socket timeouts), for a library that
   * takes a dispatcher rather than a `fetch`. It is created, and undici loaded, on the first
   * request or the first call of this method, so that importing `@o365/core` and serving tokens
   * from the store never load undici; every call resolves to the same instance. Rejects with a
   * {@link NetworkError} once the client is closed. The client's retries and per-attempt
   * timeout error are not part of the dispatcher: they are {@link HttpClient.fetch}'s.
   *
   * @example
   * ```ts
   * import { fetch } from 'undici';
   * const http = account.connection.httpClient;
   * const res = await fetch(url, { dispatcher: await http.getDispatcher() }); // same TLS trust and proxy
   * ```
   */
  getDispatcher(): Promise<Dispatcher>;
  /** Closes the sockets once pending requests finish; calling it again is harmless. Later requests reject with a {@link NetworkError}. */
  close(): Promise<void>;
}

const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_POLICY: RetryPolicy = { maxRetries: 3, maxDelayMs: 60_000, baseDelayMs: 500 };

/** undici's fetch and the client's dispatcher, loaded together on the first request. */
interface Transport {
  dispatcher: Dispatcher;
  fetch: (typeof Undici)['fetch'];
}

const realSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Creates the HTTP client of o365-ts.
 *
 * Retries 429, 500, 502, 503, 504 and broken connections, honouring `Retry-After` (seconds or
 * HTTP date) and otherwise backing off exponentially with jitter, but only for requests that can
 * be resent: GET, HEAD, OPTIONS, PUT, DELETE, or any method with `idempotent: true`, and only
 * when the body is replayable (not a stream).
 *
 * @example
 * ```ts
 * const http = createHttpClient({ tls: { ca: emu.ca }, timeoutMs: 10_000, retry: { maxRetries: 2 } });
 * const res = await http.fetch(`${emu.graphUrl}v1.0/me`, { headers: { authorization: `Bearer ${token}` } });
 * await http.close();
 * ```
 */
export function createHttpClient(options: HttpOptions = {}): HttpClient {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (!(Number.isFinite(timeoutMs) && timeoutMs > 0)) {
    throw new RangeError(`timeoutMs must be a positive number of milliseconds, got ${String(options.timeoutMs)}`);
  }
  const policy: RetryPolicy = {
    maxRetries: options.retry?.maxRetries ?? DEFAULT_POLICY.maxRetries,
    maxDelayMs: options.retry?.maxDelayMs ?? DEFAULT_POLICY.maxDelayMs,
    baseDelayMs: options.retry?.baseDelayMs ?? DEFAULT_POLICY.baseDelayMs,
  };
  if (!(Number.isInteger(policy.maxRetries) && policy.maxRetries >= 0 && policy.maxRetries <= 100)) {
    throw new RangeError(`retry.maxRetries must be an integer from 0 to 100, got ${String(policy.maxRetries)}`);
  }
  checkProxy(options.proxy);
  const logger = options.logger ?? noopLogger;
  // The default logger drops everything: do not build the data of per-request debug lines for it.
  const debug = logger !== noopLogger;
  const sleep = options.sleep ?? realSleep;
  const dispatcherOptions = {
    ...(options.tls === undefined ? {} : { tls: options.tls }),
    ...(options.proxy === undefined ? {} : { proxy: options.proxy }),
    timeoutMs,
  };

  // undici and the dispatcher are loaded on the first request (see load-undici.ts); once they
  // are, requests read them from `transport` instead of awaiting a promise each time.
  let transport: Transport | undefined;
  let opening: Promise<Transport> | undefined;
  let closing: Promise<void> | undefined;

  function openTransport(): Promise<Transport> {
    opening ??= Promise.all([createDispatcher(dispatcherOptions), loadUndici()]).then(([dispatcher, undici]) => {
      transport = { dispatcher, fetch: undici.fetch };
      return transport;
    });
    return opening;
  }

  function closedError(method?: string, path?: string): NetworkError {
    const what = method === undefined ? 'the HTTP client' : `${method} ${path ?? ''}: the HTTP client`;
    return new NetworkError(`${what} is closed`, {
      ...(method === undefined ? {} : { method }),
      ...(path === undefined ? {} : { path }),
    });
  }

  async function waitBeforeRetry(ms: number, signal: AbortSignal | undefined): Promise<void> {
    if (signal === undefined) return sleep(ms);
    signal.throwIfAborted();
    await new Promise<void>((resolve, reject) => {
      const onAbort = (): void => reject(signal.reason as Error);
      signal.addEventListener('abort', onAbort, { once: true });
      sleep(ms).then(
        () => {
          signal.removeEventListener('abort', onAbort);
          resolve();
        },
        (error: unknown) => {
          signal.removeEventListener('abort', onAbort);
          reject(error as Error);
        },
      );
    });
  }

  async function fetchWithRetries(input: string | URL, init: HttpRequestInit = {}): Promise<Response> {
    const { idempotent, retry, signal, ...requestInit } = init;
    // A URL the caller built (the Graph session does) is used as it is, not printed and parsed again.
    const url = typeof input === 'string' ? new URL(input) : input;
    const method = requestInit.method === undefined ? 'GET' : requestInit.method.toUpperCase();
    const path = url.pathname;
    const userSignal = signal ?? undefined;
    const resendable = retry !== false && isResendable(method, requestInit.body, idempotent);
    const maxAttempts = resendable ? policy.maxRetries + 1 : 1;

    // Outside the retry loop's error handling: a dispatcher that cannot be built (a CA that is not
    // PEM) is a configuration error to show as it is, not a network failure to retry.
    const { dispatcher, fetch } = transport ?? (await openTransport());
    // No timer of our own per attempt: the dispatcher's headersTimeout (= timeoutMs) already ends
    // an attempt that gets no headers, and an AbortController + setTimeout per request cost ~5% of
    // a keep-alive Graph GET. Only the caller's signal, when there is one, is passed.
    const undiciInit: RequestInit = userSignal === undefined ? { ...requestInit, dispatcher } : { ...requestInit, signal: userSignal, dispatcher };

    for (let attempt = 1; ; attempt++) {
      userSignal?.throwIfAborted();
      if (closing !== undefined) throw closedError(method, path);
      if (debug) logger.debug('http request', { method, path, attempt });
      let response: Response;
      try {
        response = await fetch(url, undiciInit);
      } catch (error) {
        if (userSignal?.aborted === true) throw userSignal.reason;
        // undici refused the request as given (an invalid header name or value, a body on a GET)
        // before sending anything: the caller's mistake, shown as it is rather than as a network
        // failure. Network failures are TypeError('fetch failed') with the reason as `cause`.
        if (error instanceof TypeError && error.cause === undefined) throw error;
        const timedOut = isHeadersTimeout(error);
        const retryable = timedOut || isRetryableNetworkError(error);
        const reason = timedOut ? 'timeout' : describeNetworkFailure(error);
        if (retryable && attempt < maxAttempts) {
          const delayMs = backoffDelay(attempt - 1, policy);
          logger.warn('http retry', { method, path, attempt, reason, delayMs });
          await waitBeforeRetry(delayMs, userSignal);
          continue;
        }
        if (timedOut) {
          throw new HttpTimeoutError(`${method} ${path} got no answer within ${timeoutMs} ms`, {
            method,
            path,
            timeoutMs,
            attempts: attempt,
            cause: error,
          });
        }
        throw new NetworkError(`${method} ${path} failed: ${reason} after ${attempt} attempt(s)`, {
          method,
          path,
          attempts: attempt,
          cause: error,
        });
      }

      if (RETRYABLE_STATUSES.has(response.status) && attempt < maxAttempts) {
        const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
        if (retryAfterMs === undefined || retryAfterMs <= policy.maxDelayMs) {
          const delayMs = retryAfterMs ?? backoffDelay(attempt - 1, policy);
          logger.warn('http retry', { method, path, attempt, status: response.status, delayMs });
          // Free the connection for reuse before waiting.
          await response.body?.cancel().catch(() => undefined);
          await waitBeforeRetry(delayMs, userSignal);
          continue;
        }
        logger.warn('http Retry-After exceeds retry.maxDelayMs; returning the response', {
          method,
          path,
          status: response.status,
          retryAfterMs,
        });
      }
      if (debug) logger.debug('http response', { method, path, status: response.status, attempt });
      return response;
    }
  }

  return {
    fetch: fetchWithRetries,
    getDispatcher: () =>
      closing === undefined ? openTransport().then((t) => t.dispatcher) : Promise.reject(closedError()),
    // Idempotent: Account, Connection and tests may all close the same client. A client that never
    // sent a request has no dispatcher to close (and closing must not load undici).
    close: () =>
      (closing ??=
        opening === undefined ? Promise.resolve() : opening.then((t) => t.dispatcher.close(), () => undefined)),
  };
}
