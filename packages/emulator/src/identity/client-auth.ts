import { timingSafeEqual } from 'node:crypto';
import { realNow } from '../clock.js';
import { MULTI_TENANT_SEGMENTS, type AppModel, type TenantModel } from '../directory.js';
import type { Params, RequestContext } from '../http-kit.js';
import { decodeJwt, JwtFormatError, verifyJwtSignature } from '../jwt.js';
import type { EmulatorState } from '../state.js';
import { AadFailure } from './aad-errors.js';
import { isFederatedAssertion, verifyFederatedAssertion } from './federation.js';
import type { ClientAuthKind } from './token-issuer.js';

export const JWT_BEARER_ASSERTION = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/** Allowed difference between the client's clock and ours for assertion times. */
const ASSERTION_SKEW_SECONDS = 300;

/**
 * The tenant named by the path segment. `common` and `organizations` resolve to the app's
 * tenant (every seeded app is single-tenant). Unknown tenants give AADSTS90002.
 */
export function resolveTenant(state: EmulatorState, segment: string, clientId: string | undefined): TenantModel {
  const lower = segment.toLowerCase();
  if (MULTI_TENANT_SEGMENTS.has(lower)) {
    if (lower === 'consumers') throw new AadFailure(90002, { tenant: segment });
    const app = clientId ? state.directory.app(clientId) : undefined;
    if (app) return app.tenant;
    const first = state.directory.tenants[0];
    if (!first) throw new AadFailure(90002, { tenant: segment });
    return first;
  }
  const tenant = state.directory.tenant(segment);
  if (!tenant) throw new AadFailure(90002, { tenant: segment });
  return tenant;
}

/** The app registered under `clientId` in `tenant`; AADSTS700016 otherwise. */
export function resolveApp(tenant: TenantModel, clientId: string, tenantLabel: string): AppModel {
  const app = tenant.apps.get(clientId.toLowerCase());
  if (!app) throw new AadFailure(700016, { clientId, tenant: tenantLabel });
  return app;
}

/** The client id and secret of an HTTP Basic header (`client_secret_basic`). */
export function basicCredentials(ctx: RequestContext): { clientId: string; secret: string } | undefined {
  const header = ctx.req.headers.authorization;
  if (typeof header !== 'string' || !/^basic /i.test(header)) return undefined;
  const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) throw new AadFailure(9002313, { reason: 'Malformed HTTP Basic credentials.' });
  try {
    return {
      clientId: decodeURIComponent(decoded.slice(0, colon)),
      secret: decodeURIComponent(decoded.slice(colon + 1)),
    };
  } catch {
    throw new AadFailure(9002313, { reason: 'Malformed HTTP Basic credentials.' });
  }
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * Authenticates the client of a token request: secret (body or Basic) or certificate-signed
 * assertion for confidential apps, nothing for public apps.
 */
export function authenticateClient(
  state: EmulatorState,
  ctx: RequestContext,
  params: Params,
  app: AppModel,
  tenant: TenantModel,
): ClientAuthKind {
  const basic = basicCredentials(ctx);
  const secret = params.get('client_secret') ?? basic?.secret;
  const assertion = params.get('client_assertion');
  const assertionType = params.get('client_assertion_type');
  if (secret !== undefined && assertion !== undefined) {
    throw new AadFailure(9002313, { reason: "Only one of 'client_secret' and 'client_assertion' may be sent." });
  }
  if (app.isPublic) {
    if (secret !== undefined || assertion !== undefined) throw new AadFailure(700025);
    return '0';
  }
  if (secret !== undefined) {
    const ok = (app.seed.secrets ?? []).some((s) => safeEqual(s, secret));
    if (!ok) throw new AadFailure(7000215, { clientId: app.seed.clientId });
    return '1';
  }
  if (assertion !== undefined) {
    if (assertionType !== JWT_BEARER_ASSERTION) {
      throw new AadFailure(9002313, {
        reason: `client_assertion_type must be '${JWT_BEARER_ASSERTION}'.`,
      });
    }
    verifyAssertion(state, assertion, app, tenant);
    return '2';
  }
  throw new AadFailure(7000218);
}

function verifyAssertion(state: EmulatorState, assertion: string, app: AppModel, tenant: TenantModel): void {
  let jwt;
  try {
    jwt = decodeJwt(assertion);
  } catch (cause) {
    const reason = cause instanceof JwtFormatError ? cause.message : 'malformed';
    throw new AadFailure(700027, { reason: `The client assertion is not a well-formed JWT (${reason}).` });
  }
  if (isFederatedAssertion(jwt, app.seed.clientId)) {
    verifyFederatedAssertion(state, jwt, app);
    return;
  }
  const x5t = typeof jwt.header['x5t'] === 'string' ? jwt.header['x5t'] : undefined;
  const x5t256 = typeof jwt.header['x5t#S256'] === 'string' ? jwt.header['x5t#S256'] : undefined;
  const toHex = (b64: string) => Buffer.from(b64, 'base64url').toString('hex').toUpperCase();
  const cert = app.certificates.find(
    (c) => (x5t256 !== undefined && toHex(x5t256) === c.sha256) || (x5t !== undefined && toHex(x5t) === c.sha1),
  );
  if (!cert) {
    const used = x5t256 ? toHex(x5t256) : x5t ? toHex(x5t) : 'none';
    throw new AadFailure(700027, {
      reason: `The key was not found., Thumbprint of key used by client: '${used}'. Please visit the Azure Portal, Graph Explorer or directly use MS Graph to see configured keys for app Id '${app.seed.clientId}'.`,
    });
  }
  if (!verifyJwtSignature(jwt, cert.publicKey)) {
    throw new AadFailure(700027, { reason: 'The signature of the client assertion is invalid.' });
  }
  const p = jwt.payload;
  if (p['iss'] !== app.seed.clientId || p['sub'] !== app.seed.clientId) {
    throw new AadFailure(700021);
  }
  const aud = typeof p['aud'] === 'string' ? p['aud'] : '';
  if (!acceptedAudience(state, aud, tenant)) {
    throw new AadFailure(700027, { reason: `The audience '${aud}' is invalid.` });
  }
  // The assertion was made with the client's clock, which `clock.advance` cannot move: it is
  // valid if valid by either real time or emulator time.
  const exp = typeof p['exp'] === 'number' ? p['exp'] : NaN;
  const nbf = typeof p['nbf'] === 'number' ? p['nbf'] : typeof p['iat'] === 'number' ? p['iat'] : 0;
  if (!Number.isFinite(exp)) throw new AadFailure(700024, { reason: 'The assertion has no exp claim.' });
  const validAt = (nowSec: number) => exp + ASSERTION_SKEW_SECONDS > nowSec && nbf - ASSERTION_SKEW_SECONDS <= nowSec;
  if (!validAt(realNow() / 1000) && !validAt(state.clock.now() / 1000)) {
    throw new AadFailure(700024, { reason: `Current time is outside [nbf ${nbf}, exp ${exp}].` });
  }
}

function acceptedAudience(state: EmulatorState, aud: string, tenant: TenantModel): boolean {
  const names = [tenant.id, tenant.seed.domain, 'common', 'organizations'].filter(Boolean) as string[];
  const ok = new Set<string>();
  for (const n of names) {
    ok.add(`${state.url}/${n}/oauth2/v2.0/token`.toLowerCase());
    ok.add(`${state.url}/${n}/oauth2/token`.toLowerCase());
    ok.add(`${state.url}/${n}/v2.0`.toLowerCase());
  }
  return ok.has(aud.toLowerCase().replace(/\/+$/, ''));
}
