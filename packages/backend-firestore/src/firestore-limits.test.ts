import { describe, expect, it } from '@jest/globals';
import { documentNameSize, fieldNameProblem, idProblem, maxStringFieldBytes, MAX_DOCUMENT_BYTES, MAX_STRING_FIELD_BYTES } from './firestore-limits.js';

describe('Firestore limits', () => {
  it("computes a document name's size as Firestore documents it", () => {
    // The example of https://cloud.google.com/firestore/docs/storage-size: users/jeff/tasks/my_task_id = 44 bytes.
    expect(documentNameSize(['users', 'jeff', 'tasks', 'my_task_id'])).toBe(44);
    expect(documentNameSize(['tokens', 'é'])).toBe(7 + 3 + 16);
  });

  it('leaves the rest of the 1 MiB document, less 32 bytes, to the field, capped at the string field limit', () => {
    const max = maxStringFieldBytes(['tokens', 'app'], 'token', { o365Revision: 'x'.repeat(26) });
    expect(max).toBe(MAX_DOCUMENT_BYTES - 32 - documentNameSize(['tokens', 'app']) - ('token'.length + 1 + 1) - ('o365Revision'.length + 1 + 26 + 1));
    expect(maxStringFieldBytes(['t', 'a'], 'f', {})).toBe(MAX_STRING_FIELD_BYTES);
  });

  it.each([
    ['', 'must not be empty'],
    ['a/b', 'must not contain "/"'],
    ['.', 'must not be "." or ".."'],
    ['..', 'must not be "." or ".."'],
    ['__x__', 'must match __.*__'.replace('must', 'must not')],
    ['\uD800', 'lone surrogate'],
    ['é'.repeat(751), 'at most 1500 bytes'],
    [42, 'must be a string, got number'],
  ])('refuses the id %j', (id, problem) => {
    expect(idProblem(id)).toContain(problem);
  });

  it('accepts ids Firestore accepts', () => {
    for (const id of ['o365_token', '_x', '__x', 'x__', '...', 'é'.repeat(750), 'a b', '%2F']) expect(idProblem(id)).toBeUndefined();
  });

  it('refuses empty and reserved field names', () => {
    expect(fieldNameProblem('')).toBe('must not be empty');
    expect(fieldNameProblem('__name__')).toContain('reserved');
    expect(fieldNameProblem('token')).toBeUndefined();
    expect(fieldNameProblem('o365.token')).toBeUndefined();
  });
});
