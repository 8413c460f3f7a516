import { sendHtml, sendJson, sendRedirect, readCookie, type RequestContext } from '../http-kit.js';
import { MULTI_TENANT_SEGMENTS, type AppModel } from '../directory.js';
import { decodeJwt } from '../jwt.js';
import type { EmulatorState } from '../state.js';
import { AadFailure } from './aad-errors.js';
import { redirectUriAllowed, SESSION_COOKIE } from './authorize.js';
import { messagePage } from './pages.js';
import { v2Issuer } from './token-issuer.js';

/** The tenant id to print in endpoints: a GUID for real tenants, the segment for common/organizations. */
function endpointTenant(state: EmulatorState, segment: string): { path: string; issuer: string } {
  const lower = segment.toLowerCase();
  if (MULTI_TENANT_SEGMENTS.has(lower) && lower !== 'consumers') {
    return { path: lower, issuer: `${state.url}/{tenantid}/v2.0` };
  }
  const tenant = state.directory.tenant(segment);
  if (!tenant) throw new AadFailure(90002, { tenant: segment });
  return { path: tenant.id, issuer: v2Issuer(state, tenant.id) };
}

/** `GET /{tenant}/v2.0/.well-known/openid-configuration`. */
export function handleOpenIdConfiguration(state: EmulatorState, ctx: RequestContext, segment: string): void {
  const { path, issuer } = endpointTenant(state, segment);
  const base = `${state.url}/${path}`;
  const host = new URL(state.url).host;
  sendJson(
    ctx,
    200,
    {
      token_endpoint: `${base}/oauth2/v2.0/token`,
      token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
      jwks_uri: `${base}/discovery/v2.0/keys`,
      response_modes_supported: ['query', 'fragment', 'form_post'],
      subject_types_supported: ['pairwise'],
      id_token_signing_alg_values_supported: ['RS256'],
      response_types_supported: ['code'],
      scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
      issuer,
      request_uri_parameter_supported: false,
      userinfo_endpoint: `${state.url}/oidc/userinfo`,
      authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
      device_authorization_endpoint: `${base}/oauth2/v2.0/devicecode`,
      http_logout_supported: true,
      frontchannel_logout_supported: true,
      end_session_endpoint: `${base}/oauth2/v2.0/logout`,
      claims_supported: [
        'sub', 'iss', 'cloud_instance_name', 'cloud_instance_host_name', 'cloud_graph_host_name', 'msgraph_host',
        'aud', 'exp', 'iat', 'auth_time', 'acr', 'nonce', 'preferred_username', 'name', 'tid', 'ver', 'at_hash',
        'c_hash', 'email',
      ],
      code_challenge_methods_supported: ['plain', 'S256'],
      tenant_region_scope: 'NA',
      cloud_instance_name: host,
      cloud_graph_host_name: host,
      msgraph_host: host,
      rbac_url: state.url,
    },
    { 'Cache-Control': 'max-age=86400, private' },
  );
}

/** `GET /{tenant}/discovery/v2.0/keys` (and `/discovery/keys`). */
export function handleJwks(state: EmulatorState, ctx: RequestContext, segment: string): void {
  const { issuer } = endpointTenant(state, segment);
  const jwk = state.crypto.signing.publicKey.export({ format: 'jwk' });
  const der = state.crypto.signing.certificate
    .replace(/-----(BEGIN|END) CERTIFICATE-----/g, '')
    .replace(/\s+/g, '');
  sendJson(ctx, 200, {
    keys: [
      {
        kty: 'RSA',
        use: 'sig',
        kid: state.crypto.signing.kid,
        x5t: state.crypto.signing.x5t,
        n: jwk.n,
        e: jwk.e,
        x5c: [der],
        issuer,
      },
    ],
  });
}

/** `GET /common/discovery/instance?api-version=1.1&authorization_endpoint=...`. */
export function handleInstanceDiscovery(state: EmulatorState, ctx: RequestContext): void {
  const host = new URL(state.url).host;
  const endpoint = ctx.url.searchParams.get('authorization_endpoint');
  let tenant = 'common';
  if (endpoint) {
    let parsed: URL | undefined;
    try {
      parsed = new URL(endpoint);
    } catch {
      parsed = undefined;
    }
    if (!parsed || parsed.host.toLowerCase() !== host) {
      throw new AadFailure(50049);
    }
    tenant = parsed.pathname.split('/').filter(Boolean)[0] ?? 'common';
  }
  sendJson(ctx, 200, {
    tenant_discovery_endpoint: `${state.url}/${tenant}/v2.0/.well-known/openid-configuration`,
    'api-version': '1.1',
    metadata: [{ preferred_network: host, preferred_cache: host, aliases: [host] }],
  });
}

/**
 * Where logout may send the browser: Entra only redirects to a `post_logout_redirect_uri` that is
 * a registered redirect URI of the app (named by `client_id`, or by the `aud` of `id_token_hint`;
 * without either, of any app of the tenant). Anything else gets the signed-out page, so the
 * endpoint is no open redirect. The URL is re-serialised, which drops control characters.
 */
function logoutTarget(state: EmulatorState, ctx: RequestContext, segment: string): string | undefined {
  const target = ctx.url.searchParams.get('post_logout_redirect_uri');
  if (!target) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(target);
  } catch {
    return undefined;
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return undefined;
  let clientId = ctx.url.searchParams.get('client_id') ?? undefined;
  const hint = ctx.url.searchParams.get('id_token_hint');
  if (!clientId && hint) {
    try {
      const aud = decodeJwt(hint).payload['aud'];
      if (typeof aud === 'string') clientId = aud;
    } catch {
      // An unreadable hint names no app.
    }
  }
  let apps: AppModel[];
  if (clientId) {
    const app = state.directory.app(clientId);
    apps = app ? [app] : [];
  } else {
    const lower = segment.toLowerCase();
    const tenants = MULTI_TENANT_SEGMENTS.has(lower) ? state.directory.tenants : [state.directory.tenant(segment)];
    apps = tenants.flatMap((t) => (t ? [...t.apps.values()] : []));
  }
  return apps.some((a) => redirectUriAllowed(a, target, state.url)) ? parsed.href : undefined;
}

/** `GET /{tenant}/oauth2/v2.0/logout`: ends the browser session. */
export function handleLogout(state: EmulatorState, ctx: RequestContext, segment: string): void {
  const sid = readCookie(ctx, SESSION_COOKIE);
  if (sid) state.grants.sessions.delete(sid);
  const clear = { 'Set-Cookie': `${SESSION_COOKIE}=; Path=/; Secure; HttpOnly; SameSite=None; Max-Age=0` };
  const target = logoutTarget(state, ctx, segment);
  if (target) {
    sendRedirect(ctx, target, clear);
    return;
  }
  sendHtml(ctx, 200, messagePage('You signed out of your account', 'It\'s a good idea to close all browser windows.', 'signed-out'), clear);
}
