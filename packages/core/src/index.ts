// Errors, the token backend contract and logging (coordinator).
export * from './errors.js';
export type { TokenBackend, StoredToken, SaveOptions, LockOptions, ReleaseLock } from './backends/token-backend.js';
export { type Logger, noopLogger } from './logger.js';

// Backends: file system, env, memory, encryption (backends helper edits only this section).

// Protocol, HTTP and Graph (graph helper edits only this section).

// Auth, Connection and Account (auth helper edits only this section).
