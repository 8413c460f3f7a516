// Errors, the token backend contract and logging.
export * from './errors.js';
export type { TokenBackend, PartitionedTokenBackend, StoredToken, SaveOptions, LockOptions, ReleaseLock } from './backends/token-backend.js';
export { type Logger, noopLogger } from './logger.js';
export { copyErrorWithout } from './backends/copy-error-without.js';

// Token backends: file system (the default), env, memory, encryption at rest.
export { MemoryTokenBackend, type MemoryTokenBackendOptions } from './backends/memory-backend.js';
export { FileSystemTokenBackend, type FileSystemTokenBackendOptions } from './backends/file-system-backend.js';
export {
  PartitionedFileSystemTokenBackend,
  type PartitionedFileSystemTokenBackendOptions,
} from './backends/partitioned-file-system-backend.js';
export { EnvTokenBackend, type EnvTokenBackendOptions } from './backends/env-backend.js';
export {
  EncryptedTokenBackend,
  ENCRYPTED_TOKEN_PREFIX,
  type EncryptedTokenBackendOptions,
} from './backends/encrypted-backend.js';

// Protocol, HTTP and Graph.
export {
  createHttpClient,
  type HttpClient,
  type HttpOptions,
  type HttpRequestInit,
  type HttpRetryOptions,
} from './http/http-client.js';
export { createDispatcher, type DispatcherOptions, type TlsOptions } from './http/dispatcher.js';
export { NetworkError, HttpTimeoutError, type NetworkErrorOptions } from './errors.js';
export { parseRetryAfter } from './http/retry.js';
export {
  Protocol,
  MSGraphProtocol,
  CLOUD_ENDPOINTS,
  type ProtocolOptions,
  type MSGraphProtocolOptions,
  type GraphCloud,
  type CloudEndpoints,
} from './protocol.js';
export { SCOPE_HELPERS, OIDC_SCOPES, isScopeHelper, type ScopeHelperName } from './scopes.js';
export {
  resolveMainResource,
  ME_RESOURCE,
  USERS_RESOURCE,
  GROUPS_RESOURCE,
  SITES_RESOURCE,
  type ResolveMainResourceOptions,
} from './main-resource.js';
export {
  createGraphSession,
  resolveGraphUrl,
  type GraphSession,
  type CreateGraphSessionOptions,
} from './graph/graph-session.js';
export { graphRequest, graphGet, graphErrorFromResponse, type GraphRequestOptions } from './graph/graph-request.js';
export { iterateGraphPages, NEXT_LINK_KEYWORD, type GraphPagingOptions } from './graph/paging.js';
export { User, type GraphUserJson } from './graph/user.js';
export { Directory, type DirectoryOptions, type GetUsersOptions, type GetUserOptions } from './graph/directory.js';

// Auth, Connection and Account.
export {
  Account,
  type AccountOptions,
  type AuthenticateOptions,
  type ConsentHandler,
  type DeviceCodeCallback,
  type UserAccount,
} from './account.js';
export { PartitionedAccounts, type PartitionedAccountsOptions } from './partitioned-accounts.js';
export { Connection } from './connection.js';
export type {
  ConnectionOptions,
  AuthFlowType,
  AuthorizationFlow,
  AuthorizationUrlOptions,
  Clock,
  GetAccessTokenOptions,
  UserConnection,
  OnBehalfOfConnection,
} from './connection-options.js';
export type {
  ClientCertificate,
  ClientAssertionCredential,
  ClientAssertionContext,
  ClientCredential,
  Credentials,
} from './auth/credentials.js';
export type { DeviceCodeInfo } from './auth/flows/device-code.js';
export {
  summarizeTokenCache,
  type TokenCacheSummary,
  type TokenCacheUserSummary,
} from './auth/token-cache-summary.js';
export type { ManagedIdentityId } from './auth/managed-identity.js';
export {
  federatedTokenFileAssertion,
  githubActionsAssertion,
  TOKEN_EXCHANGE_AUDIENCE,
  type FederatedTokenFileOptions,
  type GitHubActionsAssertionOptions,
} from './auth/federated-assertion.js';
export { LegacyTokenFormatError } from './errors.js';
export { claimsFromChallenge } from './auth/claims-challenge.js';
export type { AccessTokenSource } from './auth/external-token.js';
export type { AccessToken, GetTokenOptions, TokenCredential, AbortSignalLike } from './token-credential.js';
