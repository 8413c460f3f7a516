import { formParams, rejectDuplicates, sendHtml, sendJson, type RequestContext } from '../http-kit.js';
import type { SeedUser } from '../seed.js';
import type { EmulatorState } from '../state.js';
import { AadFailure } from './aad-errors.js';
import { checkCredentials, takeTransaction } from './authorize.js';
import { resolveApp, resolveTenant } from './client-auth.js';
import { randomToken, randomUserCode, type Amr, type DeviceAuthorization } from './grants.js';
import { deviceCodePage, messagePage, mfaPage, signInPage } from './pages.js';
import { parseScopes } from './scopes.js';
import { tokenHeaders } from './token-endpoint.js';
import { logText } from '../request-log.js';

/** Path of the device-login page. */
export const DEVICE_LOGIN_PATH = '/devicelogin';

/** `POST /{tenant}/oauth2/v2.0/devicecode`. */
export function handleDeviceCode(state: EmulatorState, ctx: RequestContext, tenantSegment: string): void {
  if (ctx.method !== 'POST') throw new AadFailure(900561, { allowed: 'POST, OPTIONS', method: ctx.method });
  const params = formParams(ctx);
  rejectDuplicates(params);
  const clientId = params.get('client_id');
  if (!clientId) throw new AadFailure(900144, { param: 'client_id' });
  ctx.log.clientId = logText(clientId);
  const tenant = resolveTenant(state, tenantSegment, clientId);
  const app = resolveApp(tenant, clientId, tenantSegment);
  const scope = params.get('scope');
  if (!scope) throw new AadFailure(900144, { param: 'scope' });
  parseScopes(scope, tenantSegment, state.directory);
  const now = state.clock.now();
  const { deviceCodeInterval: interval, deviceCodeExpiresIn: expiresIn } = state.settings;
  let userCode = randomUserCode();
  while (state.grants.userCodes.has(userCode)) userCode = randomUserCode();
  const device: DeviceAuthorization = {
    deviceCode: `DAQABAAEAAAD${randomToken(64)}`,
    userCode,
    tenantId: tenant.id,
    clientId: app.seed.clientId,
    scope,
    issuedAt: now,
    expiresAt: now + expiresIn * 1000,
    interval,
    lastPollAt: undefined,
    state: 'pending',
  };
  state.grants.deviceCodes.set(device.deviceCode, device);
  state.grants.userCodes.set(userCode, device.deviceCode);
  const verificationUri = `${state.url}${DEVICE_LOGIN_PATH}`;
  sendJson(
    ctx,
    200,
    {
      user_code: userCode,
      device_code: device.deviceCode,
      verification_uri: verificationUri,
      expires_in: expiresIn,
      interval,
      message: `To sign in, use a web browser to open the page ${verificationUri} and enter the code ${userCode} to authenticate.`,
    },
    tokenHeaders(ctx),
  );
}

function findPending(state: EmulatorState, rawCode: string): DeviceAuthorization | 'expired' | undefined {
  const code = rawCode.replace(/[\s-]/g, '').toUpperCase();
  const deviceCode = state.grants.userCodes.get(code);
  const device = deviceCode ? state.grants.deviceCodes.get(deviceCode) : undefined;
  if (!device || device.state !== 'pending') return undefined;
  if (state.clock.now() >= device.expiresAt) return 'expired';
  return device;
}

function approve(state: EmulatorState, device: DeviceAuthorization, user: SeedUser, amr: Amr): void {
  device.state = 'approved';
  device.userId = user.id;
  device.amr = amr;
  device.authTime = state.clock.now();
}

/** `GET|POST /devicelogin`: code entry, then sign-in (and second factor), or decline. */
export function handleDeviceLogin(state: EmulatorState, ctx: RequestContext): void {
  if (ctx.method === 'GET') {
    sendHtml(ctx, 200, deviceCodePage({ action: DEVICE_LOGIN_PATH }));
    return;
  }
  if (ctx.method !== 'POST') throw new AadFailure(900561, { allowed: 'GET, POST', method: ctx.method });
  const params = formParams(ctx);
  const otc = params.get('otc');
  if (otc !== undefined) {
    const found = findPending(state, otc);
    if (found === undefined || found === 'expired') {
      const error =
        found === 'expired'
          ? 'That code has expired. Please generate a new code on your device and try again.'
          : "That code didn't work. Check the code and try again.";
      sendHtml(ctx, 200, deviceCodePage({ action: DEVICE_LOGIN_PATH, error }));
      return;
    }
    const app = state.directory.app(found.clientId);
    const txn = { id: randomToken(24), createdAt: state.clock.now(), deviceCode: found.deviceCode };
    state.grants.transactions.set(txn.id, txn);
    sendHtml(ctx, 200, signInPage({ action: DEVICE_LOGIN_PATH, ctx: txn.id, appName: app?.seed.displayName ?? found.clientId }));
    return;
  }
  const txn = takeTransaction(state, ctx, params);
  if (!txn) return;
  const device = txn.deviceCode ? state.grants.deviceCodes.get(txn.deviceCode) : undefined;
  const app = device ? state.directory.app(device.clientId) : undefined;
  if (!device || !app || device.state !== 'pending' || state.clock.now() >= device.expiresAt) {
    state.grants.transactions.delete(txn.id);
    sendHtml(ctx, 400, messagePage('Code expired', 'This code is no longer valid. Start again on your device.', 'expired'));
    return;
  }
  if (txn.pendingUserId !== undefined) {
    state.grants.transactions.delete(txn.id);
    const user = state.directory.user(app.tenant, txn.pendingUserId);
    if (!user || params.get('mfa') !== 'approve') {
      device.state = 'declined';
      sendHtml(ctx, 200, messagePage('Sign in denied', 'The sign-in was not approved.', 'declined'));
      return;
    }
    approve(state, device, user, ['pwd', 'mfa']);
    sendHtml(ctx, 200, signedInPage(app.seed.displayName));
    return;
  }
  if (params.get('action') === 'cancel') {
    state.grants.transactions.delete(txn.id);
    device.state = 'declined';
    sendHtml(ctx, 200, messagePage('Sign in canceled', 'You have declined to sign in to the application on your device.', 'declined'));
    return;
  }
  const user = checkCredentials(state, ctx, params, txn, app);
  if (!user) return;
  if (user.mfaRequired) {
    txn.pendingUserId = user.id;
    sendHtml(ctx, 200, mfaPage({ action: DEVICE_LOGIN_PATH, ctx: txn.id, username: user.userPrincipalName }));
    return;
  }
  state.grants.transactions.delete(txn.id);
  approve(state, device, user, ['pwd']);
  sendHtml(ctx, 200, signedInPage(app.seed.displayName));
}

function signedInPage(appName: string): string {
  return messagePage(
    'You have signed in',
    `You have signed in to the ${appName} application on your device. You may now close this window.`,
    'signed-in',
  );
}

/**
 * Thrown by `emu.deviceCodes.approve`/`decline` for an unknown code or wrong credentials.
 *
 * @example
 * ```ts
 * expect(() => emu.deviceCodes.decline('NOPE')).toThrow(DeviceCodeError);
 * ```
 */
export class DeviceCodeError extends Error {
  readonly code = 'EMULATOR_DEVICE_CODE';
  constructor(message: string) {
    super(message);
    this.name = 'DeviceCodeError';
  }
}

/** Programmatic approval (a shortcut for the device-login page). */
export function approveDeviceCode(
  state: EmulatorState,
  userCode: string,
  credentials: { username: string; password: string },
): void {
  const device = findPending(state, userCode);
  if (!device || device === 'expired') throw new DeviceCodeError('no pending device code with that user code');
  const app = state.directory.app(device.clientId);
  const user = app ? state.directory.user(app.tenant, credentials.username) : undefined;
  if (!user || user.password !== credentials.password) throw new DeviceCodeError('wrong username or password');
  approve(state, device, user, user.mfaRequired ? ['pwd', 'mfa'] : ['pwd']);
}

/** Programmatic decline. */
export function declineDeviceCode(state: EmulatorState, userCode: string): void {
  const device = findPending(state, userCode);
  if (!device || device === 'expired') throw new DeviceCodeError('no pending device code with that user code');
  device.state = 'declined';
}
