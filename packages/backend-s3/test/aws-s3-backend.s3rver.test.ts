import { randomBytes } from 'node:crypto';
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ENCRYPTED_TOKEN_PREFIX, EncryptedTokenBackend, TokenBackendError, TokenCacheConflictError } from '@o365/core';
import { AWSS3Backend } from '../src/index.js';
import { BUCKET, startS3rver, unreachableClientConfig, type S3rverHandle } from './s3rver-harness.js';

let s3: S3rverHandle;
let raw: S3Client;
const backends: AWSS3Backend[] = [];
let keyCounter = 0;

function backend(objectKey = `direct/${++keyCounter}.json`, bucketName = BUCKET): AWSS3Backend {
  const b = new AWSS3Backend({ bucketName, objectKey, clientConfig: s3.clientConfig });
  backends.push(b);
  return b;
}

beforeAll(async () => {
  s3 = await startS3rver();
  raw = new S3Client(s3.clientConfig);
});

afterAll(async () => {
  for (const b of backends) b.destroy();
  raw?.destroy();
  await s3?.stop();
});

describe('AWSS3Backend against s3rver', () => {
  it('resolves undefined when the object does not exist', async () => {
    await expect(backend().load()).resolves.toBeUndefined();
  });

  it('round-trips the data with the ETag as version', async () => {
    const b = backend();
    const data = JSON.stringify({ AccessToken: {}, note: 'héllo 🌍 ✓' });
    const { version } = await b.save(data);
    expect(version).toMatch(/^"[0-9a-f]{32}"$/);
    const head = await raw.send(new HeadObjectCommand({ Bucket: BUCKET, Key: b.objectKey }));
    expect(head.ETag).toBe(version);
    await expect(b.load()).resolves.toEqual({ data, version });
  });

  it('round-trips 2 MB of unicode data', async () => {
    const b = backend();
    const data = JSON.stringify({ blob: 'ü😀漢'.repeat(2 * 1024 * 1024 / 9) });
    const { version } = await b.save(data);
    const loaded = await b.load();
    expect(loaded?.data.length).toBe(data.length);
    expect(loaded?.data === data).toBe(true);
    expect(loaded?.version).toBe(version);
  });

  it('gives a new version to new content and reads what the last save wrote', async () => {
    const b = backend();
    const first = await b.save('{"n":1}');
    const second = await b.save('{"n":2}');
    expect(second.version).not.toBe(first.version);
    await expect(b.load()).resolves.toEqual({ data: '{"n":2}', version: second.version });
  });

  it('stores JSON as application/json, not cacheable', async () => {
    const b = backend();
    await b.save('{"Account":{}}');
    const head = await raw.send(new HeadObjectCommand({ Bucket: BUCKET, Key: b.objectKey }));
    expect(head.ContentType).toBe('application/json');
    expect(head.CacheControl).toBe('no-store');
  });

  it('stores data that is not JSON (e.g. ciphertext) as application/octet-stream', async () => {
    const b = backend();
    await b.save('v1.gcm.AAECAwQFBgcICQoL.c2VjcmV0');
    const head = await raw.send(new HeadObjectCommand({ Bucket: BUCKET, Key: b.objectKey }));
    expect(head.ContentType).toBe('application/octet-stream');
    await expect(b.load()).resolves.toMatchObject({ data: 'v1.gcm.AAECAwQFBgcICQoL.c2VjcmV0' });
  });

  it('stores something that only looks like JSON as application/octet-stream', async () => {
    const b = backend();
    await b.save('{not json');
    const head = await raw.send(new HeadObjectCommand({ Bucket: BUCKET, Key: b.objectKey }));
    expect(head.ContentType).toBe('application/octet-stream');
  });

  it("composes with core's EncryptedTokenBackend: ciphertext stored as application/octet-stream", async () => {
    const inner = backend();
    const encrypted = new EncryptedTokenBackend({ backend: inner, key: randomBytes(32) });
    const data = JSON.stringify({ RefreshToken: { k: { secret: 'plain-refresh-token-value' } } });
    const { version } = await encrypted.save(data);
    const object = await raw.send(new GetObjectCommand({ Bucket: BUCKET, Key: inner.objectKey }));
    expect(object.ContentType).toBe('application/octet-stream');
    const stored = await object.Body!.transformToString('utf-8');
    expect(stored.startsWith(ENCRYPTED_TOKEN_PREFIX)).toBe(true);
    expect(stored).not.toContain('plain-refresh-token-value');
    await expect(encrypted.load()).resolves.toEqual({ data, version });
  });

  it('deletes, and deleting again (or something never stored) is not an error', async () => {
    const b = backend();
    await b.save('{}');
    await b.delete();
    await expect(b.load()).resolves.toBeUndefined();
    await expect(b.delete()).resolves.toBeUndefined();
    await expect(backend().delete()).resolves.toBeUndefined();
  });

  it('keeps objects of different keys apart', async () => {
    const a = backend('tenant-a/cache.json');
    const c = backend('tenant-c/cache.json');
    await a.save('{"who":"a"}');
    await c.save('{"who":"c"}');
    await a.delete();
    await expect(c.load()).resolves.toMatchObject({ data: '{"who":"c"}' });
  });

  it('s3rver ignores conditional headers (why conditional writes are tested at the protocol level)', async () => {
    // If s3rver ever starts enforcing If-Match, this fails and the conformance kit call should
    // declare conditionalWrites.enforcedByService: true.
    const b = backend();
    await b.save('{"n":1}');
    await expect(b.save('{"n":2}', { expectedVersion: '"00000000000000000000000000000000"' })).resolves.toHaveProperty('version');
    await expect(b.save('{"n":3}', { expectedVersion: null })).resolves.toHaveProperty('version');
  });

  it('fails with a TokenBackendError naming bucket and key when the bucket does not exist', async () => {
    const b = backend('o365/app.json', 'no-such-bucket');
    for (const op of [() => b.load(), () => b.save('{}'), () => b.delete()]) {
      const err = await op().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(TokenBackendError);
      expect(err).not.toBeInstanceOf(TokenCacheConflictError);
      const e = err as TokenBackendError;
      expect(e.code).toBe('TOKEN_BACKEND_ERROR');
      expect(e.backend).toBe('AWSS3Backend');
      expect(e.location).toBe('s3://no-such-bucket/o365/app.json');
      expect(e.message).toContain('s3://no-such-bucket/o365/app.json');
      expect(e.message).toContain('bucket "no-such-bucket" does not exist');
      expect((e.cause as Error).name).toBe('NoSuchBucket');
    }
  });

  it('rejects data that is not a string before sending anything, leaving the stored copy', async () => {
    const b = backend();
    const { version } = await b.save('{"good":true}');
    // A non-string body is refused before anything is sent.
    await expect(b.save(42 as unknown as string)).rejects.toThrow(TokenBackendError);
    await expect(b.load()).resolves.toEqual({ data: '{"good":true}', version });
  });

  it('fails with a TokenBackendError when the endpoint is unreachable', async () => {
    const b = new AWSS3Backend({ bucketName: BUCKET, objectKey: 'o365/app.json', clientConfig: await unreachableClientConfig() });
    backends.push(b);
    const err = (await b.load().catch((e: unknown) => e)) as TokenBackendError;
    expect(err).toBeInstanceOf(TokenBackendError);
    expect(err.message).toContain('s3://tokens/o365/app.json');
    expect(err.message).toContain('could not be reached');
    expect(err.message).toContain('ECONNREFUSED');
    expect(err.cause).toBeInstanceOf(Error);
    expect(String((err.cause as Error).message)).toContain('ECONNREFUSED');
    await expect(b.save('{}')).rejects.toBeInstanceOf(TokenBackendError);
    await expect(b.delete()).rejects.toBeInstanceOf(TokenBackendError);
  });

  it('leaves a client it was given open when destroyed', async () => {
    const client = new S3Client(s3.clientConfig);
    try {
      const b = new AWSS3Backend({ bucketName: BUCKET, objectKey: 'given/client.json', client });
      await b.save('{"x":1}');
      b.destroy();
      await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'given/other.json', Body: 'x' }));
      await expect(b.load()).resolves.toMatchObject({ data: '{"x":1}' });
    } finally {
      client.destroy();
    }
  });
});
