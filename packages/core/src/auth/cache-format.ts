/**
 * MSAL's unified token cache JSON (the format python-o365 2.1 / MSAL Python / msal-node store):
 * parsing and validation, the three-way merge used when another process wrote first, and the
 * read-only lookups of the hot path.
 */
import { TokenBackendError } from '../errors.js';
import { LegacyTokenFormatError } from '../errors.js';
import { validateCache } from './cache-schema.js';

/** One cache entry; MSAL's fields are snake_case strings. */
export type CacheEntry = Record<string, unknown>;
/** The five sections of the unified cache (plus any unknown ones, kept untouched). */
export type CacheJson = Record<string, Record<string, CacheEntry>>;

export const SECTIONS = ['AccessToken', 'RefreshToken', 'IdToken', 'Account', 'AppMetadata'] as const;

/** Where the data came from, for error messages (never its content). */
export interface CacheSource {
  backend: string;
  location?: string;
}

/**
 * Parses stored data into the unified cache. Rejects with {@link LegacyTokenFormatError} for a
 * pre-2.1 python-o365 token and with `TokenBackendError` for anything else that is not a cache.
 */
export function parseCache(data: string, source: CacheSource): CacheJson {
  const where = source.location ? ` (${source.location})` : '';
  let parsed: unknown;
  try {
    parsed = JSON.parse(data);
  } catch (cause) {
    throw new TokenBackendError(
      `${source.backend}: the stored token cache${where} is not valid JSON; it was left in place. Delete it (or call account.clearTokenCache()) and sign in again`,
      { ...source, cause: new SyntaxError(cause instanceof Error ? cause.message.replace(/"[^"]*"/g, '"…"') : 'invalid JSON') },
    );
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new TokenBackendError(`${source.backend}: the stored token cache${where} is not a JSON object; it was left in place`, source);
  }
  const obj = parsed as Record<string, unknown>;
  if ('access_token' in obj || ('token_type' in obj && !('AccessToken' in obj))) {
    throw new LegacyTokenFormatError(source);
  }
  // Every entry checked once, here where the cache is read: nothing past this point meets a
  // `null` entry or a number where a string belongs.
  return validateCache(obj, source);
}

function section(cache: CacheJson, name: string): Record<string, CacheEntry> {
  return cache[name] ?? {};
}

/**
 * Three-way merge: the changes this process made (`base` -> `ours`) applied on top of what another
 * process stored since (`theirs`). Entries nobody here touched keep their stored value, so another
 * user's entries are never dropped and a newer token written elsewhere is never overwritten by a
 * stale copy.
 */
export function mergeCaches(base: CacheJson, ours: CacheJson, theirs: CacheJson): CacheJson {
  const result: CacheJson = {};
  const names = new Set([...Object.keys(base), ...Object.keys(ours), ...Object.keys(theirs)]);
  for (const name of names) {
    const b = section(base, name);
    const o = section(ours, name);
    const merged: Record<string, CacheEntry> = { ...section(theirs, name) };
    for (const key of new Set([...Object.keys(b), ...Object.keys(o)])) {
      const before = b[key];
      const after = o[key];
      if (after === undefined) {
        if (before !== undefined) delete merged[key];
      } else if (before === undefined || (before !== after && JSON.stringify(before) !== JSON.stringify(after))) {
        // Both sides changed one access token (e.g. our save failed and another process refreshed
        // meanwhile): the later expiry wins, so a newer token is never replaced by an older one.
        const stored = merged[key];
        if (name === 'AccessToken' && stored !== undefined && expiryOf(stored) > expiryOf(after)) continue;
        merged[key] = after;
      }
    }
    result[name] = merged;
  }
  return result;
}

function expiryOf(entry: CacheEntry): number {
  const value = Number(entry['expires_on']);
  return Number.isFinite(value) ? value : 0;
}

/** An account present in the cache. */
export interface CachedAccount {
  homeAccountId: string;
  environment: string;
  realm: string;
  username: string;
  name?: string;
}

/** Accounts of the cache (deduplicated by home account id, the first realm wins). */
export function listAccounts(cache: CacheJson): CachedAccount[] {
  const seen = new Map<string, CachedAccount>();
  for (const entry of Object.values(section(cache, 'Account'))) {
    const homeAccountId = str(entry['home_account_id']);
    const username = str(entry['username']);
    if (!homeAccountId || !username || seen.has(homeAccountId)) continue;
    const name = str(entry['name']);
    seen.set(homeAccountId, {
      homeAccountId,
      environment: str(entry['environment']) ?? '',
      realm: str(entry['realm']) ?? '',
      username,
      ...(name ? { name } : {}),
    });
  }
  return [...seen.values()];
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

const OIDC_SCOPES = new Set(['openid', 'profile', 'offline_access', 'email']);

/** Scopes as compared against a cache `target`: lower case, no OIDC scopes, no resource prefix. */
export function normalizeScopes(scopes: readonly string[], scopePrefix: string): string[] {
  const prefix = scopePrefix.toLowerCase();
  const out = new Set<string>();
  for (const raw of scopes) {
    const s = raw.trim().toLowerCase();
    if (!s || OIDC_SCOPES.has(s)) continue;
    out.add(prefix && s.startsWith(prefix) ? s.slice(prefix.length) : s);
  }
  return [...out].sort();
}

/** An access token found in the cache, its expiry in epoch milliseconds. */
export interface FoundAccessToken {
  token: string;
  expiresOn: number;
  /** When to refresh it: `expiresOn` minus the skew, but never less than half its lifetime. */
  refreshAt: number;
  scopes: string[];
}

/**
 * When a token should be refreshed: `skewMs` before expiry, except that a short-lived token is
 * kept for at least half its lifetime (a 5-minute token with a 5-minute skew would otherwise be
 * refreshed on every call).
 */
export function refreshTime(expiresOn: number, issuedAt: number, skewMs: number): number {
  const lifetime = Math.max(0, expiresOn - issuedAt);
  return expiresOn - Math.min(skewMs, lifetime / 2);
}

/** Criteria of {@link findAccessToken}. */
export interface AccessTokenQuery {
  clientId: string;
  /** `''` for app-only (credentials flow) tokens. */
  homeAccountId: string;
  scopes: readonly string[];
  scopePrefix: string;
  /** Current time, epoch ms: tokens due for refresh at this time are ignored. */
  now: number;
  /** Refresh margin before expiry (see {@link refreshTime}); 0 keeps every unexpired token. */
  skewMs: number;
  /** A token known to be refused by the server (a Graph 401), ignored. */
  exclude?: string;
}

/** The longest-lived access token of the cache matching the query, or undefined. */
export function findAccessToken(cache: CacheJson, query: AccessTokenQuery): FoundAccessToken | undefined {
  const wanted = normalizeScopes(query.scopes, query.scopePrefix);
  const wantsDefault = wanted.some((s) => s === '.default');
  let best: FoundAccessToken | undefined;
  for (const entry of Object.values(section(cache, 'AccessToken'))) {
    if (str(entry['client_id'])?.toLowerCase() !== query.clientId.toLowerCase()) continue;
    if ((str(entry['home_account_id']) ?? '') !== query.homeAccountId) continue;
    const secret = str(entry['secret']);
    const expiresOn = Number(entry['expires_on']) * 1000;
    if (!secret || !Number.isFinite(expiresOn) || secret === query.exclude) continue;
    const cachedAt = Number(entry['cached_at']) * 1000;
    const refreshAt = refreshTime(expiresOn, Number.isFinite(cachedAt) ? cachedAt : expiresOn - 3_600_000, query.skewMs);
    if (refreshAt <= query.now) continue;
    const target = normalizeScopes(String(entry['target'] ?? '').split(/\s+/), query.scopePrefix);
    const matches = wantsDefault || wanted.every((s) => target.includes(s));
    if (matches && (best === undefined || expiresOn > best.expiresOn)) {
      best = { token: secret, expiresOn, refreshAt, scopes: target };
    }
  }
  return best;
}

/** Whether the cache holds a refresh token this client can use for the account. */
export function hasRefreshToken(cache: CacheJson, clientId: string, homeAccountId: string): boolean {
  return Object.values(section(cache, 'RefreshToken')).some(
    (entry) =>
      str(entry['home_account_id']) === homeAccountId &&
      (str(entry['client_id'])?.toLowerCase() === clientId.toLowerCase() || Boolean(entry['family_id'])),
  );
}

/** Client ids holding a refresh token for the account (to explain a cache written by another app). */
export function refreshTokenClients(cache: CacheJson, homeAccountId: string): string[] {
  const ids = new Set<string>();
  for (const entry of Object.values(section(cache, 'RefreshToken'))) {
    const clientId = str(entry['client_id']);
    if (str(entry['home_account_id']) === homeAccountId && clientId) ids.add(clientId);
  }
  return [...ids];
}

/**
 * Moves the timestamps of the access token `secret` into the caller's clock, so the stored
 * `expires_on` is right for every process sharing that clock (msal-node stamps entries with
 * `Date.now()`; an injected clock, e.g. the emulator's, may differ).
 */
export function restampAccessToken(cache: CacheJson, secret: string, offsetMs: number): boolean {
  if (Math.abs(offsetMs) < 1000) return false;
  const shift = Math.round(offsetMs / 1000);
  let changed = false;
  for (const entry of Object.values(section(cache, 'AccessToken'))) {
    if (entry['secret'] !== secret) continue;
    for (const field of ['cached_at', 'expires_on', 'extended_expires_on', 'refresh_on']) {
      const value = Number(entry[field]);
      if (entry[field] !== undefined && Number.isFinite(value)) entry[field] = String(value + shift);
    }
    changed = true;
  }
  return changed;
}

/**
 * msal-node stamps the access tokens it writes with `Date.now()`; an injected clock (the
 * emulator's, a test's) may differ by `offsetMs`, so the tokens of msal-node's fresh `output` that
 * are new against `known` are moved into that clock, making the stored `expires_on` right for
 * every process sharing it. Changes `output` in place (it is msal-node's own copy).
 */
export function restampNewAccessTokens(output: CacheJson, known: CacheJson, offsetMs: number): void {
  if (Math.abs(offsetMs) < 1000) return;
  const before = known['AccessToken'] ?? {};
  for (const [key, entry] of Object.entries(output['AccessToken'] ?? {})) {
    const previous = before[key];
    if (previous !== undefined && previous['secret'] === entry['secret']) continue;
    restampAccessToken({ AccessToken: { [key]: entry } }, String(entry['secret']), offsetMs);
  }
}

/** A new empty cache. */
export function emptyCache(): CacheJson {
  return { Account: {}, IdToken: {}, AccessToken: {}, RefreshToken: {}, AppMetadata: {} };
}
