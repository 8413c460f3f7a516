import { promises as fs } from 'node:fs';
import { TokenBackendError } from '../errors.js';
import { noopLogger, type Logger } from '../logger.js';
import { AsyncMutex } from './async-mutex.js';
import type { BackendIdentity } from './backend-contract.js';
import { currentHolder, diedHere, parseBreakRecord, parseHolderText, processOf, type BreakRecord, type LockHolder } from './lock-holder.js';
import { createExclusive, errorCode, openRegularFile } from './regular-file.js';

// Who holds a lock and whether it is gone lives in lock-holder.ts, the file-system primitives in
// regular-file.ts; this file is the lock protocol. hostTag is re-exported for the file backend's tests.
export { hostTag } from './lock-holder.js';

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

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Whether a file is still the one observed earlier: same inode, mtime and holder id. */
function unchanged(now: Observation<{ id: string }>, seen: Observation<{ id: string }>): boolean {
  return now.ino === seen.ino && now.mtimeMs === seen.mtimeMs && now.info?.id === seen.info?.id;
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
      const info = currentHolder();
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
  #createWith(file: string, content: object, what: string): Promise<boolean> {
    return createExclusive(file, content, (step, cause) => this.#error(`cannot ${step} ${what} ${file}`, cause));
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
    const holder = stale.info ? processOf(stale.info) : undefined;
    const record: BreakRecord = { ...currentHolder(), ...(holder ? { holder } : {}) };
    if (!(await this.#createWith(this.breakPath, record, 'the break file'))) return this.#onBusyBreak();
    return this.#removeIfUnchanged(this.path, parseHolderText, stale, this.breakPath, 'lock file', async () => {
      await fs.unlink(this.path);
      if (holder && diedHere(holder)) await this.#cleanUpAfter(holder.pid);
      this.#logger.warn(`${this.#owner.backend}: broke an abandoned lock file`, {
        lockPath: this.path,
        holderPid: stale.info?.pid,
        holderHost: stale.info?.hostname,
        lockedAt: stale.info?.createdAt,
      });
    });
  }

  /**
   * Under the guard file `guard` (created by the caller, removed here in every case), runs
   * `remove` if `file` is still the one observed as `seen`. True when `file` is gone (removed
   * here or by someone else), false when it changed meanwhile.
   */
  async #removeIfUnchanged<T extends { id: string }>(
    file: string,
    parse: (text: string) => T | undefined,
    seen: Observation<T>,
    guard: string,
    what: string,
    remove: () => Promise<void>,
  ): Promise<boolean> {
    try {
      const now = await this.#observe(file, parse);
      if (now === undefined) return true;
      if (!unchanged(now, seen)) return false;
      await remove();
      return true;
    } catch (error) {
      if (errorCode(error) === 'ENOENT') return true;
      if (error instanceof TokenBackendError) throw error;
      throw this.#error(`cannot remove the abandoned ${what} ${file}`, error);
    } finally {
      await fs.rm(guard, { force: true });
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
    if (!(await this.#createWith(this.#takeoverPath, currentHolder(), 'the takeover file'))) {
      // Taking over takes microseconds: a guard this old belongs to a process that died doing it.
      try {
        const stat = await fs.lstat(this.#takeoverPath);
        if (Date.now() - stat.mtimeMs > ABANDONED_BREAK_MS) await fs.rm(this.#takeoverPath, { force: true });
      } catch {
        // Gone already: fine.
      }
      return false;
    }
    return this.#removeIfUnchanged(this.breakPath, parseBreakRecord, dead, this.#takeoverPath, 'break file', async () => {
      const holder = dead.info?.holder;
      // The dead holder's leftovers go first: the break file is the record that they are still to go.
      if (holder && diedHere(holder)) await this.#cleanUpAfter(holder.pid);
      await fs.unlink(this.breakPath);
      this.#logger.warn(`${this.#owner.backend}: removed the break file of a breaker that died`, {
        breakPath: this.breakPath,
        breakerPid: dead.info?.pid,
        breakerHost: dead.info?.hostname,
        holderPid: holder?.pid,
      });
    });
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
