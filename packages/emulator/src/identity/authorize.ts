import { randomUUID } from 'node:crypto';
import type { AppModel } from '../directory.js';
import {
  formParams,
  readCookie,
  sendHtml,
  sendRedirect,
  toParams,
  type Params,
  type RequestContext,
} from '../http-kit.js';
import type { SeedUser } from '../seed.js';
import type { EmulatorState } from '../state.js';
import { AAD_ERRORS, AadFailure, buildAadError, type AadCode } from './aad-errors.js';
import { resolveApp, resolveTenant } from './client-auth.js';
import { randomToken, type Amr, type AuthorizeRequest, type SignInTransaction } from './grants.js';
import { errorPage, formPostPage, mfaPage, signInPage } from './pages.js';
import { parseScopes } from './scopes.js';
import { grantedPermissions } from './token-issuer.js';
import { logText } from '../request-log.js';

/** Name of the session cookie, as Entra's. */
export const SESSION_COOKIE = 'ESTSAUTH';
const TRANSACTION_LIFETIME_MS = 60 * 60 * 1000;

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);
/** Path of the native-client redirect page. */
export const NATIVE_CLIENT_PATH = '/common/oauth2/nativeclient';
const MICROSOFT_NATIVE_CLIENT = `https://login.microsoftonline.com${NATIVE_CLIENT_PATH}`;

/**
 * Whether `uri` is a registered redirect URI of `app`. Loopback registrations (`http://localhost`,
 * `http://127.0.0.1`) match any port; with no path (or `/`) they also match any path.
 */
export function redirectUriAllowed(app: AppModel, uri: string, emulatorUrl?: string): boolean {
  // The emulator's own nativeclient page stands for Microsoft's, so clients that only change
  // their host keep working.
  if (emulatorUrl && uri === `${emulatorUrl}${NATIVE_CLIENT_PATH}` && (app.seed.redirectUris ?? []).includes(MICROSOFT_NATIVE_CLIENT)) {
    return true;
  }
  let target: URL;
  try {
    target = new URL(uri);
  } catch {
    return false;
  }
  for (const registered of app.seed.redirectUris ?? []) {
    if (registered === uri) return true;
    let r: URL;
    try {
      r = new URL(registered);
    } catch {
      continue;
    }
    if (r.protocol === 'http:' && LOOPBACK_HOSTS.has(r.hostname) && target.protocol === 'http:' && target.hostname === r.hostname) {
      if (r.pathname === '/' || r.pathname === '') return true;
      if (r.pathname === target.pathname) return true;
    }
  }
  return false;
}

/** Renders a platform error as the page Entra shows when it cannot redirect. */
function failPage(state: EmulatorState, ctx: RequestContext, failure: AadFailure): void {
  const answer = buildAadError(failure, { now: state.clock.now(), traceId: ctx.traceId, correlationId: ctx.correlationId, baseUrl: state.url });
  const description = answer.body.error_description.replace(/^AADSTS\d+: /, '');
  sendHtml(ctx, answer.status, errorPage(failure.aadCode, description));
}

/** Sends the authorization answer to the client's redirect URI in the requested response mode. */
function respond(ctx: RequestContext, areq: AuthorizeRequest, fields: Record<string, string>, headers: Record<string, string> = {}): void {
  const all: Record<string, string> = { ...fields };
  if (areq.state !== undefined) all['state'] = areq.state;
  if (areq.responseMode === 'form_post') {
    sendHtml(ctx, 200, formPostPage(areq.redirectUri, all), headers);
    return;
  }
  const url = new URL(areq.redirectUri);
  if (areq.responseMode === 'fragment') {
    url.hash = new URLSearchParams(all).toString();
  } else {
    for (const [k, val] of Object.entries(all)) url.searchParams.set(k, val);
  }
  sendRedirect(ctx, url.toString(), headers);
}

function redirectError(
  state: EmulatorState,
  ctx: RequestContext,
  areq: AuthorizeRequest,
  failure: AadFailure,
  errorOverride?: string,
): void {
  const answer = buildAadError(failure, { now: state.clock.now(), traceId: ctx.traceId, correlationId: ctx.correlationId, baseUrl: state.url });
  const fields: Record<string, string> = {
    error: errorOverride ?? answer.body.error,
    error_description: answer.body.error_description,
    error_uri: answer.body.error_uri,
  };
  if (answer.body.suberror) fields['suberror'] = answer.body.suberror;
  respond(ctx, areq, fields);
}

function isAadCode(code: number): code is AadCode {
  return code in AAD_ERRORS;
}

/** `GET|POST /{tenant}/oauth2/v2.0/authorize`. */
export function handleAuthorize(state: EmulatorState, ctx: RequestContext, tenantSegment: string): void {
  if (ctx.method === 'POST') {
    const params = formParams(ctx);
    if (params.has('ctx')) {
      handleSignInPost(state, ctx, params);
      return;
    }
    // A POSTed authorize request (response_mode form_post clients sometimes do this).
    startAuthorize(state, ctx, tenantSegment, params);
    return;
  }
  if (ctx.method !== 'GET') throw new AadFailure(900561, { allowed: 'GET, POST', method: ctx.method });
  startAuthorize(state, ctx, tenantSegment, toParams(ctx.url.searchParams));
}

function startAuthorize(state: EmulatorState, ctx: RequestContext, tenantSegment: string, q: Params): void {
  // Until the redirect URI is known to be registered, errors are shown, never redirected.
  let app: AppModel;
  let redirectUri: string;
  try {
    if (q.duplicates.length > 0) {
      throw new AadFailure(9002313, { reason: `Duplicate parameter '${q.duplicates[0] ?? ''}'.` });
    }
    const clientId = q.get('client_id');
    if (!clientId) throw new AadFailure(900144, { param: 'client_id' });
    ctx.log.clientId = logText(clientId);
    const tenant = resolveTenant(state, tenantSegment, clientId);
    app = resolveApp(tenant, clientId, tenantSegment);
    const requested = q.get('redirect_uri');
    const fallback = (app.seed.redirectUris ?? [])[0];
    redirectUri = requested ?? fallback ?? '';
    if (!redirectUri) throw new AadFailure(900971);
    if (!redirectUriAllowed(app, redirectUri, state.url)) {
      throw new AadFailure(50011, { redirectUri, clientId });
    }
  } catch (err) {
    if (err instanceof AadFailure) {
      failPage(state, ctx, err);
      return;
    }
    throw err;
  }
  const responseModeParam = q.get('response_mode');
  const responseMode: AuthorizeRequest['responseMode'] =
    responseModeParam === 'fragment' || responseModeParam === 'form_post' ? responseModeParam : 'query';
  // An unknown response_mode is AADSTS70007 (UnsupportedResponseMode), answered in the default mode.
  const badResponseMode = responseModeParam !== undefined && responseModeParam !== responseMode;
  const areq: AuthorizeRequest = {
    tenantId: app.tenant.id,
    tenantSegment,
    clientId: app.seed.clientId,
    redirectUri,
    scope: q.get('scope') ?? '',
    state: q.get('state'),
    nonce: q.get('nonce'),
    codeChallenge: q.get('code_challenge'),
    codeChallengeMethod: undefined,
    responseMode,
  };
  if (badResponseMode) {
    redirectError(state, ctx, areq, new AadFailure(70007, { responseMode: responseModeParam }));
    return;
  }
  const responseType = q.get('response_type');
  if (!responseType) {
    redirectError(state, ctx, areq, new AadFailure(900144, { param: 'response_type' }));
    return;
  }
  if (responseType.split(' ').sort().join(' ') !== 'code') {
    respond(ctx, areq, {
      error: 'unsupported_response_type',
      error_description: `AADSTS700054: response_type '${responseType}' is not enabled for the application.`,
    });
    return;
  }
  try {
    if (!areq.scope) throw new AadFailure(900144, { param: 'scope' });
    parseScopes(areq.scope, tenantSegment, state.directory);
  } catch (err) {
    if (err instanceof AadFailure) {
      redirectError(state, ctx, areq, err);
      return;
    }
    throw err;
  }
  if (areq.codeChallenge !== undefined) {
    const method = q.get('code_challenge_method') ?? 'plain';
    if (method !== 'S256' && method !== 'plain') {
      redirectError(state, ctx, areq, new AadFailure(9002313, { reason: `Unsupported code_challenge_method '${method}'.` }));
      return;
    }
    areq.codeChallengeMethod = method;
  }
  const prompt = q.get('prompt');
  const loginHint = q.get('login_hint');
  const sessionId = readCookie(ctx, SESSION_COOKIE);
  const session = sessionId ? state.grants.sessions.get(sessionId) : undefined;
  const sessionUser = session && session.tenantId === app.tenant.id ? state.directory.user(app.tenant, session.userId) : undefined;
  const hintMatches = !loginHint || (sessionUser && sessionUser.userPrincipalName.toLowerCase() === loginHint.toLowerCase());
  if (prompt === 'none') {
    if (!session || !sessionUser || !hintMatches) {
      redirectError(state, ctx, areq, new AadFailure(50058), 'login_required');
      return;
    }
    completeAuthorize(state, ctx, areq, app, sessionUser, session.amr, session.authTime, session.id);
    return;
  }
  const txn: SignInTransaction = { id: randomToken(24), createdAt: state.clock.now(), authorize: areq };
  state.grants.transactions.set(txn.id, txn);
  sendHtml(
    ctx,
    200,
    signInPage({ action: ctx.path, ctx: txn.id, appName: app.seed.displayName, login: loginHint ?? sessionUser?.userPrincipalName }),
  );
}

/** Looks up a live transaction, or answers with an error page. */
export function takeTransaction(state: EmulatorState, ctx: RequestContext, params: Params): SignInTransaction | undefined {
  const id = params.get('ctx') ?? '';
  const txn = state.grants.transactions.get(id);
  if (!txn || state.clock.now() - txn.createdAt > TRANSACTION_LIFETIME_MS) {
    failPage(state, ctx, new AadFailure(9002313, { reason: 'The sign-in session is unknown or has expired; start again.' }));
    return undefined;
  }
  return txn;
}

/**
 * Checks the credentials of a sign-in form. Returns the user, or undefined after re-rendering
 * the form with Entra's message.
 */
export function checkCredentials(
  state: EmulatorState,
  ctx: RequestContext,
  params: Params,
  txn: SignInTransaction,
  app: AppModel,
): SeedUser | undefined {
  const login = params.get('login') ?? '';
  const password = params.get('passwd') ?? '';
  const user = state.directory.user(app.tenant, login);
  let error: string | undefined;
  let code: number | undefined;
  if (!user || user.password !== password) {
    error = 'Your account or password is incorrect. If you don\'t remember your password, reset it now.';
    code = 50126;
  } else if (user.accountEnabled === false) {
    error = 'Your account has been locked. Contact your support person to unlock it, then try again.';
    code = 50057;
  }
  if (error) {
    sendHtml(ctx, 200, signInPage({ action: ctx.path, ctx: txn.id, appName: app.seed.displayName, login, error, errorCode: code }));
    return undefined;
  }
  return user;
}

function handleSignInPost(state: EmulatorState, ctx: RequestContext, params: Params): void {
  const txn = takeTransaction(state, ctx, params);
  if (!txn) return;
  const areq = txn.authorize;
  if (!areq) {
    failPage(state, ctx, new AadFailure(9002313, { reason: 'This sign-in belongs to the device login page.' }));
    return;
  }
  const app = state.directory.app(areq.clientId);
  if (!app) {
    failPage(state, ctx, new AadFailure(700016, { clientId: areq.clientId, tenant: areq.tenantSegment }));
    return;
  }
  if (txn.pendingUserId !== undefined) {
    const user = state.directory.user(app.tenant, txn.pendingUserId);
    state.grants.transactions.delete(txn.id);
    if (!user || params.get('mfa') !== 'approve') {
      redirectError(state, ctx, areq, new AadFailure(500121), 'access_denied');
      return;
    }
    completeAuthorize(state, ctx, areq, app, user, ['pwd', 'mfa'], state.clock.now());
    return;
  }
  if (params.get('action') === 'cancel') {
    state.grants.transactions.delete(txn.id);
    redirectError(state, ctx, areq, new AadFailure(65004));
    return;
  }
  const user = checkCredentials(state, ctx, params, txn, app);
  if (!user) return;
  if (user.mfaRequired) {
    txn.pendingUserId = user.id;
    sendHtml(ctx, 200, mfaPage({ action: ctx.path, ctx: txn.id, username: user.userPrincipalName }));
    return;
  }
  state.grants.transactions.delete(txn.id);
  completeAuthorize(state, ctx, areq, app, user, ['pwd'], state.clock.now());
}

function completeAuthorize(
  state: EmulatorState,
  ctx: RequestContext,
  areq: AuthorizeRequest,
  app: AppModel,
  user: SeedUser,
  amr: Amr,
  authTime: number,
  existingSessionId?: string,
): void {
  try {
    grantedPermissions(state, app, user, parseScopes(areq.scope, areq.tenantSegment, state.directory));
  } catch (err) {
    if (err instanceof AadFailure && isAadCode(err.aadCode)) {
      redirectError(state, ctx, areq, err, err.aadCode === 65001 ? 'consent_required' : undefined);
      return;
    }
    throw err;
  }
  const now = state.clock.now();
  let sessionId = existingSessionId;
  if (!sessionId) {
    sessionId = randomToken(24);
    state.grants.sessions.set(sessionId, {
      id: sessionId,
      tenantId: app.tenant.id,
      userId: user.id,
      authTime,
      amr,
      seq: state.grants.nextSeq(),
    });
  }
  const code = `1.AQ${randomToken(64)}`;
  state.grants.codes.set(code, {
    tenantId: app.tenant.id,
    clientId: app.seed.clientId,
    userId: user.id,
    redirectUri: areq.redirectUri,
    scope: areq.scope,
    codeChallenge: areq.codeChallenge,
    codeChallengeMethod: areq.codeChallengeMethod,
    nonce: areq.nonce,
    issuedAt: now,
    authTime,
    amr,
    redeemed: false,
    seq: state.grants.nextSeq(),
  });
  respond(
    ctx,
    areq,
    { code, session_state: randomUUID() },
    { 'Set-Cookie': `${SESSION_COOKIE}=${sessionId}; Path=/; Secure; HttpOnly; SameSite=None` },
  );
}
