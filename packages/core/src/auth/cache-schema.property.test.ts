import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { TokenBackendError } from '../errors.js';
import { validateCache } from './cache-schema.js';

const source = { backend: 'FileSystemTokenBackend', location: '/tmp/cache.json' };
const sections = ['Account', 'AccessToken', 'RefreshToken', 'IdToken', 'AppMetadata', 'Extra'];
const fields = ['home_account_id', 'environment', 'realm', 'username', 'credential_type', 'client_id', 'secret', 'target', 'cached_at', 'expires_on', 'family_id', 'x'];

// Values of every JSON kind plus the hostile ones: null, huge strings, deep nesting.
const hostileValue = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.constantFrom(null, '', '1700000000', -1, 1e308, '__proto__'),
  fc.integer({ min: 40, max: 2_000 }).map((depth) => JSON.parse(`${'['.repeat(depth)}${']'.repeat(depth)}`) as unknown),
  fc.integer({ min: 65_000, max: 70_000 }).map((n) => 'x'.repeat(n)),
);
const entry = fc.oneof(hostileValue, fc.dictionary(fc.constantFrom(...fields), hostileValue, { maxKeys: 12 }));
const section = fc.oneof(hostileValue, fc.dictionary(fc.oneof(fc.string(), fc.constant('__proto__')), entry, { maxKeys: 4 }));
const cache = fc.oneof(hostileValue, fc.dictionary(fc.constantFrom(...sections), section, { maxKeys: 6 }));

describe('validateCache (property)', () => {
  it('every generated cache is accepted unchanged or rejected with TokenBackendError, and never mutated', () => {
    fc.assert(
      fc.property(cache, (generated) => {
        // Round-trip through JSON, as a backend's stored text would be.
        const text = JSON.stringify(generated) ?? 'null';
        const document = JSON.parse(text) as unknown;
        try {
          expect(validateCache(document, source)).toBe(document);
        } catch (error) {
          expect(error).toBeInstanceOf(TokenBackendError);
          expect((error as TokenBackendError).location).toBe('/tmp/cache.json');
          expect((error as Error).message.length).toBeLessThan(4096);
        }
        expect(JSON.stringify(document)).toBe(text);
      }),
      { numRuns: 500, interruptAfterTimeLimit: 60_000, markInterruptAsFailure: false },
    );
  });

  it('every cache built from well-formed entries is accepted', () => {
    const str = fc.string({ maxLength: 40 });
    // `__proto__` is the one key the validator refuses (fast-check generates it on purpose).
    const key = str.filter((k) => k !== '__proto__');
    const ts = fc.integer({ min: 0, max: 4_000_000_000 }).map(String);
    const credential = fc.record({ home_account_id: str, environment: str, credential_type: str, client_id: str, secret: str, realm: str, target: str, cached_at: ts, expires_on: ts });
    const wellFormed = fc.record({
      AccessToken: fc.dictionary(key, credential, { maxKeys: 5 }),
      RefreshToken: fc.dictionary(key, credential, { maxKeys: 5 }),
      Account: fc.dictionary(key, fc.record({ home_account_id: str, environment: str, realm: str, username: str }), { maxKeys: 5 }),
    });
    fc.assert(
      fc.property(wellFormed, (generated) => {
        const document = JSON.parse(JSON.stringify(generated)) as unknown;
        expect(validateCache(document, source)).toBe(document);
      }),
      { numRuns: 300 },
    );
  });
});
