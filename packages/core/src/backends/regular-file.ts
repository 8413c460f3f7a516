import { constants, promises as fs } from 'node:fs';

// O_NOFOLLOW and O_NONBLOCK do not exist on Windows, where FIFOs cannot sit at a path anyway.
const OPEN_REGULAR_FLAGS = constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0);

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
 * Creates `file` with `O_EXCL` (mode 0600) holding `content` as JSON. Resolves false when the
 * file exists already; rejects with what `fail` makes of the step that failed otherwise. A file
 * that was created but could not be written is removed again: an empty one would look to others
 * like a holder still writing it.
 *
 * @example
 * ```ts
 * const taken = await createExclusive(`${file}.lock`, { pid: process.pid }, (step, cause) => new Error(`cannot ${step} the lock`, { cause }));
 * ```
 */
export async function createExclusive(
  file: string,
  content: object,
  fail: (step: 'create' | 'write', cause: unknown) => Error,
): Promise<boolean> {
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(file, 'wx', 0o600);
  } catch (error) {
    if (errorCode(error) === 'EEXIST') return false;
    throw fail('create', error);
  }
  try {
    await handle.writeFile(JSON.stringify(content));
  } catch (error) {
    await handle.close().catch(() => undefined);
    await fs.rm(file, { force: true });
    throw fail('write', error);
  }
  await handle.close();
  return true;
}
