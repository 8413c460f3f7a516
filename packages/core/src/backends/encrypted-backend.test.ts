import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { inspect } from 'node:util';
import { TokenBackendError, TokenCacheConflictError } from '../errors.js';
import { ENCRYPTED_TOKEN_PREFIX, EncryptedTokenBackend } from './encrypted-backend.js';
import { FileSystemTokenBackend } from './file-system-backend.js';
import { MemoryTokenBackend } from './memory-backend.js';

const SECRET_CACHE = JSON.stringify({ RefreshToken: { x: { secret: 'refresh-token-value-0123456789' } }, note: 'é 🌍 مرحبا' });

let dir: string;
beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'o365-enc-backend-'));
});
afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

function envelopeOf(stored: string): Record<string, string> {
  expect(stored.startsWith(ENCRYPTED_TOKEN_PREFIX)).toBe(true);
  return JSON.parse(Buffer.from(stored.slice(ENCRYPTED_TOKEN_PREFIX.length), 'base64url').toString('utf8')) as Record<string, string>;
}

describe('EncryptedTokenBackend', () => {
  it('encrypts with a raw 32-byte key: the file holds an envelope, never the plaintext', async () => {
    const key = randomBytes(32);
    const inner = new FileSystemTokenBackend({ tokenPath: dir, tokenFilename: 'raw.txt' });
    const backend = new EncryptedTokenBackend({ backend: inner, key });
    const { version } = await backend.save(SECRET_CACHE);
    const onDisk = await fs.readFile(inner.filePath, 'utf8');
    expect(onDisk).not.toContain('refresh-token-value');
    const envelope = envelopeOf(onDisk);
    expect(Object.keys(envelope).sort()).toEqual(['data', 'iv', 'tag']);
    expect(Buffer.from(envelope.iv ?? '', 'base64url')).toHaveLength(12);
    expect(await backend.load()).toEqual({ data: SECRET_CACHE, version });
    expect(version).toBe((await inner.load())?.version);
    // A fresh IV per write: the same plaintext never gives the same bytes.
    await backend.save(SECRET_CACHE);
    expect(envelopeOf(await fs.readFile(inner.filePath, 'utf8')).iv).not.toBe(envelope.iv);
    expect(backend.location).toBe(inner.filePath);
  });

  it('derives the key from a passphrase with scrypt and a stored salt', async () => {
    const inner = new MemoryTokenBackend();
    const backend = new EncryptedTokenBackend({ backend: inner, key: 'correct horse battery staple' });
    await backend.save(SECRET_CACHE);
    const envelope = envelopeOf((await inner.load())?.data ?? '');
    expect(Buffer.from(envelope.salt ?? '', 'base64url')).toHaveLength(16);
    // Another instance (another process) with the same passphrase reads it.
    const other = new EncryptedTokenBackend({ backend: inner.share(), key: 'correct horse battery staple' });
    expect((await other.load())?.data).toBe(SECRET_CACHE);
  });

  it('a wrong key or passphrase gives TokenBackendError, never garbage, and leaves the data in place', async () => {
    const inner = new MemoryTokenBackend();
    await new EncryptedTokenBackend({ backend: inner, key: randomBytes(32) }).save(SECRET_CACHE);
    const before = await inner.load();
    const wrong = new EncryptedTokenBackend({ backend: inner, key: randomBytes(32) });
    await expect(wrong.load()).rejects.toThrow(/cannot decrypt .*wrong key or tampered/);
    await expect(new EncryptedTokenBackend({ backend: inner, key: 'a passphrase' }).load()).rejects.toThrow(/wrong key or tampered/);
    const passInner = new MemoryTokenBackend();
    await new EncryptedTokenBackend({ backend: passInner, key: 'right' }).save(SECRET_CACHE);
    await expect(new EncryptedTokenBackend({ backend: passInner, key: 'wrong' }).load()).rejects.toBeInstanceOf(TokenBackendError);
    expect(await inner.load()).toEqual(before);
  });

  it.each(['data', 'tag', 'iv'])('tampering with %s is detected', async (field) => {
    const inner = new MemoryTokenBackend();
    const key = randomBytes(32);
    const backend = new EncryptedTokenBackend({ backend: inner, key });
    await backend.save(SECRET_CACHE);
    const envelope = envelopeOf((await inner.load())?.data ?? '');
    const bytes = Buffer.from(envelope[field] ?? '', 'base64url');
    bytes[0] = (bytes[0] ?? 0) ^ 0x01;
    envelope[field] = bytes.toString('base64url');
    await inner.save(ENCRYPTED_TOKEN_PREFIX + Buffer.from(JSON.stringify(envelope)).toString('base64url'));
    const error = await backend.load().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TokenBackendError);
    expect((error as Error).message).toMatch(/wrong key or tampered/);
    expect((error as Error).cause).toBeDefined();
  });

  it('refuses plaintext and malformed envelopes with TokenBackendError', async () => {
    const inner = new MemoryTokenBackend({ initialData: '{"AccessToken":{}}' });
    const backend = new EncryptedTokenBackend({ backend: inner, key: randomBytes(32) });
    await expect(backend.load()).rejects.toThrow(/not encrypted/);
    await inner.save(`${ENCRYPTED_TOKEN_PREFIX}not-base64-json`);
    await expect(backend.load()).rejects.toThrow(/wrong key or tampered/);
  });

  it('passes expectedVersion, delete and lock through to the wrapped backend', async () => {
    const inner = new MemoryTokenBackend();
    const backend = new EncryptedTokenBackend({ backend: inner, key: randomBytes(32) });
    const { version: v1 } = await backend.save('one', { expectedVersion: null });
    await expect(backend.save('two', { expectedVersion: null })).rejects.toBeInstanceOf(TokenCacheConflictError);
    await backend.save('two', { expectedVersion: v1 });
    await expect(backend.save('three', { expectedVersion: v1 })).rejects.toBeInstanceOf(TokenCacheConflictError);
    expect((await backend.load())?.data).toBe('two');
    expect(typeof backend.lock).toBe('function');
    const release = await backend.lock?.();
    await expect(inner.share().lock({ timeoutMs: 20 })).rejects.toBeInstanceOf(TokenBackendError);
    await release?.();
    await backend.delete();
    expect(await inner.load()).toBeUndefined();
    const lockless = { load: inner.load.bind(inner), save: inner.save.bind(inner), delete: inner.delete.bind(inner) };
    expect(new EncryptedTokenBackend({ backend: lockless, key: randomBytes(32) }).lock).toBeUndefined();
  });

  it('rejects keys of the wrong size and keeps key material out of inspect()', () => {
    expect(() => new EncryptedTokenBackend({ backend: new MemoryTokenBackend(), key: randomBytes(16) })).toThrow(/32 bytes/);
    expect(() => new EncryptedTokenBackend({ backend: new MemoryTokenBackend(), key: '' })).toThrow(/empty/);
    const backend = new EncryptedTokenBackend({ backend: new MemoryTokenBackend(), key: 'super-secret-passphrase' });
    expect(inspect(backend, { depth: 5, showHidden: true })).not.toContain('super-secret-passphrase');
  });
});
