// Protocol-level tests: the real S3 client against answers s3rver cannot give (it ignores
// If-Match / If-None-Match, never denies access). nock intercepts the requests of the real SDK
// to a loopback endpoint; nothing leaves the machine.
import { inspect } from 'node:util';
import { S3ServiceException } from '@aws-sdk/client-s3';
import { afterAll, describe, expect, it } from '@jest/globals';
import { TokenBackendError, TokenCacheConflictError } from '@o365/core';
import nock from 'nock';
import { AWSS3Backend, type AWSS3BackendOptions } from '../src/index.js';
import { useNockEndpoint } from './nock-endpoint.js';
import { clientConfigFor } from './s3rver-harness.js';

const ACCESS_KEY_ID = 'AKIAIOSFODNN7EXAMPLE';
const SECRET_ACCESS_KEY = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const TOKEN_DATA = JSON.stringify({ RefreshToken: { x: { secret: 'refresh-token-value-0.AXkA-do-not-leak' } } });
const KEY_PATH = '/tokens/o365/app.json';

const nockEndpoint = useNockEndpoint();
const backends: AWSS3Backend[] = [];

function backend(extra: Partial<AWSS3BackendOptions> = {}): AWSS3Backend {
  const b = new AWSS3Backend({
    bucketName: 'tokens',
    objectKey: 'o365/app.json',
    clientConfig: clientConfigFor(nockEndpoint.url, { credentials: { accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET_ACCESS_KEY } }),
    ...extra,
  });
  backends.push(b);
  return b;
}

function s3Error(code: string, message: string, extra = ''): string {
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<Error><Code>${code}</Code><Message>${message}</Message>${extra}` +
    '<RequestId>4442587FB7D0A2F9</RequestId><HostId>h0st1d</HostId></Error>'
  );
}

type Headers = Record<string, string | string[] | undefined>;

/** Intercepts one PutObject and records the headers and body the SDK really sent. */
function interceptPut(status: number, body: string, replyHeaders: Record<string, string> = {}) {
  const seen: { headers?: Headers; body?: string } = {};
  const scope = nock(nockEndpoint.url)
    .put(KEY_PATH)
    .query(true)
    .reply(function (_uri, requestBody) {
      seen.headers = this.req.headers as Headers;
      seen.body = typeof requestBody === 'string' ? requestBody : JSON.stringify(requestBody);
      return [status, body, { 'content-type': 'application/xml', ...replyHeaders }];
    });
  return { scope, seen };
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e,
  );
}

afterAll(() => {
  for (const b of backends) b.destroy();
});

describe('AWSS3Backend on the wire', () => {
  it('sends If-Match: <etag> for expectedVersion and returns the new ETag', async () => {
    const { seen } = interceptPut(200, '', { etag: '"new-etag"' });
    await expect(backend().save(TOKEN_DATA, { expectedVersion: '"old-etag"' })).resolves.toEqual({ version: '"new-etag"' });
    expect(seen.headers?.['if-match']).toBe('"old-etag"');
    expect(seen.headers?.['if-none-match']).toBeUndefined();
    expect(seen.headers?.['content-type']).toBe('application/json');
    expect(seen.headers?.['cache-control']).toBe('no-store');
    expect(seen.headers?.['x-amz-acl']).toBeUndefined();
    expect(seen.body).toBe(TOKEN_DATA);
  });

  it('sends If-None-Match: * for expectedVersion null (create only)', async () => {
    const { seen } = interceptPut(200, '', { etag: '"first"' });
    await expect(backend().save(TOKEN_DATA, { expectedVersion: null })).resolves.toEqual({ version: '"first"' });
    expect(seen.headers?.['if-none-match']).toBe('*');
    expect(seen.headers?.['if-match']).toBeUndefined();
  });

  it('sends no conditional header for an unconditional save', async () => {
    const { seen } = interceptPut(200, '', { etag: '"e"' });
    await backend().save(TOKEN_DATA);
    expect(seen.headers?.['if-match']).toBeUndefined();
    expect(seen.headers?.['if-none-match']).toBeUndefined();
  });

  it('sends the server-side encryption headers it was configured with', async () => {
    const kms = interceptPut(200, '', { etag: '"e"' });
    await backend({ kmsKeyId: 'arn:aws:kms:us-east-1:111122223333:key/1234abcd' }).save(TOKEN_DATA);
    expect(kms.seen.headers?.['x-amz-server-side-encryption']).toBe('aws:kms');
    expect(kms.seen.headers?.['x-amz-server-side-encryption-aws-kms-key-id']).toBe('arn:aws:kms:us-east-1:111122223333:key/1234abcd');

    const sse = interceptPut(200, '', { etag: '"e"' });
    await backend({ serverSideEncryption: 'AES256' }).save(TOKEN_DATA);
    expect(sse.seen.headers?.['x-amz-server-side-encryption']).toBe('AES256');
    expect(sse.seen.headers?.['x-amz-server-side-encryption-aws-kms-key-id']).toBeUndefined();
  });

  it('turns 412 PreconditionFailed on If-Match into TokenCacheConflictError', async () => {
    interceptPut(412, s3Error('PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', '<Condition>If-Match</Condition>'));
    const err = (await rejection(backend().save(TOKEN_DATA, { expectedVersion: '"stale"' }))) as TokenCacheConflictError;
    expect(err).toBeInstanceOf(TokenCacheConflictError);
    expect(err.code).toBe('TOKEN_CACHE_CONFLICT');
    expect(err.expectedVersion).toBe('"stale"');
    expect(err.backend).toBe('AWSS3Backend');
    expect(err.location).toBe('s3://tokens/o365/app.json');
    expect(err.message).toContain('s3://tokens/o365/app.json');
    expect(err.message).toContain('PreconditionFailed');
    expect((err.cause as Error).name).toBe('PreconditionFailed');
  });

  it('turns 412 PreconditionFailed on If-None-Match into TokenCacheConflictError', async () => {
    interceptPut(412, s3Error('PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', '<Condition>If-None-Match</Condition>'));
    const err = (await rejection(backend().save(TOKEN_DATA, { expectedVersion: null }))) as TokenCacheConflictError;
    expect(err).toBeInstanceOf(TokenCacheConflictError);
    expect(err.expectedVersion).toBeNull();
    expect(err.message).toContain('an object already exists');
  });

  it('turns 409 ConditionalRequestConflict into TokenCacheConflictError', async () => {
    interceptPut(409, s3Error('ConditionalRequestConflict', 'A conflicting conditional operation is currently in progress against this resource. Please try again.'));
    const err = await rejection(backend().save(TOKEN_DATA, { expectedVersion: '"e1"' }));
    expect(err).toBeInstanceOf(TokenCacheConflictError);
    expect((err as Error).message).toContain('ConditionalRequestConflict');
  });

  it('turns 404 NoSuchKey on If-Match (the object was deleted meanwhile) into TokenCacheConflictError', async () => {
    interceptPut(404, s3Error('NoSuchKey', 'The specified key does not exist.'));
    const err = await rejection(backend().save(TOKEN_DATA, { expectedVersion: '"e1"' }));
    expect(err).toBeInstanceOf(TokenCacheConflictError);
    expect((err as Error).message).toContain('no longer exists');
  });

  it('turns 403 AccessDenied on GetObject into TokenBackendError naming the permissions', async () => {
    nock(nockEndpoint.url).get(KEY_PATH).query(true).reply(403, s3Error('AccessDenied', 'Access Denied'), { 'content-type': 'application/xml' });
    const err = (await rejection(backend().load())) as TokenBackendError;
    expect(err).toBeInstanceOf(TokenBackendError);
    expect(err).not.toBeInstanceOf(TokenCacheConflictError);
    expect(err.message).toContain('could not load s3://tokens/o365/app.json: access denied (AccessDenied, HTTP 403)');
    expect(err.message).toContain('s3:GetObject on arn:aws:s3:::tokens/o365/app.json');
    expect(err.message).toContain('s3:ListBucket');
    expect((err.cause as Error).name).toBe('AccessDenied');
  });

  it('turns 403 AccessDenied on PutObject and DeleteObject into TokenBackendError', async () => {
    interceptPut(403, s3Error('AccessDenied', 'Access Denied'));
    const put = (await rejection(backend().save(TOKEN_DATA, { expectedVersion: '"e"' }))) as TokenBackendError;
    expect(put).toBeInstanceOf(TokenBackendError);
    expect(put).not.toBeInstanceOf(TokenCacheConflictError);
    expect(put.message).toContain('s3:PutObject');

    nock(nockEndpoint.url).delete(KEY_PATH).query(true).reply(403, s3Error('AccessDenied', 'Access Denied'), { 'content-type': 'application/xml' });
    const del = (await rejection(backend().delete())) as TokenBackendError;
    expect(del).toBeInstanceOf(TokenBackendError);
    expect(del.message).toContain('s3:DeleteObject');
  });

  it('loads the body and ETag, sending no conditional header', async () => {
    let headers: Headers = {};
    nock(nockEndpoint.url)
      .get(KEY_PATH)
      .query(true)
      .reply(function () {
        headers = this.req.headers as Headers;
        return [200, TOKEN_DATA, { etag: '"abc"', 'content-type': 'application/json' }];
      });
    await expect(backend().load()).resolves.toEqual({ data: TOKEN_DATA, version: '"abc"' });
    expect(headers['if-match']).toBeUndefined();
    expect(headers['if-none-match']).toBeUndefined();
  });

  it('keeps credentials, signatures and token data out of errors and inspect output', async () => {
    interceptPut(
      403,
      s3Error(
        'SignatureDoesNotMatch',
        'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
        `<AWSAccessKeyId>${ACCESS_KEY_ID}</AWSAccessKeyId><StringToSign>AWS4-HMAC-SHA256\n20261127T000000Z</StringToSign>` +
          '<SignatureProvided>d2f4c1e0aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa</SignatureProvided>' +
          '<CanonicalRequest>PUT\n/tokens/o365/app.json</CanonicalRequest>',
      ),
    );
    const b = backend();
    const err = (await rejection(b.save(TOKEN_DATA))) as TokenBackendError;
    expect(err).toBeInstanceOf(TokenBackendError);
    expect(err.message).toContain('rejected the client');
    // The cause is a redacted copy that keeps what callers switch on.
    expect(err.cause).toBeInstanceOf(S3ServiceException);
    expect((err.cause as S3ServiceException).name).toBe('SignatureDoesNotMatch');
    expect((err.cause as S3ServiceException).$metadata.httpStatusCode).toBe(403);
    const shown = [inspect(err, { depth: Infinity, showHidden: true }), String(err), JSON.stringify(err), err.stack ?? ''].join('\n');
    for (const secret of [SECRET_ACCESS_KEY, ACCESS_KEY_ID, 'refresh-token-value', 'd2f4c1e0', 'AWS4-HMAC-SHA256']) {
      expect(shown).not.toContain(secret);
    }
    const backendShown = [inspect(b, { depth: Infinity, showHidden: true }), String(b), JSON.stringify(b)].join('\n');
    expect(backendShown).toContain("bucketName: 'tokens'");
    for (const secret of [SECRET_ACCESS_KEY, ACCESS_KEY_ID]) expect(backendShown).not.toContain(secret);
  });

  it('turns a server error that outlasts the retries into TokenBackendError', async () => {
    nock(nockEndpoint.url)
      .get(KEY_PATH)
      .query(true)
      .times(2)
      .reply(500, s3Error('InternalError', 'We encountered an internal error. Please try again.'), { 'content-type': 'application/xml' });
    const b = new AWSS3Backend({
      bucketName: 'tokens',
      objectKey: 'o365/app.json',
      clientConfig: clientConfigFor(nockEndpoint.url, { maxAttempts: 2 }),
    });
    backends.push(b);
    const err = (await rejection(b.load())) as TokenBackendError;
    expect(err).toBeInstanceOf(TokenBackendError);
    expect(err.message).toContain('S3 answered InternalError, HTTP 500');
  });
});
