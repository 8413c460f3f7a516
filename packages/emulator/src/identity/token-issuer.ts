import { createHash, randomUUID } from 'node:crypto';
import type { AppModel, TenantModel } from '../directory.js';
import { signJwt } from '../jwt.js';
import type { SeedUser } from '../seed.js';
import type { EmulatorState } from '../state.js';
import { AadFailure } from './aad-errors.js';
import { randomToken, type Amr } from './grants.js';
import { formatPermissions, GRAPH_APP_ID, GRAPH_PERMISSIONS, type ParsedScopes } from './scopes.js';

/** `appidacr`: how the client authenticated (0 public, 1 secret, 2 certificate). */
export type ClientAuthKind = '0' | '1' | '2';

/** The JSON the token endpoint answers with on success. */
export interface TokenResponseBody {
  token_type: 'Bearer';
  scope?: string;
  expires_in: number;
  ext_expires_in: number;
  access_token: string;
  refresh_token?: string;
  id_token?: string;
  client_info?: string;
}

const GRAPH_PERMISSION_SET = new Set<string>(GRAPH_PERMISSIONS);

/** `iss` of the v1 access tokens Graph receives. */
export function accessTokenIssuer(tenantId: string): string {
  return `https://sts.windows.net/${tenantId}/`;
}

/** `iss` of v2 ID tokens and of the OpenID configuration. */
export function v2Issuer(state: EmulatorState, tenantId: string): string {
  return `${state.url}/${tenantId}/v2.0`;
}

function seconds(ms: number): number {
  return Math.floor(ms / 1000);
}

function opaque(prefix: string): string {
  return `${prefix}${randomToken(9)}`;
}

function signingHeader(state: EmulatorState): Record<string, unknown> {
  return { kid: state.crypto.signing.kid, x5t: state.crypto.signing.x5t };
}

/** Issues an app-only (client credentials) access token. */
export function issueAppToken(
  state: EmulatorState,
  tenant: TenantModel,
  app: AppModel,
  scopes: ParsedScopes,
  auth: ClientAuthKind,
): TokenResponseBody {
  const now = state.clock.now();
  const iat = seconds(now);
  const exp = iat + app.accessTokenLifetime;
  const claims: Record<string, unknown> = {
    aud: scopes.audience,
    iss: accessTokenIssuer(tenant.id),
    iat,
    nbf: iat,
    exp,
    aio: opaque('E2'),
    app_displayname: app.seed.displayName,
    appid: app.seed.clientId,
    appidacr: auth,
    idp: accessTokenIssuer(tenant.id),
    idtyp: 'app',
    oid: app.servicePrincipalId,
    rh: opaque('0.A'),
    sub: app.servicePrincipalId,
    tenant_region_scope: 'NA',
    tid: tenant.id,
    uti: randomToken(16),
    ver: '1.0',
    xms_tcdt: iat - 3600 * 24 * 365,
  };
  const roles = app.applicationPermissions.filter((p) => GRAPH_PERMISSION_SET.has(p));
  if (roles.length > 0) claims['roles'] = roles;
  return {
    token_type: 'Bearer',
    expires_in: app.accessTokenLifetime,
    ext_expires_in: app.accessTokenLifetime,
    access_token: signJwt(claims, state.crypto.signing.privateKey, signingHeader(state)),
  };
}

/** Inputs of a delegated token issue. */
export interface UserTokenRequest {
  tenant: TenantModel;
  app: AppModel;
  user: SeedUser;
  scopes: ParsedScopes;
  /** The original scope text, remembered with the refresh token. */
  scopeText: string;
  auth: ClientAuthKind;
  amr: Amr;
  authTime: number;
  nonce?: string | undefined;
  clientInfo: boolean;
  /** What the client declared in `claims` (`cp1`: it handles CAE claims challenges). */
  clientCapabilities?: string[];
}

/**
 * The Graph permissions a user token carries: every consented one (Entra puts all consented
 * permissions of the resource in `scp`, not only those requested). Throws AADSTS65001 when a
 * requested permission is not consented.
 */
export function grantedPermissions(state: EmulatorState, app: AppModel, user: SeedUser, scopes: ParsedScopes): string[] {
  const consented = state.directory.consentedScopes(app, user);
  if (scopes.api) {
    // A web API of the directory: consent is given for `${identifierUri}/${scope}`.
    const { resource } = scopes.api;
    const consentedHere = resource.scopes.filter((sc) => consented.has(`${resource.identifierUri}/${sc}`.toLowerCase()));
    const missingHere = scopes.api.scopes.filter((sc) => !consentedHere.includes(sc));
    if (missingHere.length > 0 || consentedHere.length === 0) {
      throw new AadFailure(65001, { clientId: app.seed.clientId, appName: app.seed.displayName });
    }
    return consentedHere;
  }
  const missing = scopes.permissions.filter((p) => !consented.has(p));
  const graph = GRAPH_PERMISSIONS.filter((p) => consented.has(p));
  if (missing.length > 0 || (scopes.isDefault && graph.length === 0)) {
    throw new AadFailure(65001, { clientId: app.seed.clientId, appName: app.seed.displayName });
  }
  return graph;
}

/** Issues access, ID and refresh tokens for a user. */
export function issueUserTokens(state: EmulatorState, r: UserTokenRequest): TokenResponseBody {
  const { tenant, app, user, scopes } = r;
  const permissions = grantedPermissions(state, app, user, scopes);
  const now = state.clock.now();
  const iat = seconds(now);
  const exp = iat + app.accessTokenLifetime;
  const upn = user.userPrincipalName;
  const access: Record<string, unknown> = {
    aud: scopes.audience,
    iss: accessTokenIssuer(tenant.id),
    iat,
    nbf: iat,
    exp,
    acct: 0,
    acr: '1',
    aio: opaque('AVQAq/8'),
    amr: r.amr,
    app_displayname: app.seed.displayName,
    appid: app.seed.clientId,
    appidacr: r.auth,
    family_name: user.surname ?? undefined,
    given_name: user.givenName ?? undefined,
    idtyp: 'user',
    ipaddr: '127.0.0.1',
    name: user.displayName,
    oid: user.id,
    platf: '3',
    puid: createHash('sha256').update(user.id).digest('hex').slice(0, 16).toUpperCase(),
    rh: opaque('0.A'),
    scp: permissions.join(' '),
    sid: randomUUID(),
    sub: pairwiseSubject(user.id, scopes.api?.resource.clientId ?? GRAPH_APP_ID),
    tenant_region_scope: 'NA',
    tid: tenant.id,
    unique_name: upn,
    upn,
    uti: randomToken(16),
    ver: '1.0',
    xms_st: { sub: pairwiseSubject(user.id, app.seed.clientId) },
    xms_tcdt: iat - 3600 * 24 * 365,
  };
  // Entra's optional claim `xms_cc`: the client capabilities it declared (CAE-capable with `cp1`).
  if (r.clientCapabilities?.includes('cp1')) access['xms_cc'] = ['cp1'];
  const body: TokenResponseBody = {
    token_type: 'Bearer',
    scope: responseScope(scopes, permissions),
    expires_in: app.accessTokenLifetime,
    ext_expires_in: app.accessTokenLifetime,
    access_token: signJwt(access, state.crypto.signing.privateKey, signingHeader(state)),
  };
  if (scopes.oidc.has('offline_access')) {
    const token = `1.AQ${randomToken(96)}`;
    state.grants.refreshTokens.set(token, {
      tenantId: tenant.id,
      clientId: app.seed.clientId,
      userId: user.id,
      scope: r.scopeText,
      issuedAt: now,
      authTime: r.authTime,
      amr: r.amr,
      seq: state.grants.nextSeq(),
    });
    body.refresh_token = token;
  }
  if (scopes.oidc.has('openid')) {
    const idClaims: Record<string, unknown> = {
      aud: app.seed.clientId,
      iss: v2Issuer(state, tenant.id),
      iat,
      nbf: iat,
      exp: iat + 3600,
      aio: opaque('AVQAq/8'),
      auth_time: seconds(r.authTime),
      name: user.displayName,
      nonce: r.nonce,
      oid: user.id,
      preferred_username: upn,
      rh: opaque('0.A'),
      sid: randomUUID(),
      sub: pairwiseSubject(user.id, app.seed.clientId),
      tid: tenant.id,
      uti: randomToken(16),
      ver: '2.0',
    };
    if (scopes.oidc.has('email') && user.mail) idClaims['email'] = user.mail;
    body.id_token = signJwt(idClaims, state.crypto.signing.privateKey, signingHeader(state));
  }
  if (r.clientInfo) {
    body.client_info = Buffer.from(JSON.stringify({ uid: user.id, utid: tenant.id })).toString('base64url');
  }
  return body;
}

function responseScope(scopes: ParsedScopes, permissions: string[]): string {
  const out = formatPermissions(permissions, scopes.resourcePrefix);
  if (scopes.isDefault && scopes.resourcePrefix) out.push(`${scopes.resourcePrefix}/.default`);
  for (const s of ['openid', 'profile', 'email']) if (scopes.oidc.has(s)) out.push(s);
  return out.join(' ');
}

/** Entra's `sub` is pairwise: stable per user and app, different across apps. */
export function pairwiseSubject(userId: string, appId: string): string {
  return createHash('sha256').update(`${userId.toLowerCase()}|${appId.toLowerCase()}`).digest('base64url').slice(0, 43);
}
