/**
 * Starts a throwaway PostgreSQL server for the tests: `initdb` into a temp dir, `pg_ctl start` on a
 * free loopback port (TCP on 127.0.0.1 only, Unix socket inside the temp dir). PostgreSQL refuses to
 * run as root, so under root the server runs as the `postgres` OS user the Debian package creates.
 */
import { spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, osUser } from './local-server';

export interface PostgresServer {
  host: string;
  port: number;
  user: string;
  /** `postgresql://postgres@127.0.0.1:PORT/<database>` */
  url(database?: string): string;
  stop(): void;
}

const POSTGRES_BASE = '/usr/lib/postgresql';

/** The newest installed PostgreSQL server bin dir, or a clear error. */
export function postgresBinDir(): string {
  const candidates = existsSync(POSTGRES_BASE)
    ? readdirSync(POSTGRES_BASE)
        .filter((v) => /^\d+$/.test(v))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  for (const v of candidates) {
    const dir = join(POSTGRES_BASE, v, 'bin');
    if (['initdb', 'pg_ctl', 'postgres'].every((b) => existsSync(join(dir, b)))) return dir;
  }
  throw new Error(
    `PostgreSQL server binaries (initdb, pg_ctl, postgres) not found under ${POSTGRES_BASE}/<version>/bin. ` +
      'Install them (Debian: apt-get install -y postgresql); the root `pnpm test` does this when run as root.',
  );
}

export async function startPostgres(): Promise<PostgresServer> {
  const bin = postgresBinDir();
  const asRoot = process.getuid?.() === 0;
  const dir = mkdtempSync(join(tmpdir(), 'o365-prisma-pg-'));
  const dataDir = join(dir, 'data');
  const logFile = join(dir, 'server.log');
  if (asRoot) {
    let owner: { uid: number; gid: number };
    try {
      owner = osUser('postgres');
    } catch (cause) {
      throw new Error('Running as root, but there is no `postgres` OS user to run PostgreSQL as (install the Debian package postgresql).', { cause });
    }
    chownSync(dir, owner.uid, owner.gid);
  }
  const run = (cmd: string, args: string[]): void => {
    const [file, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', join(bin, cmd), ...args]] : [join(bin, cmd), args];
    const r = spawnSync(file, argv, { encoding: 'utf8', cwd: dir, env: { ...process.env, LC_ALL: 'C' } });
    if (r.error || r.status !== 0) {
      const log = existsSync(logFile) ? readFileSync(logFile, 'utf8').slice(-2000) : '';
      throw new Error(`${cmd} failed (status ${r.status}): ${r.error?.message ?? ''}\n${r.stderr}\n${log}`);
    }
  };

  run('initdb', ['-D', dataDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-locale', '--no-sync']);
  // A taken port (another process grabbed it between freePort and start) gets a second chance.
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const serverOptions = [
      `-c listen_addresses=127.0.0.1`,
      `-p ${port}`,
      `-k ${dir}`,
      '-c fsync=off',
      '-c synchronous_commit=off',
      '-c full_page_writes=off',
      '-c max_connections=50',
    ].join(' ');
    try {
      run('pg_ctl', ['-D', dataDir, '-l', logFile, '-o', serverOptions, '-w', '-t', '30', 'start']);
    } catch (err) {
      if (attempt < 3) continue;
      rmSync(dir, { recursive: true, force: true });
      throw err;
    }
    let stopped = false;
    return {
      host: '127.0.0.1',
      port,
      user: 'postgres',
      url: (database = 'postgres') => `postgresql://postgres@127.0.0.1:${port}/${database}`,
      stop: () => {
        if (stopped) return;
        stopped = true;
        try {
          run('pg_ctl', ['-D', dataDir, '-m', 'fast', '-w', '-t', '30', 'stop']);
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      },
    };
  }
}
