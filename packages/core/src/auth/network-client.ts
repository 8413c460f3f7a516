import type { INetworkModule, NetworkRequestOptions, NetworkResponse } from '@azure/msal-node';
import type { HttpClient } from '../http/http-client.js';
import type { Logger } from '../logger.js';

/** What the identity platform answered on a failed token request (the fields Microsoft documents). */
export interface ServerErrorBody {
  error?: string;
  error_description?: string;
  error_codes?: number[];
  suberror?: string;
  correlation_id?: string;
  trace_id?: string;
  timestamp?: string;
  claims?: string;
}

/** Per-correlation-id record of what went wrong on the wire, for error mapping. */
export interface NetworkFailure {
  status?: number;
  body?: ServerErrorBody;
  /** The error thrown by the HTTP client when no answer came (msal-node would replace it by its own). */
  error?: unknown;
}

const MAX_FAILURES = 200;

/**
 * msal-node's network module over our {@link HttpClient}: token requests get the same TLS trust,
 * proxy, timeouts and retries as Graph calls. msal-node only sees parsed JSON; the raw failures are
 * kept by correlation id so errors can be mapped with the server's details and the real cause
 * (msal-node replaces a thrown network error by a bare `network_error`).
 */
export class MsalNetworkClient implements INetworkModule {
  readonly #http: HttpClient;
  readonly #logger: Logger;
  readonly #failures = new Map<string, NetworkFailure>();

  constructor(http: HttpClient, logger: Logger) {
    this.#http = http;
    this.#logger = logger;
  }

  sendGetRequestAsync<T>(url: string, options?: NetworkRequestOptions, timeout?: number): Promise<NetworkResponse<T>> {
    return this.#send<T>('GET', url, options, timeout);
  }

  sendPostRequestAsync<T>(url: string, options?: NetworkRequestOptions): Promise<NetworkResponse<T>> {
    return this.#send<T>('POST', url, options);
  }

  /** The failure recorded for a correlation id, removed from the record. */
  takeFailure(correlationId: string): NetworkFailure | undefined {
    const failure = this.#failures.get(correlationId);
    this.#failures.delete(correlationId);
    return failure;
  }

  #record(correlationId: string | undefined, failure: NetworkFailure): void {
    if (correlationId === undefined || correlationId === '') return;
    if (this.#failures.size >= MAX_FAILURES) {
      const oldest = this.#failures.keys().next().value;
      if (oldest !== undefined) this.#failures.delete(oldest);
    }
    this.#failures.set(correlationId, failure);
  }

  async #send<T>(method: 'GET' | 'POST', url: string, options: NetworkRequestOptions = {}, timeout?: number): Promise<NetworkResponse<T>> {
    const signal = timeout !== undefined && timeout > 0 ? AbortSignal.timeout(timeout) : undefined;
    let response: Response;
    try {
      response = (await this.#http.fetch(url, {
        method,
        headers: options.headers ?? {},
        ...(method === 'POST' ? { body: options.body ?? '' } : {}),
        // Token requests are safe to resend on 429/5xx: no grant is consumed by a refused request.
        idempotent: true,
        ...(signal ? { signal } : {}),
      })) as unknown as Response;
    } catch (error) {
      this.#record(options.correlationId, { error });
      throw error;
    }
    const headers: Record<string, string> = {};
    response.headers.forEach((value, key) => {
      headers[key.toLowerCase()] = value;
    });
    const text = await response.text();
    let body: unknown;
    try {
      body = text === '' ? {} : JSON.parse(text);
    } catch (cause) {
      this.#logger.warn('identity platform answered with a body that is not JSON', {
        method,
        path: new URL(url).pathname,
        status: response.status,
      });
      this.#record(options.correlationId, { status: response.status, error: cause });
      // msal-node treats a non-object body as a failed request; keep the status for mapping.
      body = { error: 'invalid_response', error_description: `HTTP ${response.status}: the answer was not JSON` };
    }
    if (response.status >= 400 && body !== null && typeof body === 'object') {
      this.#record(options.correlationId, { status: response.status, body: body as ServerErrorBody });
    }
    return { headers, body: body as T, status: response.status };
  }
}
