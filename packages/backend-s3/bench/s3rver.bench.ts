// Latency of load/save/conditional save against a local s3rver (loopback, so this measures the
// backend + SDK overhead, not S3's). Run: pnpm bench
import { performance } from 'node:perf_hooks';
import { AWSS3Backend } from '../src/index.js';
import { BUCKET, startS3rver } from '../test/s3rver-harness.js';

const ROUNDS = 200;

function stats(samples: number[]): string {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
  return `p50 ${at(0.5).toFixed(2)} ms, p95 ${at(0.95).toFixed(2)} ms, max ${at(1).toFixed(2)} ms (n=${samples.length})`;
}

async function time(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

const s3 = await startS3rver();
const backend = new AWSS3Backend({ bucketName: BUCKET, objectKey: 'bench/cache.json', clientConfig: s3.clientConfig });
try {
  for (const [label, size] of [
    ['8 KB cache', 8 * 1024],
    ['256 KB cache', 256 * 1024],
  ] as const) {
    const data = JSON.stringify({ blob: 'x'.repeat(size) });
    const saves: number[] = [];
    const conditional: number[] = [];
    const loads: number[] = [];
    let version = (await backend.save(data)).version;
    for (let i = 0; i < ROUNDS; i++) {
      saves.push(await time(() => backend.save(data)));
      loads.push(await time(async () => (version = (await backend.load())?.version)));
      conditional.push(await time(async () => (version = (await backend.save(data, { expectedVersion: version ?? null })).version)));
    }
    console.log(`${label}: save ${stats(saves)}`);
    console.log(`${label}: conditional save ${stats(conditional)}`);
    console.log(`${label}: load ${stats(loads)}`);
  }
} finally {
  backend.destroy();
  await s3.stop();
}
