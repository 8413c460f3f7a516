// `pnpm bench`: RedisTokenBackend's load / save / conditional save / lock+release against raw
// node-redis commands doing the plain equivalent (GET, SET, SET NX PX + DEL), interleaved in the
// same run on one local redis-server and one client. The ratio backend/baseline is what the
// backend adds: a Lua script (type check, version compare, HSET + PEXPIRE) instead of one command,
// a random version, the checks and the reply parsing. Absolute numbers are loopback's.
import { performance } from 'node:perf_hooks';
import { createClient } from 'redis';
import { RedisTokenBackend } from '../src/index.js';
import { startRedis } from '../test/redis-server.js';
import { formatHeader, formatRow, pairedSamples, timePair, type PairedSamples } from '@o365/bench';

const ROUNDS = 2000;
const WARMUP_ROUNDS = 100;
const BUDGET_MS_PER_SIZE = 15_000;
const LABEL_WIDTH = 30;

const redis = await startRedis();
const client = createClient({ url: redis.url });
client.on('error', () => undefined);
await client.connect();
const backend = new RedisTokenBackend({ client, key: 'bench' });
const RAW_KEY = 'bench:raw';
const RAW_LOCK = 'bench:raw:lock';

try {
  console.log(`RedisTokenBackend vs raw node-redis on redis-server (127.0.0.1), interleaved, ${WARMUP_ROUNDS} warm-up rounds, up to ${ROUNDS} measured`);
  console.log(formatHeader(LABEL_WIDTH));
  for (const [label, size] of [
    ['8 KB', 8 * 1024],
    ['256 KB', 256 * 1024],
  ] as const) {
    const data = JSON.stringify({ blob: 'x'.repeat(size) });
    const saves: PairedSamples = pairedSamples();
    const conditional: PairedSamples = pairedSamples();
    const loads: PairedSamples = pairedSamples();
    const locks: PairedSamples = pairedSamples();
    let version = (await backend.save(data)).version;
    await client.set(RAW_KEY, data);
    const deadline = performance.now() + BUDGET_MS_PER_SIZE;
    for (let i = 0; i < WARMUP_ROUNDS + ROUNDS && performance.now() < deadline; i++) {
      const record = i >= WARMUP_ROUNDS;
      await timePair(i, saves, async () => (version = (await backend.save(data)).version), () => client.set(RAW_KEY, data), record);
      await timePair(
        i,
        conditional,
        async () => (version = (await backend.save(data, { expectedVersion: version ?? null })).version),
        () => client.set(RAW_KEY, data),
        record,
      );
      await timePair(
        i,
        loads,
        async () => {
          const stored = await backend.load();
          if (stored?.data.length !== data.length) throw new Error('backend load returned a different cache');
        },
        async () => {
          const stored = await client.get(RAW_KEY);
          if (stored?.length !== data.length) throw new Error('raw GET returned a different value');
        },
        record,
      );
      await timePair(
        i,
        locks,
        async () => {
          const release = await backend.lock({ timeoutMs: 1000 });
          await release();
        },
        async () => {
          if ((await client.set(RAW_LOCK, 'owner', { condition: 'NX', expiration: { type: 'PX', value: 15_000 } })) !== 'OK') {
            throw new Error('raw lock taken');
          }
          await client.del(RAW_LOCK);
        },
        record,
      );
    }
    console.log(formatRow(`${label}: save`, saves, LABEL_WIDTH));
    console.log(formatRow(`${label}: conditional save`, conditional, LABEL_WIDTH));
    console.log(formatRow(`${label}: load`, loads, LABEL_WIDTH));
    console.log(formatRow(`${label}: lock + release`, locks, LABEL_WIDTH));
  }
} finally {
  client.destroy();
  await redis.stop();
}
