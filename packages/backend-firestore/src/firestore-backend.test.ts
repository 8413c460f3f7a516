import { afterAll, describe, expect, it } from '@jest/globals';
import { Firestore } from '@google-cloud/firestore';
import { TokenBackendError } from '@o365/core/backend';
import { DEFAULT_DOCUMENT_ID, FirestoreBackend } from './firestore-backend.js';

// No call reaches a server in these tests: constructing a client does no I/O.
const client = new Firestore({ projectId: 'unit-project' });
afterAll(() => client.terminate());

describe('FirestoreBackend options', () => {
  it('defaults to python-o365 names: collection tokens, field token, and the document o365_token', () => {
    const backend = new FirestoreBackend({ firestore: client });
    expect([backend.collectionName, backend.documentId, backend.fieldName]).toEqual(['tokens', DEFAULT_DOCUMENT_ID, 'token']);
    expect(DEFAULT_DOCUMENT_ID).toBe('o365_token');
    expect(backend.location).toBe('projects/unit-project/databases/(default)/documents/tokens/o365_token');
    expect([backend.timeoutMs, backend.leaseMs]).toEqual([15_000, 20_000]);
  });

  it.each([
    [{ firestore: client, projectId: 'p' }, /either firestore or projectId/],
    [{ projectId: '' }, /projectId must be a non-empty string/],
    [{ firestore: {} as Firestore }, /firestore must be a Firestore client/],
    [{ firestore: client, collectionName: '' }, /collectionName must be a non-empty string/],
    [{ firestore: client, collectionName: 'apps/mail' }, /odd number of path segments/],
    [{ firestore: client, collectionName: 'apps/../x' }, /segment "\.\." must not be "\." or "\.\."/],
    [{ firestore: client, documentId: 'a/b' }, /documentId must not contain "\/"/],
    [{ firestore: client, documentId: '__x__' }, /documentId must not match __\.\*__/],
    [{ firestore: client, fieldName: '' }, /fieldName must not be empty/],
    [{ firestore: client, fieldName: 'o365Revision' }, /the backend's own field/],
    [{ firestore: client, timeoutMs: 0 }, /timeoutMs must be a positive number/],
    [{ firestore: client, leaseMs: Number.NaN }, /leaseMs must be a positive number/],
  ])('refuses %o with a TypeError', (options, message) => {
    expect(() => new FirestoreBackend(options)).toThrow(TypeError);
    expect(() => new FirestoreBackend(options)).toThrow(message);
  });

  it('accepts a nested collection path', () => {
    expect(new FirestoreBackend({ firestore: client, collectionName: 'apps/mail/tokens' }).location).toBe(
      'projects/unit-project/databases/(default)/documents/apps/mail/tokens/o365_token',
    );
  });

  it('computes the largest cache the document holds from its name and fields', () => {
    const short = new FirestoreBackend({ firestore: client, documentId: 'a' });
    const long = new FirestoreBackend({ firestore: client, documentId: 'a'.repeat(100) });
    expect(short.maxDataBytes - long.maxDataBytes).toBe(99);
    expect(short.maxDataBytes).toBeLessThan(1_048_576);
    expect(short.maxDataBytes).toBeGreaterThan(1_048_400);
  });

  it('save() of a non-string rejects with TokenBackendError before any call', async () => {
    await expect(new FirestoreBackend({ firestore: client }).save(42 as unknown as string)).rejects.toBeInstanceOf(TokenBackendError);
  });

  it('creates and closes its own client when given projectId only', async () => {
    const backend = new FirestoreBackend({ projectId: 'own-project' });
    expect(backend.projectId).toBe('own-project');
    await backend.close();
  });
});
