/**
 * What a stored token cache holds, read without a network call and without any token leaving the
 * function: who is signed in, until when the access tokens are valid, whether a refresh token is
 * there. For status screens (`o365 status`) and health checks.
 */
import type { TokenBackend } from '../backends/token-backend.js';
import { describeBackend } from '../backends/backend-contract.js';
import { listAccounts, parseCache, type CacheEntry, type CacheJson } from './cache-format.js';

/** One signed-in user of a cache, as {@link summarizeTokenCache} reports it. */
export interface TokenCacheUserSummary {
  username: string;
  homeAccountId: string;
  /** Latest expiry (epoch ms) of this client's access tokens for the user, if any is stored. */
  accessTokenExpiresOn?: number;
  /** Whether a refresh token this client can use is stored for the user. */
  refreshToken: boolean;
}

/** What {@link summarizeTokenCache} resolves with. */
export interface TokenCacheSummary {
  /** Delegated sign-ins, in the order the cache lists them. */
  users: TokenCacheUserSummary[];
  /** Latest expiry (epoch ms) of this client's app-only access tokens, if any is stored. */
  appAccessTokenExpiresOn?: number;
  /** The backend's version of the data read, when it reports one. */
  version?: string;
}

/**
 * Reads a token backend and summarises what it holds for one client id: no network call, no
 * token in the result. Resolves `undefined` when nothing is stored; a corrupted cache rejects with
 * the same `TokenBackendError` an `Account` would give (and leaves the data in place).
 *
 * @example
 * ```ts
 * import { FileSystemTokenBackend, summarizeTokenCache } from '@o365/core';
 * const summary = await summarizeTokenCache(new FileSystemTokenBackend({ tokenPath: './tokens' }), { clientId });
 * for (const user of summary?.users ?? []) {
 *   console.log(user.username, user.refreshToken ? 'can refresh' : 'must sign in again');
 * }
 * ```
 */
export async function summarizeTokenCache(backend: TokenBackend, options: { clientId: string }): Promise<TokenCacheSummary | undefined> {
  const stored = await backend.load();
  if (stored === undefined) return undefined;
  const cache = parseCache(stored.data, describeBackend(backend));
  const clientId = options.clientId.toLowerCase();
  const forClient = (entry: CacheEntry): boolean => typeof entry['client_id'] === 'string' && entry['client_id'].toLowerCase() === clientId;
  const accessTokens = entries(cache, 'AccessToken').filter(forClient);
  const refreshTokens = entries(cache, 'RefreshToken');
  const users = listAccounts(cache).map((account): TokenCacheUserSummary => {
    const own = (entry: CacheEntry): boolean => entry['home_account_id'] === account.homeAccountId;
    const expiresOn = latestExpiry(accessTokens.filter(own));
    return {
      username: account.username,
      homeAccountId: account.homeAccountId,
      ...(expiresOn !== undefined ? { accessTokenExpiresOn: expiresOn } : {}),
      // Family refresh tokens (`family_id`) serve every client of the family, as msal uses them.
      refreshToken: refreshTokens.some((entry) => own(entry) && (forClient(entry) || Boolean(entry['family_id']))),
    };
  });
  const appExpiresOn = latestExpiry(accessTokens.filter((entry) => !entry['home_account_id']));
  return {
    users,
    ...(appExpiresOn !== undefined ? { appAccessTokenExpiresOn: appExpiresOn } : {}),
    ...(stored.version !== undefined ? { version: stored.version } : {}),
  };
}

function entries(cache: CacheJson, section: string): CacheEntry[] {
  return Object.values(cache[section] ?? {});
}

function latestExpiry(tokens: CacheEntry[]): number | undefined {
  const times = tokens.map((entry) => Number(entry['expires_on']) * 1000).filter((ms) => Number.isFinite(ms) && ms > 0);
  return times.length > 0 ? Math.max(...times) : undefined;
}
