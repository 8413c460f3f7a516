import { describe, expect, it } from '@jest/globals';
import { O365Error } from './errors.js';
import { resolveMainResource } from './main-resource.js';
import { InvalidMainResourceError } from './errors.js';

describe('resolveMainResource', () => {
  const user = { appOnly: false };
  const app = { appOnly: true };

  it('defaults to me for a signed-in user', () => {
    expect(resolveMainResource(undefined, user)).toBe('me');
    expect(resolveMainResource('  ', user)).toBe('me');
    expect(resolveMainResource('me', user)).toBe('me');
  });

  it('keeps explicit paths', () => {
    expect(resolveMainResource('users/0f1e2d', app)).toBe('users/0f1e2d');
    expect(resolveMainResource('/users/adele@contoso.com/', app)).toBe('users/adele@contoso.com');
    expect(resolveMainResource('groups/abc', user)).toBe('groups/abc');
    expect(resolveMainResource('users', app)).toBe('users');
  });

  it('turns an e-mail address into users/{email}', () => {
    expect(resolveMainResource('adele@contoso.com', app)).toBe('users/adele@contoso.com');
    expect(resolveMainResource(' shared@contoso.com ', user)).toBe('users/shared@contoso.com');
  });

  it('expands the user:, group: and site: shorthands', () => {
    expect(resolveMainResource('user:0f1e2d', app)).toBe('users/0f1e2d');
    // python-o365 2.1 turns this one into "users/user:adele@..."; the prefix wins here.
    expect(resolveMainResource('user:adele@contoso.com', app)).toBe('users/adele@contoso.com');
    expect(resolveMainResource('group:abc-123', app)).toBe('groups/abc-123');
    expect(resolveMainResource('site:contoso.sharepoint.com,1,2', app)).toBe('sites/contoso.sharepoint.com,1,2');
    expect(resolveMainResource('USER:x', app)).toBe('users/x');
  });

  it('refuses "me" and the default in app-only mode, saying what to pass', () => {
    for (const r of [undefined, '', 'me', 'me/messages']) {
      let caught: unknown;
      try {
        resolveMainResource(r, app);
      } catch (e) {
        caught = e;
      }
      expect(caught).toBeInstanceOf(InvalidMainResourceError);
      expect(caught).toBeInstanceOf(O365Error);
      expect((caught as InvalidMainResourceError).code).toBe('INVALID_MAIN_RESOURCE');
      expect((caught as Error).message).toMatch(/no "me".*mainResource/);
    }
  });

  it('refuses a shorthand without an id', () => {
    expect(() => resolveMainResource('user:', app)).toThrow(InvalidMainResourceError);
    expect(() => resolveMainResource('group: ', user)).toThrow(/names no group/);
  });
});
