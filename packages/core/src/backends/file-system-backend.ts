import { createHash, randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { TokenBackendError } from '../errors.js';
import { noopLogger, type Logger } from '../logger.js';
import { AsyncMutex } from './async-mutex.js';
import { assertExpectedVersion, assertSaveData, type BackendIdentity } from './backend-contract.js';
import { DEFAULT_STALE_LOCK_MS, LockFile } from './lock-file.js';
import { hostTag, taggedPidIsDead } from './lock-holder.js';
import { errorCode, openRegularFile } from './regular-file.js';
import type { LockOptions, ReleaseLock, SaveOptions, StoredToken, TokenBackend } from './token-backend.js';

const BACKEND = 'FileSystemTokenBackend';
/**
 * Three times the stale period (and `Connection`'s own lock timeout), so a waiter outlives a hung
 * holder: the lock is broken as abandoned long before the waiter gives up.
 */
const DEFAULT_LOCK_TIMEOUT_MS = 30_000;

/**
 * Options of {@link FileSystemTokenBackend}.
 *
 * @example
 * ```ts
 * new FileSystemTokenBackend({ tokenPath: '/var/lib/myapp', tokenFilename: 'o365_token.txt', lockTimeoutMs: 15_000 });
 * ```
 */
export interface FileSystemTokenBackendOptions {
  /** Directory of the token file. Default: `process.cwd()` at construction. Created (mode 0700) on first save. */
  tokenPath?: string;
  /** File name inside `tokenPath`. Default `o365_token.txt` (python-o365's). */
  tokenFilename?: string;
  /**
   * How long `save`/`delete` (and `lock()` without `timeoutMs`) wait for the lock file. Default
   * 30 s. Keep it above `staleLockMs`, or a hung holder makes every waiter fail before its lock
   * can be broken.
   */
  lockTimeoutMs?: number;
  /**
   * A lock file not refreshed for this long is considered abandoned and broken. Holders refresh it
   * every third of this period, so only a hung or dead holder (on another host; a dead holder on
   * this host is detected at once by its pid) reaches it. Default 10 s.
   */
  staleLockMs?: number;
  /**
   * On its first lock, remove the temp files that writers of this token file left when they died
   * on this host (one directory listing per instance). Default `true`.
   * `PartitionedFileSystemTokenBackend` turns it off for its partitions (a folder of many files),
   * whose crash leftovers are still removed by whoever breaks the dead writer's lock.
   */
  sweepTempFiles?: boolean;
  /** Receives warnings (token file readable by others, stale lock broken). */
  logger?: Logger;
}

/** `.<file>.<pid>.<host tag>.<random>.tmp`: the pid and host tag say whose it is and whether its writer is gone. */
const TEMP_NAME = /^\.(.+)\.(\d+)\.([0-9a-f]{8})\.[0-9a-f]{12}\.tmp$/;

function sha256(bytes: Uint8Array): string {
  return `sha256-${createHash('sha256').update(bytes).digest('hex')}`;
}

function positiveMs(value: number | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new TokenBackendError(`${BACKEND}: ${name} must be a positive number of milliseconds, got ${String(value)}`, {
      backend: BACKEND,
      cause: new TypeError(`${name} must be a positive finite number`),
    });
  }
  return value;
}

/**
 * Keeps the token cache in a file, like python-o365's `FileSystemTokenBackend` (and the same
 * default file name, `o365_token.txt`).
 *
 * - Writes are atomic: a temporary file in the same directory (mode 0600 from creation), fsync,
 *   then rename over the token file, so a crash never leaves a half-written cache.
 * - The version is the SHA-256 of the file's bytes; `expectedVersion` is checked under the lock.
 * - `save` and `delete` run under a lock file (`<file>.lock`, see {@link LockFile}). A lock whose
 *   holder died (same host, pid gone) or that was not refreshed for `staleLockMs` is broken, so a
 *   crashed process never blocks the others, and what a dead writer left (its temp files) is
 *   removed. `lock()` takes the same lock around a refresh; saves made by the holding instance do
 *   not wait for it.
 * - Only a regular file is read or replaced: a FIFO, device, directory or symbolic link at the
 *   token path is a `TokenBackendError` naming it, never a hang and never overwritten.
 * - A file that cannot be read or is corrupted gives `TokenBackendError` naming the file; the file
 *   is left in place. A missing file loads as `undefined`.
 *
 * @example
 * ```ts
 * import { Account, FileSystemTokenBackend } from '@o365/core';
 * const tokenBackend = new FileSystemTokenBackend({ tokenPath: '/var/lib/myapp', tokenFilename: 'o365_token.txt' });
 * const account = new Account(['client-id'], { authFlowType: 'device', tokenBackend });
 * ```
 */
export class FileSystemTokenBackend implements TokenBackend {
  /** Absolute path of the token file. */
  readonly filePath: string;
  /** Absolute path of the lock file (`<file>.lock`). */
  readonly lockPath: string;
  readonly #dir: string;
  readonly #id: BackendIdentity;
  readonly #lockTimeoutMs: number;
  readonly #lockFile: LockFile;
  readonly #logger: Logger;
  #sweepPending: boolean;
  /** Set while this instance holds the lock through {@link lock}; serializes its own operations. */
  #held: { ops: AsyncMutex } | undefined;

  constructor(options: FileSystemTokenBackendOptions = {}) {
    const filename = options.tokenFilename ?? 'o365_token.txt';
    if (typeof filename !== 'string' || filename === '' || filename === '.' || filename === '..' || /[/\\\0]/.test(filename)) {
      throw new TokenBackendError(`${BACKEND}: tokenFilename must be a plain file name, got ${JSON.stringify(filename)}`, {
        backend: BACKEND,
      });
    }
    this.#dir = path.resolve(options.tokenPath ?? process.cwd());
    this.filePath = path.join(this.#dir, filename);
    this.lockPath = `${this.filePath}.lock`;
    this.#id = { backend: BACKEND, location: this.filePath };
    this.#lockTimeoutMs = positiveMs(options.lockTimeoutMs, 'lockTimeoutMs', DEFAULT_LOCK_TIMEOUT_MS);
    this.#logger = options.logger ?? noopLogger;
    this.#sweepPending = options.sweepTempFiles ?? true;
    this.#lockFile = new LockFile({
      path: this.lockPath,
      owner: this.#id,
      staleMs: positiveMs(options.staleLockMs, 'staleLockMs', DEFAULT_STALE_LOCK_MS),
      logger: this.#logger,
      onDeadHolder: (pid) => this.#removeTempFiles((name) => name.startsWith(`.${filename}.${pid}.`)),
    });
  }

  /** Where the cache lives, for messages: the token file's path. */
  get location(): string {
    return this.filePath;
  }

  async load(): Promise<StoredToken | undefined> {
    const bytes = await this.#readBytes();
    if (bytes === undefined) return undefined;
    let data: string;
    try {
      data = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch (cause) {
      throw this.#corrupted('it is not UTF-8 text', cause);
    }
    // A file of NUL bytes is what some file systems leave after a crash; JSON never contains one.
    if (data.includes('\0')) throw this.#corrupted('it contains NUL bytes');
    return { data, version: sha256(bytes) };
  }

  async save(data: string, options: SaveOptions = {}): Promise<{ version?: string }> {
    assertSaveData(data, this.#id);
    const bytes = Buffer.from(data, 'utf8');
    const version = sha256(bytes);
    const { expectedVersion } = options;
    await this.#ensureDir();
    return this.#exclusive(async () => {
      // Read even when unconditional: a FIFO, device or link at the path is refused, never replaced.
      const current = await this.#readBytes();
      assertExpectedVersion(this.#id, expectedVersion, current === undefined ? undefined : { version: sha256(current) });
      await this.#writeAtomically(bytes);
      return { version };
    });
  }

  async delete(): Promise<void> {
    try {
      await fs.access(this.#dir);
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return;
      throw new TokenBackendError(`${BACKEND}: cannot access ${this.#dir} (${errorCode(error) ?? 'error'})`, { ...this.#id, cause: error });
    }
    await this.#exclusive(async () => {
      try {
        await fs.unlink(this.filePath);
      } catch (error) {
        if (errorCode(error) === 'ENOENT') return;
        throw new TokenBackendError(`${BACKEND}: cannot delete ${this.filePath} (${errorCode(error) ?? 'error'})`, { ...this.#id, cause: error });
      }
    });
  }

  /**
   * Takes the lock file (waiting with bounded, jittered polling up to `timeoutMs`), for a
   * load-refresh-save sequence that other processes must not interleave. Not re-entrant. While held,
   * this instance's `save`/`delete` proceed without waiting; other instances and processes wait.
   *
   * @example
   * ```ts
   * const release = await backend.lock({ timeoutMs: 15_000 });
   * try {
   *   const current = await backend.load();
   *   await backend.save(refreshed, { expectedVersion: current?.version ?? null });
   * } finally {
   *   await release();
   * }
   * ```
   */
  async lock(options: LockOptions = {}): Promise<ReleaseLock> {
    await this.#ensureDir();
    const release = await this.#acquire(options.timeoutMs ?? this.#lockTimeoutMs);
    const held = { ops: new AsyncMutex() };
    this.#held = held;
    let released = false;
    return async () => {
      if (released) return;
      released = true;
      if (this.#held === held) this.#held = undefined;
      await release();
    };
  }

  async #exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const held = this.#held;
    if (held) {
      const release = await held.ops.acquire(this.#lockTimeoutMs, () => this.#ownOpsTimeout());
      try {
        return await fn();
      } finally {
        release();
      }
    }
    const release = await this.#acquire(this.#lockTimeoutMs);
    try {
      return await fn();
    } finally {
      await release();
    }
  }

  async #acquire(timeoutMs: number): Promise<() => Promise<void>> {
    const release = await this.#lockFile.acquire(timeoutMs);
    if (this.#sweepPending) {
      this.#sweepPending = false;
      // Under the lock no live writer has a temp file open; the pid check keeps it so even without.
      await this.#removeTempFiles((name, match) => match[1] === path.basename(this.filePath) && taggedPidIsDead(Number(match[2]), match[3] ?? ''));
    }
    return release;
  }

  #ownOpsTimeout(): TokenBackendError {
    return new TokenBackendError(`${BACKEND}: timed out after ${this.#lockTimeoutMs} ms waiting for the lock file ${this.lockPath}`, this.#id);
  }

  /** Removes temp files of this directory chosen by `pick`; leftovers are harmless, so failures are ignored. */
  async #removeTempFiles(pick: (name: string, match: RegExpMatchArray | []) => boolean): Promise<void> {
    try {
      for (const name of await fs.readdir(this.#dir)) {
        if (!name.endsWith('.tmp')) continue;
        if (pick(name, name.match(TEMP_NAME) ?? [])) await fs.rm(path.join(this.#dir, name), { force: true });
      }
    } catch {
      // The lock matters, not the leftovers.
    }
  }

  async #readBytes(): Promise<Buffer | undefined> {
    let handle;
    try {
      handle = await openRegularFile(this.filePath, (what, cause) => this.#corrupted(`it is ${what}, not a regular file`, cause));
    } catch (error) {
      if (error instanceof TokenBackendError) throw error;
      throw this.#unreadable(error);
    }
    if (!handle) return undefined;
    try {
      const stat = await handle.stat();
      if ((stat.mode & 0o077) !== 0) {
        this.#logger.warn('FileSystemTokenBackend: the token file is accessible by other users; it should be mode 0600', {
          filePath: this.filePath,
          mode: (stat.mode & 0o777).toString(8),
        });
      }
      return await handle.readFile();
    } catch (error) {
      throw this.#unreadable(error);
    } finally {
      await handle.close();
    }
  }

  async #writeAtomically(bytes: Buffer): Promise<void> {
    const name = `.${path.basename(this.filePath)}.${process.pid}.${hostTag()}.${randomBytes(6).toString('hex')}.tmp`;
    const tmp = path.join(this.#dir, name);
    let handle;
    try {
      handle = await fs.open(tmp, 'wx', 0o600);
      await handle.chmod(0o600);
      await handle.writeFile(bytes);
      await handle.sync();
      await handle.close();
      handle = undefined;
      await fs.rename(tmp, this.filePath);
    } catch (error) {
      await handle?.close().catch(() => undefined);
      await fs.rm(tmp, { force: true }).catch(() => undefined);
      throw new TokenBackendError(`${BACKEND}: cannot write ${this.filePath} (${errorCode(error) ?? 'error'}); the previous copy is unchanged`, {
        ...this.#id,
        cause: error,
      });
    }
    // The rename is durable only once the directory entry is; not every platform can fsync a directory.
    try {
      const dir = await fs.open(this.#dir, 'r');
      try {
        await dir.sync();
      } finally {
        await dir.close();
      }
    } catch {
      // Best effort.
    }
  }

  async #ensureDir(): Promise<void> {
    try {
      await fs.mkdir(this.#dir, { recursive: true, mode: 0o700 });
    } catch (error) {
      throw new TokenBackendError(`${BACKEND}: cannot create the directory ${this.#dir} (${errorCode(error) ?? 'error'})`, {
        ...this.#id,
        cause: error,
      });
    }
  }

  #unreadable(cause: unknown): TokenBackendError {
    return new TokenBackendError(`${BACKEND}: cannot read the token file ${this.filePath} (${errorCode(cause) ?? 'error'})`, {
      ...this.#id,
      cause,
    });
  }

  #corrupted(why: string, cause?: unknown): TokenBackendError {
    return new TokenBackendError(
      `${BACKEND}: the token file ${this.filePath} is corrupted (${why}); it was left in place: move it away and sign in again`,
      { ...this.#id, cause },
    );
  }
}
