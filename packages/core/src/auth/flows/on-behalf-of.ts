import { AuthenticationError } from '../../errors.js';
import { redactData } from '../../redact.js';
import type { FoundAccessToken } from '../cache-format.js';
import type { TokenProvider } from '../token-provider.js';
import type { FlowContext } from './flow-context.js';

/**
 * One on-behalf-of token request under the cache's lock: the caller's token (`assertion`)
 * exchanged for one for `scopes`; msal-node's cache (kept per assertion hash) is saved through
 * the backend. `force` skips msal-node's cached token (it was refused or is due).
 */
export async function requestOnBehalfOf(
  ctx: FlowContext & { readonly confidential: boolean },
  provider: TokenProvider,
  assertion: string,
  scopes: string[],
  force: boolean,
): Promise<FoundAccessToken> {
  if (!ctx.confidential || ctx.authFlowType === 'managedIdentity') {
    throw new AuthenticationError(
      'On-behalf-of needs a confidential client: new Account([clientId, secretOrCertificate], ...) for your web API',
    );
  }
  const { cache } = ctx;
  await cache.ensureLoaded();
  cache.assertReadable();
  return cache.exclusive(async () => {
    await cache.reload();
    cache.assertReadable();
    ctx.logger.debug('requesting an on-behalf-of access token', { scopes: scopes.join(' ') });
    const result = await ctx.msal.acquireOnBehalfOf(assertion, scopes, force);
    const { token, saveError } = await provider.adopt(result);
    if (saveError) {
      ctx.logger.error('the token cache could not be saved after an on-behalf-of request; the token is used from memory', {
        ...cache.source,
        error: redactData(saveError),
      });
    }
    return token;
  }, ctx.lockTimeoutMs);
}
