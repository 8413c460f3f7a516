import { createHash, randomBytes } from 'node:crypto';
import { readlinkSync } from 'node:fs';
import os from 'node:os';
import { errorCode } from './regular-file.js';

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

/** The part of a {@link LockHolder} that says where its process ran. */
export type ProcessOf = Pick<LockHolder, 'pid' | 'hostname' | 'pidNamespace'>;

/** What a break file holds: the breaker, and the holder whose lock it is breaking. */
export interface BreakRecord extends LockHolder {
  holder?: ProcessOf;
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
export function diedHere(who: ProcessOf): boolean {
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

/** This process as a new holder, with a fresh id. */
export function currentHolder(): LockHolder {
  const ns = pidNamespace();
  return {
    pid: process.pid,
    hostname: os.hostname(),
    ...(ns !== undefined ? { pidNamespace: ns } : {}),
    createdAt: new Date().toISOString(),
    id: randomBytes(12).toString('hex'),
  };
}

/** Where a holder's process ran, without its id and time (what a break file records of the holder). */
export function processOf(holder: ProcessOf): ProcessOf {
  return { pid: holder.pid, hostname: holder.hostname, ...(holder.pidNamespace ? { pidNamespace: holder.pidNamespace } : {}) };
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

/** The holder a lock file's text names, or undefined when it is not (yet) one. */
export function parseHolderText(text: string): LockHolder | undefined {
  return parseHolder(parseJson(text));
}

/** The breaker and holder a break file's text names, or undefined when it is not (yet) one. */
export function parseBreakRecord(text: string): BreakRecord | undefined {
  const value = parseJson(text);
  const breaker = parseHolder(value);
  if (!breaker) return undefined;
  const holder = parseHolder({ id: '', ...((value as { holder?: object }).holder ?? {}) });
  return holder ? { ...breaker, holder: processOf(holder) } : breaker;
}
