import { afterAll } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EncryptedTokenBackend, FileSystemTokenBackend } from '@o365/core';
import { runTokenBackendConformance } from '@o365/backend-testkit';

const dir = mkdtempSync(path.join(os.tmpdir(), 'o365-kit-enc-'));
writeFileSync(path.join(dir, 'a-regular-file'), '');
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const passphrase = 'conformance passphrase (not a secret)';

runTokenBackendConformance({
  name: 'EncryptedTokenBackend(FileSystemTokenBackend)',
  createBackend: (key) =>
    new EncryptedTokenBackend({ backend: new FileSystemTokenBackend({ tokenPath: dir, tokenFilename: `${key}.enc` }), key: passphrase }),
  createUnreachableBackend: () =>
    new EncryptedTokenBackend({
      backend: new FileSystemTokenBackend({ tokenPath: path.join(dir, 'a-regular-file', 'tokens') }),
      key: passphrase,
    }),
});
