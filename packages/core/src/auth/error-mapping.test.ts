import { describe, expect, it } from '@jest/globals';
import type {
  O365Error} from '../errors.js';
import {
  AuthenticationError,
  InteractionRequiredError,
  InvalidCredentialsError,
  TokenExpiredError,
} from '../errors.js';
import { NetworkError } from '../errors.js';
import { mapAuthError, type AuthOperation } from './error-mapping.js';

const server = (error: string, code: number, extra: Record<string, unknown> = {}) => ({
  status: 400,
  body: {
    error,
    error_description: `AADSTS${code}: something happened.\r\nTrace ID: t-1\r\nCorrelation ID: c-1\r\nTimestamp: 2026-01-01 00:00:00Z`,
    error_codes: [code],
    correlation_id: 'c-1',
    trace_id: 't-1',
    ...extra,
  },
});

describe('mapAuthError', () => {
  const cases: Array<[string, number, AuthOperation, new (...args: never[]) => O365Error]> = [
    ['invalid_client', 7000215, 'credentials', InvalidCredentialsError],
    ['invalid_client', 7000222, 'credentials', InvalidCredentialsError],
    ['invalid_client', 700027, 'credentials', InvalidCredentialsError],
    ['unauthorized_client', 700016, 'credentials', InvalidCredentialsError],
    ['invalid_grant', 50126, 'password', InvalidCredentialsError],
    ['invalid_grant', 50034, 'password', InvalidCredentialsError],
    ['invalid_grant', 70008, 'refresh', TokenExpiredError],
    ['invalid_grant', 700082, 'refresh', TokenExpiredError],
    ['invalid_grant', 50173, 'refresh', TokenExpiredError],
    ['invalid_grant', 65001, 'authorization_code', InteractionRequiredError],
    ['invalid_grant', 50076, 'password', InteractionRequiredError],
    ['interaction_required', 50079, 'refresh', InteractionRequiredError],
    ['invalid_request', 90014, 'authorization_code', AuthenticationError],
  ];

  it.each(cases)('%s AADSTS%d during %s -> %p', (error, code, operation, expected) => {
    const cause = new Error('msal said so');
    const mapped = mapAuthError(cause, operation, server(error, code));
    expect(mapped).toBeInstanceOf(expected);
    expect(mapped.constructor).toBe(expected);
    expect(mapped.errorCodes).toEqual([code]);
    expect(mapped.error).toBe(error);
    expect(mapped.correlationId).toBe('c-1');
    expect(mapped.traceId).toBe('t-1');
    expect(mapped.status).toBe(400);
    expect(mapped.cause).toBe(cause);
    expect(mapped.message).toContain(`AADSTS${code}`);
    expect(mapped.message).not.toContain('Trace ID');
  });

  it('an unclassified invalid_grant during refresh is TokenExpiredError', () => {
    expect(mapAuthError(new Error('x'), 'refresh', { status: 400, body: { error: 'invalid_grant' } })).toBeInstanceOf(TokenExpiredError);
    expect(mapAuthError(new Error('x'), 'password', { status: 400, body: { error: 'invalid_grant' } }).constructor).toBe(AuthenticationError);
  });

  it('reads msal-node errors when the wire record is missing, and codes from the description', () => {
    const msal = Object.assign(new Error('invalid_client: AADSTS7000215: Invalid client secret provided.'), {
      errorCode: 'invalid_client',
      errorMessage: 'AADSTS7000215: Invalid client secret provided.',
      correlationId: 'c-2',
      subError: '',
    });
    const mapped = mapAuthError(msal, 'credentials');
    expect(mapped).toBeInstanceOf(InvalidCredentialsError);
    expect(mapped.errorCodes).toEqual([7000215]);
    expect(mapped.correlationId).toBe('c-2');
  });

  it('no answer at all keeps the HTTP client error (it names method and path)', () => {
    const network = new NetworkError('POST /t/oauth2/v2.0/token failed: connection refused (ECONNREFUSED) after 4 attempt(s)');
    expect(mapAuthError(new Error('network_error'), 'credentials', { error: network })).toBe(network);
  });

  it('o365 errors pass through unchanged', () => {
    const e = new TokenExpiredError('x');
    expect(mapAuthError(e, 'refresh')).toBe(e);
  });

  it('redacts secrets that a server description might echo', () => {
    const mapped = mapAuthError(new Error('x'), 'authorization_code', {
      status: 400,
      body: { error: 'invalid_grant', error_description: 'AADSTS70000: bad code=0.AAAsecretcode&x=1 or eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.abc' },
    });
    expect(mapped.message).not.toContain('0.AAAsecretcode');
    expect(mapped.message).not.toContain('eyJhbGciOiJIUzI1NiJ9');
  });
});
