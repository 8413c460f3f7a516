import { describe, expect, it } from '@jest/globals';
import { TokenBackendError } from '../errors.js';
import { findAccessToken, listAccounts, mergeCaches, parseCache, refreshTime, restampAccessToken, type CacheJson } from './cache-format.js';
import { LegacyTokenFormatError } from '../errors.js';

const at = (home: string, secret: string, expiresOn: number, target = 'https://graph.microsoft.com/User.Read openid profile') => ({
  home_account_id: home,
  environment: 'login.microsoftonline.com',
  credential_type: 'AccessToken',
  client_id: 'client',
  secret,
  realm: 'tenant',
  target,
  cached_at: String(expiresOn - 3600),
  expires_on: String(expiresOn),
  extended_expires_on: String(expiresOn),
});
const account = (home: string, username: string) => ({ home_account_id: home, environment: 'e', realm: 'r', username, authority_type: 'MSSTS' });

describe('parseCache', () => {
  const source = { backend: 'FileSystemTokenBackend', location: '/tmp/o365_token.txt' };
  it('accepts MSAL unified cache JSON (and keeps unknown sections)', () => {
    const cache = parseCache(JSON.stringify({ AccessToken: {}, Extra: { x: { y: 1 } } }), source);
    expect(cache['Extra']).toEqual({ x: { y: 1 } });
  });
  it('recognises a pre-2.1 python-o365 token', () => {
    expect(() => parseCache(JSON.stringify({ access_token: 'a', refresh_token: 'r', token_type: 'Bearer' }), source)).toThrow(LegacyTokenFormatError);
  });
  it('rejects non-JSON and non-objects with TokenBackendError naming the location, never quoting the data', () => {
    let error: unknown;
    try {
      parseCache('{"secret": "abc', source);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(TokenBackendError);
    expect((error as Error).message).toContain('/tmp/o365_token.txt');
    expect(String((error as Error).cause)).not.toContain('abc');
    expect(() => parseCache('[1,2]', source)).toThrow(TokenBackendError);
    expect(() => parseCache('{"AccessToken": []}', source)).toThrow(/malformed "AccessToken"/);
  });
});

describe('mergeCaches', () => {
  const base: CacheJson = { AccessToken: { a: at('A', 'a1', 100) }, Account: { A: account('A', 'a@x'), B: account('B', 'b@x') } };
  it("applies our changes onto theirs and keeps entries only they wrote (another user's tokens)", () => {
    const ours: CacheJson = { AccessToken: { a: at('A', 'a2', 200) }, Account: base['Account']! };
    const theirs: CacheJson = { AccessToken: { a: at('A', 'a1', 100), b: at('B', 'b2', 300) }, Account: base['Account']! };
    const merged = mergeCaches(base, ours, theirs);
    expect(merged['AccessToken']!['a']!['secret']).toBe('a2');
    expect(merged['AccessToken']!['b']!['secret']).toBe('b2');
  });
  it('never overwrites a newer entry with an untouched stale copy', () => {
    const ours: CacheJson = structuredClone(base);
    const theirs: CacheJson = { ...structuredClone(base), AccessToken: { a: at('A', 'a9', 900) } };
    expect(mergeCaches(base, ours, theirs)['AccessToken']!['a']!['secret']).toBe('a9');
  });
  it('when both sides changed one access token, keeps the later expiry (an unsaved older refresh never replaces a newer one)', () => {
    const older: CacheJson = { ...structuredClone(base), AccessToken: { a: at('A', 'a2', 200) } };
    const newer: CacheJson = { ...structuredClone(base), AccessToken: { a: at('A', 'a3', 300) } };
    expect(mergeCaches(base, older, newer)['AccessToken']!['a']!['secret']).toBe('a3');
    expect(mergeCaches(base, newer, older)['AccessToken']!['a']!['secret']).toBe('a3');
  });
  it('applies our removals (logout) but not removals we did not make', () => {
    const ours: CacheJson = { AccessToken: { a: at('A', 'a1', 100) }, Account: { A: account('A', 'a@x') } };
    const theirs: CacheJson = { AccessToken: { a: at('A', 'a1', 100) }, Account: { A: account('A', 'a@x'), B: account('B', 'b@x'), C: account('C', 'c@x') } };
    const merged = mergeCaches(base, ours, theirs);
    expect(Object.keys(merged['Account']!).sort()).toEqual(['A', 'C']);
  });
});

describe('lookups', () => {
  const cache: CacheJson = {
    AccessToken: { a: at('A', 'old', 1000), b: at('A', 'new', 5000), c: at('', 'app', 5000, 'https://graph.microsoft.com/.default') },
    Account: { A: account('A', 'Adele@x'), A2: account('A', 'Adele@x') },
  };
  const query = { clientId: 'CLIENT', homeAccountId: 'A', scopes: ['https://graph.microsoft.com/user.read'], scopePrefix: 'https://graph.microsoft.com/' };
  it('finds the longest-lived matching token, honouring validity, exclusion and scopes', () => {
    expect(findAccessToken(cache, { ...query, now: 0, skewMs: 0 })?.token).toBe('new');
    expect(findAccessToken(cache, { ...query, now: 5_000_000, skewMs: 0 })).toBeUndefined();
    expect(findAccessToken(cache, { ...query, now: 0, skewMs: 0, exclude: 'new' })?.token).toBe('old');
    expect(findAccessToken(cache, { ...query, scopes: ['Mail.Read'], now: 0, skewMs: 0 })).toBeUndefined();
    expect(findAccessToken(cache, { ...query, homeAccountId: '', scopes: ['https://graph.microsoft.com/.default'], now: 0, skewMs: 0 })?.token).toBe('app');
  });
  it('refreshes skewMs before expiry, but keeps a short-lived token for half its lifetime', () => {
    // 'new' lives 3600 s (cached_at = expires_on - 3600): a 300 s skew applies.
    expect(findAccessToken(cache, { ...query, now: (5000 - 301) * 1000, skewMs: 300_000 })?.token).toBe('new');
    expect(findAccessToken(cache, { ...query, now: (5000 - 299) * 1000, skewMs: 300_000 })?.token).toBeUndefined();
    expect(refreshTime(600_000, 0, 300_000)).toBe(300_000);
    expect(refreshTime(240_000, 0, 300_000)).toBe(120_000);
  });

  it('lists accounts once per home account id', () => {
    expect(listAccounts(cache)).toEqual([{ homeAccountId: 'A', environment: 'e', realm: 'r', username: 'Adele@x' }]);
  });
  it('restamps a token into the caller clock only when the clocks differ', () => {
    const copy = structuredClone(cache);
    expect(restampAccessToken(copy, 'new', 500)).toBe(false);
    expect(restampAccessToken(copy, 'new', 3_600_000)).toBe(true);
    expect(copy['AccessToken']!['b']!['expires_on']).toBe(String(5000 + 3600));
    expect(copy['AccessToken']!['a']!['expires_on']).toBe('1000');
  });
});
