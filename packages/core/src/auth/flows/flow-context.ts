import type { AuthenticationResult } from '@azure/msal-node';
import type { AuthFlowType } from '../../connection-options.js';
import type { Logger } from '../../logger.js';
import type { MsalClient } from '../msal-client.js';
import type { TokenCache } from '../token-cache.js';

/** What a sign-in flow works with: the connection's msal-node client, cache and scope rules. */
export interface FlowContext {
  readonly clientId: string;
  /** `${authorityHost}/${tenantId}`. */
  readonly authority: string;
  readonly authFlowType: AuthFlowType;
  /** Client credentials or managed identity: no user signs in. */
  readonly appOnly: boolean;
  readonly msal: MsalClient;
  readonly cache: TokenCache;
  readonly logger: Logger;
  readonly lockTimeoutMs: number;
  /** The user selected now (the password flow's default username). */
  readonly username: string | undefined;
  /** The scopes a flow requests (see `Connection.resolveScopes`). */
  resolveScopes(requested?: readonly string[]): string[];
  /** A sign-in completed: select its user, keep its token, save the cache. */
  signedIn(result: AuthenticationResult, scopes: string[]): Promise<void>;
}
