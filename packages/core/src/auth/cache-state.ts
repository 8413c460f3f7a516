// What the token cache holds for a user, and taking a user (or everyone) out of it.
import { TokenExpiredError } from '../errors.js';
import type { ConnectionParts } from '../connection-parts.js';
import { accountOf, type Selection } from './user-selection.js';

/** Whether tokens for the selection's user (or the app) are stored: a refresh token, or a valid access token. No network. */
export async function isAuthenticated(parts: ConnectionParts, selection: Selection): Promise<boolean> {
  const { cache, tokens } = parts;
  if (parts.identity.authFlowType === 'external') {
    return tokens.token(selection).then(
      () => true,
      (error: unknown) => {
        if (error instanceof TokenExpiredError) return false;
        throw error;
      },
    );
  }
  await cache.ensureLoaded();
  if (cache.legacyError) return false;
  if (parts.appOnly) return tokens.hasValidToken('');
  const account = accountOf(cache, selection);
  if (!account) return false;
  return cache.hasRefreshToken(parts.identity.clientId, account.homeAccountId) || tokens.hasValidToken(account.homeAccountId);
}

/** Usernames of every account in the token cache, read again (other processes may have signed users in). */
export async function authenticatedUsernames(parts: ConnectionParts): Promise<string[]> {
  const { cache } = parts;
  await cache.exclusive(() => cache.reload(), parts.flow.lockTimeoutMs, { crossProcess: false });
  return cache.accounts().map((a) => a.username);
}

/** Removes one user's tokens (every account of that username); other users' entries stay. */
export async function signOut(parts: ConnectionParts, username: string | undefined, selection: Selection): Promise<boolean> {
  const { cache, tokens, msal } = parts;
  await cache.ensureLoaded();
  // A fresh connection over a cache of one user acts for that user (as every other call does).
  if (username === undefined && !parts.appOnly) accountOf(cache, selection);
  const target = username ?? selection.username;
  if (!target) return false;
  return cache.exclusive(async () => {
    await cache.reload();
    let removed = 0;
    for (const account of cache.accounts().filter((a) => a.username.toLowerCase() === target.toLowerCase())) {
      const info = cache.accountInfo(account.homeAccountId, parts.identity.clientId);
      if (info === undefined) continue;
      await msal.removeAccount(info);
      tokens.forget(info.homeAccountId);
      removed++;
    }
    await cache.flush();
    parts.users.forget(target);
    return removed > 0;
  }, parts.flow.lockTimeoutMs);
}

/**
 * Forgets every token, in memory and in the backend. Waits for a refresh in progress (and takes
 * the backend's lock): a refresh finishing after the clear would otherwise save its tokens again.
 */
export async function clearTokens(parts: ConnectionParts): Promise<void> {
  await parts.cache.exclusive(async () => {
    await parts.cache.clear();
    parts.tokens.forget();
    parts.users.clear();
  }, parts.flow.lockTimeoutMs);
}
