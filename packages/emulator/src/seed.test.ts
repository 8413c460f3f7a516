import { describe, expect, it } from '@jest/globals';
import { defaultSeed, DEFAULT_IDS } from './default-seed.js';
import { SeedError, validateSeed, type EmulatorSeed } from './seed.js';

describe('validateSeed', () => {
  it('accepts the default seed, which has 25 users and stable ids', () => {
    const seed = defaultSeed();
    expect(() => validateSeed(seed)).not.toThrow();
    expect(seed.tenants[0]!.users).toHaveLength(25);
    expect(defaultSeed().tenants[0]!.users.map((u) => u.id)).toEqual(seed.tenants[0]!.users.map((u) => u.id));
    expect(seed.tenants[0]!.users.filter((u) => u.mfaRequired).map((u) => u.userPrincipalName)).toEqual([DEFAULT_IDS.mfaUsername]);
  });

  const broken: Array<[string, (s: EmulatorSeed) => void, RegExp]> = [
    ['no tenants', (s) => (s.tenants = []), /tenants/],
    ['non-GUID tenant id', (s) => (s.tenants[0]!.id = 'contoso'), /tenants\[0\]\.id must be a GUID/],
    ['duplicate UPN', (s) => (s.tenants[0]!.users[1]!.userPrincipalName = s.tenants[0]!.users[0]!.userPrincipalName.toLowerCase()), /duplicate user/],
    ['duplicate client id', (s) => (s.tenants[0]!.apps[1]!.clientId = s.tenants[0]!.apps[0]!.clientId), /duplicate clientId/],
    ['certificate not PEM', (s) => (s.tenants[0]!.apps[0]!.certificates = ['abc']), /PEM/],
    ['secrets not strings', (s) => ((s.tenants[0]!.apps[0]! as unknown as { secrets: unknown }).secrets = [1]), /secrets must be an array of strings/],
    ['bad consent', (s) => ((s.tenants[0]!.apps[0]!.delegatedConsents as unknown) = [{ scopes: 'User.Read', users: '*' }]), /delegatedConsents\[0\]/],
    ['federated credential with a plain-http remote issuer', (s) => (s.tenants[0]!.apps[0]!.federatedIdentityCredentials = [{ issuer: 'http://issuer.example.com', subject: 'x' }]), /federatedIdentityCredentials\[0\]\.issuer/],
    ['federated credential without subject', (s) => (s.tenants[0]!.apps[0]!.federatedIdentityCredentials = [{ issuer: 'https://issuer.example.com', subject: '' }]), /federatedIdentityCredentials\[0\]\.subject/],
    ['federated credential with empty audiences', (s) => (s.tenants[0]!.apps[0]!.federatedIdentityCredentials = [{ issuer: 'https://issuer.example.com', subject: 'x', audiences: [] }]), /audiences/],
    ['user without password', (s) => delete (s.tenants[0]!.users[0] as unknown as Record<string, unknown>)['password'], /password/],
  ];
  it.each(broken)('rejects %s with a SeedError', (_name, breakIt, message) => {
    const seed = defaultSeed();
    breakIt(seed);
    expect(() => validateSeed(seed)).toThrow(SeedError);
    expect(() => validateSeed(seed)).toThrow(message);
  });

  it('rejects values that are not seeds', () => {
    for (const v of [null, 42, 'seed', [], { tenants: {} }]) expect(() => validateSeed(v)).toThrow(SeedError);
  });
});
