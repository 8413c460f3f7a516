import { randomUUID } from 'node:crypto';
import { AuthenticationError } from '../../errors.js';
import type { AuthorizationFlow, AuthorizationUrlOptions } from '../../connection-options.js';
import { loadMsal } from '../load-msal.js';
import { MsalClient } from '../msal-client.js';
import type { FlowContext } from './flow-context.js';
import { readRedirect, validateFlow } from './redirect-url.js';

/** Everything step 2 of the authorization code flow needs (kept by the caller between steps). */
export interface AuthCodeRequestState {
  scopes: string[];
  redirectUri: string;
  state: string;
  nonce: string;
  codeVerifier: string;
}

/**
 * Step 1 of the authorization code flow (web apps): the URL to send the person to (PKCE, a
 * nonce, your state or a random one), and the `flow` to keep until the redirect comes back.
 */
export async function authorizationUrl(
  ctx: FlowContext,
  requestedScopes: readonly string[] | undefined,
  options: AuthorizationUrlOptions,
): Promise<{ url: string; flow: AuthorizationFlow }> {
  if (!options || typeof options.redirectUri !== 'string' || options.redirectUri === '') {
    throw new TypeError('getAuthorizationUrl needs { redirectUri }');
  }
  if (ctx.appOnly) throw new AuthenticationError('The credentials flow has no user sign-in; use authenticate()');
  const scopes = ctx.resolveScopes(requestedScopes);
  const app = await ctx.msal.application();
  const { verifier, challenge } = await new (await loadMsal()).CryptoProvider().generatePkceCodes();
  const state = options.state ?? randomUUID();
  const nonce = randomUUID();
  const url = await ctx.msal.run('authorization_url', scopes, (correlationId) =>
    app.getAuthCodeUrl({
      scopes,
      redirectUri: options.redirectUri,
      state,
      nonce,
      codeChallenge: challenge,
      codeChallengeMethod: 'S256',
      correlationId,
      ...(options.loginHint ? { loginHint: options.loginHint } : {}),
      ...(options.prompt ? { prompt: options.prompt } : {}),
    }),
  );
  const request = { scopes, redirectUri: options.redirectUri, state, nonce, codeVerifier: verifier };
  return { url, flow: { version: 1, clientId: ctx.clientId, authority: ctx.authority, ...request } };
}

/**
 * Step 2: the URL the identity platform redirected to (with `code` and `state`) and the `flow`
 * from step 1. Rejects with a typed error on `error=`, a wrong `state`, a missing `code` or a
 * malformed URL, before any request.
 */
export async function signInWithRedirect(ctx: FlowContext, redirectedUrl: string, flowValue: unknown): Promise<boolean> {
  const flow = validateFlow(flowValue, ctx);
  const { code, clientInfo } = readRedirect(redirectedUrl, flow);
  await ctx.cache.ensureLoaded();
  const app = await ctx.msal.application();
  const result = await ctx.msal.run('authorization_code', flow.scopes, async (correlationId) =>
    MsalClient.required(
      await app.acquireTokenByCode(
        {
          code,
          scopes: flow.scopes,
          redirectUri: flow.redirectUri,
          codeVerifier: flow.codeVerifier,
          state: flow.state,
          nonce: flow.nonce,
          correlationId,
        },
        { code, state: flow.state, nonce: flow.nonce, ...(clientInfo ? { client_info: clientInfo } : {}) },
      ),
      'authorization code',
    ),
  );
  await ctx.signedIn(result, flow.scopes);
  return true;
}
