import { describe, expect, it } from '@jest/globals';
import { TokenBackendError } from '../errors.js';
import { MAX_CACHE_DEPTH, validateCache } from './cache-schema.js';

const source = { backend: 'FileSystemTokenBackend', location: '/tmp/o365_token.txt' };
const secret = 'eyJ0eXAiOiJKV1QifQ.secret-value.sig';
const wellFormed = () => ({
  Account: { 'uid.utid-login.microsoftonline.com-utid': { home_account_id: 'uid.utid', environment: 'login.microsoftonline.com', realm: 'utid', username: 'adele@contoso.com', authority_type: 'MSSTS' } },
  AccessToken: {
    'uid.utid-login.microsoftonline.com-accesstoken-client-utid-user.read': {
      home_account_id: 'uid.utid', environment: 'login.microsoftonline.com', credential_type: 'AccessToken', client_id: 'client',
      secret, realm: 'utid', target: 'User.Read', cached_at: '1700000000', expires_on: '1700003600', extended_expires_on: '1700003600',
    },
  },
  RefreshToken: { rt: { home_account_id: 'uid.utid', environment: 'login.microsoftonline.com', credential_type: 'RefreshToken', client_id: 'client', secret: 'rt-secret-value' } },
  IdToken: { id: { home_account_id: 'uid.utid', environment: 'login.microsoftonline.com', credential_type: 'IdToken', client_id: 'client', secret: 'id-secret-value', realm: 'utid' } },
  AppMetadata: { 'appmetadata-login.microsoftonline.com-client': { client_id: 'client', environment: 'login.microsoftonline.com' } },
});

function errorOf(run: () => unknown): TokenBackendError {
  try {
    run();
  } catch (error) {
    if (error instanceof TokenBackendError) return error;
    throw error;
  }
  throw new Error('expected a TokenBackendError');
}

describe('validateCache', () => {
  it('returns a well-formed cache as the same object, with unknown sections, entries and fields kept', () => {
    const cache = { ...wellFormed(), Extra: { anything: [1, { deep: true }] }, Version: 1 } as Record<string, unknown>;
    (cache['Account'] as Record<string, Record<string, unknown>>)['uid.utid-login.microsoftonline.com-utid']!['x_future_field'] = { a: 1 };
    const before = JSON.stringify(cache);
    expect(validateCache(cache, source)).toBe(cache);
    expect(JSON.stringify(cache)).toBe(before);
  });

  it('accepts what MSAL Python writes for an app-only token (home_account_id null, numeric timestamps)', () => {
    const cache = wellFormed();
    const at = Object.values(cache.AccessToken)[0] as Record<string, unknown>;
    at['home_account_id'] = null;
    at['expires_on'] = 1700003600;
    expect(() => validateCache(cache, source)).not.toThrow();
  });

  it('names the section, the entry and the field of a malformed entry, with the location, never the value', () => {
    const cache = wellFormed();
    (Object.values(cache.AccessToken)[0] as Record<string, unknown>)['secret'] = 42;
    const error = errorOf(() => validateCache(cache, source));
    expect(error.code).toBe('TOKEN_BACKEND_ERROR');
    expect(error.location).toBe('/tmp/o365_token.txt');
    expect(error.message).toContain('"AccessToken" entry "uid.utid-login.microsoftonline.com-accesstoken-client-utid-user.read": "secret" is a number');
    expect(error.message).toContain('/tmp/o365_token.txt');

    const withSecret = wellFormed();
    (Object.values(withSecret.RefreshToken)[0] as Record<string, unknown>)['client_id'] = { secret };
    expect(errorOf(() => validateCache(withSecret, source)).message).not.toContain(secret);
  });

  it.each([
    ['a null entry', (c: Record<string, Record<string, unknown>>) => { c['Account']!['k'] = null; }, /"Account" entry "k" \(null/],
    ['a string entry', (c: Record<string, Record<string, unknown>>) => { c['IdToken']!['k'] = 'x'; }, /"IdToken" entry "k" \(a string/],
    ['an array entry', (c: Record<string, Record<string, unknown>>) => { c['RefreshToken']!['k'] = []; }, /"RefreshToken" entry "k" \(an array/],
    ['a null section', (c: Record<string, unknown>) => { c['AccessToken'] = null; }, /malformed "AccessToken" section \(null/],
    ['a bad timestamp', (c: Record<string, Record<string, Record<string, unknown>>>) => { Object.values(c['AccessToken']!)[0]!['expires_on'] = 'soon'; }, /"expires_on" is not a timestamp/],
    ['a missing field', (c: Record<string, Record<string, Record<string, unknown>>>) => { delete Object.values(c['AppMetadata']!)[0]!['client_id']; }, /"client_id" is missing/],
    ['a huge field', (c: Record<string, Record<string, Record<string, unknown>>>) => { Object.values(c['Account']!)[0]!['username'] = 'u'.repeat(100_000); }, /"username" is longer than/],
  ] as Array<[string, (c: never) => void, RegExp]>)('rejects %s with TokenBackendError', (_name, corrupt, expected) => {
    const cache = wellFormed();
    corrupt(cache as never);
    expect(errorOf(() => validateCache(cache, source)).message).toMatch(expected);
  });

  it('rejects nesting deeper than the limit without overflowing the stack, even 100,000 levels deep', () => {
    const json = `{"Extra":${'['.repeat(100_000)}${']'.repeat(100_000)}}`;
    expect(errorOf(() => validateCache(JSON.parse(json), source)).message).toContain(`nested deeper than ${MAX_CACHE_DEPTH} levels`);
  });

  it('rejects a "__proto__" entry key (it would replace the prototype of a merged section)', () => {
    const cache = JSON.parse('{"AccessToken":{"__proto__":{"polluted":true}}}') as unknown;
    expect(errorOf(() => validateCache(cache, source)).message).toContain('whose key is not allowed');
  });

  it('clips a huge key and strips control characters from it', () => {
    const cache = { Account: { [`\u001b[2J${'k'.repeat(10_000)}`]: null } };
    const { message } = errorOf(() => validateCache(cache, source));
    expect(message).not.toContain('\u001b');
    expect(message.length).toBeLessThan(1000);
  });

  it('rejects documents that are not objects', () => {
    for (const doc of [null, 1, 'x', [], true]) expect(() => validateCache(doc, source)).toThrow(TokenBackendError);
  });
});
