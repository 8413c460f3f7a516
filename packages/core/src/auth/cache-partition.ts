/**
 * The token cache cut by account: every entry of the four account sections carries the
 * `home_account_id` it belongs to ('' for app-only tokens), so a refresh of one user can show
 * msal-node that user's entries alone and put back what msal-node returns, instead of copying the
 * whole cache (8 MiB at 1,000 users) in and out of msal-node twice per refresh.
 */
import { listAccounts, type CachedAccount, type CacheEntry, type CacheJson } from './cache-format.js';

/** The sections whose entries belong to one account (AppMetadata is shared by all). */
export const ACCOUNT_SECTIONS = ['Account', 'IdToken', 'AccessToken', 'RefreshToken'] as const;
/** The sections msal-node reads and writes; any other section is kept as stored, never shown to it. */
const MSAL_SECTIONS = [...ACCOUNT_SECTIONS, 'AppMetadata'] as const;

/** One account's entries, by section and key, as in the cache. */
export type AccountEntries = Record<(typeof ACCOUNT_SECTIONS)[number], Record<string, CacheEntry>>;

function emptyEntries(): AccountEntries {
  return { Account: {}, IdToken: {}, AccessToken: {}, RefreshToken: {} };
}

function ownerOf(entry: CacheEntry): string {
  const id = entry['home_account_id'];
  return typeof id === 'string' ? id : '';
}

/** Every account's entries: one pass over the cache, then each lookup is a map read. */
export function indexByAccount(cache: CacheJson): Map<string, AccountEntries> {
  const index = new Map<string, AccountEntries>();
  for (const name of ACCOUNT_SECTIONS) {
    const section = cache[name];
    if (section === undefined) continue;
    for (const key of Object.keys(section)) {
      const entry = section[key]!;
      const owner = ownerOf(entry);
      let entries = index.get(owner);
      if (entries === undefined) {
        entries = emptyEntries();
        index.set(owner, entries);
      }
      entries[name][key] = entry;
    }
  }
  return index;
}

/** What msal-node is shown for a call about one account: its entries and the shared app metadata. */
export function viewOf(entries: AccountEntries | undefined, cache: CacheJson): CacheJson {
  return { ...(entries ?? emptyEntries()), AppMetadata: cache['AppMetadata'] ?? {} };
}

/**
 * Puts back what msal-node serialized after a call: the accounts it returned (and `focus`, the
 * account the call was about, even when msal-node removed it) are replaced by its copy; every
 * other account keeps its stored entries. A call that was shown the whole cache may have seen it
 * replaced by another call's view meanwhile (msal-node keeps one in-memory cache per
 * application), so an account missing from its output is never read as removed.
 *
 * Returns the new cache (new section objects, entries shared with `cache`: entries are never
 * changed in place) and the accounts it replaced.
 */
export function applyMsalOutput(
  cache: CacheJson,
  output: CacheJson,
  focus: string | undefined,
): { cache: CacheJson; replaced: Set<string> } {
  const replaced = new Set<string>();
  if (focus !== undefined) replaced.add(focus);
  for (const name of ACCOUNT_SECTIONS) {
    for (const entry of Object.values(output[name] ?? {})) replaced.add(ownerOf(entry));
  }
  const next: CacheJson = { ...cache };
  for (const name of ACCOUNT_SECTIONS) {
    const kept: Record<string, CacheEntry> = {};
    for (const [key, entry] of Object.entries(cache[name] ?? {})) {
      if (!replaced.has(ownerOf(entry))) kept[key] = entry;
    }
    Object.assign(kept, output[name] ?? {});
    next[name] = kept;
  }
  next['AppMetadata'] = { ...(cache['AppMetadata'] ?? {}), ...(output['AppMetadata'] ?? {}) };
  return { cache: next, replaced };
}

/** The sections msal-node is shown when a call is about no single account (a sign-in). */
export function msalSectionsOf(cache: CacheJson): CacheJson {
  const view: CacheJson = {};
  for (const name of MSAL_SECTIONS) view[name] = cache[name] ?? {};
  return view;
}

/** The accounts of one cache state, by id and by lower-case username (the first one of a name wins). */
export interface AccountList {
  all: CachedAccount[];
  byId: Map<string, CachedAccount>;
  byName: Map<string, CachedAccount>;
}

export function accountListOf(cache: CacheJson): AccountList {
  const all = listAccounts(cache);
  const byName = new Map<string, CachedAccount>();
  for (const account of all) {
    const name = account.username.toLowerCase();
    if (!byName.has(name)) byName.set(name, account);
  }
  return { all, byId: new Map(all.map((a) => [a.homeAccountId, a])), byName };
}
