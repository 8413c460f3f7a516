import { describe, expect, it } from '@jest/globals';
import { TokenBackendError } from '@o365/core/backend';
import { classifyFirestoreError, FirestoreDeadlineError, firestoreError, isLostRace } from './firestore-errors.js';

const grpcError = (code: number, details: string): Error => Object.assign(new Error(`${code} ${details}`), { code, details });
const target = { backend: 'FirestoreBackend', location: 'projects/p/databases/(default)/documents/tokens/app', projectId: 'p', databaseId: '(default)' };

describe('classifyFirestoreError', () => {
  it.each([
    [7, 'permission-denied', 'PERMISSION_DENIED'],
    [16, 'unauthenticated', 'UNAUTHENTICATED'],
    [5, 'not-found', 'NOT_FOUND'],
    [14, 'unreachable', 'UNAVAILABLE'],
    [4, 'unreachable', 'DEADLINE_EXCEEDED'],
    [8, 'quota', 'RESOURCE_EXHAUSTED'],
    [3, 'invalid', 'INVALID_ARGUMENT'],
    [13, 'other', 'INTERNAL'],
    [99, 'other', 'gRPC 99'],
  ] as const)('gRPC %i is %s (%s)', (code, kind, name) => {
    expect(classifyFirestoreError(grpcError(code, 'x'))).toEqual({ kind, code: name });
  });

  it('recognises the deadline, missing credentials and a missing project', () => {
    expect(classifyFirestoreError(new FirestoreDeadlineError(5)).kind).toBe('timeout');
    expect(classifyFirestoreError(new Error('Could not load the default credentials. Browse to https://...')).kind).toBe('credentials');
    expect(classifyFirestoreError(new Error('Unable to detect a Project Id in the current environment.')).kind).toBe('project');
    expect(classifyFirestoreError('boom')).toEqual({ kind: 'other', code: 'Error' });
  });
});

describe('isLostRace', () => {
  it('is true for the statuses of a lost precondition or transaction, false otherwise', () => {
    for (const code of [5, 6, 9, 10]) expect(isLostRace(grpcError(code, 'x'))).toBe(true);
    for (const code of [2, 7, 14]) expect(isLostRace(grpcError(code, 'x'))).toBe(false);
    expect(isLostRace(new Error('no code'))).toBe(false);
  });
});

describe('firestoreError', () => {
  it('names backend, document and operation, says what to do, and keeps the cause', () => {
    const cause = grpcError(7, 'Missing or insufficient permissions.');
    const error = firestoreError(cause, target, 'could not load the token cache');
    expect(error).toBeInstanceOf(TokenBackendError);
    expect(error.message).toBe(
      'FirestoreBackend (projects/p/databases/(default)/documents/tokens/app): could not load the token cache: 7 Missing or insufficient permissions.; ' +
        'permission denied on project p: the service account needs the IAM role roles/datastore.user (Cloud Datastore User), or datastore.entities.get, create, update and delete',
    );
    expect(error.cause).toBe(cause);
    expect(error.backend).toBe('FirestoreBackend');
    expect(error.location).toBe(target.location);
  });

  it('explains a timeout and a missing database', () => {
    expect(firestoreError(new FirestoreDeadlineError(1500), target, 'could not save the token cache').message).toContain(
      'Firestore did not answer within 1500 ms; the endpoint is unreachable or overloaded',
    );
    expect(firestoreError(grpcError(5, 'The database (default) does not exist'), target, 'could not load').message).toContain(
      'check that the Firestore database (default) exists in project p',
    );
  });

  it('passes a TokenBackendError through unchanged', () => {
    const original = new TokenBackendError('x', { backend: 'FirestoreBackend' });
    expect(firestoreError(original, target, 'could not load')).toBe(original);
  });
});
