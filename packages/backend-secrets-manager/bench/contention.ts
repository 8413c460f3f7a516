// `pnpm bench`: cost of each backend call against the fake Secrets Manager (real SDK, real HTTP,
// loopback), in API calls and milliseconds, and what contention costs with N writers. The numbers
// that carry over to AWS are the API call counts; the latencies only compare the paths.
import { performance } from 'node:perf_hooks';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { TokenCacheConflictError } from '@o365/core';
import { AWSSecretsBackend } from '../src/index.js';
import { FakeSecretsManager } from '../test/fake-secrets-manager.js';

const fake = await FakeSecretsManager.start();
const client = new SecretsManagerClient({ region: fake.region, endpoint: fake.url, credentials: fake.defaultCredentials });
const backend = (name: string) => new AWSSecretsBackend({ secretName: name, client });
const cache = JSON.stringify({ AccessToken: {}, RefreshToken: {}, IdToken: {}, Account: {}, pad: 'x'.repeat(6000) });

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function measure(label: string, runs: number, op: (i: number) => Promise<unknown>): Promise<void> {
  const times: number[] = [];
  const before = fake.requests.length;
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await op(i);
    times.push(performance.now() - t);
  }
  const calls = (fake.requests.length - before) / runs;
  console.log(`${label.padEnd(44)} ${calls.toFixed(2).padStart(5)} API calls/op   median ${median(times).toFixed(2)} ms`);
}

const b = backend('bench/sequential');
await b.save(cache);
await measure('load()', 200, () => b.load());
await measure('save(data)', 100, (i) => b.save(`${cache}${i}`));
await measure('load() + save(data, { expectedVersion })', 100, async (i) => {
  const { version } = (await b.load())!;
  await b.save(`${cache}c${i}`, { expectedVersion: version! });
});
await measure('save(data, { expectedVersion: null }) (new)', 50, (i) => backend(`bench/create-${i}`).save(cache, { expectedVersion: null }));

for (const writers of [2, 5, 20]) {
  const name = `bench/contention-${writers}`;
  await backend(name).save(JSON.stringify([]));
  const before = fake.requests.length;
  let conflicts = 0;
  const t = performance.now();
  await Promise.all(
    Array.from({ length: writers }, async (_, i) => {
      const w = backend(name);
      for (let attempt = 0; attempt < 500; attempt++) {
        const current = (await w.load())!;
        try {
          await w.save(JSON.stringify([...(JSON.parse(current.data) as number[]), i]), { expectedVersion: current.version! });
          return;
        } catch (err) {
          if (!(err instanceof TokenCacheConflictError)) throw err;
          conflicts++;
        }
      }
      throw new Error('writer starved');
    }),
  );
  const ms = performance.now() - t;
  const stored = JSON.parse((await backend(name).load())!.data) as number[];
  const calls = fake.requests.length - before;
  console.log(
    `${String(writers).padStart(2)} concurrent writers: ${stored.length}/${writers} writes kept, ${conflicts} conflicts, ${calls} API calls (${(calls / writers).toFixed(1)} per write), ${ms.toFixed(0)} ms`,
  );
}

client.destroy();
await fake.stop();
