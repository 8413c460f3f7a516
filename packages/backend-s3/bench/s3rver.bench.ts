// `pnpm bench`: AWSS3Backend's load/save/conditional save against the raw S3Client doing the
// equivalent GetObject/PutObject (PutObject with IfMatch for the conditional save), interleaved in
// the same run on one local s3rver and one client. The ratio backend/baseline is the backend's own
// overhead (argument checks, content-type detection, which JSON-parses the cache, ETag handling,
// error mapping on the success path); the absolute milliseconds are s3rver's (a Koa server writing
// files), not S3's. s3rver ignores If-Match, so the conditional rows measure what the client sends
// and parses, not a server-side compare.
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { performance } from 'node:perf_hooks';
import { AWSS3Backend } from '../src/index.js';
import { BUCKET, startS3rver } from '../test/s3rver-harness.js';
import { formatHeader, formatRow, pairedSamples, timePair, type PairedSamples } from '@o365/bench';

const ROUNDS = 150;
const WARMUP_ROUNDS = 10;
// Each round is 6 requests of ~10-20 ms on s3rver; the budget keeps a slow, busy machine well
// under a minute (the sample count printed says when it cut a size short).
const BUDGET_MS_PER_SIZE = 15_000;
const LABEL_WIDTH = 30;

const s3 = await startS3rver();
// One client for both sides: same connection pool, middleware stack, signing and retry config.
const client = new S3Client(s3.clientConfig);
const backend = new AWSS3Backend({ bucketName: BUCKET, objectKey: 'bench/backend.json', client });
const RAW_KEY = 'bench/raw.json';

async function rawLoad(): Promise<{ data: string; etag: string | undefined }> {
  const response = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: RAW_KEY }));
  const data = response.Body === undefined ? '' : await response.Body.transformToString('utf-8');
  return { data, etag: response.ETag };
}

async function rawSave(data: string, ifMatch?: string): Promise<string | undefined> {
  const response = await client.send(
    new PutObjectCommand({ Bucket: BUCKET, Key: RAW_KEY, Body: data, ...(ifMatch === undefined ? {} : { IfMatch: ifMatch }) }),
  );
  return response.ETag;
}

try {
  console.log(`AWSS3Backend vs raw S3Client on s3rver (127.0.0.1), interleaved, ${WARMUP_ROUNDS} warm-up rounds, up to ${ROUNDS} measured`);
  console.log(formatHeader(LABEL_WIDTH));
  for (const [label, size] of [
    ['8 KB', 8 * 1024],
    ['256 KB', 256 * 1024],
  ] as const) {
    const data = JSON.stringify({ blob: 'x'.repeat(size) });
    const saves: PairedSamples = pairedSamples();
    const loads: PairedSamples = pairedSamples();
    const conditional: PairedSamples = pairedSamples();
    let version = (await backend.save(data)).version;
    let etag = await rawSave(data);
    const deadline = performance.now() + BUDGET_MS_PER_SIZE;
    for (let i = 0; i < WARMUP_ROUNDS + ROUNDS && performance.now() < deadline; i++) {
      const record = i >= WARMUP_ROUNDS;
      await timePair(i, saves, () => backend.save(data), () => rawSave(data), record);
      await timePair(
        i,
        loads,
        async () => {
          const stored = await backend.load();
          // Both sides must have read the whole body: a short read would flatter either one.
          if (stored?.data.length !== data.length) throw new Error('backend load returned a different cache');
          version = stored.version;
        },
        async () => {
          const stored = await rawLoad();
          if (stored.data.length !== data.length) throw new Error('raw GetObject returned a different body');
          etag = stored.etag;
        },
        record,
      );
      await timePair(
        i,
        conditional,
        async () => (version = (await backend.save(data, { expectedVersion: version ?? null })).version),
        async () => (etag = await rawSave(data, etag)),
        record,
      );
    }
    console.log(formatRow(`${label}: save`, saves, LABEL_WIDTH));
    console.log(formatRow(`${label}: conditional save`, conditional, LABEL_WIDTH));
    console.log(formatRow(`${label}: load`, loads, LABEL_WIDTH));
  }
} finally {
  client.destroy();
  await s3.stop();
}
