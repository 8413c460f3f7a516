import { describe, expect, it } from '@jest/globals';
import { inspect } from 'node:util';
import { copyErrorWithout } from './copy-error-without.js';

class ServiceError extends Error {
  override name = 'ServiceError';
  readonly $metadata = { httpStatusCode: 403 };
}

describe('copyErrorWithout', () => {
  it('drops non-configurable fields, keeping prototype, message, metadata and stack', () => {
    const err = new ServiceError('Access Denied');
    Object.defineProperty(err, '$response', { value: { headers: { authorization: 'AWS4 SECRET-SIG' } }, enumerable: false });
    expect(() => delete (err as unknown as Record<string, unknown>)['$response']).toThrow();
    const copy = copyErrorWithout(err, ['$response']) as ServiceError;
    expect(copy).not.toBe(err);
    expect(copy).toBeInstanceOf(ServiceError);
    expect(copy.message).toBe('Access Denied');
    expect(copy.$metadata.httpStatusCode).toBe(403);
    expect(copy.stack).toBe(err.stack);
    expect(Object.getOwnPropertyNames(copy)).not.toContain('$response');
    expect(inspect(copy, { showHidden: true, depth: 5 })).not.toContain('SECRET-SIG');
    expect(inspect(err, { showHidden: true, depth: 5 })).toContain('SECRET-SIG');
  });

  it('returns the error itself when nothing is to drop, and non-objects unchanged', () => {
    const err = new Error('x');
    expect(copyErrorWithout(err, ['$response'])).toBe(err);
    expect(copyErrorWithout('text', ['$response'])).toBe('text');
    expect(copyErrorWithout(null, ['$response'])).toBeNull();
  });
});
