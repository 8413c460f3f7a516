// Partitions under a prefix, against a real s3rver: the partitioned contract, then the whole
// TokenBackend contract on partitions (conflict checks delegated as for AWSS3Backend).
import path from 'node:path';
import { afterAll, beforeAll } from '@jest/globals';
import { runPartitionedTokenBackendConformance, runTokenBackendConformance } from '@o365/backend-testkit';
import { AWSS3PartitionedBackend } from '../src/index.js';
import { BUCKET, startS3rver, unreachableClientConfig, type S3rverHandle } from './s3rver-harness.js';

let s3: S3rverHandle | undefined;
const created: AWSS3PartitionedBackend[] = [];

function track(backend: AWSS3PartitionedBackend): AWSS3PartitionedBackend {
  created.push(backend);
  return backend;
}

beforeAll(async () => {
  s3 = await startS3rver();
});

afterAll(async () => {
  for (const backend of created) backend.destroy();
  await s3?.stop();
});

const running = (): S3rverHandle => {
  if (s3 === undefined) throw new Error('s3rver is not running');
  return s3;
};

runPartitionedTokenBackendConformance({
  name: 'AWSS3PartitionedBackend',
  createPartitioned: (namespace) => track(new AWSS3PartitionedBackend({ bucketName: BUCKET, prefix: `${namespace}/`, clientConfig: running().clientConfig })),
  locks: false,
});

runTokenBackendConformance({
  name: 'AWSS3PartitionedBackend partition',
  createBackend: (key) => track(new AWSS3PartitionedBackend({ bucketName: BUCKET, prefix: 'partitions/', clientConfig: running().clientConfig })).partition(key),
  async createUnreachableBackend() {
    return track(new AWSS3PartitionedBackend({ bucketName: BUCKET, clientConfig: await unreachableClientConfig() })).partition('x');
  },
  conditionalWrites: {
    enforcedByService: false,
    reason: 's3rver ignores If-Match/If-None-Match',
    testedIn: path.join(__dirname, 'aws-s3-backend.protocol.test.ts'),
  },
});
