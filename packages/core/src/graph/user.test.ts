import { describe, expect, it } from '@jest/globals';
import { inspect } from 'node:util';
import { User } from './user.js';

const adele = {
  '@odata.type': '#microsoft.graph.user',
  id: '87d349ed-44d7-43e1-9a83-5f2406dee5bd',
  displayName: 'Adele Vance',
  givenName: 'Adele',
  surname: 'Vance',
  mail: 'AdeleV@contoso.com',
  userPrincipalName: 'AdeleV@contoso.com',
  businessPhones: ['+1 425 555 0109'],
  jobTitle: 'Retail Manager',
  mobilePhone: null,
  officeLocation: '18/2111',
  preferredLanguage: 'en-US',
  accountEnabled: true,
  createdDateTime: '2024-01-02T03:04:05Z',
  department: 'Retail',
  otherMails: ['adele@example.org'],
  passwordProfile: { password: 'P@ssw0rd-never-shown', forceChangePasswordNextSignIn: false },
};

describe('User', () => {
  it('maps Graph JSON to python-o365 fields in camelCase', () => {
    const u = new User(adele);
    expect(u.objectId).toBe(adele.id);
    expect(u.displayName).toBe('Adele Vance');
    expect(u.givenName).toBe('Adele');
    expect(u.surname).toBe('Vance');
    expect(u.fullName).toBe('Adele Vance');
    expect(u.mail).toBe('AdeleV@contoso.com');
    expect(u.userPrincipalName).toBe('AdeleV@contoso.com');
    expect(u.businessPhones).toEqual(['+1 425 555 0109']);
    expect(u.jobTitle).toBe('Retail Manager');
    expect(u.mobilePhone).toBeUndefined();
    expect(u.officeLocation).toBe('18/2111');
    expect(u.preferredLanguage).toBe('en-US');
    expect(u.accountEnabled).toBe(true);
    expect(u.created).toEqual(new Date('2024-01-02T03:04:05Z'));
    expect(u.department).toBe('Retail');
    expect(u.otherMails).toEqual(['adele@example.org']);
    expect(u.showInAddressList).toBe(true);
    expect(u.mainResource).toBe(`users/${adele.id}`);
  });

  it('uses python-o365 defaults for missing values and ignores wrong types', () => {
    const u = new User({ id: 'x', givenName: 42, businessPhones: 'nope', createdDateTime: 'not a date', showInAddressList: false });
    expect(u.givenName).toBe('');
    expect(u.surname).toBe('');
    expect(u.businessPhones).toEqual([]);
    expect(u.created).toBeUndefined();
    expect(u.showInAddressList).toBe(false);
    expect(u.displayName).toBeUndefined();
  });

  it('prints as the display name, then the full name, then the UPN', () => {
    expect(`${new User(adele)}`).toBe('Adele Vance');
    expect(String(new User({ givenName: 'Megan', surname: 'Bowen' }))).toBe('Megan Bowen');
    expect(String(new User({ userPrincipalName: 'megan@contoso.com' }))).toBe('megan@contoso.com');
    expect(String(new User({}))).toBe('Unknown Name');
  });

  it('shows a short summary in util.inspect and never the password profile', () => {
    const u = new User(adele);
    const shown = inspect(u);
    expect(shown).toContain('User');
    expect(shown).toContain("displayName: 'Adele Vance'");
    expect(shown).toContain(adele.id);
    expect(shown).not.toContain('P@ssw0rd');
    expect(JSON.stringify(u)).not.toContain('P@ssw0rd');
    expect(inspect([u], { depth: 5 })).not.toContain('P@ssw0rd');
    expect((u.toJSON() as Record<string, unknown>).displayName).toBe('Adele Vance');
  });

  it('builds a reference from an id or a UPN', () => {
    expect(User.reference('adele@contoso.com').mainResource).toBe('users/adele@contoso.com');
    expect(User.reference('adele@contoso.com').userPrincipalName).toBe('adele@contoso.com');
    expect(User.reference(' 1234 ').objectId).toBe('1234');
    expect(() => User.reference('  ')).toThrow(TypeError);
  });
});
