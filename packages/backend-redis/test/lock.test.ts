// The lease lock against a real redis-server: exclusion, typed timeout, renewal while held,
// expiry of a dead holder, release that never deletes another owner's lock, AbortSignal.
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { TokenBackendError, type Logger } from '@o365/core/backend';
import { RedisTokenBackend } from '../src/index.js';
import { startRedis, type RedisServer } from './redis-server.js';

let redis: RedisServer;
const closeables: RedisTokenBackend[] = [];
let counter = 0;

function backend(key: string, options: { lockLeaseMs?: number; logger?: Logger } = {}): RedisTokenBackend {
  const b = new RedisTokenBackend({ url: redis.url, key, ...options });
  closeables.push(b);
  return b;
}
const uniqueKey = (): string => `lock-${process.pid}-${++counter}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Polls `condition` (timers can run late on a busy machine) for up to `ms`. */
async function eventually(condition: () => boolean | Promise<boolean>, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(10);
  }
}

function recordingLogger(): Logger & { warnings: string[] } {
  const warnings: string[] = [];
  return { warnings, debug() {}, info() {}, warn: (m) => warnings.push(m), error: (m) => warnings.push(m) };
}

beforeAll(async () => {
  redis = await startRedis();
});
afterEach(async () => {
  await Promise.all(closeables.splice(0).map((b) => b.close()));
});
afterAll(async () => {
  await redis?.stop();
});

describe('RedisTokenBackend.lock', () => {
  it('SET NX PX with a random owner token at the lock key; released by the owner', async () => {
    const key = uniqueKey();
    const a = backend(key, { lockLeaseMs: 5000 });
    const release = await a.lock({ timeoutMs: 1000 });
    const owner = await redis.command(['GET', a.lockKey]);
    expect(owner).toMatch(/^[A-Za-z0-9_-]{24}$/);
    const pttl = Number(await redis.command(['PTTL', a.lockKey]));
    expect(pttl).toBeGreaterThan(4000);
    expect(pttl).toBeLessThanOrEqual(5000);
    await release();
    expect(await redis.command(['EXISTS', a.lockKey])).toBe(0);
    await release(); // idempotent
  });

  it('a second holder times out with a TokenBackendError naming the lock and its remaining lease', async () => {
    const key = uniqueKey();
    const release = await backend(key).lock();
    try {
      const started = Date.now();
      const error = await backend(key)
        .lock({ timeoutMs: 250 })
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      const waited = Date.now() - started;
      expect(error).toBeInstanceOf(TokenBackendError);
      expect(waited).toBeGreaterThanOrEqual(240);
      expect(waited).toBeLessThan(3000);
      expect((error as Error).message).toMatch(new RegExp(`could not take the lock o365:\\{${key}\\}:lock within 250 ms: another process holds it \\(its lease ends in \\d+ ms unless renewed\\)`));
    } finally {
      await release();
    }
  });

  it('timeoutMs: 0 tries exactly once', async () => {
    const key = uniqueKey();
    const release = await backend(key).lock({ timeoutMs: 0 });
    await expect(backend(key).lock({ timeoutMs: 0 })).rejects.toBeInstanceOf(TokenBackendError);
    await release();
    const again = await backend(key).lock({ timeoutMs: 0 });
    await again();
  });

  it('the lease is renewed while held: a holder that outlives its lease keeps the lock', async () => {
    const key = uniqueKey();
    const holder = backend(key, { lockLeaseMs: 300 });
    const release = await holder.lock();
    await sleep(1200); // four leases
    await expect(backend(key).lock({ timeoutMs: 0 })).rejects.toBeInstanceOf(TokenBackendError);
    expect(Number(await redis.command(['PTTL', holder.lockKey]))).toBeGreaterThan(0);
    await release();
  });

  it('a holder that died (no renewal) frees the lock when its lease ends', async () => {
    const key = uniqueKey();
    const a = backend(key);
    // What a crashed process leaves behind: its token with the rest of its lease.
    await redis.command(['SET', a.lockKey, 'crashed-owner', 'PX', '300']);
    const started = Date.now();
    const release = await a.lock({ timeoutMs: 5000 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    expect(await redis.command(['GET', a.lockKey])).not.toBe('crashed-owner');
    await release();
  });

  it('release after the lease expired does not delete the lock another owner took meanwhile, and logs it', async () => {
    const key = uniqueKey();
    const logger = recordingLogger();
    const first = backend(key, { lockLeaseMs: 60_000, logger });
    const release = await first.lock();
    // The lease runs out (as if the holder stalled past it) and another process takes the lock.
    await redis.command(['PEXPIRE', first.lockKey, '1']);
    await sleep(10);
    const second = backend(key);
    const releaseSecond = await second.lock({ timeoutMs: 1000 });
    const secondOwner = await redis.command(['GET', first.lockKey]);

    await release(); // resolves: a lost lease is logged, not thrown
    expect(await redis.command(['GET', first.lockKey])).toBe(secondOwner);
    expect(logger.warnings.some((w) => /lease had expired before release; another owner's lock was left in place/.test(w))).toBe(true);
    await expect(backend(key).lock({ timeoutMs: 0 })).rejects.toBeInstanceOf(TokenBackendError);

    await releaseSecond();
    expect(await redis.command(['EXISTS', first.lockKey])).toBe(0);
  });

  it('renewal notices a lost lease and logs it once', async () => {
    const key = uniqueKey();
    const logger = recordingLogger();
    const holder = backend(key, { lockLeaseMs: 90, logger });
    const release = await holder.lock();
    await redis.command(['SET', holder.lockKey, 'someone-else', 'PX', '10000']);
    await eventually(() => logger.warnings.length > 0);
    await sleep(100); // more renewal ticks: they must not log again
    expect(logger.warnings.filter((w) => /lease was lost before release/.test(w))).toHaveLength(1);
    expect(await redis.command(['GET', holder.lockKey])).toBe('someone-else');
    await release();
    expect(await redis.command(['GET', holder.lockKey])).toBe('someone-else');
    expect(logger.warnings).toHaveLength(1);
  });

  it('an AbortSignal stops the wait with its reason', async () => {
    const key = uniqueKey();
    const release = await backend(key).lock();
    try {
      const controller = new AbortController();
      const reason = new Error('request cancelled');
      setTimeout(() => controller.abort(reason), 100);
      const started = Date.now();
      await expect(backend(key).lock({ timeoutMs: 10_000, signal: controller.signal })).rejects.toBe(reason);
      expect(Date.now() - started).toBeLessThan(3000);
      await expect(backend(key).lock({ signal: AbortSignal.abort() })).rejects.toHaveProperty('name', 'AbortError');
    } finally {
      await release();
    }
  });

  it('many contenders: exactly one holds the lock at any time, and every one gets it', async () => {
    const key = uniqueKey();
    let inside = 0;
    let maxInside = 0;
    const order: number[] = [];
    await Promise.all(
      Array.from({ length: 12 }, async (_v, i) => {
        const release = await backend(key).lock({ timeoutMs: 20_000 });
        inside++;
        maxInside = Math.max(maxInside, inside);
        await sleep(5);
        order.push(i);
        inside--;
        await release();
      }),
    );
    expect(maxInside).toBe(1);
    expect(order.sort((a, b) => a - b)).toEqual(Array.from({ length: 12 }, (_v, i) => i));
  });

  it('a backend closed while holding the lock: renewals stop without reopening the client, release rejects typed', async () => {
    const key = uniqueKey();
    const logger = recordingLogger();
    const holder = new RedisTokenBackend({ url: redis.url, key, lockLeaseMs: 300, logger });
    const release = await holder.lock();
    const clients = async (): Promise<number> => Number(String(await redis.command(['INFO', 'clients'])).match(/connected_clients:(\d+)/)?.[1]);
    const before = await clients();
    await holder.close();
    // The next renewal tick (every 100 ms) fails on the closed backend instead of reconnecting.
    await eventually(() => logger.warnings.some((w) => /renewing the token cache lock lease failed|lease was lost/.test(w)));
    await sleep(250); // more ticks
    expect(await clients()).toBe(before - 1);
    const error = await release().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(TokenBackendError);
    expect((error as Error).message).toMatch(/could not release the lock .*the backend was closed/);
    expect(await clients()).toBe(before - 1);
  });

  it('an invalid timeout is a TypeError', async () => {
    await expect(backend(uniqueKey()).lock({ timeoutMs: -1 })).rejects.toBeInstanceOf(TypeError);
  });
});
