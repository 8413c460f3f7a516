export * from './errors.js';
export type { TokenBackend, StoredToken, SaveOptions, LockOptions, ReleaseLock } from './backends/token-backend.js';
