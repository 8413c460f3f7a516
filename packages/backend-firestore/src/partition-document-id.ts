import { createHash } from 'node:crypto';
import { MAX_ID_BYTES } from './firestore-limits.js';

// Kept as they are: the characters of home account ids (`uid.utid`), tenant ids and most user
// keys. Everything else, `%` and `~` included, is percent-encoded, so `~` never appears in a
// readable id and marks the hashed form.
const PLAIN = /[A-Za-z0-9._-]/;
const HASHED_PREFIX_CHARS = 64;

function percentEncode(char: string): string {
  const code = char.codePointAt(0)!;
  if (code >= 0xd800 && code <= 0xdfff) {
    // A lone surrogate has no UTF-8 form; `%u` + 4 hex digits cannot be confused with `%XX`.
    return `%u${code.toString(16).toUpperCase().padStart(4, '0')}`;
  }
  return [...Buffer.from(char, 'utf8')].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join('');
}

/**
 * The Firestore document id that holds partition `key` of a `FirestorePartitionedBackend`.
 * Different keys always give different ids, and the same key always the same id:
 *
 * - letters, digits, `.`, `_` and `-` stay as they are; every other character (`/`, which
 *   Firestore ids cannot contain, `%`, `~`, spaces, non-ASCII...) becomes `%XX` per UTF-8 byte
 *   (`%uXXXX` for a lone surrogate), so `tenant/user` is stored as `tenant%2Fuser`;
 * - the first character is encoded too when the id would otherwise be `.`, `..` or match
 *   `__.*__`, which Firestore reserves;
 * - an id that would exceed Firestore's 1,500 bytes becomes its first 64 characters, `~`, and
 *   the SHA-256 of the full encoded id (base64url). `~` never appears in the other form.
 *
 * @example
 * ```ts
 * partitionDocumentId('00000000-0000-0000-66f3-3332eca7ea81.9188040d-6c67-4c5b-b112-36a304b66dad'); // unchanged
 * partitionDocumentId('contoso/adele'); // 'contoso%2Fadele'
 * ```
 */
export function partitionDocumentId(key: string): string {
  let id = '';
  for (const char of key) id += PLAIN.test(char) ? char : percentEncode(char);
  if (id === '.' || id === '..' || /^__.*__$/s.test(id)) id = percentEncode(id[0]!) + id.slice(1);
  if (id.length <= MAX_ID_BYTES) return id;
  let prefix = id.slice(0, HASHED_PREFIX_CHARS);
  // Do not end the readable prefix inside an escape.
  prefix = prefix.replace(/%(?:u[0-9A-F]{0,3}|[0-9A-F]?)$/, '');
  return `${prefix}~${createHash('sha256').update(id, 'utf8').digest('base64url')}`;
}
