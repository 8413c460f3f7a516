import { describe, expect, it } from '@jest/globals';
import {
  AuthenticationError,
  ConsentDeclinedError,
  GraphError,
  InteractionRequiredError,
  InvalidArgumentError,
  InvalidCredentialsError,
  O365Error,
  TokenBackendError,
  TokenCacheConflictError,
  TokenExpiredError,
} from './errors.js';
import { HttpTimeoutError, NetworkError } from './errors.js';
import { boundMessage, clipServerText, MAX_MESSAGE_LENGTH, MAX_SERVER_TEXT } from './text-limits.js';

const huge = `AADSTS70011: bad\u001b[2J\u0007\u202e${'x'.repeat(1_048_576)}`;

describe('clipServerText', () => {
  it('caps a 1 MB text, says how much was cut, and removes control and bidi characters', () => {
    const out = clipServerText(huge);
    expect(out.length).toBeLessThan(MAX_SERVER_TEXT + 60);
    expect(out).toMatch(/characters clipped\]$/);
    expect(out).not.toMatch(/[\u0000-\u001f\u007f\u202e]/);
    expect(out.startsWith('AADSTS70011: bad[2J')).toBe(true);
  });
  it('turns line breaks into spaces, keeps short text as is, and gives "" for non-strings', () => {
    expect(clipServerText('a\r\nb\tc')).toBe('a b c');
    expect(clipServerText('AADSTS50126: wrong password')).toBe('AADSTS50126: wrong password');
    expect(clipServerText(undefined)).toBe('');
    expect(clipServerText({ toString: () => 'x' })).toBe('');
  });
  it('never cuts a surrogate pair in half', () => {
    const out = clipServerText(`${'a'.repeat(9)}😀😀`, 10);
    expect(out.startsWith('a'.repeat(9) + '…')).toBe(true);
  });
});

describe('every error class bounds its message', () => {
  const classes: Array<[string, (m: string) => O365Error]> = [
    ['O365Error', (m) => new O365Error(m)],
    ['AuthenticationError', (m) => new AuthenticationError(m, { errorDescription: huge })],
    ['InvalidCredentialsError', (m) => new InvalidCredentialsError(m)],
    ['TokenExpiredError', (m) => new TokenExpiredError(m)],
    ['InteractionRequiredError', (m) => new InteractionRequiredError(m)],
    ['ConsentDeclinedError', (m) => new ConsentDeclinedError(m)],
    ['InvalidArgumentError', (m) => new InvalidArgumentError(m, { parameter: 'scopes' })],
    ['TokenBackendError', (m) => new TokenBackendError(m, { backend: 'B', location: huge })],
    ['TokenCacheConflictError', (m) => new TokenCacheConflictError(m, { backend: 'B' })],
    ['GraphError', (m) => new GraphError(m, { status: 400, graphCode: huge, path: huge })],
    ['NetworkError', (m) => new NetworkError(m)],
    ['HttpTimeoutError', (m) => new HttpTimeoutError(m, { timeoutMs: 1 })],
  ];
  it.each(classes)('%s: a message built from a 1 MB error_description stays under a few KB, without control characters', (_name, make) => {
    const error = make(`Authentication failed: ${huge}`);
    expect(error.message.length).toBeLessThanOrEqual(MAX_MESSAGE_LENGTH + 60);
    expect(error.message).not.toMatch(/[\u001b\u0007\u202e]/);
    for (const value of Object.values(error)) {
      if (typeof value === 'string') expect(value.length).toBeLessThanOrEqual(MAX_MESSAGE_LENGTH + 60);
    }
  });
  it('keeps newlines of our own multi-line messages', () => {
    expect(boundMessage('line 1\nline 2')).toBe('line 1\nline 2');
  });
});
