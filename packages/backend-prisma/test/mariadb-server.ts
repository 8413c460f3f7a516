/**
 * Starts a throwaway MariaDB server for the tests: `mariadb-install-db` into a temp dir, then
 * `mariadbd` on a free loopback port (TCP on 127.0.0.1 only, Unix socket inside the temp dir), with
 * no config file read (`--no-defaults`). MariaDB refuses to run as root: under root the data dir
 * belongs to, and the server runs as, the `mysql` OS user the Debian package creates.
 *
 * The tests connect as a user that has only SELECT, INSERT, UPDATE and DELETE on the shipped table
 * and the test's application tables, as the README's permissions section asks of an application.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConnection, type Connection } from 'mariadb';
import { freePort, osUser } from './local-server';

export interface MariaDbServer {
  host: string;
  port: number;
  database: string;
  /** `mariadb://o365_app:...@127.0.0.1:PORT/o365_test`: the least-privileged application user. */
  url: string;
  /** Runs statements as root over the Unix socket (setup only). */
  admin<T>(fn: (conn: Connection) => Promise<T>): Promise<T>;
  stop(): Promise<void>;
}

const INSTALL_DB = ['/usr/bin/mariadb-install-db', '/usr/bin/mysql_install_db'];
const SERVER = ['/usr/sbin/mariadbd', '/usr/sbin/mysqld'];

export const APP_USER = 'o365_app';
// A throwaway server on loopback for the length of one test run.
const APP_PASSWORD = 'o365-test-password';
export const DATABASE = 'o365_test';

/** The MariaDB server binaries, or a clear error. */
export function mariadbBinaries(candidates: { installDb: readonly string[]; server: readonly string[] } = { installDb: INSTALL_DB, server: SERVER }): {
  installDb: string;
  server: string;
} {
  const installDb = candidates.installDb.find((p) => existsSync(p));
  const server = candidates.server.find((p) => existsSync(p));
  if (!installDb || !server) {
    throw new Error(
      `MariaDB server binaries not found (need mariadb-install-db in /usr/bin and mariadbd in /usr/sbin). ` +
        'Install them (Debian: apt-get install -y mariadb-server); the root `pnpm test` does this when run as root.',
    );
  }
  return { installDb, server };
}

function exited(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

export async function startMariaDb(): Promise<MariaDbServer> {
  const { installDb, server } = mariadbBinaries();
  const asRoot = process.getuid?.() === 0;
  const dir = mkdtempSync(join(tmpdir(), 'o365-prisma-mariadb-'));
  const dataDir = join(dir, 'data');
  const socket = join(dir, 'mysqld.sock');
  const logFile = join(dir, 'error.log');
  const userArgs: string[] = [];
  if (asRoot) {
    let owner: { uid: number; gid: number };
    try {
      owner = osUser('mysql');
    } catch (cause) {
      throw new Error('Running as root, but there is no `mysql` OS user to run MariaDB as (install the Debian package mariadb-server).', { cause });
    }
    chownSync(dir, owner.uid, owner.gid);
    userArgs.push('--user=mysql');
  }
  const log = () => (existsSync(logFile) ? readFileSync(logFile, 'utf8').slice(-2000) : '');
  const fail = (message: string): never => {
    const text = `${message}\n${log()}`;
    rmSync(dir, { recursive: true, force: true });
    throw new Error(text);
  };

  const install = spawnSync(
    installDb,
    [
      '--no-defaults',
      `--datadir=${dataDir}`,
      ...userArgs,
      '--auth-root-authentication-method=normal',
      '--skip-test-db',
      '--skip-name-resolve',
      '--innodb-log-file-size=8M',
      '--innodb-buffer-pool-size=32M',
    ],
    { encoding: 'utf8', cwd: dir, env: { ...process.env, LC_ALL: 'C' } },
  );
  if (install.error || install.status !== 0) {
    fail(`mariadb-install-db failed (status ${install.status}): ${install.error?.message ?? ''}\n${install.stdout}\n${install.stderr}`);
  }

  // A taken port (another process grabbed it between freePort and start) gets a second chance.
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const child = spawn(
      server,
      [
        '--no-defaults',
        `--datadir=${dataDir}`,
        ...userArgs,
        `--socket=${socket}`,
        `--port=${port}`,
        '--bind-address=127.0.0.1',
        `--pid-file=${join(dir, 'mariadbd.pid')}`,
        `--log-error=${logFile}`,
        `--tmpdir=${dir}`,
        '--skip-name-resolve',
        '--skip-log-bin',
        '--innodb-buffer-pool-size=32M',
        '--innodb-log-file-size=8M',
        '--innodb-flush-log-at-trx-commit=0',
        '--max-connections=200',
        // MySQL 8's default (MariaDB's is 16M), so that a cache over 16 MB meets the MEDIUMTEXT
        // column's limit rather than the packet's.
        '--max-allowed-packet=64M',
      ],
      { stdio: 'ignore', cwd: dir, env: { ...process.env, LC_ALL: 'C' } },
    );
    const ready = await waitReady(socket, child);
    if (!ready) {
      child.kill('SIGKILL');
      await exited(child, 5000);
      if (attempt < 3 && /Address already in use|Can't start server/i.test(log())) continue;
      fail('mariadbd did not start within 30 s');
    }

    const admin = async <T>(fn: (conn: Connection) => Promise<T>): Promise<T> => {
      const conn = await createConnection({ socketPath: socket, user: 'root', multipleStatements: true });
      try {
        return await fn(conn);
      } finally {
        await conn.end();
      }
    };
    let stopped: Promise<void> | undefined;
    return {
      host: '127.0.0.1',
      port,
      database: DATABASE,
      url: `mariadb://${APP_USER}:${encodeURIComponent(APP_PASSWORD)}@127.0.0.1:${port}/${DATABASE}`,
      admin,
      stop: () =>
        (stopped ??= (async () => {
          child.kill('SIGTERM');
          if (!(await exited(child, 20_000))) {
            child.kill('SIGKILL');
            await exited(child, 5000);
          }
          rmSync(dir, { recursive: true, force: true });
        })()),
    };
  }
}

/** Polls the Unix socket as root until the server answers (at most 30 s) or the process dies. */
async function waitReady(socket: string, child: ChildProcess): Promise<boolean> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) return false;
    if (existsSync(socket)) {
      try {
        const conn = await createConnection({ socketPath: socket, user: 'root', connectTimeout: 2000 });
        await conn.end();
        return true;
      } catch {
        // Not accepting connections yet.
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return false;
}

/** The application user: only SELECT, INSERT, UPDATE, DELETE on the given tables. */
export async function createAppUser(server: MariaDbServer, tables: readonly string[]): Promise<void> {
  await server.admin(async (conn) => {
    await conn.query(`CREATE USER '${APP_USER}'@'127.0.0.1' IDENTIFIED BY '${APP_PASSWORD}'`);
    for (const table of tables) {
      await conn.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON \`${DATABASE}\`.\`${table}\` TO '${APP_USER}'@'127.0.0.1'`);
    }
  });
}
