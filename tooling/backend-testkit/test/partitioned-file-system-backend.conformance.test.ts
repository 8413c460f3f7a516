import { afterAll } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PartitionedFileSystemTokenBackend } from '@o365/core';
import { runPartitionedTokenBackendConformance, runTokenBackendConformance } from '@o365/backend-testkit';

const dir = mkdtempSync(path.join(os.tmpdir(), 'o365-kit-pfs-'));
writeFileSync(path.join(dir, 'a-regular-file'), '');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

runPartitionedTokenBackendConformance({
  name: 'PartitionedFileSystemTokenBackend',
  createPartitioned: (namespace) => new PartitionedFileSystemTokenBackend({ folder: path.join(dir, namespace) }),
});

// Each partition is a whole TokenBackend: the full contract, the end-to-end Account run included.
const shared = new PartitionedFileSystemTokenBackend({ folder: path.join(dir, 'shared') });
runTokenBackendConformance({
  name: 'PartitionedFileSystemTokenBackend partition',
  createBackend: (key) => shared.partition(key),
  createUnreachableBackend: () => new PartitionedFileSystemTokenBackend({ folder: path.join(dir, 'a-regular-file', 'tokens') }).partition('x'),
});
