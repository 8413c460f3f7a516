import { afterAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { partitionName } from './backend-contract.js';
import { PartitionedFileSystemTokenBackend } from './partitioned-file-system-backend.js';

const root = mkdtempSync(path.join(os.tmpdir(), 'o365-pfs-unit-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('partitionName', () => {
  it('is readable, stable, bounded and distinct for keys a file system would merge', () => {
    const homeAccountId = '00000000-0000-0000-0000-000000000001.72f988bf-86f1-41af-91ab-2d7cd011db47';
    expect(partitionName(homeAccountId)).toMatch(/^00000000-0000-0000-0000-000000000001\.72f988bf-86-[0-9a-f]{32}$/);
    expect(partitionName(homeAccountId)).toBe(partitionName(homeAccountId));
    const names = ['Adele', 'adele', 'a/b', 'a_b', '..', '.', 'x'.repeat(1024)].map(partitionName);
    expect(new Set(names).size).toBe(names.length);
    for (const name of names) {
      expect(name.length).toBeLessThanOrEqual(81);
      expect(name).toMatch(/^[a-z0-9_-][a-z0-9._-]*$/);
    }
  });
});

describe('PartitionedFileSystemTokenBackend', () => {
  it('stores each partition as <folder>/<partitionName>.json, folder 0700 and file 0600', async () => {
    const store = new PartitionedFileSystemTokenBackend({ folder: path.join(root, 'tokens') });
    const adele = store.partition('Adele');
    expect(adele.filePath).toBe(path.join(root, 'tokens', `${partitionName('Adele')}.json`));
    await adele.save('{"a":1}');
    expect(statSync(path.join(root, 'tokens')).mode & 0o777).toBe(0o700);
    expect(statSync(adele.filePath).mode & 0o777).toBe(0o600);
    expect(store.location).toBe(path.join(root, 'tokens'));
  });

  it('needs a folder', () => {
    expect(() => new PartitionedFileSystemTokenBackend({ folder: '' })).toThrow(TypeError);
  });
});
