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
