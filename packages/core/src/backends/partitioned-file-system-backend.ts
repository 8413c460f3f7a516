import path from 'node:path';
import type { Logger } from '../logger.js';
import { assertPartitionKey, partitionName, type BackendIdentity } from './backend-contract.js';
import { FileSystemTokenBackend } from './file-system-backend.js';
import type { PartitionedTokenBackend } from './token-backend.js';

const BACKEND = 'PartitionedFileSystemTokenBackend';

/**
 * Options of {@link PartitionedFileSystemTokenBackend}.
 *
 * @example
 * ```ts
 * const options: PartitionedFileSystemTokenBackendOptions = { folder: '/var/lib/myapp/tokens', staleLockMs: 10_000 };
 * ```
 */
export interface PartitionedFileSystemTokenBackendOptions {
  /** The folder holding one token file per partition. Created (mode 0700) on the first save. */
  folder: string;
  /** As {@link FileSystemTokenBackendOptions.lockTimeoutMs}, for every partition. */
  lockTimeoutMs?: number;
  /** As {@link FileSystemTokenBackendOptions.staleLockMs}, for every partition. */
  staleLockMs?: number;
  /** Receives the partitions' warnings. */
  logger?: Logger;
}

/**
 * Many token caches in one folder, one file per partition key (a user's home account id, a
 * tenant): a web app loads, locks and saves only the file of the user it serves, so a refresh
 * costs the same with 10 users or 100,000. Each partition is a {@link FileSystemTokenBackend}
 * with all its guarantees (atomic writes, lock file, versions); the file name is
 * {@link partitionName} of the key plus `.json`, so any key (any case, `/`, `..`, 1,024
 * characters) maps to one safe, distinct name.
 *
 * Crash leftovers of a partition's dead writer are removed by whoever next breaks its lock; the
 * whole-folder sweep a single token file does on its first lock is left out, as it would list
 * every partition.
 *
 * @example
 * ```ts
 * import { Account, PartitionedFileSystemTokenBackend } from '@o365/core';
 * const users = new PartitionedFileSystemTokenBackend({ folder: '/var/lib/myapp/tokens' });
 * const account = new Account(['client-id', 'secret'], { tokenBackend: users.partition(req.session.userId) });
 * ```
 */
export class PartitionedFileSystemTokenBackend implements PartitionedTokenBackend {
  /** Absolute path of the folder. */
  readonly folder: string;
  readonly #options: Omit<PartitionedFileSystemTokenBackendOptions, 'folder'>;
  readonly #id: BackendIdentity;

  constructor(options: PartitionedFileSystemTokenBackendOptions) {
    if (typeof options?.folder !== 'string' || options.folder === '') {
      throw new TypeError(`${BACKEND}: folder must be the path of a directory`);
    }
    this.folder = path.resolve(options.folder);
    this.#id = { backend: BACKEND, location: this.folder };
    const { folder: _folder, ...rest } = options;
    this.#options = rest;
  }

  /** Where the partitions live: the folder. */
  get location(): string {
    return this.folder;
  }

  /** The token file of one partition, `<folder>/<partitionName(key)>.json`. */
  partition(key: string): FileSystemTokenBackend {
    assertPartitionKey(key, this.#id);
    return new FileSystemTokenBackend({
      ...this.#options,
      tokenPath: this.folder,
      tokenFilename: `${partitionName(key)}.json`,
      sweepTempFiles: false,
    });
  }
}
