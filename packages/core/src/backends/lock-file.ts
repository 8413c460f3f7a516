import { createHash, randomBytes } from 'node:crypto';
import { constants, promises as fs, readlinkSync } from 'node:fs';
import os from 'node:os';
import { TokenBackendError } from '../errors.js';
import { noopLogger, type Logger } from '../logger.js';
import { AsyncMutex } from './async-mutex.js';
import type { BackendIdentity } from './backend-contract.js';

/** Default of {@link LockFileOptions.staleMs}. Holders refresh their lock every third of it. */
export const DEFAULT_STALE_LOCK_MS = 10_000;
/**
 * A lock or break file whose content cannot be parsed is being written right now, or its
 * writer died between creating and writing it.
 */
const UNREADABLE_GRACE_MS = 2_000;
/** Breaking takes milliseconds; a break file of a breaker we cannot judge by pid (another host) is dead past this. */
const ABANDONED_BREAK_MS = 5_000;
const MAX_POLL_DELAY_MS = 250;

// O_NOFOLLOW and O_NONBLOCK do not exist on Windows, where FIFOs cannot sit at a path anyway.
const OPEN_REGULAR_FLAGS = constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0);

/**
 * Who holds a lock file, or who is breaking one: pid, host and pid namespace, so that a process on
 * the same host can tell at once that the holder is gone.
 *
 * @example
 * ```ts
 * const holder: LockHolder = { pid: 4242, hostname: 'web-1', createdAt: new Date().toISOString(), id: 'a1b2' };
 * ```
 */
export interface LockHolder {
  pid: number;
  hostname: string;
  /** The holder's pid namespace (Linux), so containers sharing a host name never judge each other's pids. */
  pidNamespace?: string;
  createdAt: string;
  /** Random id, so a holder only ever removes its own file. */
  id: string;
}

/** What a break file holds: the breaker, and the holder whose lock it is breaking. */
interface BreakRecord extends LockHolder {
  holder?: Pick<LockHolder, 'pid' | 'hostname' | 'pidNamespace'>;
}

interface Observation<T> {
  info?: T;
  ino: number;
  mtimeMs: number;
}

/**
 * Options of {@link LockFile}.
 *
 * @example
 * ```ts
 * const options: LockFileOptions = {
 *   path: '/var/lib/app/o365_token.txt.lock',
 *   owner: { backend: 'FileSystemTokenBackend', location: '/var/lib/app/o365_token.txt' },
 *   onDeadHolder: async (pid) => removeTempFilesOf(pid),
 * };
 * ```
 */
export interface LockFileOptions {
  /** Path of the lock file. The break file is `<path>.break`, its takeover guard `<path>.break.takeover`. */
  path: string;
  /** Names the backend and what it guards in errors and warnings. */
  owner: BackendIdentity;
  /**
   * A lock file not refreshed for this long is abandoned and broken. Holders refresh it every
   * third of this period, so only a hung holder, or a dead one on another host (a dead holder on
   * this host is detected at once by its pid), reaches it. Default {@link DEFAULT_STALE_LOCK_MS}.
   */
  staleMs?: number;
  /** Receives a warning when an abandoned lock, or the leftover of a dead breaker, is removed. */
  logger?: Logger;
  /**
   * Removes what a holder that died on this host left (its temp files). Called by the process
   * that breaks the dead holder's lock, or, when that breaker died too, by the next process
   * that finds its break file: never for a live process.
   */
  onDeadHolder?: (pid: number) => Promise<void>;
}

/** Same-process waiters queue here before polling the lock file, keyed by lock file path. */
const processMutexes = new Map<string, AsyncMutex>();

/**
 * The error code of a Node.js system error (`ENOENT`, `EACCES`), if it has one.
 *
 * @example
 * ```ts
 * if (errorCode(error) === 'ENOENT') return undefined;
 * ```
 */
export function errorCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error ? String((error as { code: unknown }).code) : undefined;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
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

/**
 * A short tag of this host and pid namespace, for names of files that carry a pid (temp
 * files): a pid in such a name is judged only by processes with the same tag.
 *
 * @example
 * ```ts
 * const tmp = `.${name}.${process.pid}.${hostTag()}.${randomBytes(6).toString('hex')}.tmp`;
 * ```
 */
export function hostTag(): string {
  return createHash('sha256')
    .update(`${os.hostname()}\0${pidNamespace() ?? ''}`)
    .digest('hex')
    .slice(0, 8);
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

/**
 * Whether a process ran on this host, in this pid namespace, and is gone. Never true for this
 * process, nor for a pid recorded on another host (a pid says nothing there).
 *
 * @example
 * ```ts
 * if (diedHere({ pid: 4242, hostname: os.hostname() })) await removeTempFilesOf(4242);
 * ```
 */
export function diedHere(who: Pick<LockHolder, 'pid' | 'hostname' | 'pidNamespace'>): boolean {
  if (who.hostname !== os.hostname() || who.pidNamespace !== pidNamespace()) return false;
  return Number.isSafeInteger(who.pid) && who.pid > 0 && who.pid !== process.pid && !processIsAlive(who.pid);
}

/**
 * Whether a pid taken from a file name tagged with {@link hostTag} belongs to a process that is
 * gone.
 *
 * @example
 * ```ts
 * if (taggedPidIsDead(4242, tagFromName)) await fs.rm(tempFile, { force: true });
 * ```
 */
export function taggedPidIsDead(pid: number, tag: string): boolean {
  return tag === hostTag() && Number.isSafeInteger(pid) && pid > 0 && pid !== process.pid && !processIsAlive(pid);
}

function me(): LockHolder {
  const ns = pidNamespace();
  return {
    pid: process.pid,
    hostname: os.hostname(),
    ...(ns !== undefined ? { pidNamespace: ns } : {}),
    createdAt: new Date().toISOString(),
    id: randomBytes(12).toString('hex'),
  };
}

function parseHolder(value: unknown): LockHolder | undefined {
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
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function parseBreakRecord(text: string): BreakRecord | undefined {
  const value = parseJson(text);
  const breaker = parseHolder(value);
  if (!breaker) return undefined;
  const holder = parseHolder({ id: '', ...((value as { holder?: object }).holder ?? {}) });
  return holder ? { ...breaker, holder: { pid: holder.pid, hostname: holder.hostname, ...(holder.pidNamespace ? { pidNamespace: holder.pidNamespace } : {}) } } : breaker;
}

/**
 * Opens a file for reading only if it is a regular file: a symbolic link is refused (not
 * followed), and a FIFO or device is opened without blocking and then refused, so reading a
 * hostile path never hangs. Resolves `undefined` when nothing is there.
 *
 * @example
 * ```ts
 * const handle = await openRegularFile(file, (what) => new TokenBackendError(`${file} is ${what}`, { backend }));
 * if (handle) try { return await handle.readFile(); } finally { await handle.close(); }
 * ```
 */
export async function openRegularFile(
  file: string,
  refuse: (what: string, cause?: unknown) => Error,
): Promise<fs.FileHandle | undefined> {
  let handle: fs.FileHandle;
  try {
    // lstat first: a FIFO or device is refused before open, which then only guards against a swap.
    const link = await fs.lstat(file);
    if (!link.isFile()) throw refuse(kindOf(link));
    handle = await fs.open(file, OPEN_REGULAR_FLAGS);
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return undefined;
    if (errorCode(error) === 'ELOOP') throw refuse('a symbolic link', error);
    throw error;
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) throw refuse(kindOf(stat));
  } catch (error) {
    await handle.close().catch(() => undefined);
    throw error;
  }
  return handle;
}

function kindOf(stat: { isDirectory(): boolean; isSymbolicLink(): boolean; isFIFO(): boolean; isSocket(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean }): string {
  if (stat.isDirectory()) return 'a directory';
  if (stat.isSymbolicLink()) return 'a symbolic link';
  if (stat.isFIFO()) return 'a FIFO (named pipe)';
  if (stat.isSocket()) return 'a socket';
  if (stat.isCharacterDevice() || stat.isBlockDevice()) return 'a device';
  return 'not a regular file';
}

/**
 * A cross-process lock held as a file created with `O_EXCL`, holding pid, host and time.
 *
 * - In one process, waiters queue on an in-memory mutex per lock path; across processes they
 *   poll the file with bounded, jittered backoff until their deadline.
 * - The holder refreshes the file's mtime every third of `staleMs` (a heartbeat), so a long
 *   refresh is never taken for an abandoned lock.
 * - A lock whose holder died on this host (pid gone) is broken at once; one not refreshed for
 *   `staleMs` is broken as abandoned. Breakers serialize on `<lock>.break`, which records the
 *   breaker's pid and the dead holder's, and re-check that the lock is still the one judged stale.
 * - A breaker that died mid-break leaves its break file: a later process sees the dead pid,
 *   finishes its job (the dead holder's leftovers, through `onDeadHolder`) and takes over at
 *   once. Takeovers serialize on `<lock>.break.takeover`.
 * - Only regular files are read: a FIFO, device or symbolic link at a lock path is a
 *   `TokenBackendError`, never a hang.
 *
 * @example
 * ```ts
 * const lock = new LockFile({ path: `${file}.lock`, owner: { backend: 'MyBackend', location: file } });
 * const release = await lock.acquire(10_000);
 * try { await writeTheFile(); } finally { await release(); }
 * ```
 */
export class LockFile {
  /** Path of the lock file. */
  readonly path: string;
  /** Path of the break file, present while a process breaks an abandoned lock. */
  readonly breakPath: string;
  readonly #takeoverPath: string;
  readonly #owner: BackendIdentity;
  readonly #staleMs: number;
  readonly #logger: Logger;
  readonly #onDeadHolder: (pid: number) => Promise<void>;

  constructor(options: LockFileOptions) {
    this.path = options.path;
    this.breakPath = `${options.path}.break`;
    this.#takeoverPath = `${options.path}.break.takeover`;
    this.#owner = options.owner;
    this.#staleMs = options.staleMs ?? DEFAULT_STALE_LOCK_MS;
    this.#logger = options.logger ?? noopLogger;
    this.#onDeadHolder = options.onDeadHolder ?? (async () => undefined);
  }

  /**
   * Takes the lock, waiting up to `timeoutMs`. Resolves with the release function (idempotent);
   * rejects with `TokenBackendError` naming the holder on timeout.
   *
   * @example
   * ```ts
   * const release = await lock.acquire(5_000);
   * await release();
   * ```
   */
  async acquire(timeoutMs: number): Promise<() => Promise<void>> {
    const deadline = Date.now() + timeoutMs;
    let mutex = processMutexes.get(this.path);
    if (!mutex) {
      mutex = new AsyncMutex();
      processMutexes.set(this.path, mutex);
    }
    const owned = mutex;
    const releaseMutex = await owned.acquire(timeoutMs, () => this.#timeout(timeoutMs, undefined));
    const releaseAll = () => {
      releaseMutex();
      if (!owned.locked && processMutexes.get(this.path) === owned) processMutexes.delete(this.path);
    };
    let id: string;
    try {
      id = await this.#take(deadline, timeoutMs);
    } catch (error) {
      releaseAll();
      throw error;
    }
    const heartbeat = setInterval(() => {
      const now = new Date();
      fs.utimes(this.path, now, now).catch(() => undefined);
    }, Math.max(50, Math.floor(this.#staleMs / 3)));
    heartbeat.unref();
    let released = false;
    const release = async () => {
      if (released) return;
      released = true;
      clearInterval(heartbeat);
      try {
        const now = await this.#observe(this.path, parseHolderText);
        // Only remove our own lock: ours may have been broken as stale and re-taken by someone else.
        if (now?.info?.id === id) await fs.unlink(this.path);
      } catch (error) {
        if (errorCode(error) !== 'ENOENT') {
          this.#logger.warn(`${this.#owner.backend}: could not remove the lock file`, { lockPath: this.path, code: errorCode(error) });
        }
      } finally {
        releaseAll();
      }
    };
    try {
      await this.#finishDeadBreak();
    } catch (error) {
      await release();
      throw error;
    }
    return release;
  }

  async #take(deadline: number, timeoutMs: number): Promise<string> {
    let delay = 5;
    let last: Observation<LockHolder> | undefined;
    for (;;) {
      const info = me();
      if (await this.#createWith(this.path, info, 'the lock file')) return info.id;
      const seen = await this.#observe(this.path, parseHolderText);
      if (seen !== undefined) last = seen;
      // Vanished between our open and our look, or abandoned and just broken: try again at once.
      const retryNow = seen === undefined || (this.#isStale(seen) && (await this.#breakStale(seen)));
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw this.#timeout(timeoutMs, last?.info);
      if (!retryNow) {
        await sleep(Math.min(remaining, delay * (0.5 + Math.random())));
        delay = Math.min(MAX_POLL_DELAY_MS, delay * 1.6);
      }
    }
  }

  /** Creates `file` with `O_EXCL` holding `content`; false when it exists. */
  async #createWith(file: string, content: object, what: string): Promise<boolean> {
    let handle: fs.FileHandle;
    try {
      handle = await fs.open(file, 'wx', 0o600);
    } catch (error) {
      if (errorCode(error) === 'EEXIST') return false;
      throw this.#error(`cannot create ${what} ${file}`, error);
    }
    try {
      await handle.writeFile(JSON.stringify(content));
    } catch (error) {
      // An empty file would block the others for the grace period: take it back.
      await handle.close().catch(() => undefined);
      await fs.rm(file, { force: true });
      throw this.#error(`cannot write ${what} ${file}`, error);
    }
    await handle.close();
    return true;
  }

  async #observe<T>(file: string, parse: (text: string) => T | undefined): Promise<Observation<T> | undefined> {
    try {
      const handle = await openRegularFile(
        file,
        (what, cause) => new TokenBackendError(`${this.#owner.backend}: ${file} is ${what}, not a lock file; remove it`, { ...this.#owner, cause }),
      );
      if (!handle) return undefined;
      try {
        const stat = await handle.stat();
        const info = parse(await handle.readFile('utf8'));
        return { ino: stat.ino, mtimeMs: stat.mtimeMs, ...(info !== undefined ? { info } : {}) };
      } finally {
        await handle.close();
      }
    } catch (error) {
      if (error instanceof TokenBackendError) throw error;
      throw this.#error(`cannot read the lock file ${file}`, error);
    }
  }

  #isStale(lock: Observation<LockHolder>): boolean {
    const age = Date.now() - lock.mtimeMs;
    if (!lock.info) return age > Math.min(this.#staleMs, UNREADABLE_GRACE_MS);
    if (diedHere(lock.info)) return true;
    return age > this.#staleMs;
  }

  /**
   * Removes an abandoned lock file, serialized on the break file and re-checking that the lock
   * file is still the one judged stale (same inode, mtime and id), so two waiters never remove a
   * lock that a third one has just taken.
   */
  async #breakStale(stale: Observation<LockHolder>): Promise<boolean> {
    const holder = stale.info ? { pid: stale.info.pid, hostname: stale.info.hostname, ...(stale.info.pidNamespace ? { pidNamespace: stale.info.pidNamespace } : {}) } : undefined;
    const record: BreakRecord = { ...me(), ...(holder ? { holder } : {}) };
    if (!(await this.#createWith(this.breakPath, record, 'the break file'))) return this.#onBusyBreak();
    try {
      const now = await this.#observe(this.path, parseHolderText);
      if (now === undefined) return true;
      if (now.ino !== stale.ino || now.mtimeMs !== stale.mtimeMs || now.info?.id !== stale.info?.id) return false;
      await fs.unlink(this.path);
      if (holder && diedHere(holder)) await this.#cleanUpAfter(holder.pid);
      this.#logger.warn(`${this.#owner.backend}: broke an abandoned lock file`, {
        lockPath: this.path,
        holderPid: stale.info?.pid,
        holderHost: stale.info?.hostname,
        lockedAt: stale.info?.createdAt,
      });
      return true;
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return true;
      if (error instanceof TokenBackendError) throw error;
      throw this.#error(`cannot remove the abandoned lock file ${this.path}`, error);
    } finally {
      await fs.rm(this.breakPath, { force: true });
    }
  }

  /** Another break file is there: a live breaker is at work (wait), or a dead one left it (take over now). */
  async #onBusyBreak(): Promise<boolean> {
    const seen = await this.#observe(this.breakPath, parseBreakRecord);
    if (seen === undefined) return true;
    return this.#isAbandonedBreak(seen) ? this.#takeOver(seen) : false;
  }

  #isAbandonedBreak(seen: Observation<BreakRecord>): boolean {
    const age = Date.now() - seen.mtimeMs;
    if (!seen.info) return age > UNREADABLE_GRACE_MS;
    return diedHere(seen.info) || age > ABANDONED_BREAK_MS;
  }

  /** Run by a new holder: a break file left by a dead breaker has its job finished and goes. */
  async #finishDeadBreak(): Promise<void> {
    const seen = await this.#observe(this.breakPath, parseBreakRecord);
    if (seen !== undefined && this.#isAbandonedBreak(seen)) await this.#takeOver(seen);
  }

  /**
   * Removes an abandoned break file after doing what its breaker could not (cleaning up after the
   * dead holder it named). Takeovers serialize on a guard file and re-check the break file, so a
   * takeover never removes the break file of a live breaker that replaced the dead one.
   */
  async #takeOver(dead: Observation<BreakRecord>): Promise<boolean> {
    if (!(await this.#createWith(this.#takeoverPath, me(), 'the takeover file'))) {
      // Taking over takes microseconds: a guard this old belongs to a process that died doing it.
      try {
        const stat = await fs.lstat(this.#takeoverPath);
        if (Date.now() - stat.mtimeMs > ABANDONED_BREAK_MS) await fs.rm(this.#takeoverPath, { force: true });
      } catch {
        // Gone already: fine.
      }
      return false;
    }
    try {
      const now = await this.#observe(this.breakPath, parseBreakRecord);
      if (now === undefined) return true;
      if (now.ino !== dead.ino || now.mtimeMs !== dead.mtimeMs || now.info?.id !== dead.info?.id) return false;
      const holder = dead.info?.holder;
      if (holder && diedHere(holder)) await this.#cleanUpAfter(holder.pid);
      await fs.unlink(this.breakPath);
      this.#logger.warn(`${this.#owner.backend}: removed the break file of a breaker that died`, {
        breakPath: this.breakPath,
        breakerPid: dead.info?.pid,
        breakerHost: dead.info?.hostname,
        holderPid: holder?.pid,
      });
      return true;
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return true;
      if (error instanceof TokenBackendError) throw error;
      throw this.#error(`cannot remove the abandoned break file ${this.breakPath}`, error);
    } finally {
      await fs.rm(this.#takeoverPath, { force: true });
    }
  }

  async #cleanUpAfter(pid: number): Promise<void> {
    try {
      await this.#onDeadHolder(pid);
    } catch (error) {
      // Leftovers are harmless; the lock matters.
      this.#logger.warn(`${this.#owner.backend}: could not remove what a dead holder left`, { pid, code: errorCode(error) });
    }
  }

  #timeout(timeoutMs: number, holder: LockHolder | undefined): TokenBackendError {
    const who = holder ? ` held by pid ${holder.pid} on ${holder.hostname} since ${holder.createdAt}` : '';
    return new TokenBackendError(`${this.#owner.backend}: timed out after ${timeoutMs} ms waiting for the lock file ${this.path}${who}`, {
      ...this.#owner,
    });
  }

  #error(what: string, cause: unknown): TokenBackendError {
    return new TokenBackendError(`${this.#owner.backend}: ${what} (${errorCode(cause) ?? 'error'})`, { ...this.#owner, cause });
  }
}

function parseHolderText(text: string): LockHolder | undefined {
  return parseHolder(parseJson(text));
}
