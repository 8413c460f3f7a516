// A separate process for the file backend's tests (run with tsx): takes the lock and dies, holds
// it, or appends to a JSON array with optimistic concurrency. Prints one JSON line per result.
import { FileSystemTokenBackend } from '../../src/backends/file-system-backend.js';
import { TokenCacheConflictError } from '../../src/errors.js';

const [mode, dir, ...rest] = process.argv.slice(2);
if (!mode || !dir) throw new Error('usage: fs-backend-child <mode> <dir> [...]');
const backend = new FileSystemTokenBackend({ tokenPath: dir, lockTimeoutMs: 20_000 });

function out(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

function describeError(error: unknown): unknown {
  const e = error as { name?: string; code?: string; message?: string; cause?: { code?: string } };
  return { name: e.name, code: e.code, message: e.message, causeCode: e.cause?.code };
}

async function main(): Promise<void> {
  switch (mode) {
    case 'lock-and-exit': {
      await backend.lock();
      out({ locked: true, pid: process.pid });
      // Dies holding the lock, as a crashed process would.
      process.exit(0);
      break;
    }
    case 'lock-and-hold': {
      const release = await backend.lock();
      out({ locked: true, pid: process.pid });
      // Holds until the parent closes stdin.
      process.stdin.resume();
      await new Promise((resolve) => process.stdin.once('end', resolve));
      await release();
      out({ released: true });
      break;
    }
    case 'append': {
      const [who, countText] = rest;
      const count = Number(countText);
      let conflicts = 0;
      for (let i = 0; i < count; i += 1) {
        for (let attempt = 0; ; attempt += 1) {
          if (attempt > 500) throw new Error('too many conflicts');
          const current = await backend.load();
          const list = current ? (JSON.parse(current.data) as string[]) : [];
          list.push(`${who}:${i}`);
          try {
            await backend.save(JSON.stringify(list), { expectedVersion: current?.version ?? null });
            break;
          } catch (error) {
            if (!(error instanceof TokenCacheConflictError)) throw error;
            conflicts += 1;
          }
        }
      }
      out({ done: true, conflicts });
      break;
    }
    case 'load': {
      try {
        const value = await backend.load();
        out({ ok: true, value });
      } catch (error) {
        out({ ok: false, error: describeError(error) });
      }
      break;
    }
    case 'save': {
      try {
        out({ ok: true, result: await backend.save(rest[0] ?? '') });
      } catch (error) {
        out({ ok: false, error: describeError(error) });
      }
      break;
    }
    default:
      throw new Error(`unknown mode ${mode}`);
  }
}

main().catch((error: unknown) => {
  out({ fatal: describeError(error) });
  process.exitCode = 1;
});
