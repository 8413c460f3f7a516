// RedisPartitionedTokenBackend against a real redis-server: isolation, deletes, hash-tagged keys
// (slots checked by a cluster-enabled redis-server's own CLUSTER KEYSLOT), many partitions on one
// client, partition-key rules, and what close() does to the partitions.
import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { TokenBackendError, TokenCacheConflictError } from '@o365/core/backend';
import { createClient } from 'redis';
import { RedisPartitionedTokenBackend, RedisTokenBackend } from '../src/index.js';
import { startRedis, type RedisServer } from './redis-server.js';

let redis: RedisServer;
let clusterNode: RedisServer;
let caches: RedisPartitionedTokenBackend;

beforeAll(async () => {
  [redis, clusterNode] = await Promise.all([startRedis(), startRedis({ args: ['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf'] })]);
  caches = new RedisPartitionedTokenBackend({ url: redis.url, keyPrefix: 'part:' });
});
afterAll(async () => {
  await caches?.close();
  await Promise.all([redis?.stop(), clusterNode?.stop()]);
});

const keyslot = async (key: string): Promise<number> => Number(await clusterNode.command(['CLUSTER', 'KEYSLOT', key]));

describe('RedisPartitionedTokenBackend', () => {
  it('partition(key) is a RedisTokenBackend at ${keyPrefix}{key}:data / :lock', () => {
    const adele = caches.partition('adele');
    expect(adele).toBeInstanceOf(RedisTokenBackend);
    expect(adele.dataKey).toBe('part:{adele}:data');
    expect(adele.lockKey).toBe('part:{adele}:lock');
    expect(adele.location).toBe(`redis://127.0.0.1:${redis.port}/part:{adele}:data`);
    expect(caches.location).toBe(`redis://127.0.0.1:${redis.port}/part:{*}:data`);
    expect(new RedisPartitionedTokenBackend({ url: redis.url }).partition('x').dataKey).toBe('o365:{x}:data');
  });

  it('a write to one partition is invisible from another; the same key is the same storage', async () => {
    const a = caches.partition('iso-a');
    const b = caches.partition('iso-b');
    const { version } = await a.save('{"user":"a"}');
    expect(await b.load()).toBeUndefined();
    expect(await caches.partition('iso-a').load()).toEqual({ data: '{"user":"a"}', version });
    await b.save('{"user":"b"}');
    expect((await a.load())?.data).toBe('{"user":"a"}');
    // A version of partition a means nothing in partition b.
    await expect(b.save('{}', { expectedVersion: version! })).rejects.toBeInstanceOf(TokenCacheConflictError);
  });

  it('locks are per partition', async () => {
    const release = await caches.partition('lock-a').lock({ timeoutMs: 0 });
    const other = await caches.partition('lock-b').lock({ timeoutMs: 0 });
    await expect(caches.partition('lock-a').lock({ timeoutMs: 0 })).rejects.toBeInstanceOf(TokenBackendError);
    await Promise.all([release(), other()]);
  });

  it('deleting one partition leaves the others', async () => {
    const keys = ['del-1', 'del-2', 'del-3'];
    await Promise.all(keys.map((k) => caches.partition(k).save(JSON.stringify({ k }))));
    await caches.partition('del-2').delete();
    expect(await caches.partition('del-2').load()).toBeUndefined();
    expect((await caches.partition('del-1').load())?.data).toBe('{"k":"del-1"}');
    expect((await caches.partition('del-3').load())?.data).toBe('{"k":"del-3"}');
  });

  it("a partition's data and lock keys share a Redis Cluster slot; different partitions spread over slots", async () => {
    const slots = new Set<number>();
    for (const key of ['adele', 'alex@contoso.com', '00000000-0000-0000-0000-000000000001.tenant', 'a}b{c', '{x}', '}x', '}', '{}', 'ümlaut-漢字']) {
      const p = caches.partition(key);
      const dataSlot = await keyslot(p.dataKey);
      expect(await keyslot(p.lockKey)).toBe(dataSlot);
      slots.add(dataSlot);
    }
    expect(slots.size).toBeGreaterThan(5);
    // The slot is the one of the (encoded) partition key alone: the prefix does not matter.
    expect(await keyslot(caches.partition('adele').dataKey)).toBe(await keyslot('adele'));
    expect(await keyslot(new RedisPartitionedTokenBackend({ url: redis.url, keyPrefix: 'other:' }).partition('adele').dataKey)).toBe(
      await keyslot('adele'),
    );
  });

  it('partition keys with braces, colons and unicode stay distinct and round-trip', async () => {
    const keys = ['a}:data', 'a', 'a}', '{a}', 'a:lock', 'ü', 'u\u0308', '😀', '%7D', '}', 'a%7D'];
    await Promise.all(keys.map((k) => caches.partition(k).save(JSON.stringify({ k }))));
    for (const k of keys) expect((await caches.partition(k).load())?.data).toBe(JSON.stringify({ k }));
    const stored = new Set(keys.map((k) => caches.partition(k).dataKey));
    expect(stored.size).toBe(keys.length);
  });

  it('1,000 partitions on one shared connection, saved and loaded at once', async () => {
    const many = new RedisPartitionedTokenBackend({ url: redis.url, keyPrefix: 'many:' });
    try {
      const keys = Array.from({ length: 1000 }, (_v, i) => `user-${i}`);
      const versions = await Promise.all(keys.map((k) => many.partition(k).save(JSON.stringify({ k }))));
      expect(new Set(versions.map((v) => v.version)).size).toBe(1000);
      const loaded = await Promise.all(keys.map((k) => many.partition(k).load()));
      loaded.forEach((s, i) => expect(s?.data).toBe(JSON.stringify({ k: keys[i] })));
      let cursor = '0';
      let found = 0;
      do {
        const [next, batch] = (await redis.command(['SCAN', cursor, 'MATCH', 'many:{*}:data', 'COUNT', '500'])) as [string, string[]];
        cursor = next;
        found += batch.length;
      } while (cursor !== '0');
      expect(found).toBe(1000);
      const clients = Number(String(await redis.command(['INFO', 'clients'])).match(/connected_clients:(\d+)/)?.[1]);
      expect(clients).toBeLessThanOrEqual(4); // the two partitioned backends' clients and this INFO's
    } finally {
      await many.close();
    }
  });

  it('invalid partition keys reject with TokenBackendError before any I/O', () => {
    for (const key of ['', 'a\nb', 'x'.repeat(1025), 42 as unknown as string, null as unknown as string]) {
      expect(() => caches.partition(key)).toThrow(TokenBackendError);
    }
    expect(() => caches.partition('x'.repeat(1024))).not.toThrow();
  });

  it('options are checked when the backend is made', () => {
    expect(() => new RedisPartitionedTokenBackend({ key: 'x' } as never)).toThrow(/partition key is given to partition/);
    expect(() => new RedisPartitionedTokenBackend({ ttlSeconds: -5 })).toThrow(/^RedisPartitionedTokenBackend: ttlSeconds must be an integer >= 0$/);
    expect(() => new RedisPartitionedTokenBackend({ client: createClient(), url: redis.url })).toThrow(/either client or url/);
    expect(() => new RedisPartitionedTokenBackend({ keyPrefix: 'a\u0000' })).toThrow(/control characters/);
    expect(() => new RedisPartitionedTokenBackend({ keyPrefix: '{tenant}:' })).toThrow(/must not contain \{ or \}/);
  });

  it('after close(), every partition rejects with TokenBackendError, and the client is not reopened', async () => {
    const mine = new RedisPartitionedTokenBackend({ url: redis.url, keyPrefix: 'closing:' });
    const early = mine.partition('p');
    await early.save('{}');
    await mine.close();
    for (const p of [early, mine.partition('q')]) {
      const error = await p.load().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(TokenBackendError);
      expect((error as Error).message).toMatch(/RedisPartitionedTokenBackend was closed/);
    }
  });

  it('with a supplied client: partitions share it, and close() leaves it open', async () => {
    const client = createClient({ url: redis.url });
    client.on('error', () => undefined);
    try {
      const shared = new RedisPartitionedTokenBackend({ client, keyPrefix: 'supplied:' });
      await shared.partition('a').save('{"a":1}');
      expect(client.isOpen).toBe(true);
      await shared.partition('a').close(); // a partition's close leaves the shared client alone
      expect((await shared.partition('a').load())?.data).toBe('{"a":1}');
      await shared.close();
      expect(client.isOpen).toBe(true);
      expect(await client.ping()).toBe('PONG');
    } finally {
      client.destroy();
    }
  });

  it('shows no credentials', () => {
    const url = `redis://user:pa55word-xyz@127.0.0.1:${redis.port}/1`;
    const b = new RedisPartitionedTokenBackend({ url });
    const shown = `${String(b)} ${inspect(b, { showHidden: true, depth: 5 })} ${JSON.stringify(b)} ${inspect(b.partition('p'))}`;
    expect(shown).not.toContain('pa55word-xyz');
    expect(shown).not.toContain('user');
    expect(JSON.parse(JSON.stringify(b))).toEqual({ backend: 'RedisPartitionedTokenBackend', location: `redis://127.0.0.1:${redis.port}/1/o365:{*}:data` });
    return b.close();
  });
});
