import type { SeedUser } from '../seed.js';
import { AadFailure } from './aad-errors.js';

/** Throws when the account may not sign in at all (disabled). */
export function checkUserCanSignIn(user: SeedUser): void {
  if (user.accountEnabled === false) throw new AadFailure(50057);
}
