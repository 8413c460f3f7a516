import { afterEach, describe, expect, it } from '@jest/globals';
import { TokenBackendError, TokenCacheConflictError } from '../errors.js';
import { EnvTokenBackend } from './env-backend.js';

const NAME = `O365_TEST_TOKEN_${process.pid}`;
afterEach(() => {
  delete process.env[NAME];
  delete process.env.O365_TOKEN;
});

describe('EnvTokenBackend', () => {
  it('defaults to O365_TOKEN, like python-o365', async () => {
    const backend = new EnvTokenBackend();
    expect(backend.envVarName).toBe('O365_TOKEN');
    await backend.save('{"a":1}');
    expect(process.env.O365_TOKEN).toBe('{"a":1}');
  });

  it('reads what the environment already holds, and deletes it', async () => {
    process.env[NAME] = '{"from":"environment"}';
    const backend = new EnvTokenBackend({ envVarName: NAME });
    const loaded = await backend.load();
    expect(loaded?.data).toBe('{"from":"environment"}');
    expect(loaded?.version).toMatch(/^sha256-[0-9a-f]{64}$/);
    await backend.delete();
    await backend.delete();
    expect(NAME in process.env).toBe(false);
    expect(await backend.load()).toBeUndefined();
  });

  it('honours expectedVersion and create-only saves', async () => {
    const a = new EnvTokenBackend({ envVarName: NAME });
    const b = new EnvTokenBackend({ envVarName: NAME });
    const { version: v1 } = await a.save('one', { expectedVersion: null });
    await expect(b.save('two', { expectedVersion: null })).rejects.toBeInstanceOf(TokenCacheConflictError);
    const { version: v2 } = await b.save('two', { expectedVersion: v1 });
    await expect(a.save('three', { expectedVersion: v1 })).rejects.toMatchObject({ code: 'TOKEN_CACHE_CONFLICT', actualVersion: v2 });
    expect(process.env[NAME]).toBe('two');
  });

  it('refuses names and values the environment would silently mangle', async () => {
    expect(() => new EnvTokenBackend({ envVarName: 'A=B' })).toThrow(TokenBackendError);
    expect(() => new EnvTokenBackend({ envVarName: '' })).toThrow(TokenBackendError);
    const backend = new EnvTokenBackend({ envVarName: NAME });
    await backend.save('good');
    await expect(backend.save('bad\0value')).rejects.toThrow(/NUL/);
    expect(process.env[NAME]).toBe('good');
  });

  it('lock() is shared by instances on the same variable', async () => {
    const a = new EnvTokenBackend({ envVarName: NAME });
    const b = new EnvTokenBackend({ envVarName: NAME });
    const release = await a.lock();
    await expect(b.lock({ timeoutMs: 20 })).rejects.toBeInstanceOf(TokenBackendError);
    await (await new EnvTokenBackend({ envVarName: `${NAME}_OTHER` }).lock({ timeoutMs: 20 }))();
    await release();
    await (await b.lock({ timeoutMs: 20 }))();
  });
});
