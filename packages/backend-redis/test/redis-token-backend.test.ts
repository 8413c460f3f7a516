// RedisTokenBackend against a real redis-server: what it stores, TTL, clients (owned, supplied,
// RESP3, Buffer replies), and every failure the issue lists, each a typed, bounded error without
// secrets.
import { createServer } from 'node:net';
import { inspect } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { TokenBackendError, TokenCacheConflictError, type Logger } from '@o365/core/backend';
import { createClient, RESP_TYPES } from 'redis';
import { DEFAULT_TTL_SECONDS, RedisTokenBackend } from '../src/index.js';
import { freePort, startBlackhole, startRedis, type RedisServer } from './redis-server.js';

const PASSWORD = 'pw-Secret-7f3a';
const TOKEN_DATA = JSON.stringify({ RefreshToken: { x: { secret: 'refresh-token-marker-91ab' } } });

let redis: RedisServer;
let secured: RedisServer;
const closeables: { close(): Promise<void> }[] = [];
const track = <T extends { close(): Promise<void> }>(b: T): T => {
  closeables.push(b);
  return b;
};
let counter = 0;
const uniqueKey = (name: string): string => `${name}-${process.pid}-${++counter}`;

beforeAll(async () => {
  [redis, secured] = await Promise.all([startRedis(), startRedis({ password: PASSWORD })]);
});
afterEach(async () => {
  await Promise.all(closeables.splice(0).map((b) => b.close()));
});
afterAll(async () => {
  await Promise.all([redis?.stop(), secured?.stop()]);
});

/** The rejection of `op`, failing the test when it resolves. */
async function rejectionOf(op: () => Promise<unknown>): Promise<TokenBackendError> {
  let value: unknown;
  try {
    value = await op();
  } catch (error) {
    expect(error).toBeInstanceOf(TokenBackendError);
    return error as TokenBackendError;
  }
  throw new Error(`expected a rejection, got ${inspect(value)}`);
}

/** Everything a user could see of an error: message, inspect (with cause chain), JSON. */
function visible(error: unknown): string {
  return `${String(error)}\n${inspect(error, { depth: 10 })}\n${JSON.stringify(error)}`;
}

function recordingLogger(): Logger & { entries: { level: string; message: string; data?: Record<string, unknown> }[] } {
  const entries: { level: string; message: string; data?: Record<string, unknown> }[] = [];
  const at = (level: string) => (message: string, data?: Record<string, unknown>) => {
    entries.push({ level, message, ...(data !== undefined ? { data } : {}) });
  };
  return { entries, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

describe('what is stored', () => {
  it('one hash at o365:{key}:data with the fields data and ver; load returns both', async () => {
    const key = uniqueKey('layout');
    const backend = track(new RedisTokenBackend({ url: redis.url, key }));
    expect(backend.dataKey).toBe(`o365:{${key}}:data`);
    expect(backend.lockKey).toBe(`o365:{${key}}:lock`);
    const { version } = await backend.save(TOKEN_DATA);
    expect(version).toMatch(/^[A-Za-z0-9_-]{16}$/);
    expect(await redis.command(['TYPE', backend.dataKey])).toBe('hash');
    expect(await redis.command(['HGETALL', backend.dataKey])).toEqual(['data', TOKEN_DATA, 'ver', version]);
    expect(await backend.load()).toEqual({ data: TOKEN_DATA, version });
  });

  it('keyPrefix and key are used as given; the default key is `token`', async () => {
    const b = track(new RedisTokenBackend({ url: redis.url, keyPrefix: 'app1/' }));
    expect(b.key).toBe('token');
    expect(b.dataKey).toBe('app1/{token}:data');
    await b.save('{}');
    expect(await redis.command(['EXISTS', 'app1/{token}:data'])).toBe(1);
    await b.delete();
  });

  it('versions are random revisions: a delete and a new save never give back an old version', async () => {
    const key = uniqueKey('aba');
    const a = track(new RedisTokenBackend({ url: redis.url, key }));
    const b = track(new RedisTokenBackend({ url: redis.url, key }));
    const { version: v1 } = await a.save('{"n":1}');
    await b.delete();
    const { version: v2 } = await b.save('{"n":1}', { expectedVersion: null });
    expect(v2).not.toBe(v1);
    // `a` still believes v1 is current: its conditional save must lose, not overwrite b's cache.
    const error = await rejectionOf(() => a.save('{"n":"stale"}', { expectedVersion: v1! }));
    expect(error).toBeInstanceOf(TokenCacheConflictError);
    expect((error as TokenCacheConflictError).actualVersion).toBe(v2);
    expect((await a.load())?.version).toBe(v2);
  });

  it('the TTL defaults to 90 days and is set again on every save', async () => {
    const backend = track(new RedisTokenBackend({ url: redis.url, key: uniqueKey('ttl') }));
    expect(backend.ttlSeconds).toBe(DEFAULT_TTL_SECONDS);
    expect(DEFAULT_TTL_SECONDS).toBe(90 * 24 * 3600);
    await backend.save('{"a":1}');
    const ttl = Number(await redis.command(['TTL', backend.dataKey]));
    expect(ttl).toBeGreaterThan(DEFAULT_TTL_SECONDS - 5);
    expect(ttl).toBeLessThanOrEqual(DEFAULT_TTL_SECONDS);
    await redis.command(['EXPIRE', backend.dataKey, '100']);
    await backend.save('{"a":2}');
    expect(Number(await redis.command(['TTL', backend.dataKey]))).toBeGreaterThan(DEFAULT_TTL_SECONDS - 5);
  });

  it('ttlSeconds: 0 stores without expiry (and removes an expiry set before)', async () => {
    const key = uniqueKey('no-ttl');
    await track(new RedisTokenBackend({ url: redis.url, key, ttlSeconds: 60 })).save('{}');
    const backend = track(new RedisTokenBackend({ url: redis.url, key, ttlSeconds: 0 }));
    expect(Number(await redis.command(['TTL', backend.dataKey]))).toBeGreaterThan(0);
    await backend.save('{"b":1}');
    expect(await redis.command(['TTL', backend.dataKey])).toBe(-1);
  });

  it('a cache whose TTL ran out loads as undefined', async () => {
    const backend = track(new RedisTokenBackend({ url: redis.url, key: uniqueKey('expired'), ttlSeconds: 1 }));
    await backend.save('{}');
    await redis.command(['PEXPIRE', backend.dataKey, '1']);
    await new Promise((r) => setTimeout(r, 20));
    expect(await backend.load()).toBeUndefined();
  });

  it('empty data is stored and read back as an empty string', async () => {
    const backend = track(new RedisTokenBackend({ url: redis.url, key: uniqueKey('empty') }));
    const { version } = await backend.save('');
    expect(await backend.load()).toEqual({ data: '', version });
  });

  it('data with a lone surrogate (which UTF-8 cannot carry) is refused, not silently changed', async () => {
    const backend = track(new RedisTokenBackend({ url: redis.url, key: uniqueKey('surrogate') }));
    await backend.save('{"ok":1}');
    const error = await rejectionOf(() => backend.save('{"bad":"\uD800"}'));
    expect(error.message).toMatch(/lone UTF-16 surrogate/);
    expect((await backend.load())?.data).toBe('{"ok":1}');
  });

  it('save() of a non-string rejects with TokenBackendError before any I/O', async () => {
    const backend = track(new RedisTokenBackend({ url: redis.url, key: uniqueKey('nonstring') }));
    const error = await rejectionOf(() => backend.save(42 as unknown as string));
    expect(error.message).toMatch(/got number/);
    expect(await backend.load()).toBeUndefined();
  });
});

describe('scripts and permissions', () => {
  it('scripts run by EVALSHA, and again after the server lost its script cache (SCRIPT FLUSH)', async () => {
    const backend = track(new RedisTokenBackend({ url: redis.url, key: uniqueKey('flush') }));
    await backend.save('{"a":1}');
    await redis.command(['SCRIPT', 'FLUSH']);
    expect((await backend.load())?.data).toBe('{"a":1}');
    await redis.command(['SCRIPT', 'FLUSH']);
    const release = await backend.lock();
    await redis.command(['SCRIPT', 'FLUSH']);
    await release();
    expect(await redis.command(['EXISTS', backend.lockKey])).toBe(0);
  });

  it('the ACL the README lists is enough: save, conditional save, load, lock, delete', async () => {
    const user = `app${++counter}`;
    await redis.command(['ACL', 'SETUSER', user, 'reset', 'on', '>app-pw', '~o365:*', ...ACL_COMMANDS.map((c) => `+${c}`)]);
    const backend = track(new RedisTokenBackend({ url: `redis://${user}:app-pw@127.0.0.1:${redis.port}`, key: uniqueKey('acl') }));
    const { version } = await backend.save('{"a":1}', { expectedVersion: null });
    await backend.save('{"a":2}', { expectedVersion: version! });
    expect((await backend.load())?.data).toBe('{"a":2}');
    const release = await backend.lock({ timeoutMs: 0 });
    await expect(backend.lock({ timeoutMs: 0 })).rejects.toBeInstanceOf(TokenBackendError);
    await release();
    await backend.delete();
    expect(await backend.load()).toBeUndefined();
  });

  it('a user missing a permission gets NOPERM with a pointer to the ACL section', async () => {
    const user = `limited${++counter}`;
    await redis.command(['ACL', 'SETUSER', user, 'reset', 'on', '>pw', '~o365:*', ...ACL_COMMANDS.filter((c) => c !== 'hset').map((c) => `+${c}`)]);
    const backend = track(new RedisTokenBackend({ url: `redis://${user}:pw@127.0.0.1:${redis.port}`, key: uniqueKey('noperm') }));
    expect(await backend.load()).toBeUndefined();
    const error = await rejectionOf(() => backend.save('{}'));
    expect(error.message).toMatch(/can't run this command/);
    expect(error.message).toMatch(/ACL section of the @o365\/backend-redis README/);
  });
});

/** The commands of the README's ACL line (the backend's own and those its scripts call). */
const ACL_COMMANDS = ['hmget', 'evalsha', 'eval', 'set', 'pttl', 'type', 'hget', 'hexists', 'hset', 'pexpire', 'persist', 'del', 'get'];

describe('clients', () => {
  it('a supplied client that is not connected yet is connected, and left open by close()', async () => {
    const client = createClient({ url: redis.url });
    client.on('error', () => undefined);
    try {
      const backend = new RedisTokenBackend({ client, key: uniqueKey('supplied') });
      expect(client.isOpen).toBe(false);
      await Promise.all([backend.save('{"x":1}'), new RedisTokenBackend({ client, key: uniqueKey('supplied') }).load()]);
      expect(client.isOpen).toBe(true);
      await backend.close();
      expect(client.isOpen).toBe(true);
      expect(await client.ping()).toBe('PONG');
      await expect(backend.load()).rejects.toThrow(/the backend was closed/);
    } finally {
      client.destroy();
    }
  });

  it('RESP3 clients and clients whose replies are Buffers work the same', async () => {
    const resp3 = createClient({ url: redis.url, RESP: 3 });
    const buffers = createClient({ url: redis.url }).withTypeMapping({ [RESP_TYPES.BLOB_STRING]: Buffer });
    resp3.on('error', () => undefined);
    buffers.on('error', () => undefined);
    await resp3.connect();
    try {
      const key = uniqueKey('resp3');
      const a = new RedisTokenBackend({ client: resp3, key });
      const { version } = await a.save('{"é":"漢字😀"}');
      expect(await a.load()).toEqual({ data: '{"é":"漢字😀"}', version });
      const b = new RedisTokenBackend({ client: buffers, key });
      expect(await b.load()).toEqual({ data: '{"é":"漢字😀"}', version });
      await expect(b.save('{}', { expectedVersion: 'stale' })).rejects.toBeInstanceOf(TokenCacheConflictError);
    } finally {
      resp3.destroy();
      if (buffers.isOpen) buffers.destroy();
    }
  });

  it('an owned client closes on close(); the backend then rejects every call', async () => {
    const backend = new RedisTokenBackend({ url: redis.url, key: uniqueKey('owned') });
    await backend.save('{}');
    const before = Number(String(await redis.command(['INFO', 'clients'])).match(/connected_clients:(\d+)/)?.[1]);
    await backend.close();
    await backend.close();
    const after = Number(String(await redis.command(['INFO', 'clients'])).match(/connected_clients:(\d+)/)?.[1]);
    expect(after).toBe(before - 1);
    for (const op of [() => backend.load(), () => backend.save('{}'), () => backend.delete(), () => backend.lock()]) {
      expect((await rejectionOf(op)).message).toMatch(/the backend was closed/);
    }
  });

  it('REDIS_URL is the default server', async () => {
    const previous = process.env['REDIS_URL'];
    process.env['REDIS_URL'] = secured.url;
    try {
      const backend = track(new RedisTokenBackend({ key: uniqueKey('env') }));
      expect(backend.location).toBe(`redis://127.0.0.1:${secured.port}/${backend.dataKey}`);
      await backend.save('{"env":true}');
      expect((await backend.load())?.data).toBe('{"env":true}');
    } finally {
      if (previous === undefined) delete process.env['REDIS_URL'];
      else process.env['REDIS_URL'] = previous;
    }
  });

  it('an owned client that lost its server reconnects on the next call once the server is back', async () => {
    const server = await startRedis();
    const logger = recordingLogger();
    const backend = track(new RedisTokenBackend({ url: server.url, key: 'restart', logger, connectTimeoutMs: 500 }));
    await backend.save('{"before":1}');
    await server.stop();
    const error = await rejectionOf(() => backend.load());
    expect(error.message).toMatch(/could not load o365:\{restart\}:data/);
    // The same port again.
    const again = await startRedisOn(server.port);
    try {
      await backend.save('{"after":1}');
      expect((await backend.load())?.data).toBe('{"after":1}');
      expect(logger.entries.some((e) => e.level === 'warn' && e.message === 'Redis client error')).toBe(true);
    } finally {
      await backend.close();
      await again.stop();
    }
  });
});

/** A redis-server on a given port (for the restart test). */
async function startRedisOn(port: number): Promise<RedisServer> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await startRedis({ port });
    } catch (error) {
      if (attempt > 20) throw error;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

describe('failures are typed, bounded and free of secrets', () => {
  it('wrong password: TokenBackendError naming the key and host, WRONGPASS as cause, without the password', async () => {
    const url = `redis://:wrong-${PASSWORD}@127.0.0.1:${secured.port}`;
    const backend = track(new RedisTokenBackend({ url, key: 'wrongpass' }));
    const started = Date.now();
    const error = await rejectionOf(() => backend.load());
    expect(Date.now() - started).toBeLessThan(3000); // a rejected password is not retried
    expect(error.message).toContain(`redis://127.0.0.1:${secured.port}`);
    expect(error.message).toContain('o365:{wrongpass}:data');
    expect(error.message).toMatch(/WRONGPASS/);
    expect(error.message).toMatch(/rejected the username or password/);
    expect(error.backend).toBe('RedisTokenBackend');
    expect(error.location).toBe(`redis://127.0.0.1:${secured.port}/o365:{wrongpass}:data`);
    expect(String((error.cause as Error).message)).toMatch(/^WRONGPASS/);
    expect(visible(error)).not.toContain(PASSWORD);
    expect(inspect(backend)).not.toContain(PASSWORD);
  });

  it('a supplied client with a wrong password option: typed error, the password in no message', async () => {
    const client = createClient({ url: secured.urlWithoutPassword, password: `bad-${PASSWORD}`, socket: { reconnectStrategy: false } });
    client.on('error', () => undefined);
    const backend = new RedisTokenBackend({ client, key: 'client-password' });
    const error = await rejectionOf(() => backend.save(TOKEN_DATA));
    expect(error.message).toMatch(/WRONGPASS/);
    expect(visible(error)).not.toContain(PASSWORD);
    expect(inspect(backend, { showHidden: true, depth: 5 })).not.toContain(PASSWORD);
    expect(JSON.stringify(backend)).not.toContain(PASSWORD);
  });

  it('no password for a server that requires one: NOAUTH, with advice', async () => {
    const backend = track(new RedisTokenBackend({ url: secured.urlWithoutPassword, key: 'noauth' }));
    for (const op of [() => backend.load(), () => backend.save('{}'), () => backend.delete(), () => backend.lock({ timeoutMs: 100 })]) {
      const error = await rejectionOf(op);
      expect(error.message).toMatch(/NOAUTH/);
      expect(error.message).toMatch(/requires a password/);
    }
  });

  it('nothing listening: every call rejects within the connect bound, naming the host', async () => {
    const port = await freePort();
    const backend = track(new RedisTokenBackend({ url: `redis://user:${PASSWORD}@127.0.0.1:${port}`, key: 'down', connectTimeoutMs: 1000 }));
    for (const op of [() => backend.load(), () => backend.save(TOKEN_DATA), () => backend.delete(), () => backend.lock()]) {
      const started = Date.now();
      const error = await rejectionOf(op);
      expect(Date.now() - started).toBeLessThan(5000);
      expect(error.message).toContain(`redis://127.0.0.1:${port}`);
      expect(error.message).toMatch(/ECONNREFUSED/);
      expect(error.message).toMatch(/could not be reached/);
      expect(error.cause).toBeDefined();
      expect(visible(error)).not.toContain(PASSWORD);
      expect(visible(error)).not.toContain('refresh-token-marker');
    }
  });

  it('a host that never answers the TCP handshake: bounded by connectTimeoutMs', async () => {
    const hole = await startBlackhole();
    try {
      const backend = track(new RedisTokenBackend({ url: `redis://127.0.0.1:${hole.port}`, key: 'blackhole', connectTimeoutMs: 300 }));
      const started = Date.now();
      const error = await rejectionOf(() => backend.load());
      // 1 attempt + 3 reconnects of 300 ms each, plus short backoffs (the OS alone would wait minutes).
      expect(Date.now() - started).toBeLessThan(5000);
      expect(error.message).toContain(`redis://127.0.0.1:${hole.port}`);
      expect(error.message).toMatch(/could not be reached/);
    } finally {
      hole.stop();
    }
  });

  it('a server that accepts and then speaks garbage: bounded, and close() does not hang', async () => {
    const garbage = createServer((socket) => socket.end('HTTP/1.1 400 Bad Request\r\n\r\n'));
    await new Promise<void>((resolve) => garbage.listen(0, '127.0.0.1', resolve));
    const port = (garbage.address() as { port: number }).port;
    const backend = new RedisTokenBackend({ url: `redis://127.0.0.1:${port}`, key: 'garbage', commandTimeoutMs: 2000 });
    try {
      const started = Date.now();
      await rejectionOf(() => backend.load());
      expect(Date.now() - started).toBeLessThan(3000);
      const closing = Date.now();
      await backend.close();
      expect(Date.now() - closing).toBeLessThan(3000);
    } finally {
      garbage.close();
    }
  });

  it('a server that stops answering: the command times out after commandTimeoutMs', async () => {
    const server = await startRedis();
    const backend = track(new RedisTokenBackend({ url: server.url, key: 'hung', commandTimeoutMs: 300 }));
    try {
      await backend.save('{}');
      server.process.kill('SIGSTOP');
      const started = Date.now();
      const error = await rejectionOf(() => backend.load());
      expect(Date.now() - started).toBeLessThan(3000);
      expect(error.message).toMatch(/got no answer within 300 ms/);
      expect(error.message).toMatch(/did not answer in time/);
    } finally {
      server.process.kill('SIGCONT');
      await backend.close();
      await server.stop();
    }
  });

  it('a key holding a string: load, save and delete report WRONGTYPE and leave it alone', async () => {
    const backend = track(new RedisTokenBackend({ url: redis.url, key: uniqueKey('string') }));
    await redis.command(['SET', backend.dataKey, 'garbage']);
    for (const op of [() => backend.load(), () => backend.save(TOKEN_DATA), () => backend.delete(), () => backend.save('{}', { expectedVersion: null })]) {
      const error = await rejectionOf(op);
      expect(error).not.toBeInstanceOf(TokenCacheConflictError);
      expect(error.message).toContain(`${backend.dataKey} holds a string instead of a hash`);
      expect(error.message).toMatch(/does not hold a token cache written by @o365\/backend-redis/);
      expect(error.message).not.toContain('refresh-token-marker');
      expect((error.cause as { code?: string }).code).toBe('WRONGTYPE');
    }
    expect(await redis.command(['GET', backend.dataKey])).toBe('garbage');
  });

  it('a key holding a list: the type is named', async () => {
    const backend = track(new RedisTokenBackend({ url: redis.url, key: uniqueKey('list') }));
    await redis.command(['RPUSH', backend.dataKey, 'a']);
    expect((await rejectionOf(() => backend.load())).message).toContain('holds a list instead of a hash');
  });

  it('a hash that is not ours (no data/ver fields, or only one of them): reported, never overwritten', async () => {
    const backend = track(new RedisTokenBackend({ url: redis.url, key: uniqueKey('foreign') }));
    for (const fields of [['name', 'someone else'], ['data', 'x'], ['ver', 'y']]) {
      await redis.command(['DEL', backend.dataKey]);
      await redis.command(['HSET', backend.dataKey, ...fields]);
      for (const op of [() => backend.load(), () => backend.save('{}'), () => backend.delete()]) {
        const error = await rejectionOf(op);
        expect(error.message).toContain(`${backend.dataKey} holds a hash without the fields data and ver`);
        expect((error.cause as { code?: string }).code).toBe('NOT_OURS');
      }
      expect(await redis.command(['HGETALL', backend.dataKey])).toEqual(fields);
    }
  });

  it('a lock key holding another type: lock() times out typed instead of overwriting it', async () => {
    const backend = track(new RedisTokenBackend({ url: redis.url, key: uniqueKey('lock-type') }));
    await redis.command(['HSET', backend.lockKey, 'a', 'b']);
    const error = await rejectionOf(() => backend.lock({ timeoutMs: 100 }));
    expect(error.message).toMatch(/could not take the lock .* within 100 ms/);
  });

  it('a malformed url never echoes it (the password stays out of the TypeError)', () => {
    for (const url of [`redis://:${PASSWORD}@[bad`, `http://:${PASSWORD}@host`, '']) {
      let thrown: unknown;
      try {
        new RedisTokenBackend({ url });
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(TypeError);
      expect(visible(thrown)).not.toContain(PASSWORD);
    }
  });

  it('options are checked when the backend is made', () => {
    const client = createClient();
    expect(() => new RedisTokenBackend({ client, url: 'redis://x' })).toThrow(/either client or url/);
    expect(() => new RedisTokenBackend({ client: {} as never })).toThrow(/must be a node-redis client/);
    expect(() => new RedisTokenBackend({ key: '' })).toThrow(/key must be a non-empty string/);
    expect(() => new RedisTokenBackend({ key: 'a\nb' })).toThrow(/control characters/);
    expect(() => new RedisTokenBackend({ key: 'k'.repeat(1025) })).toThrow(/at most 1024/);
    expect(() => new RedisTokenBackend({ keyPrefix: 1 as never })).toThrow(/keyPrefix must be a string/);
    expect(() => new RedisTokenBackend({ ttlSeconds: -1 })).toThrow(/ttlSeconds must be an integer >= 0/);
    expect(() => new RedisTokenBackend({ ttlSeconds: 1.5 })).toThrow(/ttlSeconds/);
    expect(() => new RedisTokenBackend({ lockLeaseMs: 5 })).toThrow(/lockLeaseMs must be an integer >= 30/);
    expect(() => new RedisTokenBackend({ commandTimeoutMs: 0 })).toThrow(/commandTimeoutMs/);
    expect(() => new RedisTokenBackend({ connectTimeoutMs: Number.NaN })).toThrow(/connectTimeoutMs/);
  });

  it('no secret in toString, util.inspect or JSON of a backend, nor in the client error log', async () => {
    const logger = recordingLogger();
    const url = `redis://admin:${PASSWORD}@127.0.0.1:${await freePort()}/3`;
    const backend = track(new RedisTokenBackend({ url, key: 'shown', logger, connectTimeoutMs: 500 }));
    expect(backend.location).toBe(`${new URL(url).protocol}//127.0.0.1:${new URL(url).port}/3/o365:{shown}:data`);
    expect(String(backend)).toBe(`RedisTokenBackend(${backend.location})`);
    expect(JSON.parse(JSON.stringify(backend))).toEqual({ backend: 'RedisTokenBackend', location: backend.location });
    expect(inspect(backend, { depth: 10, showHidden: true })).toBe(
      `RedisTokenBackend { location: '${backend.location}', ttlSeconds: ${DEFAULT_TTL_SECONDS} }`,
    );
    await rejectionOf(() => backend.save(TOKEN_DATA));
    expect(logger.entries.length).toBeGreaterThan(0);
    const logged = JSON.stringify(logger.entries);
    expect(logged).not.toContain(PASSWORD);
    expect(logged).not.toContain('refresh-token-marker');
    expect(logged).not.toContain('admin');
  });
});
