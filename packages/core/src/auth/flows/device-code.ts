import { randomUUID } from 'node:crypto';
import type { AuthenticationResult } from '@azure/msal-node';
import { AuthenticationError } from '../../errors.js';
import { abortReason, throwIfAborted } from '../../abort.js';
import type { AbortSignalLike } from '../../token-credential.js';
import { mapAuthError } from '../error-mapping.js';
import { loadMsal } from '../load-msal.js';
import { MsalClient } from '../msal-client.js';
import type { FlowContext } from './flow-context.js';

/**
 * What the device code callback receives.
 *
 * @example
 * ```ts
 * await account.authenticate({ deviceCodeCallback: (info: DeviceCodeInfo) => console.log(`Go to ${info.verificationUri} and enter ${info.userCode}`) });
 * ```
 */
export interface DeviceCodeInfo {
  /** The code the person types at `verificationUri`. */
  userCode: string;
  verificationUri: string;
  /** Seconds until the code expires. */
  expiresIn: number;
  /** Microsoft's ready-to-print instruction. */
  message: string;
}

/**
 * Device code grant. Resolves `null` when the person declined (or the code expired unused);
 * rejects with a typed error otherwise.
 */
export async function requestDeviceCodeToken(
msal: MsalClient,
scopes: string[],
  onCode: (info: DeviceCodeInfo) => void | Promise<void>,
  options: { timeoutSeconds?: number; signal?: AbortSignalLike } = {},
): Promise<AuthenticationResult | null> {
  throwIfAborted(options.signal);
  const app = await msal.application();
  if (!(app instanceof (await loadMsal()).PublicClientApplication)) {
    throw new AuthenticationError('The device code flow needs a public client: new Account([clientId], { authFlowType: "device" })');
  }
  const correlationId = randomUUID();
  let callbackError: unknown;
  const request = {
    scopes,
    correlationId,
    cancel: false,
    ...(options.timeoutSeconds ? { timeout: options.timeoutSeconds } : {}),
    deviceCodeCallback: (response: { userCode: string; verificationUri: string; expiresIn: number; message: string }) => {
      // The callback is synchronous for msal-node; a failing or rejecting callback cancels polling.
      try {
        const done = onCode({
          userCode: response.userCode,
          verificationUri: response.verificationUri,
          expiresIn: response.expiresIn,
          message: response.message,
        });
        if (done && typeof (done as Promise<void>).catch === 'function') {
          (done as Promise<void>).catch((error: unknown) => {
            callbackError = error;
            request.cancel = true;
          });
        }
      } catch (error) {
        callbackError = error;
        request.cancel = true;
      }
    },
  };
  // msal-node checks `cancel` between polls: an abort stops the polling at the next interval.
  const onAbort = (): void => {
    request.cancel = true;
  };
  options.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const result = await app.acquireTokenByDeviceCode(request);
    if (callbackError !== undefined) throw callbackError;
    return MsalClient.required(result, 'device code');
  } catch (error) {
    if (options.signal?.aborted) throw abortReason(options.signal);
    if (callbackError !== undefined) {
      throw new AuthenticationError('The device code callback failed; sign-in cancelled', { cause: callbackError });
    }
    const failure = msal.failureOf(correlationId);
    const msalError = error as { errorCode?: string; errorMessage?: string };
    const codes = [failure?.body?.error, msalError.errorCode, msalError.errorMessage];
    if (codes.some((c) => c === 'authorization_declined' || c === 'expired_token' || c === 'device_code_expired')) {
      return null;
    }
    throw mapAuthError(error, 'device_code', failure, { clientId: msal.clientId, authority: msal.authority, scopes });
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
  }
}

/**
 * Device code sign-in: `onCode` shows the code and URL to the person. Resolves `false` when the
 * person declined or let the code expire.
 */
export async function signInWithDeviceCode(
  ctx: FlowContext,
  requestedScopes: readonly string[] | undefined,
  onCode: (info: DeviceCodeInfo) => void | Promise<void>,
  options: { timeoutSeconds?: number; signal?: AbortSignalLike },
): Promise<boolean> {
  const scopes = ctx.resolveScopes(requestedScopes);
  await ctx.cache.ensureLoaded();
  const result = await requestDeviceCodeToken(ctx.msal, scopes, onCode, options);
  if (result === null) {
    ctx.logger.info('device code sign-in declined or expired');
    return false;
  }
  await ctx.signedIn(result, scopes);
  return true;
}
