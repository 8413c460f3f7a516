import { inspect } from 'node:util';
import { NoSuchBucket, S3ServiceException } from '@aws-sdk/client-s3';
import { describe, expect, it } from '@jest/globals';
import { classifyS3Error, redactS3Error } from './s3-errors.js';

function serviceError(name: string, status: number, extra: Record<string, unknown> = {}): S3ServiceException {
  const e = new S3ServiceException({ name, $fault: 'client', $metadata: { httpStatusCode: status }, message: `${name} message` });
  Object.assign(e, { Code: name }, extra);
  return e;
}

describe('classifyS3Error', () => {
  it.each([
    ['NoSuchKey', 404, 'no-such-key'],
    ['NoSuchBucket', 404, 'no-such-bucket'],
    ['PreconditionFailed', 412, 'precondition-failed'],
    ['ConditionalRequestConflict', 409, 'conflict'],
    ['AccessDenied', 403, 'access-denied'],
    ['SignatureDoesNotMatch', 403, 'credentials-rejected'],
    ['InvalidAccessKeyId', 403, 'credentials-rejected'],
    ['ExpiredToken', 400, 'credentials-rejected'],
    ['InternalError', 500, 'other'],
    ['OperationAborted', 409, 'other'],
  ] as const)('%s (HTTP %i) is %s', (name, status, kind) => {
    expect(classifyS3Error(serviceError(name, status))).toEqual({ kind, code: name, status, message: `${name} message` });
  });

  it('treats a 403 without an S3 code (HEAD-style answer) as access denied', () => {
    const e = new S3ServiceException({ name: 'Forbidden', $fault: 'client', $metadata: { httpStatusCode: 403 }, message: 'Forbidden' });
    expect(classifyS3Error(e).kind).toBe('access-denied');
  });

  it('recognises socket errors, also when wrapped as text by the SDK', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED', $metadata: {} });
    expect(classifyS3Error(refused)).toEqual({ kind: 'network', code: 'ECONNREFUSED', message: 'connect ECONNREFUSED 127.0.0.1:9' });
    const wrapped = new Error('AWS SDK error wrapper for Error: getaddrinfo ENOTFOUND s3.invalid');
    expect(classifyS3Error(wrapped).kind).toBe('network');
    expect(classifyS3Error(wrapped).code).toBe('ENOTFOUND');
    const timeout = Object.assign(new Error('Socket timed out without establishing a connection within 1000 ms'), { name: 'TimeoutError' });
    expect(classifyS3Error(timeout).kind).toBe('network');
  });

  it('recognises missing credentials or region', () => {
    const noCreds = Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' });
    expect(classifyS3Error(noCreds).kind).toBe('credentials');
    expect(classifyS3Error(new Error('Region is missing')).kind).toBe('credentials');
  });

  it('copes with values that are not errors', () => {
    expect(classifyS3Error('boom')).toEqual({ kind: 'other', code: 'Error', message: 'boom' });
    expect(classifyS3Error(undefined).kind).toBe('other');
  });
});

describe('redactS3Error', () => {
  it('drops the hidden $response and echoed signing fields, keeping prototype, name, code and metadata', () => {
    const e = new NoSuchBucket({ $metadata: { httpStatusCode: 404, requestId: 'r1' }, message: 'The specified bucket does not exist' });
    Object.assign(e, { Code: 'NoSuchBucket', BucketName: 'tokens', StringToSign: 'AWS4-HMAC-SHA256\nsecret-ish' });
    Object.defineProperty(e, '$response', {
      value: { headers: { authorization: 'AWS4-HMAC-SHA256 Credential=AKIAHIDDEN' } },
      enumerable: false,
      configurable: false,
    });
    const copy = redactS3Error(e) as NoSuchBucket;
    expect(copy).toBeInstanceOf(NoSuchBucket);
    expect(copy).toBeInstanceOf(S3ServiceException);
    expect(copy.name).toBe('NoSuchBucket');
    expect(copy.message).toBe('The specified bucket does not exist');
    expect(copy.$metadata.requestId).toBe('r1');
    expect((copy as unknown as { BucketName: string }).BucketName).toBe('tokens');
    expect(copy.stack).toBe(e.stack);
    const shown = inspect(copy, { showHidden: true, depth: Infinity });
    expect(shown).not.toContain('AKIAHIDDEN');
    expect(shown).not.toContain('secret-ish');
  });

  it('returns errors with nothing to drop unchanged', () => {
    const e = new Error('plain');
    expect(redactS3Error(e)).toBe(e);
    expect(redactS3Error('text')).toBe('text');
  });
});
