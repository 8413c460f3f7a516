// The shared TokenBackend contract suite against a real s3rver. s3rver ignores If-Match /
// If-None-Match, so the conflict checks are delegated (explicitly) to the protocol-level test.
import path from 'node:path';
import { afterAll, beforeAll } from '@jest/globals';
import { runTokenBackendConformance } from '@o365/backend-testkit';
import { AWSS3Backend } from '../src/index.js';
import { BUCKET, startS3rver, unreachableClientConfig, type S3rverHandle } from './s3rver-harness.js';

let s3: S3rverHandle | undefined;
const created: AWSS3Backend[] = [];

function track(backend: AWSS3Backend): AWSS3Backend {
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

runTokenBackendConformance({
  name: 'AWSS3Backend',
  createBackend(key) {
    if (s3 === undefined) throw new Error('s3rver is not running');
    return track(new AWSS3Backend({ bucketName: BUCKET, objectKey: `conformance/${key}.json`, clientConfig: s3.clientConfig }));
  },
  async createUnreachableBackend() {
    return track(new AWSS3Backend({ bucketName: BUCKET, objectKey: 'conformance/unreachable.json', clientConfig: await unreachableClientConfig() }));
  },
  conditionalWrites: {
    enforcedByService: false,
    reason: 's3rver ignores If-Match/If-None-Match',
    testedIn: path.join(__dirname, 'aws-s3-backend.protocol.test.ts'),
  },
});
