import { afterEach, describe, expect, it } from '@jest/globals';
import { checkUrl, DEFAULT_URL, describeServer, passwordOf, resolveUrl } from './redis-client.js';

const previous = process.env['REDIS_URL'];
afterEach(() => {
  if (previous === undefined) delete process.env['REDIS_URL'];
  else process.env['REDIS_URL'] = previous;
});

describe('describeServer', () => {
  it('names host, port and database, never the credentials', () => {
    expect(describeServer('redis://user:pw@cache.internal:6380/2')).toBe('redis://cache.internal:6380/2');
    expect(describeServer('rediss://:pw@cache.internal')).toBe('rediss://cache.internal:6379');
    expect(describeServer('redis://127.0.0.1:6379/0')).toBe('redis://127.0.0.1:6379');
    expect(describeServer('redis://[::1]:6379')).toBe('redis://[::1]:6379');
    expect(describeServer('not a url with pw')).toBe('redis://(unparsable url)');
  });

  it('reads a client without url from its socket options', () => {
    expect(describeServer(undefined, { socket: { host: 'h', port: 7000 }, database: 3 })).toBe('redis://h:7000/3');
    expect(describeServer(undefined, { socket: { host: 'h', tls: true } })).toBe('rediss://h:6379');
    expect(describeServer(undefined, { socket: { path: '/run/redis.sock' } })).toBe('unix:/run/redis.sock');
    expect(describeServer(undefined, {})).toBe('redis://localhost:6379');
    expect(describeServer(undefined, undefined)).toBe('redis://localhost:6379');
  });
});

describe('checkUrl', () => {
  it('accepts redis:// and rediss://', () => {
    expect(checkUrl('B', 'redis://h')).toBe('redis://h');
    expect(checkUrl('B', 'rediss://:p@h:1/1')).toBe('rediss://:p@h:1/1');
  });

  it('rejects anything else with a TypeError that does not echo the url', () => {
    for (const url of ['redis://:hunter2@[oops', 'http://:hunter2@h', 'hunter2', '', 42]) {
      let thrown: unknown;
      try {
        checkUrl('B', url);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(TypeError);
      expect(String(thrown)).not.toContain('hunter2');
      expect((thrown as Error).cause).toBeUndefined();
    }
  });
});

describe('resolveUrl and passwordOf', () => {
  it('url, else REDIS_URL, else the default', () => {
    delete process.env['REDIS_URL'];
    expect(resolveUrl('B', undefined)).toBe(DEFAULT_URL);
    expect(DEFAULT_URL).toBe('redis://127.0.0.1:6379');
    process.env['REDIS_URL'] = '   ';
    expect(resolveUrl('B', undefined)).toBe(DEFAULT_URL);
    process.env['REDIS_URL'] = 'redis://from-env:6379';
    expect(resolveUrl('B', undefined)).toBe('redis://from-env:6379');
    expect(resolveUrl('B', 'redis://given')).toBe('redis://given');
  });

  it('finds the (percent-decoded) password of a url', () => {
    expect(passwordOf('redis://:p%40ss@h')).toBe('p@ss');
    expect(passwordOf('redis://user:pw@h')).toBe('pw');
    expect(passwordOf('redis://h')).toBeUndefined();
    expect(passwordOf(undefined)).toBeUndefined();
  });
});
