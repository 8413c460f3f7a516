import { describe, expect, it } from '@jest/globals';
import { checkKeyPrefix, DEFAULT_KEY, DEFAULT_KEY_PREFIX, redisKeys } from './redis-keys.js';

describe('redisKeys', () => {
  it('puts the name in a hash tag, with :data and :lock after it', () => {
    expect(redisKeys('o365:', 'adele')).toEqual({ data: 'o365:{adele}:data', lock: 'o365:{adele}:lock' });
    expect(redisKeys('', 'x')).toEqual({ data: '{x}:data', lock: '{x}:lock' });
    expect(DEFAULT_KEY_PREFIX).toBe('o365:');
    expect(DEFAULT_KEY).toBe('token');
  });

  it('percent-encodes %, { and } in the name, and nothing else', () => {
    expect(redisKeys('o365:', 'a}b{c%d').data).toBe('o365:{a%7Db%7Bc%25d}:data');
    expect(redisKeys('o365:', 'alex@contoso.com:ü 漢').data).toBe('o365:{alex@contoso.com:ü 漢}:data');
  });

  it('never maps two names, or a data key and a lock key, to the same key', () => {
    const names = ['a', 'a}', '{a', '{a}', 'a}:data', 'a}:lock', 'a:data', 'a:lock', 'a}:data}', 'b', 'ü', 'u\u0308', ':', '}', '{', '%7D', '%', '%25', 'a%7Db'];
    const all = names.flatMap((n) => Object.values(redisKeys('o365:', n)));
    expect(new Set(all).size).toBe(all.length);
  });

  it('the hash tag of both keys is the same non-empty string, so Redis Cluster hashes them to one slot', () => {
    const tag = (key: string): string => {
      const open = key.indexOf('{');
      const close = open < 0 ? -1 : key.indexOf('}', open + 1);
      return open < 0 || close < 0 || close === open + 1 ? key : key.slice(open + 1, close);
    };
    for (const prefix of ['o365:', '', 'app:']) {
      for (const name of ['adele', 'a}b', '{', 'x{y}z', '}', '}}', '{}', '%']) {
        const { data, lock } = redisKeys(prefix, name);
        expect(tag(data)).not.toBe(data);
        expect(tag(lock)).toBe(tag(data));
      }
    }
  });
});

describe('checkKeyPrefix', () => {
  it('defaults to o365: and accepts any string without control characters, the empty one too', () => {
    expect(checkKeyPrefix('B', undefined)).toBe('o365:');
    expect(checkKeyPrefix('B', '')).toBe('');
    expect(checkKeyPrefix('B', 'tenant-a/')).toBe('tenant-a/');
  });

  it('rejects non-strings, control characters and overlong prefixes with a TypeError naming the owner', () => {
    expect(() => checkKeyPrefix('RedisTokenBackend', 5)).toThrow(new TypeError('RedisTokenBackend: keyPrefix must be a string'));
    expect(() => checkKeyPrefix('B', 'a\tb')).toThrow(/control characters/);
    expect(() => checkKeyPrefix('B', 'x'.repeat(1025))).toThrow(/at most 1024/);
    expect(() => checkKeyPrefix('B', 'app{1}:')).toThrow(/must not contain \{ or \}/);
    expect(() => checkKeyPrefix('B', 'app}')).toThrow(/must not contain/);
  });
});
