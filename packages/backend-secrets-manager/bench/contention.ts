// `pnpm bench`: each AWSSecretsBackend call against the raw SecretsManagerClient call(s) doing the
// equivalent work, interleaved in the same run on one fake Secrets Manager (test/, real SDK, real
// HTTP, loopback) and one client; then what contention costs with N writers, against writers doing
// a raw read-modify-write without a compare-and-swap. What carries over to AWS are the API call
// counts and the ratios; the milliseconds are the fake's on loopback, with none of AWS's latency,
// so a row that makes 4 calls where the baseline makes 1 would cost about 4x there too.
import {
  CreateSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { TokenCacheConflictError } from '@o365/core';
import { performance } from 'node:perf_hooks';
import { AWSSecretsBackend } from '../src/index.js';
import { FakeSecretsManager } from '../test/fake-secrets-manager.js';
import { formatHeader, formatRow, pairedSamples, timePair, type PairedSamples } from '@o365/bench';

// The SDK warns once per process that its 2027 releases will need Node 22; it is noise here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const ROUNDS = 150;
const WARMUP_ROUNDS = 10;
// Rows take 2-15 ms per pair on an idle 2-core machine; the budget bounds a busy one (the printed
// sample count says when a row was cut short).
const BUDGET_MS_PER_ROW = 6_000;
const LABEL_WIDTH = 46;

const fake = await FakeSecretsManager.start();
// One client for both sides: same connection pool, signing and retry configuration.
const client = new SecretsManagerClient({ region: fake.region, endpoint: fake.url, credentials: fake.defaultCredentials });
const backend = (name: string) => new AWSSecretsBackend({ secretName: name, client });
const cache = JSON.stringify({ AccessToken: {}, RefreshToken: {}, IdToken: {}, Account: {}, pad: 'x'.repeat(6000) });

const rawGet = async (name: string): Promise<{ data: string; version: string | undefined }> => {
  const out = await client.send(new GetSecretValueCommand({ SecretId: name }));
  if (typeof out.SecretString !== 'string') throw new Error(`raw GetSecretValue: ${name} has no SecretString`);
  return { data: out.SecretString, version: out.VersionId };
};
// The SDK fills ClientRequestToken itself (an idempotency token in the service model).
const rawPut = (name: string, data: string) => client.send(new PutSecretValueCommand({ SecretId: name, SecretString: data }));
const rawCreate = (name: string, data: string) => client.send(new CreateSecretCommand({ Name: name, SecretString: data }));

interface Row {
  label: string;
  baseline: string;
  backendOp: (i: number) => Promise<unknown>;
  baselineOp: (i: number) => Promise<unknown>;
}

/** Counts the fake's requests made by `op`; the pair runs sequentially, so the delta is op's alone. */
function counted(op: (i: number) => Promise<unknown>, calls: { n: number }): (i: number) => Promise<unknown> {
  return async (i) => {
    const before = fake.requests.length;
    await op(i);
    calls.n += fake.requests.length - before;
  };
}

async function measure(row: Row): Promise<void> {
  const samples: PairedSamples = pairedSamples();
  const backendCalls = { n: 0 };
  const baselineCalls = { n: 0 };
  const backendOp = counted(row.backendOp, backendCalls);
  const baselineOp = counted(row.baselineOp, baselineCalls);
  const deadline = performance.now() + BUDGET_MS_PER_ROW;
  let rounds = 0;
  for (let i = 0; i < WARMUP_ROUNDS + ROUNDS && performance.now() < deadline; i++) {
    await timePair(i, samples, () => backendOp(i), () => baselineOp(i), i >= WARMUP_ROUNDS);
    rounds++;
  }
  const calls = `   ${(backendCalls.n / rounds).toFixed(2).padStart(5)} vs ${(baselineCalls.n / rounds).toFixed(2).padStart(4)}   ${row.baseline}`;
  console.log(formatRow(row.label, samples, LABEL_WIDTH, calls));
}

console.log(`AWSSecretsBackend vs raw SecretsManagerClient on the fake (127.0.0.1), interleaved, ${WARMUP_ROUNDS} warm-up rounds, up to ${ROUNDS} measured`);
console.log(formatHeader(LABEL_WIDTH, `   ${'API calls/op'.padStart(13)}   baseline`));

// Backend and baseline each write their own secret, the same number of times, so the fake holds
// as many versions for one as for the other.
const b = backend('bench/backend');
await b.save(cache);
const RAW = 'bench/raw';
await rawCreate(RAW, cache);
let version = (await b.load())!.version!;

await measure({
  label: 'load()',
  baseline: 'GetSecretValue',
  backendOp: () => b.load(),
  baselineOp: () => rawGet(RAW),
});
await measure({
  label: 'save(data)',
  baseline: 'PutSecretValue',
  backendOp: (i) => b.save(`${cache}${i}`),
  baselineOp: (i) => rawPut(RAW, `${cache}${i}`),
});
version = (await b.load())!.version!;
await measure({
  label: 'save(data, { expectedVersion })',
  baseline: 'PutSecretValue (no compare-and-swap)',
  backendOp: async (i) => (version = (await b.save(`${cache}v${i}`, { expectedVersion: version })).version!),
  baselineOp: (i) => rawPut(RAW, `${cache}v${i}`),
});
const loadAndSave = async (i: number) => {
  const { version: current } = (await b.load())!;
  await b.save(`${cache}c${i}`, { expectedVersion: current! });
};
await measure({
  label: 'load() + save(data, { expectedVersion })',
  baseline: 'PutSecretValue (no compare-and-swap)',
  backendOp: loadAndSave,
  baselineOp: (i) => rawPut(RAW, `${cache}c${i}`),
});
await measure({
  label: 'load() + save(data, { expectedVersion })',
  baseline: 'GetSecretValue + PutSecretValue (no compare-and-swap)',
  backendOp: loadAndSave,
  baselineOp: async (i) => {
    await rawGet(RAW);
    await rawPut(RAW, `${cache}r${i}`);
  },
});
await measure({
  label: 'save(data, { expectedVersion: null }) (new)',
  baseline: 'CreateSecret',
  backendOp: (i) => backend(`bench/create-${i}`).save(cache, { expectedVersion: null }),
  baselineOp: (i) => rawCreate(`bench/raw-create-${i}`, cache),
});

// Contention: N writers each append their index to a shared list. With the backend they load and
// save with expectedVersion, retrying on conflict; the baseline does the same read-modify-write
// with raw GetSecretValue/PutSecretValue and no compare-and-swap, so it is cheaper and loses writes.
console.log('\nN writers appending to one list (one run each): backend load + conditional save with retry vs raw Get + Put');
for (const writers of [2, 5, 20]) {
  const name = `bench/contention-${writers}`;
  await backend(name).save(JSON.stringify([]));
  let before = fake.requests.length;
  let conflicts = 0;
  let t = performance.now();
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
  const casMs = performance.now() - t;
  // Counted before the read that checks the result, which is not part of the writers' cost.
  const casCalls = fake.requests.length - before;
  const kept = (JSON.parse((await backend(name).load())!.data) as number[]).length;

  const rawName = `bench/raw-contention-${writers}`;
  await rawCreate(rawName, JSON.stringify([]));
  before = fake.requests.length;
  t = performance.now();
  await Promise.all(
    Array.from({ length: writers }, async (_, i) => {
      const current = await rawGet(rawName);
      await rawPut(rawName, JSON.stringify([...(JSON.parse(current.data) as number[]), i]));
    }),
  );
  const rawMs = performance.now() - t;
  const rawCalls = fake.requests.length - before;
  const rawKept = (JSON.parse((await rawGet(rawName)).data) as number[]).length;

  console.log(
    `${String(writers).padStart(2)} writers: backend ${kept}/${writers} writes kept, ${conflicts} conflicts, ${casCalls} API calls ` +
      `(${(casCalls / writers).toFixed(1)} per write), ${casMs.toFixed(0)} ms | raw ${rawKept}/${writers} kept, ${rawCalls} API calls, ` +
      `${rawMs.toFixed(0)} ms | time ${(casMs / rawMs).toFixed(1)}x, calls ${(casCalls / rawCalls).toFixed(1)}x`,
  );
}

client.destroy();
await fake.stop();
