/**
 * Validation of the MSAL unified token cache JSON, run once where stored data is read, so that a
 * malformed entry (a `null`, a number where a string belongs, a structure nested thousands deep, a
 * multi-megabyte field) ends in a {@link TokenBackendError} naming the entry and the backend
 * location, and never in a `TypeError` or `RangeError` from deep inside msal-node or core.
 *
 * Hand-written rather than a schema library (zod, ajv...): the schema is five small record shapes
 * that have not changed in years, the check sits on the path of every token load (a library adds
 * start-up cost and a dependency to a package that counts its cold start), and the error must name
 * the entry and the location without ever quoting a value (values are tokens), which generic
 * validators do by default. The rules follow what msal-node's `Deserializer` and core read: the
 * fields they dereference must have the right type; every other field, every unknown entry kind
 * and every unknown section is kept untouched, as MSAL keeps them.
 */
import { TokenBackendError } from '../errors.js';
import { clipServerText } from '../text-limits.js';
import type { CacheJson, CacheSource } from './cache-format.js';

/** Deepest nesting accepted anywhere in the document (the real cache is 3 levels deep). */
export const MAX_CACHE_DEPTH = 32;
/** Longest accepted token (`secret`) in characters; real ones are a few KB. */
export const MAX_SECRET_LENGTH = 1_048_576;
/** Longest accepted value of any other field (ids, scopes, timestamps). */
export const MAX_FIELD_LENGTH = 65_536;

type FieldKind = 'string' | 'optional-string' | 'nullable-string' | 'timestamp' | 'optional-timestamp';

// The fields every credential (access, refresh and id token) has: MSAL's CredentialEntity.
const CREDENTIAL: Readonly<Record<string, FieldKind>> = {
  home_account_id: 'nullable-string',
  environment: 'string',
  credential_type: 'string',
  client_id: 'string',
  secret: 'string',
};

// Fields whose type is checked, per section. `nullable-string`: MSAL Python writes `null` there
// (e.g. `home_account_id` of an app-only token). Timestamps are epoch seconds, stored as strings by
// every MSAL, accepted as numbers too.
const SHAPES: Readonly<Record<string, Readonly<Record<string, FieldKind>>>> = {
  Account: {
    home_account_id: 'string',
    environment: 'string',
    realm: 'optional-string',
    local_account_id: 'optional-string',
    username: 'optional-string',
    authority_type: 'optional-string',
    name: 'optional-string',
    client_info: 'optional-string',
  },
  AccessToken: {
    ...CREDENTIAL,
    realm: 'optional-string',
    target: 'optional-string',
    token_type: 'optional-string',
    cached_at: 'timestamp',
    expires_on: 'timestamp',
    extended_expires_on: 'optional-timestamp',
    refresh_on: 'optional-timestamp',
  },
  RefreshToken: {
    ...CREDENTIAL,
    family_id: 'optional-string',
  },
  IdToken: {
    ...CREDENTIAL,
    realm: 'optional-string',
  },
  AppMetadata: {
    client_id: 'string',
    environment: 'string',
    family_id: 'optional-string',
  },
};

/** Names of the sections whose entries are checked. */
export const KNOWN_SECTIONS: readonly string[] = Object.keys(SHAPES);

const TIMESTAMP = /^\d{1,16}$/;

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

function fieldProblem(value: unknown, kind: FieldKind, max: number): string | undefined {
  if (value === undefined) return kind.startsWith('optional') || kind === 'nullable-string' ? undefined : 'is missing';
  if (value === null) return kind === 'nullable-string' ? undefined : 'is null';
  if (kind.endsWith('timestamp')) {
    if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? undefined : 'is not a valid timestamp';
    if (typeof value !== 'string') return `is ${typeName(value)}, not a timestamp`;
    return TIMESTAMP.test(value) ? undefined : 'is not a timestamp in epoch seconds';
  }
  if (typeof value !== 'string') return `is ${typeName(value)}, not a string`;
  return value.length > max ? `is longer than ${max} characters` : undefined;
}

/** Depth of the deepest value (iterative: a 100,000-deep document cannot overflow the stack). */
function exceedsDepth(root: unknown, limit: number): boolean {
  const stack: Array<[unknown, number]> = [[root, 1]];
  while (stack.length > 0) {
    const [value, depth] = stack.pop()!;
    if (value === null || typeof value !== 'object') continue;
    if (depth > limit) return true;
    for (const child of Object.values(value as Record<string, unknown>)) {
      if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
    }
  }
  return false;
}

function fail(source: CacheSource, what: string, cause?: unknown): never {
  const where = source.location ? ` (${source.location})` : '';
  throw new TokenBackendError(
    `${source.backend}: the stored token cache${where} ${what}; it was left in place. Repair or delete it (account.clearTokenCache()) and sign in again`,
    cause === undefined ? source : { ...source, cause },
  );
}

/**
 * Checks that a parsed document is an MSAL unified token cache core and msal-node can read.
 * Returns the same object, unchanged (never copied, never mutated); throws
 * {@link TokenBackendError} naming the section, the entry key and the field otherwise. The key is
 * clipped and stripped of control characters; field values are never quoted.
 *
 * @example
 * ```ts
 * const cache = validateCache(JSON.parse(stored.data), { backend: 'FileSystemTokenBackend', location: path });
 * ```
 */
export function validateCache(document: unknown, source: CacheSource): CacheJson {
  if (document === null || typeof document !== 'object' || Array.isArray(document)) {
    fail(source, `is ${typeName(document)}, not a JSON object`);
  }
  if (exceedsDepth(document, MAX_CACHE_DEPTH)) fail(source, `is nested deeper than ${MAX_CACHE_DEPTH} levels`);
  const root = document as Record<string, unknown>;
  for (const [name, section] of Object.entries(root)) {
    if (name === '__proto__') fail(source, 'has a "__proto__" section');
    const shape = SHAPES[name];
    if (section === null || typeof section !== 'object' || Array.isArray(section)) {
      // Unknown top-level members may hold anything MSAL of another language writes; known
      // sections are maps from key to entry.
      if (shape) fail(source, `has a malformed "${name}" section (${typeName(section)}, not an object)`);
      continue;
    }
    if (!shape) continue;
    for (const [key, entry] of Object.entries(section as Record<string, unknown>)) {
      const label = `"${name}" entry "${clipServerText(key, 200)}"`;
      if (key === '__proto__') fail(source, `has a ${label} whose key is not allowed`);
      if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) {
        fail(source, `has a malformed ${label} (${typeName(entry)}, not an object)`);
      }
      const record = entry as Record<string, unknown>;
      for (const [field, kind] of Object.entries(shape)) {
        const max = field === 'secret' ? MAX_SECRET_LENGTH : MAX_FIELD_LENGTH;
        const problem = fieldProblem(record[field], kind, max);
        if (problem) fail(source, `has a malformed ${label}: "${field}" ${problem}`);
      }
    }
  }
  return root as CacheJson;
}
