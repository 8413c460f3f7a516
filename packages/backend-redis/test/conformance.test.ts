// The shared TokenBackend contract suite (with its end-to-end Account run against @o365/emulator)
// against a real redis-server: backends on clients of their own, backends sharing one
// user-supplied client of a password-protected server, and partitions of the partitioned backend.
import { afterAll, beforeAll } from '@jest/globals';
import { runPartitionedTokenBackendConformance, runTokenBackendConformance } from '@o365/backend-testkit';
import { createClient } from 'redis';
import { RedisPartitionedTokenBackend, RedisTokenBackend } from '../src/index.js';
import { freePort, startRedis, type RedisServer } from './redis-server.js';

let plain: RedisServer | undefined;
let secured: RedisServer | undefined;
let sharedClient: ReturnType<typeof createClient> | undefined;
let partitioned: RedisPartitionedTokenBackend | undefined;
const closeables: { close(): Promise<void> }[] = [];

function track<T extends { close(): Promise<void> }>(backend: T): T {
  closeables.push(backend);
  return backend;
}

const running = <T>(value: T | undefined, what: string): T => {
  if (value === undefined) throw new Error(`${what} is not running`);
  return value;
};

beforeAll(async () => {
  [plain, secured] = await Promise.all([startRedis(), startRedis({ password: 'conformance-pw' })]);
  sharedClient = createClient({ url: secured.url });
  sharedClient.on('error', () => undefined);
  await sharedClient.connect();
  partitioned = new RedisPartitionedTokenBackend({ url: plain.url, keyPrefix: 'conformance:' });
});

afterAll(async () => {
  await Promise.all(closeables.map((b) => b.close()));
  await partitioned?.close();
  if (sharedClient?.isOpen) await sharedClient.close();
  await Promise.all([plain?.stop(), secured?.stop()]);
});

/** A client-side view of a server that refuses connections, failing fast. */
async function closedUrl(): Promise<string> {
  return `redis://127.0.0.1:${await freePort()}`;
}

runTokenBackendConformance({
  name: 'RedisTokenBackend',
  createBackend: (key) => track(new RedisTokenBackend({ url: running(plain, 'redis-server').url, key })),
  createUnreachableBackend: async () => track(new RedisTokenBackend({ url: await closedUrl(), key: 'unreachable', connectTimeoutMs: 1000 })),
});

runTokenBackendConformance({
  name: 'RedisTokenBackend with requirepass, one shared client',
  createBackend: (key) => new RedisTokenBackend({ client: running(sharedClient, 'the shared client'), key }),
  async createUnreachableBackend() {
    // A client of the application's, never connected, pointing at a closed port.
    const client = createClient({ url: `redis://:conformance-pw@127.0.0.1:${await freePort()}`, socket: { connectTimeout: 1000, reconnectStrategy: false } });
    client.on('error', () => undefined);
    return new RedisTokenBackend({ client, key: 'unreachable' });
  },
});

runTokenBackendConformance({
  name: 'RedisPartitionedTokenBackend partitions',
  createBackend: (key) => running(partitioned, 'the partitioned backend').partition(key),
  createUnreachableBackend: async () =>
    track(new RedisPartitionedTokenBackend({ url: await closedUrl(), connectTimeoutMs: 1000 })).partition('unreachable'),
});

// The partitioned-store rules (isolation, awkward keys, delete one, invalid keys, independent locks).
runPartitionedTokenBackendConformance({
  name: 'RedisPartitionedTokenBackend',
  createPartitioned: (namespace) => track(new RedisPartitionedTokenBackend({ url: running(plain, 'redis-server').url, keyPrefix: `${namespace}:` })),
});
