// The shared TokenBackend contract suite, against the fake Secrets Manager through the real SDK.
// The fake enforces versions (UpdateSecretVersionStage conditions, CreateSecret name uniqueness)
// the way Secrets Manager does, so no conditional-writes exemption is claimed.
import { afterAll, beforeAll } from '@jest/globals';
import { createServer } from 'node:net';
import { runTokenBackendConformance } from '@o365/backend-testkit';
import { MAX_SECRET_BYTES } from '../src/index.js';
import { Harness } from './harness.js';

let h: Harness | undefined;
let closedPort = 0;

beforeAll(async () => {
  h = await Harness.start();
  // A port that was just free and is now closed: connecting to it is refused at once.
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closedPort = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

afterAll(async () => {
  await h?.close();
});

function harness(): Harness {
  if (!h) throw new Error('the fake Secrets Manager is not started');
  return h;
}

runTokenBackendConformance({
  name: 'AWSSecretsBackend',
  // Default options on purpose: delete() schedules deletion with the 30-day recovery window, so the
  // kit's delete-then-save checks go through RestoreSecret.
  createBackend: (key) => harness().backend(`o365-conformance/${key}`),
  createUnreachableBackend: () =>
    harness().backend('o365-conformance/unreachable', {
      clientConfig: harness().config({
        endpoint: `http://127.0.0.1:${closedPort}`,
        maxAttempts: 1,
        requestHandler: { connectionTimeout: 2000, requestTimeout: 2000 },
      }),
    }),
  dataLimit: { maxDataBytes: MAX_SECRET_BYTES, reason: 'AWS Secrets Manager stores at most 65,536 bytes in a SecretString' },
});
