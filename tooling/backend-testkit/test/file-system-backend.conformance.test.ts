import { afterAll } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FileSystemTokenBackend } from '@o365/core';
import { runTokenBackendConformance } from '@o365/backend-testkit';

const dir = mkdtempSync(path.join(os.tmpdir(), 'o365-kit-fs-'));
writeFileSync(path.join(dir, 'a-regular-file'), '');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

runTokenBackendConformance({
  name: 'FileSystemTokenBackend',
  createBackend: (key) => new FileSystemTokenBackend({ tokenPath: dir, tokenFilename: `${key}.json` }),
  // A directory under a regular file: every operation fails with ENOTDIR.
  createUnreachableBackend: () => new FileSystemTokenBackend({ tokenPath: path.join(dir, 'a-regular-file', 'tokens') }),
});
