// Firestore's documented limits (https://cloud.google.com/firestore/quotas#limits) and its
// storage size rules (https://cloud.google.com/firestore/docs/storage-size), checked before any
// call so that a bad name or an oversized cache fails with a clear message instead of a gRPC
// INVALID_ARGUMENT (and so that the emulator, which enforces none of them, behaves the same).

/** A document, with its name and fields, stores at most 1 MiB. */
export const MAX_DOCUMENT_BYTES = 1_048_576;
/** Largest string field value: 1 MiB - 89 bytes. */
export const MAX_STRING_FIELD_BYTES = 1_048_487;
/** Longest collection or document id, in UTF-8 bytes. */
export const MAX_ID_BYTES = 1500;
/** Longest field name, in UTF-8 bytes. */
export const MAX_FIELD_NAME_BYTES = 1500;

const utf8 = (s: string): number => Buffer.byteLength(s, 'utf8');

/**
 * Why `id` cannot be a Firestore collection or document id, or `undefined` when it can: ids are
 * non-empty, at most 1,500 bytes, contain no `/`, are not `.` or `..`, and do not match `__.*__`.
 */
export function idProblem(id: unknown): string | undefined {
  if (typeof id !== 'string') return `must be a string, got ${id === null ? 'null' : typeof id}`;
  if (id === '') return 'must not be empty';
  if (id.includes('/')) return 'must not contain "/"';
  if (id === '.' || id === '..') return 'must not be "." or ".."';
  if (/^__.*__$/s.test(id)) return 'must not match __.*__ (reserved by Firestore)';
  if (hasLoneSurrogate(id)) return 'must be valid Unicode (it holds a lone surrogate)';
  if (utf8(id) > MAX_ID_BYTES) return `must be at most ${MAX_ID_BYTES} bytes of UTF-8`;
  return undefined;
}

/** Why `name` cannot be a field name, or `undefined` when it can. */
export function fieldNameProblem(name: unknown): string | undefined {
  if (typeof name !== 'string') return `must be a string, got ${name === null ? 'null' : typeof name}`;
  if (name === '') return 'must not be empty';
  if (/^__.*__$/s.test(name)) return 'must not match __.*__ (reserved by Firestore)';
  if (hasLoneSurrogate(name)) return 'must be valid Unicode (it holds a lone surrogate)';
  if (utf8(name) > MAX_FIELD_NAME_BYTES) return `must be at most ${MAX_FIELD_NAME_BYTES} bytes of UTF-8`;
  return undefined;
}

export function hasLoneSurrogate(s: string): boolean {
  return /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s);
}

/**
 * Storage size of a document name: each collection and document id of its path plus one byte
 * each, plus 16 bytes (`users/jeff/tasks/my_task_id` is 6 + 5 + 6 + 11 + 16 = 44).
 */
export function documentNameSize(segments: readonly string[]): number {
  return segments.reduce((sum, segment) => sum + utf8(segment) + 1, 16);
}

/** Storage size of a string field: its name plus one byte, its value plus one byte. */
export function stringFieldSize(name: string, value: string): number {
  return utf8(name) + 1 + utf8(value) + 1;
}

/**
 * The largest string (in UTF-8 bytes) that field `fieldName` of the document at `segments` can
 * hold next to the other string fields given (name → value of the longest possible value).
 */
export function maxStringFieldBytes(
  segments: readonly string[],
  fieldName: string,
  otherFields: Readonly<Record<string, string>>,
): number {
  let used = documentNameSize(segments) + 32 + utf8(fieldName) + 1 + 1;
  for (const [name, value] of Object.entries(otherFields)) used += stringFieldSize(name, value);
  return Math.max(0, Math.min(MAX_STRING_FIELD_BYTES, MAX_DOCUMENT_BYTES - used));
}
