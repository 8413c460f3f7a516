/**
 * msal-node's `AccountInfo` of one cached account, built from the account entry core already
 * parsed. msal-node's own route, `getTokenCache().getAllAccounts()`, rebuilds its token key index
 * once per account of the cache (quadratic in msal-node 7.2: seconds at 1,000 users) and copies
 * the whole cache on the way in and out; this reads one account entry and its ID token.
 *
 * It mirrors msal-common's `getAccountInfo` + `updateAccountTenantProfileData` for the first
 * tenant profile, which is what `getAllAccounts()` lists first for the account; a test compares
 * both on caches msal-node wrote.
 */
import type { AccountInfo } from '@azure/msal-node';
import type { CacheEntry, CacheJson } from './cache-format.js';

type IdTokenClaims = NonNullable<AccountInfo['idTokenClaims']>;
type TenantProfile = NonNullable<AccountInfo['tenantProfiles']> extends Map<string, infer P> ? P : never;

const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

function homeTenantOf(tenantId: string | undefined, homeAccountId: string): boolean {
  return !!tenantId && !!homeAccountId && tenantId === homeAccountId.split('.')[1];
}

/** msal-common's `buildTenantProfile`. */
function tenantProfileOf(
  homeAccountId: string,
  localAccountId: string,
  tenantId: string,
  nativeAccountId: string | undefined,
  claims?: IdTokenClaims,
): TenantProfile & { upn?: string; nativeAccountId?: string } {
  const native = nativeAccountId ? { nativeAccountId } : {};
  if (!claims) return { tenantId, localAccountId, username: '', isHomeTenant: homeTenantOf(tenantId, homeAccountId), ...native };
  const c = claims as Record<string, unknown>;
  const tid = str(c['tid']) || str(c['tfp']) || str(c['acr']) || '';
  return {
    tenantId: tid,
    localAccountId: str(c['oid']) || str(c['sub']) || '',
    name: str(c['name']),
    username: str(c['preferred_username']) || str(c['upn']) || '',
    loginHint: str(c['login_hint']),
    isHomeTenant: homeTenantOf(tid, homeAccountId),
    upn: str(c['upn']),
    ...native,
  } as TenantProfile & { upn?: string };
}

function decodeClaims(jwt: string): IdTokenClaims | undefined {
  const payload = jwt.split('.')[1];
  if (payload === undefined) return undefined;
  try {
    const claims: unknown = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    return claims !== null && typeof claims === 'object' && !Array.isArray(claims) ? (claims as IdTokenClaims) : undefined;
  } catch {
    return undefined;
  }
}

/** The one ID token of the account for this client and realm (msal-node ignores ambiguous ones). */
function idTokenOf(cache: CacheJson, account: AccountInfo, clientId: string, realm: string): string | undefined {
  const wantedClient = clientId.toLowerCase();
  let found: string | undefined;
  let count = 0;
  for (const entry of Object.values(cache['IdToken'] ?? {})) {
    if (
      entry['home_account_id'] === account.homeAccountId &&
      entry['environment'] === account.environment &&
      str(entry['client_id'])?.toLowerCase() === wantedClient &&
      entry['realm'] === realm
    ) {
      count += 1;
      found = str(entry['secret']);
    }
  }
  return count === 1 ? found : undefined;
}

function tenantProfilesOf(entry: CacheEntry): Array<TenantProfile & { nativeAccountId?: string }> {
  const raw = entry['tenantProfiles'];
  if (!Array.isArray(raw)) return [];
  const profiles: Array<TenantProfile & { nativeAccountId?: string }> = [];
  for (const item of raw) {
    try {
      const parsed: unknown = typeof item === 'string' ? JSON.parse(item) : item;
      if (parsed !== null && typeof parsed === 'object') profiles.push(parsed as TenantProfile);
    } catch {
      // msal-node would fail on it; the refresh does not need it.
    }
  }
  return profiles;
}

/**
 * The `AccountInfo` msal-node would list first for `homeAccountId`, or `undefined` when the cache
 * holds no account entry for it.
 *
 * @example
 * ```ts
 * const info = accountInfoOf(store.cache, account.homeAccountId, clientId);
 * if (info) await app.acquireTokenSilent({ account: info, scopes, forceRefresh: true });
 * ```
 */
export function accountInfoOf(cache: CacheJson, homeAccountId: string, clientId: string): AccountInfo | undefined {
  const entry = Object.values(cache['Account'] ?? {}).find((e) => e['home_account_id'] === homeAccountId);
  if (entry === undefined) return undefined;
  const realm = str(entry['realm']) ?? '';
  const localAccountId = str(entry['local_account_id']) ?? '';
  const profiles = tenantProfilesOf(entry);
  if (profiles.length === 0 && realm && localAccountId) {
    profiles.push(tenantProfileOf(homeAccountId, localAccountId, realm, str(entry['native_account_id'])));
  }
  const home = profiles.find((p) => p.tenantId === realm);
  const base: AccountInfo = {
    homeAccountId,
    environment: str(entry['environment']) ?? '',
    tenantId: realm,
    username: str(entry['username']) ?? '',
    localAccountId,
    loginHint: undefined,
    name: str(entry['name']),
    nativeAccountId: home?.nativeAccountId || str(entry['native_account_id']),
    authorityType: str(entry['authority_type']),
    tenantProfiles: new Map(profiles.map((p) => [p.tenantId, p])),
    dataBoundary: undefined,
  } as AccountInfo;
  const profile = profiles[0];
  if (profile === undefined) return base;
  // eslint-disable-next-line @typescript-eslint/no-unused-vars -- msal drops the profile's isHomeTenant
  const { isHomeTenant, ...override } = profile;
  let info: AccountInfo = { ...base, ...override };
  const idToken = idTokenOf(cache, info, clientId, profile.tenantId);
  const claims = idToken === undefined ? undefined : decodeClaims(idToken);
  if (claims === undefined) return info;
  const { isHomeTenant: _home, ...fromClaims } = tenantProfileOf(base.homeAccountId, base.localAccountId, base.tenantId, info.nativeAccountId, claims);
  const signinState = (claims as Record<string, unknown>)['signin_state'];
  const kmsi = Array.isArray(signinState) && signinState.some((v) => typeof v === 'string' && ['kmsi', 'dvc_dmjd'].includes(v.trim().toLowerCase()));
  info = { ...info, ...fromClaims, idTokenClaims: claims, idToken, kmsi } as AccountInfo;
  return info;
}
