import { AuthenticationError } from '../../errors.js';
import { registerSecret } from '../../redact.js';
import type { FlowContext } from './flow-context.js';

/** Resource owner password sign-in (`username`/`password` options, or the arguments). */
export async function signInWithPassword(
  ctx: FlowContext,
  requestedScopes: readonly string[] | undefined,
  credentials: { username?: string | undefined; password?: string | undefined },
): Promise<boolean> {
  const { username, password } = credentials;
  if (!username || !password) {
    throw new AuthenticationError("The password flow needs the 'username' and 'password' options");
  }
  registerSecret(password);
  const scopes = ctx.resolveScopes(requestedScopes);
  await ctx.cache.ensureLoaded();
  const result = await ctx.msal.acquireByPassword(scopes, username, password);
  await ctx.signedIn(result, scopes);
  return true;
}
