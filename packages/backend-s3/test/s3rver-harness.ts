import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { S3ClientConfig } from '@aws-sdk/client-s3';
import S3rver from 's3rver';

// The SDK warns once per process that its 2027 releases will need Node 22; it is noise in test output.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

/** The bucket every test server is created with. */
export const BUCKET = 'tokens';

/** A real s3rver on 127.0.0.1 with a throwaway directory. */
export interface S3rverHandle {
  endpoint: string;
  /** Client configuration that talks to this server (path style, dummy credentials s3rver accepts). */
  clientConfig: S3ClientConfig;
  stop(): Promise<void>;
}

export async function startS3rver(): Promise<S3rverHandle> {
  const directory = await mkdtemp(join(tmpdir(), 'o365-s3rver-'));
  const server = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory, configureBuckets: [{ name: BUCKET }] });
  const { port } = await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    endpoint,
    clientConfig: clientConfigFor(endpoint),
    async stop() {
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}

export function clientConfigFor(endpoint: string, extra: Partial<S3ClientConfig> = {}): S3ClientConfig {
  return {
    endpoint,
    forcePathStyle: true,
    region: 'us-east-1',
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    ...extra,
  };
}

/** A loopback port nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** Client configuration for an endpoint that refuses connections, failing fast (one attempt, short timeouts). */
export async function unreachableClientConfig(): Promise<S3ClientConfig> {
  return clientConfigFor(`http://127.0.0.1:${await closedPort()}`, {
    maxAttempts: 1,
    requestHandler: { connectionTimeout: 1000, requestTimeout: 2000 },
  });
}
