import { Firestore, type DocumentReference, type DocumentSnapshot } from '@google-cloud/firestore';
import {
  assertExpectedVersion,
  assertSaveData,
  noopLogger,
  TokenBackendError,
  type BackendIdentity,
  type LockOptions,
  type Logger,
  type ReleaseLock,
  type SaveOptions,
  type StoredToken,
  type TokenBackend,
} from '@o365/core/backend';
import { clientProjectId } from './client-project.js';
import { abandonedCalls, drain, sleep, throwIfAborted, withDeadline } from './deadline.js';
import { firestoreError, isLostRace, type FirestoreTarget } from './firestore-errors.js';
import { acquireLease } from './firestore-lease.js';
import { fieldNameProblem, idProblem, maxStringFieldBytes } from './firestore-limits.js';
import { isRevision, newRevision, REVISION_FIELD, revisionMarker, updateTimeVersion } from './revision.js';

const BACKEND = 'FirestoreBackend';
const inspectSymbol = Symbol.for('nodejs.util.inspect.custom');

/**
 * The `documentId` used when none is given: the name of core's default token file
 * (`o365_token.txt`) without its extension. Give each application its own id instead when
 * several share a collection.
 *
 * @example
 * ```ts
 * new FirestoreBackend({ projectId: 'my-project' }).documentId === DEFAULT_DOCUMENT_ID; // 'o365_token'
 * ```
 */
export const DEFAULT_DOCUMENT_ID = 'o365_token';
const DEFAULT_TIMEOUT_MS = 15_000;
const DEFAULT_LEASE_MS = 20_000;
const DEFAULT_LOCK_TIMEOUT_MS = 30_000;
// Unconditional saves and deletes retry when a concurrent writer wins between their read and
// their commit; conditional ones stop at the next read with a TokenCacheConflictError.
const MAX_WRITE_ATTEMPTS = 64;

/**
 * Options of {@link FirestoreBackend}. Mirrors python-o365's
 * `FirestoreBackend(client, collection, doc_id, field_name='token')`.
 *
 * @example
 * ```ts
 * const options: FirestoreBackendOptions = { projectId: 'my-project', collectionName: 'tokens', documentId: 'mail-sync' };
 * ```
 */
export interface FirestoreBackendOptions {
  /**
   * A Firestore client of yours (credentials, database, emulator settings). The backend never
   * terminates a client it was given. Exclusive with `projectId`.
   */
  firestore?: Firestore;
  /**
   * Project of the client the backend creates when `firestore` is not given (its other settings
   * come from the environment: application default credentials, `GOOGLE_CLOUD_PROJECT`,
   * `FIRESTORE_EMULATOR_HOST`).
   */
  projectId?: string;
  /** Collection holding the cache document; a path such as `apps/mail/tokens` is allowed. Default `tokens`. */
  collectionName?: string;
  /** Id of the cache document. Default `o365_token`; use one per application (e.g. `${tenantId}_${clientId}`). */
  documentId?: string;
  /** Field of the document holding the serialized cache, as in python-o365. Default `token`. */
  fieldName?: string;
  /** Longest time one operation (load, save, delete, one lock attempt) may take, in ms. Default 15 000. */
  timeoutMs?: number;
  /**
   * How long a lock taken with `lock()` lasts if its holder never releases it (crashed), in ms; it
   * must exceed the longest refresh. Default 20 000.
   */
  leaseMs?: number;
  /** Where lock takeovers and releases are reported; never given token data. Default: silent. */
  logger?: Logger;
}

interface CurrentDocument {
  exists: boolean;
  /** Our revision field, when the document has a valid one. */
  revision?: string;
  /** The stored cache's version, when the cache field is present. */
  version?: string;
  value?: unknown;
}

type Write = { kind: 'save'; data: string; revision: string } | { kind: 'delete' };

function readCurrent(snap: DocumentSnapshot, fieldName: string): CurrentDocument {
  if (!snap.exists) return { exists: false };
  const data = snap.data() ?? {};
  const revisionValue: unknown = data[REVISION_FIELD];
  const revision = isRevision(revisionValue) ? revisionValue : undefined;
  const current: CurrentDocument = { exists: true };
  if (revision !== undefined) current.revision = revision;
  if (Object.prototype.hasOwnProperty.call(data, fieldName)) {
    current.value = data[fieldName];
    const version = revision ?? (snap.updateTime === undefined ? undefined : updateTimeVersion(snap.updateTime));
    if (version !== undefined) current.version = version;
  }
  return current;
}

/** What a field holds, for messages: its type, never its value. */
function describeStoredValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (value instanceof Uint8Array) return 'bytes';
  if (typeof value === 'object') {
    const name = (value as { constructor?: { name?: string } }).constructor?.name;
    return name === 'Timestamp' ? 'a timestamp' : name === 'GeoPoint' ? 'a geopoint' : name === 'DocumentReference' ? 'a reference' : 'a map';
  }
  return `a ${typeof value}`;
}

function positive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new TypeError(`${BACKEND}: ${name} must be a positive number of milliseconds`);
  }
  return value;
}

/**
 * Keeps the token cache in one Google Cloud Firestore document, so that every instance of a
 * service shares one sign-in; the cache is a string in the document's `fieldName` field, as
 * python-o365 stores it, next to a revision field of ours that is the cache's version.
 *
 * - `save(data, { expectedVersion })` is a compare-and-swap done in a Firestore transaction,
 *   held by a revision marker document (`o365-meta/revision-<revision>`) that each write
 *   replaces under an `exists` precondition: of several processes that loaded the same version,
 *   exactly one saves, the others get `TokenCacheConflictError`, on the real service and on
 *   emulators without transaction isolation alike.
 * - `lock()` takes a lease document (`o365-meta/lock`) with an owner token and an expiry judged by
 *   the server's clock, so that several hosts sharing the cache make one token refresh.
 * - Each operation is bounded by `timeoutMs`. Failures are `TokenBackendError`s naming the
 *   document and project; token data and credentials never appear in errors, logs or `util.inspect`.
 *
 * @example
 * ```ts
 * import { Account } from '@o365/core';
 * import { FirestoreBackend } from '@o365/backend-firestore';
 *
 * const account = new Account(['client-id', 'client-secret'], {
 *   tokenBackend: new FirestoreBackend({ projectId: 'my-project', collectionName: 'tokens', documentId: 'mail-sync' }),
 * });
 * ```
 */
export class FirestoreBackend implements TokenBackend {
  /** Collection holding the cache document. */
  readonly collectionName: string;
  /** Id of the cache document. */
  readonly documentId: string;
  /** Field holding the serialized cache. */
  readonly fieldName: string;
  /** Bound of one operation, in ms. */
  readonly timeoutMs: number;
  /** Lifetime of a lock nobody releases, in ms. */
  readonly leaseMs: number;
  /**
   * Largest cache (UTF-8 bytes) this document can hold: Firestore's 1 MiB per document, less the
   * document's name and the other field. A larger save rejects before any call.
   */
  readonly maxDataBytes: number;
  // Private fields keep the client (and the credentials in its settings) out of util.inspect and JSON.
  readonly #firestore: Firestore;
  readonly #ownsFirestore: boolean;
  readonly #document: DocumentReference;
  readonly #logger: Logger;
  // Calls the deadline gave up on that the client still runs (see withDeadline), per client.
  readonly #abandoned: Set<Promise<unknown>>;

  constructor(options: FirestoreBackendOptions = {}) {
    if (options === null || typeof options !== 'object') throw new TypeError(`${BACKEND}: options must be an object`);
    const { firestore, projectId, collectionName = 'tokens', documentId = DEFAULT_DOCUMENT_ID, fieldName = 'token' } = options;
    if (firestore !== undefined && projectId !== undefined) {
      throw new TypeError(`${BACKEND}: pass either firestore or projectId (set the project on your client), not both`);
    }
    if (firestore !== undefined && !(firestore instanceof Firestore) && typeof (firestore as Partial<Firestore>).collection !== 'function') {
      throw new TypeError(`${BACKEND}: firestore must be a Firestore client from @google-cloud/firestore`);
    }
    if (projectId !== undefined && (typeof projectId !== 'string' || projectId === '')) {
      throw new TypeError(`${BACKEND}: projectId must be a non-empty string`);
    }
    if (typeof collectionName !== 'string' || collectionName === '') {
      throw new TypeError(`${BACKEND}: collectionName must be a non-empty string`);
    }
    const segments = collectionName.split('/');
    if (segments.length % 2 !== 1) {
      throw new TypeError(`${BACKEND}: collectionName "${collectionName}" must name a collection (an odd number of path segments)`);
    }
    for (const segment of segments) {
      const problem = idProblem(segment);
      if (problem !== undefined) throw new TypeError(`${BACKEND}: collectionName segment "${segment}" ${problem}`);
    }
    const idIssue = idProblem(documentId);
    if (idIssue !== undefined) throw new TypeError(`${BACKEND}: documentId ${idIssue}`);
    const fieldIssue = fieldNameProblem(fieldName);
    if (fieldIssue !== undefined) throw new TypeError(`${BACKEND}: fieldName ${fieldIssue}`);
    if (fieldName === REVISION_FIELD) throw new TypeError(`${BACKEND}: fieldName "${REVISION_FIELD}" is the backend's own field`);

    this.collectionName = collectionName;
    this.documentId = documentId;
    this.fieldName = fieldName;
    this.timeoutMs = positive('timeoutMs', options.timeoutMs, DEFAULT_TIMEOUT_MS);
    this.leaseMs = positive('leaseMs', options.leaseMs, DEFAULT_LEASE_MS);
    this.maxDataBytes = maxStringFieldBytes([...segments, documentId], fieldName, { [REVISION_FIELD]: newRevision() });
    this.#logger = options.logger ?? noopLogger;
    this.#ownsFirestore = firestore === undefined;
    this.#firestore = firestore ?? new Firestore(projectId === undefined ? {} : { projectId });
    this.#document = this.#firestore.collection(collectionName).doc(documentId);
    this.#abandoned = abandonedCalls(this.#firestore);
  }

  /** The project of the client; `(auto-detected)` until the client has detected it. */
  get projectId(): string {
    return clientProjectId(this.#firestore);
  }

  /** The Firestore database of the client, `(default)` unless yours names another. */
  get databaseId(): string {
    return this.#firestore.databaseId;
  }

  /**
   * The document's resource name, `projects/P/databases/(default)/documents/tokens/o365_token`:
   * used in error messages and as `TokenBackendError.location`.
   */
  get location(): string {
    return `projects/${this.projectId}/databases/${this.databaseId}/documents/${this.collectionName}/${this.documentId}`;
  }

  /**
   * Reads the document. Resolves `undefined` when the document or its field does not exist;
   * rejects with `TokenBackendError` when the field holds something other than a string.
   */
  async load(): Promise<StoredToken | undefined> {
    return this.#run('load the token cache', async () => {
      const current = readCurrent(await this.#document.get(), this.fieldName);
      if (current.version === undefined) return undefined;
      if (typeof current.value !== 'string') {
        const found = describeStoredValue(current.value);
        throw new TokenBackendError(
          `${BACKEND} (${this.location}): the field "${this.fieldName}" holds ${found}, not the serialized token cache (a string); ` +
            'check fieldName, or delete the document to sign in again',
          { ...this.#identity(), cause: new TypeError(`expected a string in field "${this.fieldName}", found ${found}`) },
        );
      }
      return { data: current.value, version: current.version };
    });
  }

  /**
   * Writes the cache, replacing the document (as python-o365 does). `expectedVersion: '<v>'`
   * saves only if `<v>` is still the stored version, `null` only if nothing is stored; a lost
   * condition rejects with `TokenCacheConflictError` and leaves the document as the winner wrote
   * it. Resolves the new version.
   */
  async save(data: string, options: SaveOptions = {}): Promise<{ version?: string }> {
    assertSaveData(data, this.#identity());
    const bytes = Buffer.byteLength(data, 'utf8');
    if (bytes > this.maxDataBytes) {
      throw new TokenBackendError(
        `${BACKEND} (${this.location}): the token cache is ${bytes} bytes, more than the ${this.maxDataBytes} bytes this document can hold ` +
          '(Firestore stores at most 1 MiB per document); nothing was written',
        { ...this.#identity(), cause: new RangeError(`${bytes} > ${this.maxDataBytes} bytes`) },
      );
    }
    const revision = newRevision();
    await this.#run('save the token cache', (signal) => this.#write({ kind: 'save', data, revision }, options.expectedVersion, signal));
    return { version: revision };
  }

  /** Deletes the document (as python-o365 does); nothing stored is not an error. */
  async delete(): Promise<void> {
    await this.#run('delete the token cache', (signal) => this.#write({ kind: 'delete' }, undefined, signal));
  }

  /**
   * Takes the cross-process lock around a refresh: a lease document created (or taken over once
   * expired) in a transaction, retried with backoff until `timeoutMs` (default 30 000), then
   * `FirestoreLockTimeoutError`. The release deletes the lease only while this process still owns it.
   */
  async lock(options: LockOptions = {}): Promise<ReleaseLock> {
    const timeoutMs = options.timeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS;
    if (typeof timeoutMs !== 'number' || !Number.isFinite(timeoutMs) || timeoutMs < 0) {
      throw new TokenBackendError(`${BACKEND} (${this.location}): lock timeoutMs must be a number >= 0`, {
        ...this.#identity(),
        cause: new TypeError('timeoutMs must be a number >= 0'),
      });
    }
    return acquireLease(
      {
        firestore: this.#firestore,
        document: this.#document,
        identity: this.#identity(),
        leaseMs: this.leaseMs,
        logger: this.#logger,
        run: (what, op) => this.#run(what, op),
      },
      timeoutMs,
    );
  }

  /**
   * Waits for the calls that operations on this client gave up on at their deadline and that the
   * Firestore client still retries (they end when the endpoint answers or the client gives up:
   * terminating it earlier makes the client throw from its retry loop), then terminates the client
   * the backend created (without `firestore`). A client passed as `firestore` belongs to the
   * caller and is left open.
   */
  async close(): Promise<void> {
    await drain(this.#abandoned);
    if (this.#ownsFirestore) await this.#firestore.terminate();
  }

  toString(): string {
    return `${BACKEND}(${this.location})`;
  }

  toJSON(): Record<string, string> {
    return { backend: BACKEND, location: this.location, fieldName: this.fieldName };
  }

  [inspectSymbol](): string {
    return `${BACKEND} { projectId: '${this.projectId}', databaseId: '${this.databaseId}', collectionName: '${this.collectionName}', documentId: '${this.documentId}', fieldName: '${this.fieldName}' }`;
  }

  #identity(): BackendIdentity {
    return { backend: BACKEND, location: this.location };
  }

  #target(): FirestoreTarget {
    return { ...this.#identity(), projectId: this.projectId, databaseId: this.databaseId };
  }

  async #run<T>(what: string, op: (signal: AbortSignal) => Promise<T>): Promise<T> {
    try {
      return await withDeadline(this.timeoutMs, op, this.#abandoned);
    } catch (err) {
      if (err instanceof TokenBackendError) throw err;
      throw firestoreError(err, this.#target(), `could not ${what}`);
    }
  }

  /**
   * Save or delete, as a compare-and-swap in a transaction: read the document, check
   * `expectedVersion`, then in one commit delete the marker of the revision read (precondition
   * `exists: true`; it goes first, since a failing write stops the later ones on the emulator too),
   * write or delete the document and create the marker of the new revision. A commit that loses
   * to a concurrent writer fails as a whole; the next attempt reads again, and then either
   * reports the conflict or (unconditional writes) tries again.
   */
  async #write(write: Write, expectedVersion: string | null | undefined, signal: AbortSignal): Promise<void> {
    const id = this.#identity();
    // A revision whose marker turned out missing (deleted by hand, or a document copied without
    // its subcollection): written over without the guard, once the re-read shows it unchanged.
    let unguarded: string | undefined;
    for (let attempt = 1; ; attempt++) {
      throwIfAborted(signal);
      let committing = false;
      let seen: CurrentDocument | undefined;
      try {
        await this.#firestore.runTransaction(async (tx) => {
          committing = false;
          const current = readCurrent(await tx.get(this.#document), this.fieldName);
          seen = current;
          // A retried commit of this same save that had reached the server.
          if (write.kind === 'save' && current.revision === write.revision) return;
          assertExpectedVersion(id, expectedVersion, current.version === undefined ? undefined : { version: current.version });
          if (write.kind === 'delete' && !current.exists) return;
          if (current.revision !== undefined && current.revision !== unguarded) {
            tx.delete(revisionMarker(this.#document, current.revision), { exists: true });
          }
          if (write.kind === 'save') {
            const fields = { [this.fieldName]: write.data, [REVISION_FIELD]: write.revision };
            if (current.exists) tx.set(this.#document, fields);
            else tx.create(this.#document, fields);
            tx.create(revisionMarker(this.#document, write.revision), {});
          } else {
            tx.delete(this.#document);
          }
          // Past the deadline the caller was told the write failed: it must not happen after all.
          throwIfAborted(signal);
          committing = true;
        });
        return;
      } catch (err) {
        if (!committing || !isLostRace(err)) throw err;
        if (attempt >= MAX_WRITE_ATTEMPTS) {
          throw new TokenBackendError(`${BACKEND} (${this.location}): could not write: ${attempt} attempts lost to concurrent writers`, {
            ...id,
            cause: err,
          });
        }
        const lost: CurrentDocument | undefined = seen;
        if (lost?.revision !== undefined) {
          if (unguarded === undefined || unguarded !== lost.revision) {
            // Next attempt: if the document still has this revision, nobody replaced it, so its
            // marker is what is missing.
            unguarded = await this.#unchangedRevision(lost.revision);
          }
        }
        await sleep(Math.random() * Math.min(50, 2 * attempt));
      }
    }
  }

  /** `revision` when the document still holds it (read outside a transaction), else undefined. */
  async #unchangedRevision(revision: string): Promise<string | undefined> {
    const now = readCurrent(await this.#document.get(), this.fieldName);
    if (now.revision !== revision) return undefined;
    this.#logger.warn('the revision marker of the stored token cache is missing; writing over it without the marker', {
      ...this.#identity(),
    });
    return revision;
  }
}
