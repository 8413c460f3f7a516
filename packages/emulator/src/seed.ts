import { X509Certificate } from 'node:crypto';

/**
 * The seed: tenants, their app registrations and their users. Plain JSON (the CLI reads it from
 * a file), described by these types.
 */

/**
 * A user of a tenant. Profile fields are what Graph returns for the user.
 *
 * @example
 * ```ts
 * const user: SeedUser = { id: '5c1b...', userPrincipalName: 'ada@contoso.onmicrosoft.com', password: 'pw', displayName: 'Ada' };
 * ```
 */
export interface SeedUser {
  /** Object id (a GUID). */
  id: string;
  userPrincipalName: string;
  /** The password accepted by the sign-in page and ROPC. */
  password: string;
  /** When true, interactive sign-in asks for a second factor and ROPC fails with AADSTS50076. */
  mfaRequired?: boolean;
  /** When false, sign-in fails with AADSTS50057. Default true. */
  accountEnabled?: boolean;
  displayName: string;
  givenName?: string | null;
  surname?: string | null;
  mail?: string | null;
  jobTitle?: string | null;
  officeLocation?: string | null;
  mobilePhone?: string | null;
  businessPhones?: string[];
  preferredLanguage?: string | null;
  department?: string | null;
}

/**
 * A federated identity credential of an app, as in Entra (Certificates & secrets > Federated
 * credentials): the issuer's tokens (signature checked against the JWKS its OpenID configuration
 * names) with this exact `sub` and one of the audiences are accepted as client assertions.
 * Entra requires an `https` issuer; the emulator also takes `http` on loopback, for test issuers.
 *
 * @example
 * ```ts
 * const fic: SeedFederatedIdentityCredential = {
 *   issuer: 'https://token.actions.githubusercontent.com',
 *   subject: 'repo:contoso/app:ref:refs/heads/main',
 * };
 * ```
 */
export interface SeedFederatedIdentityCredential {
  /** The issuer URL, compared exactly with the assertion's `iss`. */
  issuer: string;
  /** Compared exactly with the assertion's `sub`. */
  subject: string;
  /** Accepted `aud` values. Default `['api://AzureADTokenExchange']`. */
  audiences?: string[];
  name?: string;
}

/**
 * Delegated permissions consented for an app: for every user of the tenant (`users: '*'`, like
 * an admin consent) or for the listed users (ids or user principal names).
 *
 * @example
 * ```ts
 * const consent: SeedDelegatedConsent = { scopes: ['User.Read', 'offline_access'], users: '*' };
 * ```
 */
export interface SeedDelegatedConsent {
  /** Graph permission names (`User.Read`) and OpenID scopes (`openid`, `offline_access`, ...). */
  scopes: string[];
  users: '*' | string[];
}

/**
 * A web API an app exposes: its Application ID URI and delegated scopes. Clients need consent
 * for `${identifierUri}/${scope}` (in their `delegatedConsents`); tokens for it have
 * `aud` = the identifier URI and the scopes in `scp`.
 *
 * @example
 * ```ts
 * const api: SeedApi = { identifierUri: 'api://3b4c...', scopes: ['access_as_user'] };
 * ```
 */
export interface SeedApi {
  /** Application ID URI. Default `api://{clientId}`. */
  identifierUri?: string;
  /** Delegated scope names, e.g. `access_as_user`. */
  scopes: string[];
}

/**
 * An app registration.
 *
 * @example
 * ```ts
 * const app: SeedApp = { clientId: '1111...', displayName: 'My app', secrets: ['s3cret'], redirectUris: ['http://localhost'] };
 * ```
 */
export interface SeedApp {
  /** Application (client) id, a GUID. */
  clientId: string;
  displayName: string;
  /** Client secret values. A confidential app needs at least one secret or certificate. */
  secrets?: string[];
  /** PEM certificates whose private keys may sign client assertions. */
  certificates?: string[];
  /**
   * Federated identity credentials (workload identity federation): a token from one of these
   * issuers, for this subject and audience, is accepted as the app's client assertion.
   */
  federatedIdentityCredentials?: SeedFederatedIdentityCredential[];
  /**
   * Registered redirect URIs. `http://localhost` and `http://127.0.0.1` (with no path or `/`)
   * accept any port and any path, as Entra does for loopback on native apps.
   */
  redirectUris?: string[];
  /** A public client (no secret): device code, ROPC and auth code with PKCE without a secret. */
  publicClient?: boolean;
  /** Graph application permissions granted (admin-consented), e.g. `User.Read.All`. */
  applicationPermissions?: string[];
  /** Delegated permissions consented. */
  delegatedConsents?: SeedDelegatedConsent[];
  /**
   * A web API this app exposes (Entra's "Expose an API"): clients get tokens for it with scopes
   * `${identifierUri}/${scope}`, and the app can exchange such a token for a Graph token for the
   * same user (on-behalf-of).
   */
  api?: SeedApi;
  /** Access token lifetime in seconds. Default 3599. */
  accessTokenLifetimeSeconds?: number;
  /** Refresh token inactivity lifetime in seconds. Default 90 days. */
  refreshTokenLifetimeSeconds?: number;
}

/**
 * A managed identity of the tenant: the system-assigned one (`systemAssigned: true`, at most
 * one per emulator is used) or a user-assigned one, selectable by client id, resource id or
 * object id. Its tokens are app-only tokens with `oid` = `objectId`.
 *
 * @example
 * ```ts
 * const mi: SeedManagedIdentity = { clientId: '7a0c...', objectId: '2b9e...', resourceId: '/subscriptions/.../userAssignedIdentities/ci', applicationPermissions: ['User.Read.All'] };
 * ```
 */
export interface SeedManagedIdentity {
  /** Client (application) id, a GUID. */
  clientId: string;
  /** Object (principal) id of its service principal, a GUID. */
  objectId: string;
  /** Azure resource id of a user-assigned identity. */
  resourceId?: string;
  /** The system-assigned identity of the (emulated) host. */
  systemAssigned?: boolean;
  displayName?: string;
  /** Graph application permissions granted to it, e.g. `User.Read.All`. */
  applicationPermissions?: string[];
}

/**
 * A tenant (directory).
 *
 * @example
 * ```ts
 * const tenant: SeedTenant = { id: '5f3a...', domain: 'contoso.onmicrosoft.com', apps: [], users: [] };
 * ```
 */
export interface SeedTenant {
  /** Tenant id, a GUID. */
  id: string;
  /** Primary domain; the tenant can be addressed by it in authority URLs. */
  domain?: string;
  displayName?: string;
  apps: SeedApp[];
  users: SeedUser[];
  /** Managed identities served by the IMDS and App Service endpoints. */
  managedIdentities?: SeedManagedIdentity[];
}

/**
 * The whole seed. See the package README for the JSON form and the default seed.
 *
 * @example
 * ```ts
 * const emu = await startEmulator({ port: 0, seed: { tenants: [myTenant] } });
 * ```
 */
export interface EmulatorSeed {
  tenants: SeedTenant[];
}

/**
 * Thrown by `startEmulator` when a seed is inconsistent (duplicate ids, missing fields...).
 *
 * @example
 * ```ts
 * try { validateSeed(JSON.parse(text)); } catch (e) { if (e instanceof SeedError) console.error(e.message); }
 * ```
 */
export class SeedError extends Error {
  readonly code = 'EMULATOR_SEED_INVALID';
  constructor(message: string) {
    super(message);
    this.name = 'SeedError';
  }
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Checks a seed's shape and uniqueness rules; throws `SeedError` on the first problem.
 *
 * @example
 * ```ts
 * const seed: unknown = JSON.parse(await readFile('seed.json', 'utf8'));
 * validateSeed(seed); // seed is now an EmulatorSeed
 * ```
 */
export function validateSeed(seed: unknown): asserts seed is EmulatorSeed {
  const fail = (msg: string): never => {
    throw new SeedError(`invalid emulator seed: ${msg}`);
  };
  if (typeof seed !== 'object' || seed === null) fail('expected an object');
  const tenants = (seed as { tenants?: unknown }).tenants;
  if (!Array.isArray(tenants) || tenants.length === 0) fail('`tenants` must be a non-empty array');
  const tenantKeys = new Set<string>();
  const clientIds = new Set<string>();
  (tenants as unknown[]).forEach((t, ti) => {
    const tenant = t as Partial<SeedTenant>;
    const where = `tenants[${ti}]`;
    if (typeof tenant !== 'object' || tenant === null) fail(`${where} must be an object`);
    if (typeof tenant.id !== 'string' || !GUID.test(tenant.id)) fail(`${where}.id must be a GUID`);
    for (const key of [tenant.id, tenant.domain]) {
      if (key === undefined) continue;
      if (typeof key !== 'string') fail(`${where}.domain must be a string`);
      const k = (key as string).toLowerCase();
      if (tenantKeys.has(k)) fail(`${where}: duplicate tenant id or domain '${key as string}'`);
      tenantKeys.add(k);
    }
    if (!Array.isArray(tenant.apps)) fail(`${where}.apps must be an array`);
    if (!Array.isArray(tenant.users)) fail(`${where}.users must be an array`);
    const userKeys = new Set<string>();
    tenant.users!.forEach((u, ui) => {
      const w = `${where}.users[${ui}]`;
      if (typeof u !== 'object' || u === null) fail(`${w} must be an object`);
      if (typeof u.id !== 'string' || !GUID.test(u.id)) fail(`${w}.id must be a GUID`);
      if (typeof u.userPrincipalName !== 'string' || !u.userPrincipalName.includes('@'))
        fail(`${w}.userPrincipalName must be name@domain`);
      if (typeof u.password !== 'string') fail(`${w}.password must be a string`);
      if (typeof u.displayName !== 'string') fail(`${w}.displayName must be a string`);
      for (const k of [u.id.toLowerCase(), u.userPrincipalName.toLowerCase()]) {
        if (userKeys.has(k)) fail(`${w}: duplicate user id or userPrincipalName '${k}'`);
        userKeys.add(k);
      }
    });
    const mis = (tenant as { managedIdentities?: unknown }).managedIdentities;
    if (mis !== undefined && !Array.isArray(mis)) fail(`${where}.managedIdentities must be an array`);
    ((mis ?? []) as Partial<SeedManagedIdentity>[]).forEach((m, mi) => {
      const w = `${where}.managedIdentities[${mi}]`;
      if (typeof m !== 'object' || m === null) fail(`${w} must be an object`);
      if (typeof m.clientId !== 'string' || !GUID.test(m.clientId)) fail(`${w}.clientId must be a GUID`);
      if (typeof m.objectId !== 'string' || !GUID.test(m.objectId)) fail(`${w}.objectId must be a GUID`);
      if (m.resourceId !== undefined && typeof m.resourceId !== 'string') fail(`${w}.resourceId must be a string`);
      const perms = m.applicationPermissions;
      if (perms !== undefined && (!Array.isArray(perms) || perms.some((x) => typeof x !== 'string')))
        fail(`${w}.applicationPermissions must be an array of strings`);
    });
    tenant.apps!.forEach((a, ai) => {
      const w = `${where}.apps[${ai}]`;
      if (typeof a !== 'object' || a === null) fail(`${w} must be an object`);
      if (typeof a.clientId !== 'string' || !GUID.test(a.clientId)) fail(`${w}.clientId must be a GUID`);
      if (clientIds.has(a.clientId.toLowerCase())) fail(`${w}: duplicate clientId '${a.clientId}'`);
      clientIds.add(a.clientId.toLowerCase());
      if (typeof a.displayName !== 'string') fail(`${w}.displayName must be a string`);
      for (const field of ['secrets', 'certificates', 'redirectUris', 'applicationPermissions'] as const) {
        const v = a[field];
        if (v !== undefined && (!Array.isArray(v) || v.some((x) => typeof x !== 'string')))
          fail(`${w}.${field} must be an array of strings`);
      }
      for (const [ci, c] of (a.certificates ?? []).entries()) {
        if (!c.includes('-----BEGIN CERTIFICATE-----')) fail(`${w}.certificates must be PEM certificates`);
        try {
          new X509Certificate(c);
        } catch (cause) {
          fail(`${w}.certificates[${ci}] is not a readable X.509 certificate (${(cause as Error).message})`);
        }
      }
      const fics: unknown = a.federatedIdentityCredentials;
      if (fics !== undefined && !Array.isArray(fics)) fail(`${w}.federatedIdentityCredentials must be an array`);
      for (const [fi, f] of ((fics as SeedFederatedIdentityCredential[] | undefined) ?? []).entries()) {
        const fw = `${w}.federatedIdentityCredentials[${fi}]`;
        if (typeof f !== 'object' || f === null) fail(`${fw} must be an object`);
        if (!isIssuerUrl(f.issuer)) fail(`${fw}.issuer must be an https URL (or http on 127.0.0.1/localhost)`);
        if (typeof f.subject !== 'string' || f.subject === '') fail(`${fw}.subject must be a non-empty string`);
        if (f.audiences !== undefined && (!Array.isArray(f.audiences) || f.audiences.length === 0 || f.audiences.some((x) => typeof x !== 'string')))
          fail(`${fw}.audiences must be a non-empty array of strings`);
      }
      const api: unknown = a.api;
      if (api !== undefined) {
        if (typeof api !== 'object' || api === null) fail(`${w}.api must be an object { identifierUri?, scopes }`);
        const x = api as Partial<SeedApi>;
        if (x.identifierUri !== undefined && (typeof x.identifierUri !== 'string' || !/^[a-z][a-z0-9+.-]*:\/\/\S+$/i.test(x.identifierUri)))
          fail(`${w}.api.identifierUri must be a URI such as api://${a.clientId}`);
        if (!Array.isArray(x.scopes) || x.scopes.length === 0 || x.scopes.some((sc) => typeof sc !== 'string' || !/^[A-Za-z0-9._-]+$/.test(sc)))
          fail(`${w}.api.scopes must be a non-empty array of scope names (letters, digits, . _ -)`);
      }
      for (const [ci, c] of (a.delegatedConsents ?? []).entries()) {
        if (!Array.isArray(c.scopes) || (c.users !== '*' && !Array.isArray(c.users)))
          fail(`${w}.delegatedConsents[${ci}] needs scopes: string[] and users: '*' | string[]`);
      }
    });
  });
}

function isIssuerUrl(value: unknown): boolean {
  if (typeof value !== 'string') return false;
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || (url.protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname));
  } catch {
    return false;
  }
}
