import { defaultSeed, type EmulatorSeed, type SeedUser } from '@o365/emulator';

/** The default seed with at least `count` users who can sign in with a password (no MFA). */
export function seedWithUsers(count: number): { seed: EmulatorSeed; users: SeedUser[] } {
  const seed = defaultSeed();
  const tenant = seed.tenants[0]!;
  const template = tenant.users[0]!;
  const signable = (): SeedUser[] => tenant.users.filter((u) => !u.mfaRequired);
  for (let i = tenant.users.length; signable().length < count; i++) {
    const upn = `user${String(i).padStart(2, '0')}@${tenant.domain}`;
    tenant.users.push({
      ...template,
      id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
      userPrincipalName: upn,
      mail: upn,
      displayName: `User ${i}`,
      mfaRequired: false,
    });
  }
  return { seed, users: signable().slice(0, count) };
}

/** The claims of a JWT access token (no signature check: the emulator signed it). */
export function tokenClaims(jwt: string): { upn?: string; oid?: string } {
  const payload = jwt.split('.')[1];
  if (payload === undefined) throw new Error('not a JWT');
  return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { upn?: string; oid?: string };
}
