import { AuthenticationError, InvalidArgumentError, TokenExpiredError } from '../../errors.js';
import { registerSecret } from '../../redact.js';
import type { FlowContext } from './flow-context.js';

/**
 * Redeems a refresh token obtained elsewhere (msal-node's `acquireTokenByRefreshToken`): its user
 * enters the cache and is selected. A refused refresh token is a `TokenExpiredError`.
 */
export async function importRefreshToken(
  ctx: FlowContext,
  refreshToken: string,
  requestedScopes: readonly string[] | undefined,
): Promise<void> {
  if (typeof refreshToken !== 'string' || refreshToken.trim() === '') {
    throw new InvalidArgumentError('refreshToken must be a non-empty string', { parameter: 'refreshToken' });
  }
  if (ctx.appOnly) {
    throw new AuthenticationError(`A refresh token belongs to a user; authFlowType '${ctx.authFlowType}' has none`);
  }
  registerSecret(refreshToken);
  const scopes = ctx.resolveScopes(requestedScopes);
  await ctx.cache.ensureLoaded();
  const result = await ctx.msal.acquireByRefreshToken(refreshToken.trim(), scopes);
  await ctx.signedIn(result, scopes);
}

/**
 * Migrates a token stored by python-o365 before 2.1: its refresh token is redeemed and the MSAL
 * cache it gives replaces the old data, which stays in place until the new cache is saved.
 * Resolves `false` when the stored token is not in that format.
 */
export async function migrateLegacyToken(ctx: FlowContext, requestedScopes: readonly string[] | undefined): Promise<boolean> {
  const { cache } = ctx;
  await cache.exclusive(() => cache.reload(), ctx.lockTimeoutMs, { crossProcess: false });
  if (!cache.legacyError) return false;
  const legacy = cache.legacyToken();
  if (!legacy) {
    const where = cache.source.location ?? cache.source.backend;
    throw new TokenExpiredError(
      `The python-o365 token in ${where} holds no refresh token to migrate; sign in again with account.authenticate() (the old data is left in place until then)`,
    );
  }
  const known = legacy.scopes.filter((sc) => !/^(openid|profile|offline_access)$/i.test(sc));
  await importRefreshToken(ctx, legacy.refreshToken, requestedScopes ?? (known.length > 0 ? known : undefined));
  ctx.logger.info('migrated the pre-2.1 python-o365 token to an MSAL cache', { ...cache.source, username: ctx.username });
  return true;
}
