// Errors, the token backend contract and logging (coordinator).
export * from './errors.js';
export type { TokenBackend, StoredToken, SaveOptions, LockOptions, ReleaseLock } from './backends/token-backend.js';
export { type Logger, noopLogger } from './logger.js';

// Backends: file system, env, memory, encryption (backends helper edits only this section).

// Protocol, HTTP and Graph (graph helper edits only this section).
export {
  createHttpClient,
  type HttpClient,
  type HttpOptions,
  type HttpRequestInit,
  type HttpRetryOptions,
} from './http/http-client.js';
export { createDispatcher, type DispatcherOptions, type TlsOptions } from './http/dispatcher.js';
export { NetworkError, HttpTimeoutError, type NetworkErrorOptions } from './http/http-errors.js';
export { parseRetryAfter } from './http/retry.js';

// Auth, Connection and Account (auth helper edits only this section).
