import { randomUUID } from 'node:crypto';
import { sendJson, type RequestContext } from '../http-kit.js';
import { decodeJwt, verifyJwtSignature } from '../jwt.js';
import { isCaeCapable } from '../identity/client-capabilities.js';
import { accessTokenIssuer, pairwiseSubject } from '../identity/token-issuer.js';
import { GRAPH_APP_ID, GRAPH_RESOURCE } from '../identity/scopes.js';
import type { TenantModel } from '../directory.js';
import type { SeedUser } from '../seed.js';
import type { EmulatorState } from '../state.js';
import { compileFilter, compileOrderBy, ODataQueryError } from './odata-query.js';
import { logText } from '../request-log.js';

/** A Graph error answer, thrown inside handlers. */
export class GraphFailure extends Error {
  constructor(
    readonly status: number,
    readonly graphCode: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'GraphFailure';
  }
}

/** The caller, from a validated access token. */
interface Caller {
  tenant: TenantModel;
  appId: string;
  /** Delegated: the signed-in user. */
  user?: SeedUser;
  scopes: Set<string>;
  roles: Set<string>;
}

const DEFAULT_PROPERTIES = [
  'businessPhones',
  'displayName',
  'givenName',
  'jobTitle',
  'mail',
  'mobilePhone',
  'officeLocation',
  'preferredLanguage',
  'surname',
  'userPrincipalName',
  'id',
] as const;

const ALL_PROPERTIES = [...DEFAULT_PROPERTIES, 'accountEnabled', 'department'] as const;
const PROPERTY_BY_LOWER = new Map<string, string>(ALL_PROPERTIES.map((p) => [p.toLowerCase(), p]));
const resolveProperty = (name: string) => PROPERTY_BY_LOWER.get(name.toLowerCase());

const ME_SCOPES = ['User.Read', 'User.ReadWrite', 'User.ReadBasic.All', 'User.Read.All', 'User.ReadWrite.All', 'Directory.Read.All', 'Directory.ReadWrite.All', 'Directory.AccessAsUser.All'];
const USERS_SCOPES = ['User.ReadBasic.All', 'User.Read.All', 'User.ReadWrite.All', 'Directory.Read.All', 'Directory.ReadWrite.All', 'Directory.AccessAsUser.All'];
const USERS_ROLES = ['User.ReadBasic.All', 'User.Read.All', 'User.ReadWrite.All', 'Directory.Read.All', 'Directory.ReadWrite.All'];

const JSON_TYPE = 'application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8';

/** Headers on every Graph answer. */
export function graphHeaders(ctx: RequestContext): Record<string, string> {
  const requestId = ctx.traceId;
  return {
    'Content-Type': JSON_TYPE,
    'request-id': requestId,
    'client-request-id': ctx.clientRequestId ?? requestId,
    'x-ms-ags-diagnostic': JSON.stringify({ ServerInfo: { DataCenter: 'Emulator', Slice: 'E', Ring: '0', ScaleUnit: '000', RoleInstance: 'o365-emulator' } }),
    'OData-Version': '4.0',
    'Cache-Control': 'no-cache',
    'Strict-Transport-Security': 'max-age=31536000',
  };
}

/** Graph's error body. */
export function graphErrorBody(state: EmulatorState, ctx: RequestContext, code: string, message: string): unknown {
  return {
    error: {
      code,
      message,
      innerError: {
        date: new Date(state.clock.now()).toISOString().replace(/\.\d+Z$/, ''),
        'request-id': ctx.traceId,
        'client-request-id': ctx.clientRequestId ?? ctx.traceId,
      },
    },
  };
}

function unauthorized(state: EmulatorState, message: string): GraphFailure {
  return new GraphFailure(401, 'InvalidAuthenticationToken', message, {
    'WWW-Authenticate': `Bearer realm="", authorization_uri="${state.url}/common/oauth2/authorize", client_id="${GRAPH_APP_ID}"`,
  });
}

/**
 * Graph's answer to a CAE-capable token issued before a critical event: 401 with
 * `error="insufficient_claims"` and, base64-encoded, the claims a new token must satisfy
 * (`nbf` at the event), as Microsoft's "How to use Continuous Access Evaluation enabled APIs" shows.
 */
function claimsChallenge(state: EmulatorState, eventAt: number): GraphFailure {
  const claims = Buffer.from(JSON.stringify({ access_token: { nbf: { essential: true, value: String(Math.floor(eventAt / 1000)) } } })).toString('base64');
  return new GraphFailure(
    401,
    'InvalidAuthenticationToken',
    'Continuous access evaluation resulted in challenge with result: InteractionRequired and code: TokenIssuedBeforeRevocationTimestamp',
    {
      'WWW-Authenticate': `Bearer realm="", authorization_uri="${state.url}/common/oauth2/authorize", client_id="${GRAPH_APP_ID}", error="insufficient_claims", claims="${claims}"`,
    },
  );
}

function authenticate(state: EmulatorState, ctx: RequestContext): Caller {
  const header = ctx.req.headers.authorization;
  if (typeof header !== 'string' || header.trim() === '') throw unauthorized(state, 'Access token is empty.');
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!m?.[1]) throw unauthorized(state, 'Access token is empty.');
  let jwt;
  try {
    jwt = decodeJwt(m[1]);
  } catch {
    throw unauthorized(state, 'IDX14100: JWT is not well formed, there are no dots (.).\nThe token needs to be in JWS or JWE Compact Serialization Format.');
  }
  if (jwt.header['kid'] !== state.crypto.signing.kid || !verifyJwtSignature(jwt, state.crypto.signing.publicKey)) {
    throw unauthorized(state, 'Access token validation failure. Invalid signature.');
  }
  const p = jwt.payload;
  const aud = p['aud'];
  if (aud !== GRAPH_RESOURCE && aud !== `${GRAPH_RESOURCE}/` && aud !== GRAPH_APP_ID) {
    throw unauthorized(state, 'Access token validation failure. Invalid audience.');
  }
  const nowSec = state.clock.now() / 1000;
  const exp = typeof p['exp'] === 'number' ? p['exp'] : 0;
  const nbf = typeof p['nbf'] === 'number' ? p['nbf'] : 0;
  if (exp <= nowSec) throw unauthorized(state, 'Lifetime validation failed, the token is expired.');
  if (nbf > nowSec + 300) throw unauthorized(state, 'Lifetime validation failed, the token is not yet valid.');
  const tid = typeof p['tid'] === 'string' ? p['tid'] : '';
  const tenant = state.directory.tenant(tid);
  if (!tenant || p['iss'] !== accessTokenIssuer(tenant.id)) {
    throw unauthorized(state, 'Access token validation failure. Invalid issuer.');
  }
  const appId = typeof p['appid'] === 'string' ? p['appid'] : '';
  ctx.log.clientId = logText(appId);
  const split = (v: unknown) => new Set(typeof v === 'string' ? v.split(' ').filter(Boolean) : []);
  const roles = new Set(Array.isArray(p['roles']) ? (p['roles'] as unknown[]).filter((r): r is string => typeof r === 'string') : []);
  if (p['idtyp'] === 'app' || p['scp'] === undefined) {
    return { tenant, appId, scopes: new Set(), roles };
  }
  const user = typeof p['oid'] === 'string' ? state.directory.user(tenant, p['oid']) : undefined;
  if (!user) throw unauthorized(state, 'Access token validation failure. The user no longer exists.');
  // Continuous Access Evaluation: a CAE-capable token issued before the user's last critical event
  // gets a claims challenge. Tokens of clients that did not declare `cp1` stay valid until they
  // expire, as Entra documents (they are short-lived for that reason).
  const event = state.grants.caeEventAt(user.id);
  const iat = typeof p['iat'] === 'number' ? p['iat'] : 0;
  if (event !== undefined && isCaeCapable(p) && iat * 1000 < event) throw claimsChallenge(state, event);
  return { tenant, appId, user, scopes: split(p['scp']), roles };
}

function denied(): GraphFailure {
  return new GraphFailure(403, 'Authorization_RequestDenied', 'Insufficient privileges to complete the operation.');
}

function hasAny(set: Set<string>, names: string[]): boolean {
  return names.some((n) => set.has(n));
}

function userRecord(user: SeedUser): Record<string, unknown> {
  return {
    businessPhones: user.businessPhones ?? [],
    displayName: user.displayName,
    givenName: user.givenName ?? null,
    jobTitle: user.jobTitle ?? null,
    mail: user.mail ?? null,
    mobilePhone: user.mobilePhone ?? null,
    officeLocation: user.officeLocation ?? null,
    preferredLanguage: user.preferredLanguage ?? null,
    surname: user.surname ?? null,
    userPrincipalName: user.userPrincipalName,
    id: user.id,
    accountEnabled: user.accountEnabled !== false,
    department: user.department ?? null,
  };
}

function parseSelect(value: string | null): string[] | undefined {
  if (value === null) return undefined;
  const names = value.split(',').map((s) => s.trim()).filter(Boolean);
  if (names.length === 0) throw new GraphFailure(400, 'BadRequest', "Invalid $select: the list is empty.");
  return names.map((n) => {
    const p = resolveProperty(n);
    if (!p) throw new GraphFailure(400, 'BadRequest', `Could not find a property named '${n}' on type 'microsoft.graph.user'.`);
    return p;
  });
}

function project(record: Record<string, unknown>, select: string[] | undefined, version: string): Record<string, unknown> {
  const props = select ?? (version === 'beta' ? [...ALL_PROPERTIES] : [...DEFAULT_PROPERTIES]);
  const out: Record<string, unknown> = {};
  for (const p of props) out[p] = record[p];
  return out;
}

function context(state: EmulatorState, version: string, select: string[] | undefined, entity: boolean): string {
  const sel = select ? `(${select.join(',')})` : '';
  return `${state.url}/${version}/$metadata#users${sel}${entity ? '/$entity' : ''}`;
}

const KNOWN_QUERY_OPTIONS = new Set(['$select', '$filter', '$orderby', '$top', '$skiptoken', '$count', '$expand', '$search', '$format']);

function checkQueryOptions(ctx: RequestContext): void {
  for (const key of ctx.url.searchParams.keys()) {
    if (key.startsWith('$') && !KNOWN_QUERY_OPTIONS.has(key.toLowerCase())) {
      throw new GraphFailure(400, 'BadRequest', `Query option '${key}' is not supported.`);
    }
  }
  if (ctx.url.searchParams.has('$expand') || ctx.url.searchParams.has('$search')) {
    throw new GraphFailure(400, 'Request_UnsupportedQuery', 'The emulator does not support $expand or $search.');
  }
}

/** Answers `/v1.0/...` and `/beta/...`. */
export function handleGraph(state: EmulatorState, ctx: RequestContext): void {
  try {
    routeGraph(state, ctx);
  } catch (err) {
    if (err instanceof GraphFailure) {
      sendJson(ctx, err.status, graphErrorBody(state, ctx, err.graphCode, err.message), { ...graphHeaders(ctx), ...err.headers });
      return;
    }
    if (err instanceof ODataQueryError) {
      sendJson(ctx, 400, graphErrorBody(state, ctx, 'BadRequest', err.message), graphHeaders(ctx));
      return;
    }
    throw err;
  }
}

function routeGraph(state: EmulatorState, ctx: RequestContext): void {
  const segments = ctx.path.split('/').filter(Boolean).map((s) => {
    try {
      return decodeURIComponent(s);
    } catch {
      throw new GraphFailure(400, 'BadRequest', 'Invalid URL encoding.');
    }
  });
  const version = segments[0] ?? '';
  const rest = segments.slice(1);
  if (rest.length === 0) throw new GraphFailure(400, 'BadRequest', 'Invalid request: no resource segment.');
  const resource = rest[0]!.toLowerCase();
  if (resource !== 'me' && resource !== 'users') {
    throw new GraphFailure(400, 'BadRequest', `Resource not found for the segment '${rest[0]}'.`);
  }
  if (rest.length > 2 || (resource === 'me' && rest.length > 1)) {
    throw new GraphFailure(400, 'BadRequest', `Resource not found for the segment '${rest[rest.length - 1]}'.`);
  }
  if (ctx.method !== 'GET') {
    throw new GraphFailure(405, 'Request_BadRequest', 'Specified HTTP method is not allowed for the request target.', { Allow: 'GET' });
  }
  const caller = authenticate(state, ctx);
  checkQueryOptions(ctx);
  const select = parseSelect(ctx.url.searchParams.get('$select'));

  if (resource === 'me') {
    if (!caller.user) {
      throw new GraphFailure(400, 'BadRequest', '/me request is only valid with delegated authentication flow.');
    }
    if (!hasAny(caller.scopes, ME_SCOPES)) throw denied();
    sendEntity(state, ctx, version, select, caller.user);
    return;
  }
  const canList = caller.user ? hasAny(caller.scopes, USERS_SCOPES) : hasAny(caller.roles, USERS_ROLES);
  if (rest.length === 2) {
    const key = rest[1]!;
    const target = state.directory.user(caller.tenant, key);
    const self = caller.user && target && target.id === caller.user.id && hasAny(caller.scopes, ME_SCOPES);
    if (!canList && !self) throw denied();
    if (!target) {
      throw new GraphFailure(404, 'Request_ResourceNotFound', `Resource '${key}' does not exist or one of its queried reference-property objects are not present.`);
    }
    sendEntity(state, ctx, version, select, target);
    return;
  }
  if (!canList) throw denied();
  listUsers(state, ctx, version, select, caller.tenant);
}

function sendEntity(state: EmulatorState, ctx: RequestContext, version: string, select: string[] | undefined, user: SeedUser): void {
  sendJson(
    ctx,
    200,
    { '@odata.context': context(state, version, select, true), ...project(userRecord(user), select, version) },
    graphHeaders(ctx),
  );
}

function listUsers(state: EmulatorState, ctx: RequestContext, version: string, select: string[] | undefined, tenant: TenantModel): void {
  const q = ctx.url.searchParams;
  let records = tenant.users.map(userRecord);
  // Graph's "advanced query" rules for directory objects: some queries need both the
  // ConsistencyLevel header and $count=true.
  const advanced = String(ctx.req.headers['consistencylevel'] ?? '').toLowerCase() === 'eventual' && q.get('$count') === 'true';
  const filter = q.get('$filter');
  const orderBy = q.get('$orderby');
  if (filter !== null) {
    const compiled = compileFilter(filter, resolveProperty);
    const clause = compiled.advancedClauses[0];
    if (clause && !advanced) {
      throw new GraphFailure(400, 'Request_UnsupportedQuery', `Unsupported or invalid query filter clause specified for property '${clause}' of resource 'User'.`);
    }
    records = records.filter(compiled.predicate);
  }
  if (orderBy !== null) {
    const sort = compileOrderBy(orderBy, resolveProperty);
    if (filter !== null && !advanced) {
      throw new GraphFailure(400, 'Request_UnsupportedQuery', 'Sorting not supported for current query.');
    }
    records.sort(sort);
  }
  const topText = q.get('$top');
  let top = 100;
  if (topText !== null) {
    top = Number(topText);
    if (!/^\d+$/.test(topText) || top < 1 || top > 999) {
      throw new GraphFailure(400, 'Request_BadRequest', `Invalid page size specified: '${topText}'. Must be between 1 and 999 inclusive.`);
    }
  }
  let offset = 0;
  const skiptoken = q.get('$skiptoken');
  if (skiptoken !== null) {
    const decoded = decodeSkipToken(skiptoken);
    if (decoded === undefined) throw new GraphFailure(400, 'Request_BadRequest', 'Invalid $skiptoken value.');
    offset = decoded;
  }
  const page = records.slice(offset, offset + top);
  const body: Record<string, unknown> = { '@odata.context': context(state, version, select, false) };
  const countText = q.get('$count');
  if (countText !== null) {
    if (countText !== 'true' && countText !== 'false') throw new GraphFailure(400, 'BadRequest', "Invalid $count value; use 'true' or 'false'.");
    if (countText === 'true') {
      if (String(ctx.req.headers['consistencylevel'] ?? '').toLowerCase() !== 'eventual') {
        throw new GraphFailure(400, 'Request_BadRequest', "Count is not supported without the 'ConsistencyLevel: eventual' header.");
      }
      body['@odata.count'] = records.length;
    }
  }
  if (offset + top < records.length) {
    const next = new URLSearchParams();
    for (const [k, v] of q) if (k !== '$skiptoken') next.append(k, v);
    next.set('$skiptoken', encodeSkipToken(offset + top));
    // Graph writes the `$` of query options unescaped in its links.
    body['@odata.nextLink'] = `${state.url}/${version}/users?${next.toString().replace(/%24/g, '$')}`;
  }
  body['value'] = page.map((r) => project(r, select, version));
  sendJson(ctx, 200, body, graphHeaders(ctx));
}

function encodeSkipToken(offset: number): string {
  return `RFNwdAIAAQAAA${Buffer.from(JSON.stringify({ o: offset, n: randomUUID().slice(0, 8) })).toString('base64url')}`;
}

function decodeSkipToken(token: string): number | undefined {
  if (!token.startsWith('RFNwdAIAAQAAA')) return undefined;
  try {
    const value = JSON.parse(Buffer.from(token.slice(13), 'base64url').toString('utf8')) as { o?: unknown };
    return typeof value.o === 'number' && Number.isInteger(value.o) && value.o >= 0 ? value.o : undefined;
  } catch {
    return undefined;
  }
}

/** `GET /oidc/userinfo` (Graph hosts it): OpenID Connect claims of the signed-in user. */
export function handleUserInfo(state: EmulatorState, ctx: RequestContext): void {
  try {
    if (ctx.method !== 'GET' && ctx.method !== 'POST') {
      throw new GraphFailure(405, 'Request_BadRequest', 'Specified HTTP method is not allowed for the request target.', { Allow: 'GET, POST' });
    }
    const caller = authenticate(state, ctx);
    if (!caller.user) throw unauthorized(state, 'Access token validation failure. A user token is required.');
    const user = caller.user;
    const body: Record<string, unknown> = {
      sub: pairwiseSubject(user.id, caller.appId),
      name: user.displayName,
      family_name: user.surname ?? undefined,
      given_name: user.givenName ?? undefined,
    };
    if (user.mail) body['email'] = user.mail;
    sendJson(ctx, 200, body, graphHeaders(ctx));
  } catch (err) {
    if (err instanceof GraphFailure) {
      sendJson(ctx, err.status, graphErrorBody(state, ctx, err.graphCode, err.message), { ...graphHeaders(ctx), ...err.headers });
      return;
    }
    throw err;
  }
}
