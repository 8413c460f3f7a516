// The parts a Connection is wired from, built from its options in one place: the cache, the
// msal-node client, the token provider, the users it acts for and what the flows work with.
import type { AuthenticationResult } from '@azure/msal-node';
import { FileSystemTokenBackend } from './backends/file-system-backend.js';
import { MemoryTokenBackend } from './backends/memory-backend.js';
import type { TokenBackend } from './backends/token-backend.js';
import { AuthenticationError, TokenBackendError } from './errors.js';
import type { HttpClient } from './http/http-client.js';
import { noopLogger, type Logger } from './logger.js';
import { MSGraphProtocol, type Protocol } from './protocol.js';
import { registerSecret } from './redact.js';
import { authorityUrl } from './auth/authority.js';
import { isCertificate, type Credentials } from './auth/credentials.js';
import { CredentialScopes } from './auth/credential-scopes.js';
import { ExternalAccessToken, type AccessTokenSource } from './auth/external-token.js';
import type { FlowContext } from './auth/flows/flow-context.js';
import { requestOnBehalfOf } from './auth/flows/on-behalf-of.js';
import { ManagedIdentityEngine } from './auth/managed-identity.js';
import { MsalClient } from './auth/msal-client.js';
import { OnBehalfOfTokens } from './auth/on-behalf-of-tokens.js';
import { TokenCache } from './auth/token-cache.js';
import { TokenProvider } from './auth/token-provider.js';
import { UserSelections, type Selection } from './auth/user-selection.js';
import {
  checkCapabilities,
  checkTokenBackendOption,
  DEFAULT_LOCK_TIMEOUT_MS,
  DEFAULT_SKEW_SECONDS,
  graphExtrasOf,
  httpClientFor,
  identityOf,
  trustKeyFor,
  type ConnectionIdentity,
  type GraphExtras,
} from './connection-setup.js';
import type { Clock, ConnectionOptions } from './connection-options.js';

/** Everything a Connection delegates to. */
export interface ConnectionParts {
  identity: ConnectionIdentity;
  appOnly: boolean;
  tenantId: string;
  protocol: Protocol;
  authority: string;
  tokenBackend: TokenBackend;
  password: string | undefined;
  http: HttpClient;
  ownsHttp: boolean;
  logger: Logger;
  cache: TokenCache;
  msal: MsalClient;
  tokens: TokenProvider;
  users: UserSelections;
  flow: FlowContext & { readonly confidential: boolean };
  graphExtras: GraphExtras;
  obo: OnBehalfOfTokens;
  credentialScopes: CredentialScopes;
  managedIdentity: (() => ManagedIdentityEngine) | undefined;
}

/** The scopes a flow requests: python-o365's helpers expanded and prefixed; `.default` for app-only. */
export function resolveScopes(
  parts: Pick<ConnectionParts, 'appOnly' | 'protocol' | 'logger'>,
  requested?: readonly string[],
): string[] {
  const { protocol } = parts;
  if (!parts.appOnly) return protocol.getScopesFor(requested && requested.length > 0 ? [...requested] : ['basic']);
  const wanted = requested?.filter((s) => s.trim() !== '') ?? [];
  const defaults = wanted.filter((s) => s.endsWith('/.default') || s === '.default');
  if (wanted.length > defaults.length) {
    parts.logger.warn("the credentials flow only takes '<resource>/.default' scopes; using the Graph .default scope", { requested: wanted });
  }
  return defaults.length > 0 ? protocol.getScopesFor(defaults) : [protocol.prefixScope('.default')];
}

/** Checks the options and builds the parts; every misuse is a `TypeError` before any request. */
export function connectionParts(credentials: Credentials, options: ConnectionOptions): ConnectionParts {
  const identity = identityOf(credentials, options);
  const { authFlowType, clientId, credential } = identity;
  const appOnly = authFlowType === 'credentials' || authFlowType === 'managedIdentity';
  const tenantId = options.tenantId ?? 'common';
  const protocol = options.protocol ?? new MSGraphProtocol();
  const authority = authorityUrl(options.authorityHost ?? protocol.authorityHost, tenantId);
  checkTokenBackendOption(authFlowType, options);
  const inMemoryOnly = authFlowType === 'managedIdentity' || authFlowType === 'external';
  const tokenBackend = options.tokenBackend ?? (inMemoryOnly ? new MemoryTokenBackend() : new FileSystemTokenBackend());
  const logger = options.logger ?? noopLogger;
  const clock: Clock = options.clock ?? { now: () => Date.now() };
  if (typeof credential === 'string') registerSecret(credential);
  if (isCertificate(credential)) registerSecret(credential.privateKey);
  registerSecret(options.password);
  if (typeof options.accessToken === 'string') registerSecret(options.accessToken);

  const http = options.httpClient ?? httpClientFor(options, logger);
  const cache = new TokenCache(tokenBackend, logger, clock);
  const msal = new MsalClient({
    clientId,
    ...(credential !== undefined ? { credential } : {}),
    authority,
    http,
    logger,
    cache,
    trustKey: trustKeyFor(options),
    ...(options.clientCapabilities !== undefined ? { clientCapabilities: checkCapabilities(options.clientCapabilities) } : {}),
  });
  let managed: ManagedIdentityEngine | undefined;
  const id = identity.managedIdentity;
  const managedIdentity =
    authFlowType === 'managedIdentity'
      ? () => (managed ??= new ManagedIdentityEngine({ ...(id ? { id } : {}), http, logger }))
      : undefined;
  const scopeRules = { appOnly, protocol, logger };
  const lockTimeoutMs = options.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS;
  const tokens = new TokenProvider({
    clientId,
    protocol,
    appOnly,
    cache,
    msal,
    ...(managedIdentity ? { managedIdentity } : {}),
    ...(authFlowType === 'external'
      ? { external: new ExternalAccessToken(options.accessToken as AccessTokenSource, () => clock.now()) }
      : {}),
    clock,
    skewMs: Math.max(0, options.refreshSkewSeconds ?? DEFAULT_SKEW_SECONDS) * 1000,
    lockTimeoutMs,
    logger,
    defaultScopes: () => resolveScopes(scopeRules),
  });
  const users = new UserSelections(options.username);
  const flow: ConnectionParts['flow'] = {
    clientId,
    authority,
    authFlowType,
    appOnly,
    confidential: credential !== undefined,
    msal,
    cache,
    logger,
    lockTimeoutMs,
    get username() {
      return users.username;
    },
    resolveScopes: (requested) => resolveScopes(scopeRules, requested),
    signedIn: (result, scopes) => recordSignIn({ tokens, users, cache, logger, appOnly, authFlowType }, result, scopes),
  };
  return {
    identity,
    appOnly,
    tenantId,
    protocol,
    authority,
    tokenBackend,
    password: options.password,
    http,
    ownsHttp: options.httpClient === undefined,
    logger,
    cache,
    msal,
    tokens,
    users,
    flow,
    graphExtras: graphExtrasOf(options),
    obo: new OnBehalfOfTokens((assertion, scopes, force) => requestOnBehalfOf(flow, tokens, assertion, scopes, force), () => clock.now()),
    credentialScopes: new CredentialScopes((list) => (appOnly ? resolveScopes(scopeRules, list) : protocol.getScopesFor(list))),
    managedIdentity,
  };
}

/**
 * A sign-in completed: select its user, keep the token in memory, save the cache. When the save
 * fails, the sign-in still works in this process, but the caller is told with a
 * `TokenBackendError` (the next process would not find the tokens).
 */
async function recordSignIn(
  parts: Pick<ConnectionParts, 'tokens' | 'users' | 'cache' | 'logger' | 'appOnly'> & { authFlowType: string },
  result: AuthenticationResult,
  scopes: string[],
): Promise<void> {
  const { tokens, users, cache, appOnly } = parts;
  const { token, saveError } = await tokens.adopt(result);
  let selection: Selection;
  if (appOnly) {
    const username = users.username;
    selection = { ...(username !== undefined ? { username } : {}), homeAccountId: '', scopes };
  } else {
    if (!result.account) throw new AuthenticationError('The identity platform returned no account for the sign-in');
    selection = { username: result.account.username, homeAccountId: result.account.homeAccountId, scopes };
  }
  users.signedIn(selection);
  tokens.keep(selection.homeAccountId!, scopes, token);
  parts.logger.info('signed in', {
    flow: parts.authFlowType,
    ...(appOnly ? {} : { username: selection.username }),
    expiresOn: new Date(token.expiresOn).toISOString(),
  });
  if (saveError) {
    throw new TokenBackendError(
      `Signed in${appOnly ? '' : ` as ${selection.username}`}, but the token cache could not be saved to ${cache.source.location ?? cache.source.backend}: this process can use the account, the stored copy was left as it was, and the save is retried at the next refresh; fix the backend or sign in again`,
      { ...cache.source, cause: saveError },
    );
  }
}
