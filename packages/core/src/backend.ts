// `@o365/core/backend`: what a token backend's author needs, and nothing an application needs.
export type {
  TokenBackend,
  PartitionedTokenBackend,
  StoredToken,
  SaveOptions,
  LockOptions,
  ReleaseLock,
} from './backends/token-backend.js';
export { TokenBackendError, TokenCacheConflictError, type TokenBackendErrorOptions } from './errors.js';
export { copyErrorWithout } from './backends/copy-error-without.js';
export {
  describeBackend,
  assertSaveData,
  assertExpectedVersion,
  versionConflict,
  toBackendError,
  assertPartitionKey,
  MAX_PARTITION_KEY_LENGTH,
  partitionName,
  NETWORK_ERROR_CODES,
  isNetworkErrorCode,
  type BackendIdentity,
  type ToBackendErrorOptions,
} from './backends/backend-contract.js';
export { type Logger, noopLogger } from './logger.js';
