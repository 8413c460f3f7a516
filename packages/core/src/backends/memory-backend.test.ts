import { describe, expect, it } from '@jest/globals';
import { TokenBackendError, TokenCacheConflictError } from '../errors.js';
import { MemoryTokenBackend } from './memory-backend.js';

describe('MemoryTokenBackend', () => {
  it('round-trips data with increasing versions that are never reused after a delete', async () => {
    const backend = new MemoryTokenBackend();
    expect(await backend.load()).toBeUndefined();
    const { version: v1 } = await backend.save('a');
    expect(await backend.load()).toEqual({ data: 'a', version: v1 });
    await backend.delete();
    expect(await backend.load()).toBeUndefined();
    const { version: v2 } = await backend.save('a');
    expect(v2).not.toBe(v1);
  });

  it('starts with initialData when given', async () => {
    expect((await new MemoryTokenBackend({ initialData: '{}' }).load())?.data).toBe('{}');
  });

  it('share() gives a second instance over the same value', async () => {
    const a = new MemoryTokenBackend();
    const b = a.share();
    const { version } = await a.save('x');
    expect(await b.load()).toEqual({ data: 'x', version });
    await b.delete();
    expect(await a.load()).toBeUndefined();
    expect(await new MemoryTokenBackend().load()).toBeUndefined();
  });

  it('honours expectedVersion and create-only saves, leaving the stored value on conflict', async () => {
    const a = new MemoryTokenBackend();
    const b = a.share();
    const { version: v1 } = await a.save('one', { expectedVersion: null });
    await expect(b.save('two', { expectedVersion: null })).rejects.toBeInstanceOf(TokenCacheConflictError);
    const { version: v2 } = await b.save('two', { expectedVersion: v1 });
    const error = await a.save('three', { expectedVersion: v1 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TokenCacheConflictError);
    expect(error).toMatchObject({ backend: 'MemoryTokenBackend', expectedVersion: v1, actualVersion: v2 });
    expect(await a.load()).toEqual({ data: 'two', version: v2 });
  });

  it('lock() excludes other instances sharing the value and times out with TokenBackendError', async () => {
    const a = new MemoryTokenBackend();
    const b = a.share();
    const release = await a.lock();
    await expect(b.lock({ timeoutMs: 20 })).rejects.toBeInstanceOf(TokenBackendError);
    const order: string[] = [];
    const waiting = b.lock({ timeoutMs: 5_000 }).then((r) => {
      order.push('b');
      return r;
    });
    await Promise.resolve();
    order.push('a releases');
    await release();
    await release();
    await (await waiting)();
    expect(order).toEqual(['a releases', 'b']);
    // An unrelated backend has its own lock.
    await (await new MemoryTokenBackend().lock({ timeoutMs: 10 }))();
  });
});
