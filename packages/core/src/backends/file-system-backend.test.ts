import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createHash } from 'node:crypto';
import { promises as fs, readlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { TokenBackendError, TokenCacheConflictError } from '../errors.js';
import type { Logger } from '../logger.js';
import { FileSystemTokenBackend } from './file-system-backend.js';
import { hostTag } from './lock-file.js';

const fixture = path.join(__dirname, '..', '..', 'test', 'support', 'fs-backend-child.ts');
const tsxLoader = pathToFileURL(require.resolve('tsx/esm')).href;
const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const NOBODY = 65534;

let base: string;
// A child that runs as another user cannot be assumed to read this checkout (a clone in a folder
// only root can traverse, e.g. `mktemp -d`), so it gets the fixture bundled into one plain
// JavaScript file in a world-readable temp folder and runs it without tsx.
let bundleDir: string;
let bundledFixture: string;
beforeAll(async () => {
  base = await fs.mkdtemp(path.join(os.tmpdir(), 'o365-fs-backend-'));
  bundleDir = await fs.mkdtemp(path.join(os.tmpdir(), 'o365-fs-child-'));
  bundledFixture = path.join(bundleDir, 'fs-backend-child.cjs');
  await build({ entryPoints: [fixture], bundle: true, platform: 'node', format: 'cjs', target: 'node20', outfile: bundledFixture, logLevel: 'silent' });
  await fs.chmod(bundleDir, 0o755);
  await fs.chmod(bundledFixture, 0o644);
});
afterAll(async () => {
  await fs.rm(base, { recursive: true, force: true });
  await fs.rm(bundleDir, { recursive: true, force: true });
});

let counter = 0;
async function freshDir(): Promise<string> {
  counter += 1;
  const dir = path.join(base, `d${counter}`);
  await fs.mkdir(dir, { recursive: true });
  return dir;
}

interface Child {
  proc: ChildProcessWithoutNullStreams;
  /** Resolves with the next JSON line the child prints. */
  next(): Promise<Record<string, unknown>>;
  exited: Promise<number | null>;
  stderr(): string;
}

function startChild(args: string[], options: { uid?: number; gid?: number } = {}): Child {
  const asAnotherUser = options.uid !== undefined && options.uid !== process.getuid?.();
  const entry = asAnotherUser ? [bundledFixture] : ['--import', tsxLoader, fixture];
  const proc = spawn(process.execPath, [...entry, ...args], {
    stdio: 'pipe',
    ...options,
    env: { PATH: process.env.PATH ?? '', TSX_TSCONFIG_PATH: path.join(__dirname, '..', '..', 'tsconfig.json') },
  });
  const lines: string[] = [];
  const waiters: Array<(line: string) => void> = [];
  let buffer = '';
  let err = '';
  proc.stdout.setEncoding('utf8');
  proc.stdout.on('data', (chunk: string) => {
    buffer += chunk;
    let index;
    while ((index = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, index);
      buffer = buffer.slice(index + 1);
      const waiter = waiters.shift();
      if (waiter) waiter(line);
      else lines.push(line);
    }
  });
  proc.stderr.setEncoding('utf8');
  proc.stderr.on('data', (chunk: string) => {
    err += chunk;
  });
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  return {
    proc,
    exited,
    stderr: () => err,
    next: () =>
      new Promise((resolve, reject) => {
        const take = (line: string) => resolve(JSON.parse(line) as Record<string, unknown>);
        const queued = lines.shift();
        if (queued !== undefined) return take(queued);
        waiters.push(take);
        void exited.then((code) => reject(new Error(`child exited (${code}) before printing: ${err}`)));
      }),
  };
}

function sha(bytes: string | Buffer): string {
  return `sha256-${createHash('sha256').update(bytes).digest('hex')}`;
}

function recordingLogger(): Logger & { warnings: string[] } {
  const warnings: string[] = [];
  return { warnings, debug() {}, info() {}, error() {}, warn: (message) => void warnings.push(message) };
}

describe('FileSystemTokenBackend: storage', () => {
  it('defaults to o365_token.txt in the current directory', () => {
    const backend = new FileSystemTokenBackend();
    expect(backend.filePath).toBe(path.join(process.cwd(), 'o365_token.txt'));
    expect(backend.lockPath).toBe(`${backend.filePath}.lock`);
  });

  it('rejects a file name that is a path', () => {
    expect(() => new FileSystemTokenBackend({ tokenFilename: '../x' })).toThrow(TokenBackendError);
  });

  it('writes a 0600 file, versioned by the SHA-256 of its bytes, and reads it back', async () => {
    const dir = await freshDir();
    const backend = new FileSystemTokenBackend({ tokenPath: dir });
    const data = JSON.stringify({ AccessToken: {}, note: 'héllo 🌍 שלום' });
    const { version } = await backend.save(data);
    expect(version).toBe(sha(Buffer.from(data, 'utf8')));
    const stat = await fs.stat(path.join(dir, 'o365_token.txt'));
    expect(stat.mode & 0o777).toBe(0o600);
    expect(await backend.load()).toEqual({ data, version });
    expect(await fs.readFile(path.join(dir, 'o365_token.txt'), 'utf8')).toBe(data);
    // No temp file or lock file left behind.
    expect(await fs.readdir(dir)).toEqual(['o365_token.txt']);
  });

  it('keeps 0600 whatever the umask, and replaces a wider existing file with a 0600 one', async () => {
    const dir = await freshDir();
    const file = path.join(dir, 'o365_token.txt');
    await fs.writeFile(file, 'old', { mode: 0o644 });
    await fs.chmod(file, 0o644);
    const previous = process.umask(0);
    try {
      await new FileSystemTokenBackend({ tokenPath: dir }).save('new');
    } finally {
      process.umask(previous);
    }
    expect((await fs.stat(file)).mode & 0o777).toBe(0o600);
  });

  it('creates a missing directory with mode 0700 on save', async () => {
    const dir = path.join(await freshDir(), 'a', 'b');
    const backend = new FileSystemTokenBackend({ tokenPath: dir, tokenFilename: 'cache.json' });
    expect(await backend.load()).toBeUndefined();
    await backend.save('{}');
    expect((await fs.stat(dir)).mode & 0o777).toBe(0o700);
    expect(await fs.readFile(path.join(dir, 'cache.json'), 'utf8')).toBe('{}');
  });

  it('warns when the token file is readable by others', async () => {
    const dir = await freshDir();
    await fs.writeFile(path.join(dir, 'o365_token.txt'), '{}', { mode: 0o644 });
    await fs.chmod(path.join(dir, 'o365_token.txt'), 0o644);
    const logger = recordingLogger();
    await new FileSystemTokenBackend({ tokenPath: dir, logger }).load();
    expect(logger.warnings.join('\n')).toMatch(/accessible by other users/);
  });

  it.each([
    ['not UTF-8', Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), /not UTF-8/],
    ['NUL bytes (what a crash can leave)', Buffer.alloc(64), /NUL bytes/],
  ])('a corrupted file (%s) gives TokenBackendError naming it and is left in place', async (_label, bytes, why) => {
    const dir = await freshDir();
    const file = path.join(dir, 'o365_token.txt');
    await fs.writeFile(file, bytes, { mode: 0o600 });
    const backend = new FileSystemTokenBackend({ tokenPath: dir });
    const error = await backend.load().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(TokenBackendError);
    const e = error as TokenBackendError;
    expect(e.message).toContain(file);
    expect(e.message).toMatch(why);
    expect(e.backend).toBe('FileSystemTokenBackend');
    expect(e.location).toBe(file);
    expect(Buffer.compare(await fs.readFile(file), bytes)).toBe(0);
    // A conditional save against it still compares versions (hash of the bytes), never wipes it silently.
    await expect(backend.save('{}', { expectedVersion: null })).rejects.toBeInstanceOf(TokenCacheConflictError);
    expect(Buffer.compare(await fs.readFile(file), bytes)).toBe(0);
  });

  it('a directory where the file should be gives TokenBackendError', async () => {
    const dir = await freshDir();
    await fs.mkdir(path.join(dir, 'o365_token.txt'));
    await expect(new FileSystemTokenBackend({ tokenPath: dir }).load()).rejects.toThrow(/not a regular file|EISDIR/);
  });

  it('a token path under a regular file fails every operation with TokenBackendError and a cause', async () => {
    const dir = await freshDir();
    await fs.writeFile(path.join(dir, 'plain'), 'x');
    const backend = new FileSystemTokenBackend({ tokenPath: path.join(dir, 'plain', 'sub') });
    for (const op of [() => backend.load(), () => backend.save('x'), () => backend.delete(), () => backend.lock({ timeoutMs: 100 })]) {
      const error = await op().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(TokenBackendError);
      expect((error as TokenBackendError).cause).toMatchObject({ code: 'ENOTDIR' });
    }
  });

  it('expectedVersion: accepted when current, rejected when stale or when create-only finds a file', async () => {
    const dir = await freshDir();
    const a = new FileSystemTokenBackend({ tokenPath: dir });
    const b = new FileSystemTokenBackend({ tokenPath: dir });
    const v1 = (await a.save('one', { expectedVersion: null })).version;
    await expect(b.save('two', { expectedVersion: null })).rejects.toBeInstanceOf(TokenCacheConflictError);
    const v2 = (await b.save('two', { expectedVersion: v1 })).version;
    const conflict = await a.save('three', { expectedVersion: v1 }).catch((e: unknown) => e);
    expect(conflict).toBeInstanceOf(TokenCacheConflictError);
    expect(conflict).toMatchObject({ expectedVersion: v1, actualVersion: v2 });
    expect(await a.load()).toEqual({ data: 'two', version: v2 });
  });

  it('delete is idempotent and leaves no lock behind', async () => {
    const dir = await freshDir();
    const backend = new FileSystemTokenBackend({ tokenPath: dir });
    await backend.delete();
    await new FileSystemTokenBackend({ tokenPath: path.join(dir, 'missing') }).delete();
    await backend.save('x');
    await backend.delete();
    await backend.delete();
    expect(await backend.load()).toBeUndefined();
    expect(await fs.readdir(dir)).toEqual([]);
  });
});

describe('FileSystemTokenBackend: permissions', () => {
  // Root ignores file modes, so when the tests run as root the denied side runs as `nobody`.
  const asOtherUser = isRoot ? { uid: NOBODY, gid: NOBODY } : {};

  it('permission denied on read gives TokenBackendError with the EACCES cause', async () => {
    const dir = await freshDir();
    await fs.chmod(base, 0o755);
    await fs.chmod(dir, 0o755);
    await new FileSystemTokenBackend({ tokenPath: dir }).save('{"secret":"x"}');
    await fs.chmod(path.join(dir, 'o365_token.txt'), 0o000);
    const child = startChild(['load', dir], asOtherUser);
    const result = await child.next();
    expect(result).toMatchObject({ ok: false, error: { name: 'TokenBackendError', code: 'TOKEN_BACKEND_ERROR', causeCode: 'EACCES' } });
    expect(String((result.error as { message: string }).message)).toContain(path.join(dir, 'o365_token.txt'));
    expect(String((result.error as { message: string }).message)).not.toContain('secret');
  });

  it('a failed write (directory not writable) leaves the previous copy untouched', async () => {
    const dir = await freshDir();
    await fs.chmod(base, 0o755);
    await fs.writeFile(path.join(dir, 'o365_token.txt'), 'previous', { mode: 0o600 });
    if (isRoot) {
      await fs.chown(dir, NOBODY, NOBODY);
      await fs.chown(path.join(dir, 'o365_token.txt'), NOBODY, NOBODY);
    }
    // The writer can read and write the file but cannot create the temp file (or the lock) next to it.
    await fs.chmod(dir, 0o500);
    const child = startChild(['save', dir, 'next'], asOtherUser);
    const result = await child.next();
    expect(result).toMatchObject({ ok: false, error: { name: 'TokenBackendError', causeCode: 'EACCES' } });
    expect(await fs.readFile(path.join(dir, 'o365_token.txt'), 'utf8')).toBe('previous');
    await fs.chmod(dir, 0o700);
  });
});

describe('FileSystemTokenBackend: lock file', () => {
  it('records pid, host and time, and release removes it (release is idempotent)', async () => {
    const dir = await freshDir();
    const backend = new FileSystemTokenBackend({ tokenPath: dir });
    const release = await backend.lock();
    const info = JSON.parse(await fs.readFile(backend.lockPath, 'utf8')) as Record<string, unknown>;
    expect(info).toMatchObject({ pid: process.pid, hostname: os.hostname() });
    expect(typeof info.createdAt).toBe('string');
    expect((await fs.stat(backend.lockPath)).mode & 0o777).toBe(0o600);
    // The holder saves without waiting for its own lock.
    await backend.save('under lock', { expectedVersion: null });
    await release();
    await release();
    await expect(fs.access(backend.lockPath)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('another instance waits for the holder and gets the lock when it is released', async () => {
    const dir = await freshDir();
    const a = new FileSystemTokenBackend({ tokenPath: dir });
    const b = new FileSystemTokenBackend({ tokenPath: dir });
    const releaseA = await a.lock();
    const events: string[] = [];
    const bLocked = b.lock({ timeoutMs: 10_000 }).then((release) => {
      events.push('b locked');
      return release;
    });
    const bSaved = b.save('from b').then(() => events.push('b saved'));
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(events).toEqual([]);
    events.push('a released');
    await releaseA();
    const releaseB = await bLocked;
    await releaseB();
    await bSaved;
    expect(events[0]).toBe('a released');
    expect(events).toContain('b locked');
    expect(await a.load()).toMatchObject({ data: 'from b' });
  });

  it('a live holder in another process blocks until the timeout, with a message naming it', async () => {
    const dir = await freshDir();
    const child = startChild(['lock-and-hold', dir]);
    try {
      const { pid } = await child.next();
      const backend = new FileSystemTokenBackend({ tokenPath: dir, lockTimeoutMs: 400 });
      const error = await backend.lock().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TokenBackendError);
      expect((error as Error).message).toContain(`held by pid ${String(pid)}`);
      await expect(backend.save('x')).rejects.toBeInstanceOf(TokenBackendError);
      expect(await backend.load()).toBeUndefined();
      child.proc.stdin.end();
      expect(await child.next()).toEqual({ released: true });
      const release = await backend.lock({ timeoutMs: 5_000 });
      await release();
    } finally {
      child.proc.kill();
    }
  });

  it('a lock held by a process that died is recovered', async () => {
    const dir = await freshDir();
    const child = startChild(['lock-and-exit', dir]);
    const { pid } = await child.next();
    expect(await child.exited).toBe(0);
    const backend = new FileSystemTokenBackend({ tokenPath: dir });
    const leftover = JSON.parse(await fs.readFile(backend.lockPath, 'utf8')) as { pid: number };
    expect(leftover.pid).toBe(pid);
    // What a holder killed mid-write leaves: its temp file.
    const leftoverTemp = path.join(dir, `.o365_token.txt.${String(pid)}.deadbeef.tmp`);
    await fs.writeFile(leftoverTemp, 'partial');
    const logger = recordingLogger();
    // The stale timeout is long: recovery comes from the dead pid, not from age.
    const recovering = new FileSystemTokenBackend({ tokenPath: dir, logger, staleLockMs: 600_000 });
    const release = await recovering.lock({ timeoutMs: 5_000 });
    expect(JSON.parse(await fs.readFile(backend.lockPath, 'utf8'))).toMatchObject({ pid: process.pid });
    await release();
    expect(logger.warnings).toContain('FileSystemTokenBackend: broke an abandoned lock file');
    await expect(fs.access(leftoverTemp)).rejects.toMatchObject({ code: 'ENOENT' });
    await recovering.save('after recovery');
    expect(await backend.load()).toMatchObject({ data: 'after recovery' });
  });

  it('a dead pid from another pid namespace (a container with the same host name) is not trusted', async () => {
    const dir = await freshDir();
    const child = startChild(['lock-and-exit', dir]);
    await child.next();
    await child.exited;
    const backend = new FileSystemTokenBackend({ tokenPath: dir, staleLockMs: 600_000 });
    const info = JSON.parse(await fs.readFile(backend.lockPath, 'utf8')) as Record<string, unknown>;
    expect(info.hostname).toBe(os.hostname());
    await fs.writeFile(backend.lockPath, JSON.stringify({ ...info, pidNamespace: 'pid:[1]' }));
    await expect(backend.lock({ timeoutMs: 300 })).rejects.toThrow(/timed out/);
    // The same lock from this namespace is recognised as dead at once.
    await fs.writeFile(backend.lockPath, JSON.stringify(info));
    await (await backend.lock({ timeoutMs: 5_000 }))();
  });

  it('a lock from another host is broken only once it is older than staleLockMs', async () => {
    const dir = await freshDir();
    const backend = new FileSystemTokenBackend({ tokenPath: dir, staleLockMs: 5_000 });
    await fs.writeFile(
      backend.lockPath,
      JSON.stringify({ pid: 1, hostname: 'another-host.invalid', createdAt: new Date().toISOString(), id: 'other' }),
    );
    await expect(backend.lock({ timeoutMs: 300 })).rejects.toThrow(/another-host\.invalid/);
    const old = new Date(Date.now() - 60_000);
    await fs.utimes(backend.lockPath, old, old);
    const release = await backend.lock({ timeoutMs: 5_000 });
    await release();
  });

  it('an unreadable (empty) lock file is broken after a short grace period', async () => {
    const dir = await freshDir();
    const backend = new FileSystemTokenBackend({ tokenPath: dir });
    await fs.writeFile(backend.lockPath, '');
    const old = new Date(Date.now() - 10_000);
    await fs.utimes(backend.lockPath, old, old);
    const release = await backend.lock({ timeoutMs: 5_000 });
    await release();
  });

  it('a holder keeps its lock fresh, so a long refresh is not mistaken for a stale lock', async () => {
    const dir = await freshDir();
    const holder = new FileSystemTokenBackend({ tokenPath: dir, staleLockMs: 1_000 });
    const waiter = new FileSystemTokenBackend({ tokenPath: dir, staleLockMs: 1_000 });
    const release = await holder.lock();
    // Three times the stale period: the holder's heartbeat keeps the file's mtime recent.
    await expect(waiter.lock({ timeoutMs: 3_000 })).rejects.toThrow(/timed out/);
    await release();
  });
});

describe('FileSystemTokenBackend: several processes', () => {
  it('concurrent savers in 4 processes using expectedVersion lose no write', async () => {
    const dir = await freshDir();
    const perChild = 6;
    const children = ['p0', 'p1', 'p2', 'p3'].map((who) => startChild(['append', dir, who, String(perChild)]));
    const results = await Promise.all(children.map((c) => c.next()));
    for (const r of results) expect(r).toMatchObject({ done: true });
    const stored = await new FileSystemTokenBackend({ tokenPath: dir }).load();
    const list = JSON.parse(stored?.data ?? '[]') as string[];
    expect(list).toHaveLength(4 * perChild);
    for (const who of ['p0', 'p1', 'p2', 'p3']) {
      for (let i = 0; i < perChild; i += 1) expect(list).toContain(`${who}:${i}`);
    }
    expect(await fs.readdir(dir)).toEqual(['o365_token.txt']);
  }, 60_000);
});

/** The pid of a process that has exited (pid reuse within a test run is not a concern). */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', '']);
  expect(child.status).toBe(0);
  return child.pid;
}

function tempName(pid: number, tag = hostTag()): string {
  return `.o365_token.txt.${String(pid)}.${tag}.0123456789ab.tmp`;
}

describe('FileSystemTokenBackend: hostile paths', () => {
  it('a FIFO at the token path is refused at once on load and save, and left in place', async () => {
    const dir = await freshDir();
    const backend = new FileSystemTokenBackend({ tokenPath: dir });
    expect(spawnSync('mkfifo', [backend.filePath]).status).toBe(0);
    await expect(backend.load()).rejects.toThrow(TokenBackendError);
    await expect(backend.load()).rejects.toThrow(/FIFO/);
    await expect(backend.save('{}')).rejects.toMatchObject({ name: 'TokenBackendError', location: backend.filePath });
    expect((await fs.lstat(backend.filePath)).isFIFO()).toBe(true);
    // The lock taken for the save is gone: nothing blocks the next caller.
    await expect(fs.access(backend.lockPath)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('a symbolic link at the token path is neither followed nor replaced', async () => {
    const dir = await freshDir();
    const target = path.join(dir, 'elsewhere.txt');
    await fs.writeFile(target, 'not ours');
    const backend = new FileSystemTokenBackend({ tokenPath: dir });
    await fs.symlink(target, backend.filePath);
    await expect(backend.load()).rejects.toThrow(/symbolic link/);
    await expect(backend.save('{}')).rejects.toThrow(TokenBackendError);
    expect((await fs.lstat(backend.filePath)).isSymbolicLink()).toBe(true);
    expect(await fs.readFile(target, 'utf8')).toBe('not ours');
  });

  it('a FIFO at the lock path is a TokenBackendError naming it, not a hang', async () => {
    const dir = await freshDir();
    const backend = new FileSystemTokenBackend({ tokenPath: dir });
    expect(spawnSync('mkfifo', [backend.lockPath]).status).toBe(0);
    await expect(backend.save('{}')).rejects.toThrow(/FIFO/);
    await expect(backend.load()).resolves.toBeUndefined();
  });
});

describe('FileSystemTokenBackend: crash leftovers', () => {
  it('temp files of writers that died on this host are removed on first lock; live and foreign ones are kept', async () => {
    const dir = await freshDir();
    const dead = path.join(dir, tempName(deadPid()));
    const live = path.join(dir, tempName(process.ppid));
    const foreign = path.join(dir, tempName(deadPid(), 'ffffffff'));
    const otherFile = path.join(dir, `.other.txt.${String(deadPid())}.${hostTag()}.0123456789ab.tmp`);
    for (const file of [dead, live, foreign, otherFile]) await fs.writeFile(file, 'partial');
    const backend = new FileSystemTokenBackend({ tokenPath: dir });
    await backend.save('{}');
    await expect(fs.access(dead)).rejects.toMatchObject({ code: 'ENOENT' });
    for (const kept of [live, foreign, otherFile]) await expect(fs.access(kept)).resolves.toBeUndefined();
    expect(await backend.load()).toMatchObject({ data: '{}' });
  });

  it('the break file of a breaker that died mid-break is taken over at once and its job finished', async () => {
    const dir = await freshDir();
    const backend = new FileSystemTokenBackend({ tokenPath: dir, logger: recordingLogger() });
    await backend.save('before');
    const holderPid = deadPid();
    const breakerPid = deadPid();
    const now = new Date().toISOString();
    // What a breaker killed between unlinking the dead holder's lock and removing its temp files leaves.
    await fs.writeFile(
      `${backend.lockPath}.break`,
      JSON.stringify({ pid: breakerPid, hostname: os.hostname(), ...pidNamespaceOf(), createdAt: now, id: 'breaker', holder: { pid: holderPid, hostname: os.hostname(), ...pidNamespaceOf() } }),
    );
    const holderTemp = path.join(dir, tempName(holderPid));
    await fs.writeFile(holderTemp, 'partial');
    const logger = recordingLogger();
    // No sweep on this instance: only the takeover can remove the holder's temp file.
    const next = new FileSystemTokenBackend({ tokenPath: dir, logger, sweepTempFiles: false, lockTimeoutMs: 2_000 });
    // The lock timeout is below the 5 s after which an unjudgeable break file counts as abandoned:
    // this succeeds only because the dead breaker's pid is recognised.
    await next.save('after');
    expect(logger.warnings).toContain('FileSystemTokenBackend: removed the break file of a breaker that died');
    await expect(fs.access(`${backend.lockPath}.break`)).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(fs.access(holderTemp)).rejects.toMatchObject({ code: 'ENOENT' });
    expect(await backend.load()).toMatchObject({ data: 'after' });
    expect((await fs.readdir(dir)).sort()).toEqual(['o365_token.txt']);
  });

  it('a dead holder\'s lock and a dead breaker\'s break file together still let the next writer in', async () => {
    const dir = await freshDir();
    const backend = new FileSystemTokenBackend({ tokenPath: dir });
    const holderPid = deadPid();
    const host = { hostname: os.hostname(), ...pidNamespaceOf() };
    const now = new Date().toISOString();
    await fs.writeFile(backend.lockPath, JSON.stringify({ pid: holderPid, ...host, createdAt: now, id: 'holder' }));
    await fs.writeFile(`${backend.lockPath}.break`, JSON.stringify({ pid: deadPid(), ...host, createdAt: now, id: 'breaker', holder: { pid: holderPid, ...host } }));
    await fs.writeFile(path.join(dir, tempName(holderPid)), 'partial');
    const next = new FileSystemTokenBackend({ tokenPath: dir, lockTimeoutMs: 2_000, staleLockMs: 600_000 });
    await next.save('after');
    expect(await next.load()).toMatchObject({ data: 'after' });
    expect((await fs.readdir(dir)).sort()).toEqual(['o365_token.txt']);
  });
});

function pidNamespaceOf(): { pidNamespace?: string } {
  try {
    return { pidNamespace: readlinkSync('/proc/self/ns/pid') };
  } catch {
    return {};
  }
}
