import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A child process of a multi-process coordination test (N processes refreshing one stored token):
 * started with {@link startRefreshChild}, it prints `ready` once it is set up, waits for a line on
 * stdin, does its work and prints one JSON line as its last output.
 *
 * @example
 * ```ts
 * const { child, result } = await startRefreshChild<{ accessToken: string }>(script, { cwd: packageDir, env });
 * child.stdin.write('go\n');
 * const { accessToken } = await result;
 * ```
 */
export interface RefreshChild<T> {
  child: ChildProcessWithoutNullStreams;
  /** The child's last stdout line, parsed; rejects (with its output) when there is none. */
  result: Promise<T>;
}

/**
 * Options of {@link startRefreshChild}.
 *
 * @example
 * ```ts
 * const options: RefreshChildOptions = { cwd: packageDir, env: { REDIS_URL: url }, nodeArgs: ['--import', 'tsx'] };
 * ```
 */
export interface RefreshChildOptions {
  /** Working directory: the backend package, so its dependencies resolve. */
  cwd: string;
  /** Added to the parent's environment. */
  env?: NodeJS.ProcessEnv;
  /** Arguments for `node` before the script, e.g. `['--import', 'tsx']` for a TypeScript child. */
  nodeArgs?: string[];
  /** The child is killed after this long. Default 60 000 ms. */
  timeoutMs?: number;
}

/**
 * Starts `node <script>` and resolves once it printed `ready`, with the promise of its result.
 *
 * @example
 * ```ts
 * const children = await Promise.all(Array.from({ length: 8 }, () => startRefreshChild<Result>(script, { cwd, env })));
 * for (const { child } of children) child.stdin.write('go\n');
 * ```
 */
export function startRefreshChild<T>(script: string, options: RefreshChildOptions): Promise<RefreshChild<T>> {
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), script], {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const killer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolveReady, rejectReady) => {
    const result = new Promise<T>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => {
        stdout += d.toString();
        if (stdout.startsWith('ready\n')) resolveReady({ child, result });
      });
      child.on('error', reject);
      child.on('exit', (code) => {
        clearTimeout(killer);
        const last = stdout.trim().split('\n').at(-1) ?? '';
        if (last.startsWith('{')) resolve(JSON.parse(last) as T);
        else {
          const err = new Error(`child exited with ${String(code)}:\n${stdout}\n${stderr.slice(0, 4000)}`);
          reject(err);
          rejectReady(err);
        }
      });
    });
    result.catch(() => undefined);
  });
}

/**
 * Children run a package's built `dist/`: this fails, naming the build command, when it is missing
 * or older than a source file, so a test never passes on stale code.
 *
 * @example
 * ```ts
 * beforeAll(() => assertFreshBuild(join(__dirname, '..'), '@o365/backend-redis'));
 * ```
 */
export function assertFreshBuild(packageDir: string, packageName: string): void {
  const dist = join(packageDir, 'dist', 'index.js');
  const build = `pnpm exec turbo run build --filter=${packageName}`;
  let built: number;
  try {
    built = statSync(dist).mtimeMs;
  } catch {
    throw new Error(`${dist} is missing: build first (${build}); \`pnpm test\` does`);
  }
  const src = join(packageDir, 'src');
  const stale = readdirSync(src)
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
    .filter((f) => statSync(join(src, f)).mtimeMs > built);
  if (stale.length > 0) throw new Error(`dist/ is older than src/${stale[0]}: rebuild (${build})`);
}
