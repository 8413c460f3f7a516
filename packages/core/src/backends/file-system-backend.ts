import { createHash, randomBytes } from 'node:crypto';
import { promises as fs, readlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TokenBackendError, TokenCacheConflictError } from '../errors.js';
import { noopLogger, type Logger } from '../logger.js';
import { AsyncMutex } from './async-mutex.js';
import type { LockOptions, ReleaseLock, SaveOptions, StoredToken, TokenBackend } from './token-backend.js';

const BACKEND = 'FileSystemTokenBackend';
const DEFAULT_LOCK_TIMEOUT_MS = 10_000;
const DEFAULT_STALE_LOCK_MS = 30_000;
/** A lock file whose content cannot be parsed is being written right now, or its writer died mid-write. */
const UNREADABLE_LOCK_GRACE_MS = 2_000;
const MAX_POLL_DELAY_MS = 250;

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
  /** How long `save`/`delete` (and `lock()` without `timeoutMs`) wait for the lock file. Default 10 s. */
  lockTimeoutMs?: number;
  /**
   * A lock file not refreshed for this long is considered abandoned and broken. Holders refresh it
   * every third of this period, so only a hung or dead holder (on another host; a dead holder on
   * this host is detected at once by its pid) reaches it. Default 30 s.
   */
  staleLockMs?: number;
  /** Receives warnings (token file readable by others, stale lock broken). */
  logger?: Logger;
}

/** What a lock file holds: who took it and when. */
interface LockInfo {
  pid: number;
  hostname: string;
  /** The holder's pid namespace (Linux), so containers sharing a host name never judge each other's pids. */
  pidNamespace?: string;
  createdAt: string;
  /** Random id, so a holder only ever removes its own lock file. */
  id: string;
}

interface LockObservation {
  info?: LockInfo;
  ino: number;
  mtimeMs: number;
}

/** Same-process waiters queue here before polling the lock file, keyed by lock file path. */
const processMutexes = new Map<string, AsyncMutex>();

function errorCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error ? String((error as { code: unknown }).code) : undefined;
}

function sha256(bytes: Uint8Array): string {
  return `sha256-${createHash('sha256').update(bytes).digest('hex')}`;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function parseLockInfo(text: string): LockInfo | undefined {
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value !== 'object' || value === null) return undefined;
    const v = value as Record<string, unknown>;
    if (typeof v.pid !== 'number' || typeof v.hostname !== 'string' || typeof v.id !== 'string') return undefined;
    return {
      pid: v.pid,
      hostname: v.hostname,
      id: v.id,
      createdAt: typeof v.createdAt === 'string' ? v.createdAt : '',
      ...(typeof v.pidNamespace === 'string' ? { pidNamespace: v.pidNamespace } : {}),
    };
  } catch {
    return undefined;
  }
}

let ownPidNamespace: string | undefined | null = null;
/** This process's pid namespace on Linux (`pid:[4026531836]`), undefined elsewhere. */
function pidNamespace(): string | undefined {
  if (ownPidNamespace === null) {
    try {
      ownPidNamespace = readlinkSync('/proc/self/ns/pid');
    } catch {
      ownPidNamespace = undefined;
    }
  }
  return ownPidNamespace;
}

/** Whether a process with this pid runs on this host. EPERM means it exists but belongs to someone else. */
function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return errorCode(error) !== 'ESRCH';
  }
}

/** Whether the lock's holder ran on this host, in this pid namespace, and is gone. */
function holderDiedHere(info: LockInfo): boolean {
  // A pid says something only on the same host and in the same pid namespace.
  if (info.hostname !== os.hostname() || info.pidNamespace !== pidNamespace()) return false;
  return info.pid !== process.pid && !processIsAlive(info.pid);
}

/**
 * Keeps the token cache in a file, like python-o365's `FileSystemTokenBackend` (and the same
 * default file name, `o365_token.txt`).
 *
 * - Writes are atomic: a temporary file in the same directory (mode 0600 from creation), fsync,
 *   then rename over the token file, so a crash never leaves a half-written cache.
 * - The version is the SHA-256 of the file's bytes; `expectedVersion` is checked under the lock.
 * - `save` and `delete` run under a lock file (`<file>.lock`, created with O_EXCL, holding pid,
 *   host and time). A lock whose holder died (same host, pid gone) or that was not refreshed for
 *   `staleLockMs` is broken, so a crashed process never blocks the others. `lock()` takes the same
 *   lock around a refresh; saves made by the holding instance do not wait for it.
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
  readonly #lockTimeoutMs: number;
  readonly #staleLockMs: number;
  readonly #logger: Logger;
  /** Set while this instance holds the lock through {@link lock}; serializes its own operations. */
  #held: { ops: AsyncMutex } | undefined;

  constructor(options: FileSystemTokenBackendOptions = {}) {
    const filename = options.tokenFilename ?? 'o365_token.txt';
    if (filename === '' || filename.includes('/') || filename.includes('\\') || filename.includes('\0')) {
      throw new TokenBackendError(`${BACKEND}: tokenFilename must be a plain file name, got ${JSON.stringify(filename)}`, {
        backend: BACKEND,
      });
    }
    this.#dir = path.resolve(options.tokenPath ?? process.cwd());
    this.filePath = path.join(this.#dir, filename);
    this.lockPath = `${this.filePath}.lock`;
    this.#lockTimeoutMs = options.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS;
    this.#staleLockMs = options.staleLockMs ?? DEFAULT_STALE_LOCK_MS;
    this.#logger = options.logger ?? noopLogger;
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
    if (typeof data !== 'string') {
      throw new TokenBackendError(`${BACKEND}: data must be a string`, { backend: BACKEND, location: this.filePath });
    }
    const bytes = Buffer.from(data, 'utf8');
    const version = sha256(bytes);
    const { expectedVersion } = options;
    await this.#ensureDir();
    return this.#exclusive(async () => {
      if (expectedVersion !== undefined) {
        const current = await this.#readBytes();
        const actual = current === undefined ? undefined : sha256(current);
        if (expectedVersion === null ? current !== undefined : actual !== expectedVersion) {
          throw new TokenCacheConflictError(
            expectedVersion === null
              ? `${BACKEND}: ${this.filePath} already exists (create-only save); reload and retry`
              : `${BACKEND}: ${this.filePath} changed since it was loaded; reload and retry`,
            { backend: BACKEND, location: this.filePath, expectedVersion, ...(actual !== undefined ? { actualVersion: actual } : {}) },
          );
        }
      }
      await this.#writeAtomically(bytes);
      return { version };
    });
  }

  async delete(): Promise<void> {
    try {
      await fs.access(this.#dir);
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return;
      throw new TokenBackendError(`${BACKEND}: cannot access ${this.#dir} (${errorCode(error) ?? 'error'})`, {
        backend: BACKEND,
        location: this.filePath,
        cause: error,
      });
    }
    await this.#exclusive(async () => {
      try {
        await fs.unlink(this.filePath);
      } catch (error) {
        if (errorCode(error) === 'ENOENT') return;
        throw new TokenBackendError(`${BACKEND}: cannot delete ${this.filePath} (${errorCode(error) ?? 'error'})`, {
          backend: BACKEND,
          location: this.filePath,
          cause: error,
        });
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
      const release = await held.ops.acquire(this.#lockTimeoutMs, () => this.#timeout(this.#lockTimeoutMs, undefined));
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
    const deadline = Date.now() + timeoutMs;
    let mutex = processMutexes.get(this.lockPath);
    if (!mutex) {
      mutex = new AsyncMutex();
      processMutexes.set(this.lockPath, mutex);
    }
    const owned = mutex;
    const releaseMutex = await owned.acquire(timeoutMs, () => this.#timeout(timeoutMs, undefined));
    const releaseAll = () => {
      releaseMutex();
      if (!owned.locked && processMutexes.get(this.lockPath) === owned) processMutexes.delete(this.lockPath);
    };
    let id: string;
    try {
      id = await this.#takeLockFile(deadline, timeoutMs);
    } catch (error) {
      releaseAll();
      throw error;
    }
    const heartbeat = setInterval(() => {
      const now = new Date();
      fs.utimes(this.lockPath, now, now).catch(() => undefined);
    }, Math.max(50, Math.floor(this.#staleLockMs / 3)));
    heartbeat.unref();
    return async () => {
      clearInterval(heartbeat);
      try {
        const info = parseLockInfo(await fs.readFile(this.lockPath, 'utf8'));
        // Only remove our own lock: ours may have been broken as stale and re-taken by someone else.
        if (info?.id === id) await fs.unlink(this.lockPath);
      } catch (error) {
        if (errorCode(error) !== 'ENOENT') {
          this.#logger.warn('FileSystemTokenBackend: could not remove the lock file', { lockPath: this.lockPath, code: errorCode(error) });
        }
      } finally {
        releaseAll();
      }
    };
  }

  async #takeLockFile(deadline: number, timeoutMs: number): Promise<string> {
    let delay = 5;
    let last: LockObservation | undefined;
    for (;;) {
      const id = randomBytes(12).toString('hex');
      const ns = pidNamespace();
      const info: LockInfo = {
        pid: process.pid,
        hostname: os.hostname(),
        ...(ns !== undefined ? { pidNamespace: ns } : {}),
        createdAt: new Date().toISOString(),
        id,
      };
      try {
        const handle = await fs.open(this.lockPath, 'wx', 0o600);
        try {
          await handle.writeFile(JSON.stringify(info));
        } catch (error) {
          // An empty lock file would block the others for the grace period: take it back.
          await handle.close().catch(() => undefined);
          await fs.rm(this.lockPath, { force: true });
          throw error;
        }
        await handle.close();
        return id;
      } catch (error) {
        if (errorCode(error) !== 'EEXIST') {
          throw new TokenBackendError(`${BACKEND}: cannot create the lock file ${this.lockPath} (${errorCode(error) ?? 'error'})`, {
            backend: BACKEND,
            location: this.filePath,
            cause: error,
          });
        }
      }
      const seen = await this.#observeLock();
      if (seen !== undefined) last = seen;
      // Vanished between our open and our look, or abandoned and just broken: try again at once.
      const retryNow = seen === undefined || (this.#isStale(seen) && (await this.#breakStaleLock(seen)));
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw this.#timeout(timeoutMs, last?.info);
      if (!retryNow) {
        await sleep(Math.min(remaining, delay * (0.5 + Math.random())));
        delay = Math.min(MAX_POLL_DELAY_MS, delay * 1.6);
      }
    }
  }

  async #observeLock(): Promise<LockObservation | undefined> {
    try {
      const handle = await fs.open(this.lockPath, 'r');
      try {
        const stat = await handle.stat();
        const text = await handle.readFile('utf8');
        const info = parseLockInfo(text);
        return { ino: stat.ino, mtimeMs: stat.mtimeMs, ...(info ? { info } : {}) };
      } finally {
        await handle.close();
      }
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return undefined;
      throw new TokenBackendError(`${BACKEND}: cannot read the lock file ${this.lockPath} (${errorCode(error) ?? 'error'})`, {
        backend: BACKEND,
        location: this.filePath,
        cause: error,
      });
    }
  }

  #isStale(lock: LockObservation): boolean {
    const age = Date.now() - lock.mtimeMs;
    if (!lock.info) return age > Math.min(this.#staleLockMs, UNREADABLE_LOCK_GRACE_MS);
    if (holderDiedHere(lock.info)) return true;
    return age > this.#staleLockMs;
  }

  /** Removes the temp files a holder that died here left mid-write (`.<file>.<pid>.<random>.tmp`). */
  async #removeTempFilesOf(pid: number): Promise<void> {
    const prefix = `.${path.basename(this.filePath)}.${pid}.`;
    try {
      for (const name of await fs.readdir(this.#dir)) {
        if (name.startsWith(prefix) && name.endsWith('.tmp')) await fs.rm(path.join(this.#dir, name), { force: true });
      }
    } catch {
      // Leftovers are harmless; the lock matters.
    }
  }

  /**
   * Removes an abandoned lock file. Breakers serialize on `<lock>.break` and re-check that the lock
   * file is still the one judged stale (same inode, mtime and id), so two waiters never remove a lock
   * that a third one has just taken.
   */
  async #breakStaleLock(stale: LockObservation): Promise<boolean> {
    const breakPath = `${this.lockPath}.break`;
    try {
      await (await fs.open(breakPath, 'wx', 0o600)).close();
    } catch (error) {
      if (errorCode(error) !== 'EEXIST') return false;
      // A breaker that died between creating and removing the break file must not block forever.
      try {
        const stat = await fs.stat(breakPath);
        if (Date.now() - stat.mtimeMs > Math.max(UNREADABLE_LOCK_GRACE_MS, 5_000)) await fs.rm(breakPath, { force: true });
      } catch {
        // Gone already: fine.
      }
      return false;
    }
    try {
      const now = await this.#observeLock();
      if (now === undefined) return true;
      if (now.ino !== stale.ino || now.mtimeMs !== stale.mtimeMs || now.info?.id !== stale.info?.id) return false;
      await fs.unlink(this.lockPath);
      if (stale.info && holderDiedHere(stale.info)) await this.#removeTempFilesOf(stale.info.pid);
      this.#logger.warn('FileSystemTokenBackend: broke an abandoned lock file', {
        lockPath: this.lockPath,
        holderPid: stale.info?.pid,
        holderHost: stale.info?.hostname,
        lockedAt: stale.info?.createdAt,
      });
      return true;
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return true;
      if (error instanceof TokenBackendError) throw error;
      throw new TokenBackendError(`${BACKEND}: cannot remove the abandoned lock file ${this.lockPath} (${errorCode(error) ?? 'error'})`, {
        backend: BACKEND,
        location: this.filePath,
        cause: error,
      });
    } finally {
      await fs.rm(breakPath, { force: true });
    }
  }

  #timeout(timeoutMs: number, holder: LockInfo | undefined): TokenBackendError {
    const who = holder ? ` held by pid ${holder.pid} on ${holder.hostname} since ${holder.createdAt}` : '';
    return new TokenBackendError(`${BACKEND}: timed out after ${timeoutMs} ms waiting for the lock file ${this.lockPath}${who}`, {
      backend: BACKEND,
      location: this.filePath,
    });
  }

  async #readBytes(): Promise<Buffer | undefined> {
    let handle;
    try {
      handle = await fs.open(this.filePath, 'r');
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return undefined;
      throw this.#unreadable(error);
    }
    try {
      const stat = await handle.stat();
      if (!stat.isFile()) throw this.#corrupted('it is not a regular file');
      if ((stat.mode & 0o077) !== 0) {
        this.#logger.warn('FileSystemTokenBackend: the token file is accessible by other users; it should be mode 0600', {
          filePath: this.filePath,
          mode: (stat.mode & 0o777).toString(8),
        });
      }
      return await handle.readFile();
    } catch (error) {
      if (error instanceof TokenBackendError) throw error;
      throw this.#unreadable(error);
    } finally {
      await handle.close();
    }
  }

  async #writeAtomically(bytes: Buffer): Promise<void> {
    const tmp = path.join(this.#dir, `.${path.basename(this.filePath)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
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
        backend: BACKEND,
        location: this.filePath,
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
        backend: BACKEND,
        location: this.filePath,
        cause: error,
      });
    }
  }

  #unreadable(cause: unknown): TokenBackendError {
    return new TokenBackendError(`${BACKEND}: cannot read the token file ${this.filePath} (${errorCode(cause) ?? 'error'})`, {
      backend: BACKEND,
      location: this.filePath,
      cause,
    });
  }

  #corrupted(why: string, cause?: unknown): TokenBackendError {
    return new TokenBackendError(
      `${BACKEND}: the token file ${this.filePath} is corrupted (${why}); it was left in place: move it away and sign in again`,
      { backend: BACKEND, location: this.filePath, cause },
    );
  }
}
