// Starts a real @firestore-emulator/server (gRPC) in a child process on 127.0.0.1 and points real
// @google-cloud/firestore clients at it (`host` + `ssl: false`, as FIRESTORE_EMULATOR_HOST does).
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import path from 'node:path';
import { Firestore } from '@google-cloud/firestore';
import { FirestoreBackend } from '../src/index.js';

// Without credentials, every new Firestore client first probes the GCE metadata server (up to
// seconds when it does not answer). Tests never run on GCE.
process.env.METADATA_SERVER_DETECTION ??= 'none';

/** The project for which the emulator process answers PERMISSION_DENIED (see firestore-emulator-process.cjs). */
export const DENIED_PROJECT = 'permission-denied-project';

export interface FirestoreEmulatorHandle {
  /** `127.0.0.1:PORT`, the value FIRESTORE_EMULATOR_HOST takes. */
  host: string;
  port: number;
  /** A client of this emulator; terminated by `stop()`. */
  client(projectId?: string): Firestore;
  stop(): Promise<void>;
}

const SCRIPT = path.join(__dirname, 'firestore-emulator-process.cjs');

/** Starts the emulator (on `port`, or a free one) and waits until it listens. */
export async function startFirestoreEmulator(options: { port?: number } = {}): Promise<FirestoreEmulatorHandle> {
  const child = spawn(process.execPath, [SCRIPT], {
    env: { ...process.env, O365_FIRESTORE_PORT: String(options.port ?? 0), O365_FIRESTORE_DENIED_PROJECT: DENIED_PROJECT },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`the Firestore emulator did not start within 15 s: ${stderr}`)), 15_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n')[0];
      if (out.includes('\n') && line !== undefined) {
        clearTimeout(timer);
        try {
          resolve((JSON.parse(line) as { port: number }).port);
        } catch (error) {
          reject(new Error(`unexpected output of the Firestore emulator: ${line}`, { cause: error }));
        }
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the Firestore emulator exited with ${String(code)}: ${stderr}`));
    });
  });
  const host = `127.0.0.1:${port}`;
  const clients: Firestore[] = [];
  return {
    host,
    port,
    client(projectId = 'o365-test') {
      const client = new Firestore({ projectId, host, ssl: false });
      clients.push(client);
      return client;
    },
    async stop() {
      await Promise.allSettled(clients.map((c) => c.terminate()));
      await stopChild(child);
    },
  };
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.stdin!.end();
  });
}

/** A loopback port nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** A Firestore client of a port nothing listens on, until `revive()` starts an emulator there. */
export interface UnreachableFirestore {
  firestore: Firestore;
  host: string;
  /** Starts an emulator on the port (once); the client's pending retries then reach it. */
  revive(): Promise<FirestoreEmulatorHandle>;
  /** Revives the port, waits until the client's abandoned calls completed, terminates the client, stops the emulator. */
  stop(): Promise<void>;
}

/**
 * A client of an endpoint nothing listens on. The Firestore client keeps retrying the calls the
 * backend gave up on at its deadline (a commit for up to 10 minutes), and terminating it while it
 * does makes it throw from its retry loop; so `stop()` first starts an emulator on that port, waits
 * (through a backend's `close()`, which drains the client's abandoned calls) until those calls
 * completed against it, then terminates the client.
 */
export async function unreachableFirestore(projectId = 'o365-unreachable'): Promise<UnreachableFirestore> {
  const port = await closedPort();
  const host = `127.0.0.1:${port}`;
  const firestore = new Firestore({ projectId, host, ssl: false });
  let revived: Promise<FirestoreEmulatorHandle> | undefined;
  const revive = (): Promise<FirestoreEmulatorHandle> => (revived ??= startFirestoreEmulator({ port }));
  return {
    firestore,
    host,
    revive,
    async stop() {
      const emulator = await revive();
      try {
        await new FirestoreBackend({ firestore }).close();
        await firestore.terminate();
      } finally {
        await emulator.stop();
      }
    },
  };
}
