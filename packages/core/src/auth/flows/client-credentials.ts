import type { ManagedIdentityEngine } from '../managed-identity.js';
import type { FlowContext } from './flow-context.js';

/**
 * Client credentials (app-only) sign-in, always from the identity platform; with
 * `authFlowType: 'managedIdentity'`, a token from the managed identity endpoint.
 */
export async function signInWithClientCredentials(
  ctx: FlowContext,
  requestedScopes: readonly string[] | undefined,
  managedIdentity: (() => ManagedIdentityEngine) | undefined,
): Promise<boolean> {
  const scopes = ctx.resolveScopes(requestedScopes);
  await ctx.cache.ensureLoaded();
  const result = managedIdentity
    ? await managedIdentity().acquire(scopes, true)
    : await ctx.msal.acquireByClientCredential(scopes);
  await ctx.signedIn(result, scopes);
  return true;
}
