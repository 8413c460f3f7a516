/**
 * The shape of `@azure/core-auth`'s `TokenCredential`, declared here so that core does not depend
 * on it at runtime: an o365-ts `Account` or `Connection` can be handed to the Microsoft Graph SDK
 * or any Azure SDK client.
 */

/**
 * An access token and when it expires, as `@azure/core-auth` defines it.
 *
 * @example
 * ```ts
 * const { token, expiresOnTimestamp }: AccessToken = await account.getToken('https://graph.microsoft.com/.default');
 * ```
 */
export interface AccessToken {
  /** The bearer token. Never log it. */
  token: string;
  /** Expiry, epoch milliseconds (of the connection's clock). */
  expiresOnTimestamp: number;
  /** When a refresh is advisable, epoch milliseconds. */
  refreshAfterTimestamp?: number;
  tokenType?: 'Bearer';
}

/**
 * The options `@azure/core-auth` passes to `getToken` (only `abortSignal` is acted on).
 *
 * @example
 * ```ts
 * const options: GetTokenOptions = { abortSignal: AbortSignal.timeout(10_000) };
 * await account.getToken('https://graph.microsoft.com/User.Read', options);
 * ```
 */
export interface GetTokenOptions {
  abortSignal?: AbortSignalLike;
  requestOptions?: { timeout?: number };
  tracingOptions?: unknown;
  claims?: string;
  tenantId?: string;
  enableCae?: boolean;
}

/**
 * A minimal AbortSignal, as `@azure/abort-controller` describes it.
 *
 * @example
 * ```ts
 * const signal: AbortSignalLike = new AbortController().signal;
 * await account.getToken('https://graph.microsoft.com/.default', { abortSignal: signal });
 * ```
 */
export interface AbortSignalLike {
  readonly aborted: boolean;
  addEventListener(type: 'abort', listener: (this: AbortSignalLike, ev: unknown) => unknown, options?: unknown): void;
  removeEventListener(type: 'abort', listener: (this: AbortSignalLike, ev: unknown) => unknown, options?: unknown): void;
}

/**
 * `@azure/core-auth`'s `TokenCredential`: a source of access tokens for the given scopes.
 *
 * @example
 * ```ts
 * import { Client } from '@microsoft/microsoft-graph-client';
 * import { TokenCredentialAuthenticationProvider } from '@microsoft/microsoft-graph-client/authProviders/azureTokenCredentials';
 * const credential: TokenCredential = account; // an authenticated o365-ts Account
 * const client = Client.initWithMiddleware({ authProvider: new TokenCredentialAuthenticationProvider(credential, { scopes: ['User.Read'] }) });
 * ```
 */
export interface TokenCredential {
  getToken(scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken | null>;
}
