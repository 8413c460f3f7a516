import { formParams, rejectDuplicates, sendJson, type Params, type RequestContext } from '../http-kit.js';
import { s256 } from '../jwt.js';
import type { EmulatorState } from '../state.js';
import { AadFailure, aadTimestamp } from './aad-errors.js';
import { authenticateClient, basicCredentials, resolveApp, resolveTenant } from './client-auth.js';
import { checkUserCanSignIn } from './sign-in.js';
import { parseScopes } from './scopes.js';
import { issueAppToken, issueUserTokens } from './token-issuer.js';
import { clientCapabilitiesOf } from './client-capabilities.js';
import { verifyOnBehalfOfAssertion } from './on-behalf-of.js';
import { logText } from '../request-log.js';

const DEVICE_CODE_GRANTS = new Set(['urn:ietf:params:oauth:grant-type:device_code', 'device_code']);
const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const GRANTS = new Set(['client_credentials', 'authorization_code', 'refresh_token', 'password', JWT_BEARER, ...DEVICE_CODE_GRANTS]);

function required(params: Params, name: string): string {
  const value = params.get(name);
  if (value === undefined || value === '') throw new AadFailure(900144, { param: name });
  return value;
}

/** Headers Entra's token endpoint sends. */
export function tokenHeaders(ctx: RequestContext): Record<string, string> {
  const h: Record<string, string> = {
    'Cache-Control': 'no-store, no-cache',
    Pragma: 'no-cache',
    'x-ms-request-id': ctx.traceId,
    'x-ms-ests-server': 'o365-emulator',
  };
  if (ctx.clientRequestId) h['client-request-id'] = ctx.clientRequestId;
  return h;
}

/** `POST /{tenant}/oauth2/v2.0/token`. */
export function handleToken(state: EmulatorState, ctx: RequestContext, tenantSegment: string): void {
  if (ctx.method !== 'POST') throw new AadFailure(900561, { allowed: 'POST, OPTIONS', method: ctx.method });
  const params = formParams(ctx);
  rejectDuplicates(params);
  const grantType = required(params, 'grant_type');
  ctx.log.grantType = logText(grantType);
  if (!GRANTS.has(grantType)) throw new AadFailure(70003, { grantType });
  // ROPC needs a directory to check the password against: Entra refuses it on /common and
  // /consumers (AADSTS9001023) and accepts /organizations and tenant ids.
  const lowerTenant = tenantSegment.toLowerCase();
  if (grantType === 'password' && (lowerTenant === 'common' || lowerTenant === 'consumers')) {
    throw new AadFailure(9001023);
  }
  const clientId = params.get('client_id') ?? basicCredentials(ctx)?.clientId;
  if (!clientId) throw new AadFailure(900144, { param: 'client_id' });
  ctx.log.clientId = logText(clientId);
  const tenant = resolveTenant(state, tenantSegment, clientId);
  const app = resolveApp(tenant, clientId, tenantSegment);
  const basicId = basicCredentials(ctx)?.clientId;
  if (basicId !== undefined && basicId.toLowerCase() !== clientId.toLowerCase()) {
    throw new AadFailure(9002313, { reason: 'client_id does not match the HTTP Basic credentials.' });
  }
  const clientInfo = params.get('client_info') === '1';
  const clientCapabilities = clientCapabilitiesOf(params.get('claims'));
  const now = state.clock.now();
  let body;

  if (grantType === 'client_credentials') {
    const auth = authenticateClient(state, ctx, params, app, tenant);
    // A public client has no credential, so it cannot act as itself.
    if (app.isPublic) throw new AadFailure(7000218);
    const scopeText = required(params, 'scope');
    const scopes = parseScopes(scopeText, tenantSegment, state.directory);
    if (!scopes.isDefault || scopes.oidc.size > 0) {
      throw new AadFailure(1002012, { scope: scopeText });
    }
    body = issueAppToken(state, tenant, app, scopes, auth);
  } else if (grantType === 'password') {
    const auth = authenticateClient(state, ctx, params, app, tenant);
    const username = required(params, 'username');
    const password = required(params, 'password');
    const scopeText = required(params, 'scope');
    const scopes = parseScopes(scopeText, tenantSegment, state.directory);
    const user = state.directory.user(tenant, username);
    if (!user || user.password !== password) throw new AadFailure(50126);
    checkUserCanSignIn(user);
    if (user.mfaRequired) throw new AadFailure(50076, { resource: scopes.audience });
    body = issueUserTokens(state, {
      tenant, app, user, scopes, scopeText, auth, amr: ['pwd'], authTime: now, clientInfo, clientCapabilities,
    });
  } else if (grantType === 'authorization_code') {
    const code = required(params, 'code');
    const redirectUri = required(params, 'redirect_uri');
    const auth = authenticateClient(state, ctx, params, app, tenant);
    const grant = state.grants.codes.get(code);
    if (!grant || grant.clientId.toLowerCase() !== app.seed.clientId.toLowerCase() || grant.tenantId !== tenant.id) {
      throw new AadFailure(70000, { param: 'code', reason: 'The code is unknown or was issued to another client.' });
    }
    if (grant.redeemed) throw new AadFailure(54005);
    // Any redemption attempt burns the code, failed ones included: codes are single-use.
    grant.redeemed = true;
    if (now - grant.issuedAt > 600_000) throw new AadFailure(70008, { issued: aadTimestamp(grant.issuedAt) });
    if (redirectUri !== grant.redirectUri) {
      throw new AadFailure(500112, { redirectUri, expected: grant.redirectUri });
    }
    if (grant.codeChallenge !== undefined) {
      const verifier = params.get('code_verifier');
      const computed = verifier === undefined ? undefined : grant.codeChallengeMethod === 'plain' ? verifier : s256(verifier);
      if (computed !== grant.codeChallenge) throw new AadFailure(501481);
    }
    const user = state.directory.user(tenant, grant.userId);
    if (!user) throw new AadFailure(70000, { param: 'code', reason: 'The user no longer exists.' });
    if (state.grants.isRevoked(user.id, grant.seq)) {
      throw new AadFailure(70008, { issued: aadTimestamp(grant.issuedAt) });
    }
    const scopeText = params.get('scope') || grant.scope;
    const scopes = parseScopes(scopeText, tenantSegment, state.directory);
    body = issueUserTokens(state, {
      tenant, app, user, scopes, scopeText, auth, amr: grant.amr, authTime: grant.authTime, nonce: grant.nonce, clientInfo, clientCapabilities,
    });
  } else if (grantType === JWT_BEARER) {
    // On-behalf-of: a web API exchanges its caller's token for a token to a downstream API.
    if (required(params, 'requested_token_use') !== 'on_behalf_of') {
      throw new AadFailure(70003, { grantType: `${grantType} without requested_token_use=on_behalf_of` });
    }
    const auth = authenticateClient(state, ctx, params, app, tenant);
    if (app.isPublic) throw new AadFailure(7000218);
    const caller = verifyOnBehalfOfAssertion(state, required(params, 'assertion'), app, tenant);
    const scopeText = required(params, 'scope');
    const scopes = parseScopes(scopeText, tenantSegment, state.directory);
    body = issueUserTokens(state, {
      tenant, app, user: caller.user, scopes, scopeText, auth, amr: caller.amr, authTime: caller.authTime, clientInfo, clientCapabilities,
    });
  } else if (grantType === 'refresh_token') {
    const token = required(params, 'refresh_token');
    const auth = authenticateClient(state, ctx, params, app, tenant);
    const grant = state.grants.refreshTokens.get(token);
    // Entra answers a refresh token it cannot read with AADSTS9002313 as `invalid_grant`
    // (MicrosoftDocs/azure-docs#63819), which clients treat as "sign in again".
    if (!grant) {
      throw new AadFailure(9002313, { reason: 'The refresh token is malformed or unknown.' }, { error: 'invalid_grant' });
    }
    if (grant.clientId.toLowerCase() !== app.seed.clientId.toLowerCase() || grant.tenantId !== tenant.id) {
      throw new AadFailure(70000, { param: 'refresh_token', reason: 'The refresh token was issued to another client.' });
    }
    const revoked = state.grants.isRevoked(grant.userId, grant.seq);
    if (revoked) {
      throw new AadFailure(50173, { issued: aadTimestamp(grant.issuedAt), validFrom: aadTimestamp(revoked.at) });
    }
    if (now - grant.issuedAt > app.refreshTokenLifetime * 1000) {
      const days = (app.refreshTokenLifetime / 86400).toFixed(2);
      throw new AadFailure(700082, { issued: aadTimestamp(grant.issuedAt), inactive: `${days} days` });
    }
    const user = state.directory.user(tenant, grant.userId);
    if (!user) throw new AadFailure(70000, { param: 'refresh_token', reason: 'The user no longer exists.' });
    checkUserCanSignIn(user);
    const scopeText = params.get('scope') || grant.scope;
    const scopes = parseScopes(scopeText, tenantSegment, state.directory);
    // Entra hands out a new refresh token each time; earlier ones stay valid until they expire.
    scopes.oidc.add('offline_access');
    body = issueUserTokens(state, {
      tenant, app, user, scopes, scopeText, auth, amr: grant.amr, authTime: grant.authTime, clientInfo, clientCapabilities,
    });
  } else {
    const deviceCode = required(params, 'device_code');
    const auth = authenticateClient(state, ctx, params, app, tenant);
    const device = state.grants.deviceCodes.get(deviceCode);
    // "The device_code sent to the /token endpoint wasn't recognized": `bad_verification_code`
    // (Microsoft identity platform and the OAuth 2.0 device authorization grant flow, expected errors).
    if (!device || device.clientId.toLowerCase() !== app.seed.clientId.toLowerCase() || device.tenantId !== tenant.id) {
      throw new AadFailure(70018);
    }
    if (device.state === 'redeemed') throw new AadFailure(54005);
    if (now >= device.expiresAt) throw new AadFailure(70019);
    if (device.state === 'declined') throw new AadFailure(70020);
    if (device.state === 'pending') {
      const last = device.lastPollAt;
      device.lastPollAt = now;
      // A small tolerance: clients sleep `interval` between polls and timers may fire a hair early.
      if (last !== undefined && now - last < device.interval * 1000 - 250) {
        throw new AadFailure(70021, { interval: String(device.interval) });
      }
      throw new AadFailure(70016);
    }
    const user = device.userId ? state.directory.user(tenant, device.userId) : undefined;
    if (!user) throw new AadFailure(70000, { param: 'device_code' });
    const scopeText = params.get('scope') || device.scope;
    const scopes = parseScopes(scopeText, tenantSegment, state.directory);
    device.state = 'redeemed';
    body = issueUserTokens(state, {
      tenant, app, user, scopes, scopeText, auth, amr: device.amr ?? ['pwd'], authTime: device.authTime ?? now, clientInfo, clientCapabilities,
    });
  }
  sendJson(ctx, 200, body, tokenHeaders(ctx));
}
