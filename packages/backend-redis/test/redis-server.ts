/**
 * Starts a throwaway `redis-server` for the tests: on a free 127.0.0.1 port, in a temporary
 * directory, with persistence off (`--save '' --appendonly no`), optionally with
 * `--requirepass`; stopped (SIGTERM, then SIGKILL) and its directory removed by `stop()`, and
 * killed when the test process exits whatever happens.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from 'redis';

export const REDIS_SERVER = '/usr/bin/redis-server';

export interface RedisServerOptions {
  /** Starts the server with `--requirepass`. */
  password?: string;
  /** A given port instead of a free one (to restart a server where it was). */
  port?: number;
  /** More `redis-server` arguments, e.g. `['--cluster-enabled', 'yes']`. */
  args?: string[];
}

export interface RedisServer {
  readonly host: string;
  readonly port: number;
  readonly password?: string;
  /** `redis://[:password@]127.0.0.1:PORT`. */
  readonly url: string;
  /** The same server without the password in the URL. */
  readonly urlWithoutPassword: string;
  readonly process: ChildProcess;
  /** Runs one raw command on a short-lived client of its own (assertions, test setup). */
  command(args: string[]): Promise<unknown>;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** The redis-server binary, or a clear error (`pnpm test` installs the Debian package when run as root). */
export function redisServerBinary(path = REDIS_SERVER): string {
  if (!existsSync(path)) {
    throw new Error(
      `${path} not found: the @o365/backend-redis tests run against a real Redis. Install it (Debian: apt-get install -y redis-server); ` +
        'the root `pnpm test` (tooling/scripts/test.mjs) does this when run as root.',
    );
  }
  return path;
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

export async function startRedis(options: RedisServerOptions = {}): Promise<RedisServer> {
  const binary = redisServerBinary();
  const dir = mkdtempSync(join(tmpdir(), 'o365-redis-'));
  // A port taken between freePort() and the server's bind gets another try.
  for (let attempt = 1; ; attempt++) {
    const port = options.port ?? (await freePort());
    const args = [
      '--port', String(port),
      '--bind', '127.0.0.1',
      '--save', '',
      '--appendonly', 'no',
      '--dir', dir,
      '--daemonize', 'no',
      '--protected-mode', 'no',
      '--loglevel', 'warning',
      ...(options.password !== undefined ? ['--requirepass', options.password] : []),
      ...(options.args ?? []),
    ];
    const child = spawn(binary, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout?.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-4000)));
    child.stderr?.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-4000)));
    const kill = (): void => {
      child.kill('SIGKILL');
    };
    process.once('exit', kill);

    const auth = options.password !== undefined ? `:${encodeURIComponent(options.password)}@` : '';
    const url = `redis://${auth}127.0.0.1:${port}`;
    const ready = await waitReady(url, child);
    if (!ready) {
      child.kill('SIGKILL');
      await exited(child, 5000);
      process.removeListener('exit', kill);
      if (attempt < 3 && options.port === undefined && /Address already in use/i.test(output)) continue;
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`redis-server did not start on port ${port}:\n${output}`);
    }

    let stopped: Promise<void> | undefined;
    const server: RedisServer = {
      host: '127.0.0.1',
      port,
      ...(options.password !== undefined ? { password: options.password } : {}),
      url,
      urlWithoutPassword: `redis://127.0.0.1:${port}`,
      process: child,
      command: (cmd) => rawCommand(url, cmd),
      stop: () =>
        (stopped ??= (async () => {
          child.kill('SIGTERM');
          if (!(await exited(child, 10_000))) {
            child.kill('SIGKILL');
            await exited(child, 5000);
          }
          process.removeListener('exit', kill);
          rmSync(dir, { recursive: true, force: true });
        })()),
    };
    return server;
  }
}

/** One command on a client of its own, closed afterwards. */
export async function rawCommand(url: string, args: string[]): Promise<unknown> {
  const client = createClient({ url, socket: { connectTimeout: 2000, reconnectStrategy: false } });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await client.sendCommand(args);
  } finally {
    client.destroy();
  }
}

async function waitReady(url: string, child: ChildProcess): Promise<boolean> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) return false;
    try {
      if ((await rawCommand(url, ['PING'])) === 'PONG') return true;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return false;
}

/**
 * A loopback port whose SYNs go unanswered: a socket listening with a backlog of 0 that never
 * accepts, its queue already full (Linux then drops new SYNs). Node cannot make one (its servers
 * accept at once), so this is a small python3 process; python3 is a Debian base package here.
 */
export async function startBlackhole(): Promise<{ port: number; stop(): void }> {
  const script = [
    'import socket, sys, time',
    's = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(0)',
    'fill = []',
    'for i in range(4):',
    '    c = socket.socket(); c.setblocking(False)',
    '    try: c.connect(s.getsockname())',
    '    except BlockingIOError: pass',
    '    fill.append(c)',
    'print(s.getsockname()[1], flush=True)',
    'sys.stdin.read()',
  ].join('\n');
  if (!existsSync('/usr/bin/python3')) throw new Error('/usr/bin/python3 not found (needed for the unanswered-SYN test)');
  const child = spawn('/usr/bin/python3', ['-c', script], { stdio: ['pipe', 'pipe', 'inherit'] });
  const kill = (): void => {
    child.kill('SIGKILL');
  };
  process.once('exit', kill);
  const port = await new Promise<number>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`blackhole exited with ${code}`)));
    child.stdout!.once('data', (d: Buffer) => resolve(Number(d.toString().trim())));
  });
  return {
    port,
    stop() {
      process.removeListener('exit', kill);
      child.kill('SIGKILL');
    },
  };
}

/** A throwaway Redis Cluster: `masters` cluster-enabled redis-servers sharing the 16,384 slots. */
export interface RedisClusterServers {
  readonly nodes: readonly RedisServer[];
  /** `redis://127.0.0.1:PORT` of each node. */
  readonly rootUrls: readonly string[];
  stop(): Promise<void>;
}

/**
 * Starts `masters` redis-servers with `--cluster-enabled yes`, gives each an equal range of slots
 * (CLUSTER ADDSLOTSRANGE), joins them (CLUSTER MEET) and waits until every node reports
 * `cluster_state:ok` and knows every slot's owner.
 */
export async function startRedisCluster(masters = 3): Promise<RedisClusterServers> {
  const nodes = await Promise.all(
    Array.from({ length: masters }, () =>
      startRedis({ args: ['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', '2000'] }),
    ),
  );
  const stop = async (): Promise<void> => {
    await Promise.all(nodes.map((n) => n.stop()));
  };
  try {
    const per = Math.ceil(16384 / masters);
    await Promise.all(
      nodes.map((n, i) => n.command(['CLUSTER', 'ADDSLOTSRANGE', String(i * per), String(Math.min(16383, (i + 1) * per - 1))])),
    );
    for (const n of nodes.slice(1)) await n.command(['CLUSTER', 'MEET', '127.0.0.1', String(nodes[0]!.port)]);
    const deadline = Date.now() + 20_000;
    for (;;) {
      const infos = await Promise.all(nodes.map((n) => n.command(['CLUSTER', 'INFO']).then(String)));
      if (infos.every((info) => /cluster_state:ok/.test(info) && new RegExp(`cluster_known_nodes:${masters}\\b`).test(info))) break;
      if (Date.now() > deadline) throw new Error(`the cluster did not converge:\n${infos.join('\n')}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { nodes, rootUrls: nodes.map((n) => n.url), stop };
}
