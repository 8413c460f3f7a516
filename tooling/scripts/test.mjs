#!/usr/bin/env node
// `pnpm test`: the one command that runs every test of the repository, on a fresh machine too.
// 1. makes sure the Debian packages some suites need are present (PostgreSQL server binaries for
//    and MariaDB for the Prisma backend, MSAL Python for interop), installing them as root,
// 2. builds the packages (spawned child processes and the CLI use the built output),
// 3. runs jest once over every package and prints the totals as one line `N passed, N failed`.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '../..');
const run = (cmd, args, opts = {}) => {
  const r = spawnSync(cmd, args, { stdio: 'inherit', cwd: root, ...opts });
  if (r.error) throw r.error;
  return r.status ?? 1;
};

function postgresBinDir() {
  const base = '/usr/lib/postgresql';
  if (!existsSync(base)) return undefined;
  for (const v of readdirSync(base).sort().reverse()) {
    const dir = join(base, v, 'bin');
    if (existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'pg_ctl')) && existsSync(join(dir, 'postgres'))) return dir;
  }
  return undefined;
}

// Debian packages some suites run against for real: PostgreSQL and MariaDB servers (the Prisma
// backend's tests start their own) and MSAL Python (token-cache interop with python-o365 2.1).
const debianNeeds = [
  { pkg: 'postgresql', present: () => postgresBinDir() !== undefined },
  { pkg: 'mariadb-server', present: () => ['/usr/sbin/mariadbd', '/usr/sbin/mysqld'].some((f) => existsSync(f)) },
  { pkg: 'python3-msal', present: () => spawnSync('/usr/bin/python3', ['-c', 'import msal']).status === 0 },
  // The Redis backend's tests start their own redis-server on loopback.
  { pkg: 'redis-server', present: () => existsSync('/usr/bin/redis-server') },
  // The CLI's device-code screen is tested once in a real terminal.
  { pkg: 'tmux', present: () => existsSync('/usr/bin/tmux') },
];
const missing = debianNeeds.filter((need) => !need.present()).map((need) => need.pkg);
if (missing.length > 0) {
  if (process.getuid?.() === 0) {
    console.log(`[test] installing Debian package(s): ${missing.join(' ')}`);
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    if (run('apt-get', ['update', '-qq'], { env }) !== 0 || run('apt-get', ['install', '-y', '-qq', ...missing], { env }) !== 0) {
      console.error(`[test] could not install ${missing.join(' ')}; the suites that need them will fail`);
    }
  } else {
    console.error(`[test] missing Debian package(s): ${missing.join(' ')}. Install them: sudo apt-get install -y ${missing.join(' ')}`);
  }
}

process.env.TURBO_TELEMETRY_DISABLED = '1';
if (run('pnpm', ['exec', 'turbo', 'run', 'build', '--output-logs=errors-only']) !== 0) {
  console.error('[test] build failed');
  process.exit(1);
}

const outDir = join(root, '.tmp');
mkdirSync(outDir, { recursive: true });
const outFile = join(outDir, 'jest-results.json');
const jestArgs = ['exec', 'jest', '--json', `--outputFile=${outFile}`, ...process.argv.slice(2)];
const status = run('pnpm', jestArgs, { env: { ...process.env, FORCE_COLOR: process.env.CI ? '0' : process.env.FORCE_COLOR } });

let summary = '0 passed, 0 failed';
if (existsSync(outFile)) {
  const r = JSON.parse(readFileSync(outFile, 'utf8'));
  const failedSuites = r.numFailedTestSuites ?? 0;
  // A suite that fails to load (syntax error, missing module) has no failed test: count it as one.
  const brokenSuites = (r.testResults ?? []).filter((s) => s.status === 'failed' && (s.assertionResults ?? []).length === 0).length;
  summary = `${r.numPassedTests} passed, ${r.numFailedTests + brokenSuites} failed`;
  if (failedSuites) console.log(`[test] ${failedSuites} failing suite(s)`);
}
console.log(summary);
process.exit(status);
