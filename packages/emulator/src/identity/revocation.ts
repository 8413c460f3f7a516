import type { EmulatorState } from '../state.js';

/**
 * Revokes the refresh tokens and browser sessions of one user (by user principal name or id,
 * in any tenant) or, without `username`, of every user. Returns how many users were revoked.
 * Access tokens already issued stay valid until they expire, as with Entra.
 */
export function revokeUsers(state: EmulatorState, username?: string): number {
  const now = state.clock.now();
  let count = 0;
  for (const tenant of state.directory.tenants) {
    if (username === undefined) {
      for (const u of tenant.users) {
        state.grants.revoke(u.id, now);
        count++;
      }
    } else {
      const user = state.directory.user(tenant, username);
      if (user) {
        state.grants.revoke(user.id, now);
        count++;
      }
    }
  }
  return count;
}

/**
 * Raises a CAE critical event for one user (UPN or id) or everyone, without revoking refresh
 * tokens: what a Conditional Access re-evaluation does (say, a location policy after a change of
 * network). CAE-capable access tokens issued before it get a claims challenge from Graph; a refresh
 * then gets a new token. Returns how many users it applied to.
 */
export function raiseCaeEvent(state: EmulatorState, username?: string): number {
  const now = state.clock.now();
  let count = 0;
  for (const tenant of state.directory.tenants) {
    for (const u of username === undefined ? tenant.users : [state.directory.user(tenant, username)]) {
      if (u === undefined) continue;
      state.grants.raiseCaeEvent(u.id, now);
      count++;
    }
  }
  return count;
}
