// Redis Cluster: a real 3-master cluster of redis-servers and node-redis's cluster client. The
// conformance suite (end to end included) on backends and on partitions, and checks that
// partitions really spread over the masters while each partition's data and lock share a node.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { runTokenBackendConformance } from '@o365/backend-testkit';
import { TokenBackendError } from '@o365/core/backend';
import { createClient, createCluster } from 'redis';
import { RedisPartitionedTokenBackend, RedisTokenBackend } from '../src/index.js';
import { freePort, startRedisCluster, type RedisClusterServers } from './redis-server.js';

let servers: RedisClusterServers | undefined;
let cluster: ReturnType<typeof createCluster> | undefined;
let partitioned: RedisPartitionedTokenBackend | undefined;

beforeAll(async () => {
  servers = await startRedisCluster(3);
  // Not connected here: the backends connect a client they are given when it is not open.
  cluster = createCluster({ rootNodes: [{ url: servers.rootUrls[0]! }] });
  cluster.on('error', () => undefined);
  partitioned = new RedisPartitionedTokenBackend({ client: cluster, keyPrefix: 'cl:' });
}, 60_000);

afterAll(async () => {
  await partitioned?.close();
  if (cluster?.isOpen) await cluster.close();
  await servers?.stop();
});

const running = <T>(value: T | undefined): T => {
  if (value === undefined) throw new Error('the cluster is not running');
  return value;
};

async function unreachableCluster(): Promise<ReturnType<typeof createCluster>> {
  const c = createCluster({ rootNodes: [{ url: `redis://127.0.0.1:${await freePort()}`, socket: { connectTimeout: 500, reconnectStrategy: false } }] });
  c.on('error', () => undefined);
  return c;
}

runTokenBackendConformance({
  name: 'RedisTokenBackend on Redis Cluster',
  createBackend: (key) => new RedisTokenBackend({ client: running(cluster), key }),
  createUnreachableBackend: async () => new RedisTokenBackend({ client: await unreachableCluster(), key: 'x' }),
});

runTokenBackendConformance({
  name: 'RedisPartitionedTokenBackend partitions on Redis Cluster',
  createBackend: (key) => running(partitioned).partition(key),
  createUnreachableBackend: async () => new RedisPartitionedTokenBackend({ client: await unreachableCluster() }).partition('x'),
});

describe('on Redis Cluster', () => {
  it("partitions spread over the masters, and each partition's data and lock keys sit on one node", async () => {
    const nodes = running(servers).nodes;
    const caches = running(partitioned);
    const keys = Array.from({ length: 60 }, (_v, i) => `spread-${i}`);
    await Promise.all(keys.map((k) => caches.partition(k).save(JSON.stringify({ k }))));
    const releases = await Promise.all(keys.map((k) => caches.partition(k).lock({ timeoutMs: 0 })));
    // One plain client per node: a key another node owns answers MOVED there.
    const direct = await Promise.all(
      nodes.map(async (n) => {
        const c = createClient({ url: n.url });
        c.on('error', () => undefined);
        await c.connect();
        return c;
      }),
    );
    const exists = (i: number, key: string): Promise<unknown> => direct[i]!.sendCommand(['EXISTS', key]).catch(() => 0);
    const holders = new Set<number>();
    try {
      for (const k of keys) {
        const p = caches.partition(k);
        const owners = await Promise.all(nodes.map(async (_n, i) => ({ i, data: await exists(i, p.dataKey), lock: await exists(i, p.lockKey) })));
        const withData = owners.filter((o) => o.data === 1).map((o) => o.i);
        const withLock = owners.filter((o) => o.lock === 1).map((o) => o.i);
        expect(withData).toHaveLength(1);
        expect(withLock).toEqual(withData);
        holders.add(withData[0]!);
      }
    } finally {
      for (const c of direct) c.destroy();
    }
    expect(holders.size).toBe(3);
    await Promise.all(releases.map((r) => r()));
    for (const k of keys) expect((await caches.partition(k).load())?.data).toBe(JSON.stringify({ k }));
  });

  it('names the cluster (never credentials) in locations and errors', async () => {
    const port = running(servers).nodes[0]!.port;
    const backend = new RedisTokenBackend({ client: running(cluster), key: 'named' });
    expect(backend.location).toBe(`redis-cluster://127.0.0.1:${port}/o365:{named}:data`);
    const down = new RedisTokenBackend({ client: await unreachableCluster(), key: 'down' });
    const error = await down.load().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(TokenBackendError);
    expect((error as Error).message).toMatch(/redis-cluster:\/\/127\.0\.0\.1:\d+/);
  });
});
