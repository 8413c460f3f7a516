import { AuthenticationError } from '../errors.js';
import type { CachedAccount } from './cache-format.js';
import type { TokenCache } from './token-cache.js';

/** Whom a call is for: captured synchronously when the call starts, so a later user switch cannot change it. */
export interface Selection {
  username?: string;
  homeAccountId?: string;
  /** Scopes of the user's last sign-in or first token (Graph calls use them). */
  scopes?: string[];
  /** The memory key of the last call with `scopes` (the hot path asks for the same scopes again and again). */
  memo?: { homeAccountId: string; scopes: readonly string[]; key: string };
}

/**
 * The users a connection acts for: the current one (`account.username`), replaced, never
 * changed, when the user changes, so a call already started keeps the one it captured; and one
 * selection per named user (`forUser`, `{ username }`), so a user switch is a map lookup.
 */
export class UserSelections {
  current: Selection;
  readonly #named = new Map<string, Selection>();

  constructor(username: string | undefined) {
    this.current = username === undefined ? {} : { username };
  }

  get username(): string | undefined {
    return this.current.username;
  }

  set username(value: string | undefined) {
    if (value?.toLowerCase() === this.current.username?.toLowerCase()) return;
    this.current = value === undefined ? {} : { username: value };
  }

  /** The selection shared by every call naming this user (it remembers the account id and scopes). */
  named(username: string): Selection {
    if (typeof username !== 'string' || username.trim() === '') throw new TypeError('username must be a non-empty string');
    const key = username.trim().toLowerCase();
    let selection = this.#named.get(key);
    if (selection === undefined) {
      selection = { username: username.trim() };
      this.#named.set(key, selection);
    }
    return selection;
  }

  /** A sign-in selected its user: a named selection of that user may remember an earlier account id. */
  signedIn(selection: Selection): void {
    if (selection.username !== undefined && selection.homeAccountId !== '') this.#named.delete(selection.username.toLowerCase());
    this.current = selection;
  }

  /** The user signed out: calls without a name are for nobody until the next choice. */
  forget(username: string): void {
    const target = username.toLowerCase();
    this.#named.delete(target);
    if (this.current.username?.toLowerCase() === target) this.current = {};
  }

  /** Every token is gone: selections forget their accounts, the chosen username stays. */
  clear(): void {
    this.#named.clear();
    this.current = this.current.username === undefined ? {} : { username: this.current.username };
  }
}

/**
 * The cached account a selection is for: by its account id, by its username, or the only account
 * of the cache. Remembers what it found in the selection.
 */
export function accountOf(cache: TokenCache, selection: Selection): CachedAccount | undefined {
  if (selection.homeAccountId) {
    const byId = cache.account({ homeAccountId: selection.homeAccountId });
    if (byId) return byId;
  }
  if (selection.username) {
    const byName = cache.account({ username: selection.username });
    if (byName) selection.homeAccountId = byName.homeAccountId;
    return byName;
  }
  const accounts = cache.accounts();
  if (accounts.length === 1) {
    const only = accounts[0]!;
    selection.username = only.username;
    selection.homeAccountId = only.homeAccountId;
    return only;
  }
  return undefined;
}

/** {@link accountOf}, or an `AuthenticationError` saying why there is none and what to do. */
export function requireAccount(cache: TokenCache, selection: Selection): CachedAccount {
  const account = accountOf(cache, selection);
  if (account) return account;
  const where = cache.source.location ?? cache.source.backend;
  if (selection.username) {
    throw new AuthenticationError(
      `${selection.username} is not signed in (no tokens for this user in ${where}); call account.authenticate()`,
    );
  }
  const count = cache.accounts().length;
  if (count > 1) {
    throw new AuthenticationError(
      `The token cache holds ${count} users; choose one with account.username = '...' (see getAuthenticatedUsernames())`,
    );
  }
  throw new AuthenticationError(`Not signed in (no tokens in ${where}); call account.authenticate() first`);
}
