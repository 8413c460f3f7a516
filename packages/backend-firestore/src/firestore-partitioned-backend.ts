import { Firestore } from '@google-cloud/firestore';
import { assertPartitionKey, noopLogger, type BackendIdentity, type Logger, type PartitionedTokenBackend } from '@o365/core/backend';
import { clientProjectId } from './client-project.js';
import { abandonedCalls, drain } from './deadline.js';
import { FirestoreBackend } from './firestore-backend.js';
import { fieldNameProblem, idProblem } from './firestore-limits.js';
import { partitionDocumentId } from './partition-document-id.js';

const BACKEND = 'FirestorePartitionedBackend';
const inspectSymbol = Symbol.for('nodejs.util.inspect.custom');

/**
 * Options of {@link FirestorePartitionedBackend}: those of `FirestoreBackend` without `documentId`,
 * which each partition key provides.
 *
 * @example
 * ```ts
 * const options: FirestorePartitionedBackendOptions = { projectId: 'my-project', collectionName: 'user-tokens' };
 * ```
 */
export interface FirestorePartitionedBackendOptions {
  /** A Firestore client of yours, shared by every partition and never terminated by the backend. Exclusive with `projectId`. */
  firestore?: Firestore;
  /** Project of the client the backend creates (shared by every partition) when `firestore` is not given. */
  projectId?: string;
  /** Collection holding one document per partition. Default `tokens`. */
  collectionName?: string;
  /** Field of each document holding the serialized cache. Default `token`. */
  fieldName?: string;
  /** Bound of one operation, in ms. Default 15 000. */
  timeoutMs?: number;
  /** Lifetime of a partition's lock nobody releases, in ms. Default 20 000. */
  leaseMs?: number;
  /** Where lock takeovers and releases are reported. Default: silent. */
  logger?: Logger;
}

/**
 * One Firestore document per partition (a user's home account id, a tenant), all in one
 * collection, so that a service with many users loads, locks and saves only the cache of the user
 * it serves. Each partition is a {@link FirestoreBackend} with every guarantee of one (versions,
 * conflicts, lock); partitions never see each other's data. The document id is the key encoded by
 * {@link partitionDocumentId} (Firestore ids cannot contain `/`, and are limited to 1,500 bytes).
 *
 * @example
 * ```ts
 * import { FirestorePartitionedBackend } from '@o365/backend-firestore';
 *
 * const users = new FirestorePartitionedBackend({ projectId: 'my-project', collectionName: 'user-tokens' });
 * const adele = users.partition('contoso/adele'); // the document user-tokens/contoso%2Fadele
 * await adele.save('{"AccessToken":{}}');
 * ```
 */
export class FirestorePartitionedBackend implements PartitionedTokenBackend {
  /** Collection holding the partitions' documents. */
  readonly collectionName: string;
  /** Field holding each serialized cache. */
  readonly fieldName: string;
  readonly #firestore: Firestore;
  readonly #ownsFirestore: boolean;
  readonly #timeoutMs: number | undefined;
  readonly #leaseMs: number | undefined;
  readonly #logger: Logger;

  constructor(options: FirestorePartitionedBackendOptions = {}) {
    if (options === null || typeof options !== 'object') throw new TypeError(`${BACKEND}: options must be an object`);
    const { firestore, projectId, collectionName = 'tokens', fieldName = 'token' } = options;
    if (firestore !== undefined && projectId !== undefined) {
      throw new TypeError(`${BACKEND}: pass either firestore or projectId (set the project on your client), not both`);
    }
    if (projectId !== undefined && (typeof projectId !== 'string' || projectId === '')) {
      throw new TypeError(`${BACKEND}: projectId must be a non-empty string`);
    }
    if (typeof collectionName !== 'string' || collectionName === '' || collectionName.split('/').length % 2 !== 1) {
      throw new TypeError(`${BACKEND}: collectionName must name a collection (an odd number of path segments)`);
    }
    for (const segment of collectionName.split('/')) {
      const problem = idProblem(segment);
      if (problem !== undefined) throw new TypeError(`${BACKEND}: collectionName segment "${segment}" ${problem}`);
    }
    const fieldIssue = fieldNameProblem(fieldName);
    if (fieldIssue !== undefined) throw new TypeError(`${BACKEND}: fieldName ${fieldIssue}`);
    this.collectionName = collectionName;
    this.fieldName = fieldName;
    this.#timeoutMs = options.timeoutMs;
    this.#leaseMs = options.leaseMs;
    this.#logger = options.logger ?? noopLogger;
    this.#ownsFirestore = firestore === undefined;
    this.#firestore = firestore ?? new Firestore(projectId === undefined ? {} : { projectId });
    // Validates timeoutMs, leaseMs and fieldName now rather than at the first partition.
    this.partition('-');
  }

  /** The project of the client; `(auto-detected)` until the client has detected it. */
  get projectId(): string {
    return clientProjectId(this.#firestore);
  }

  /** `projects/P/databases/D/documents/<collectionName>`, for messages. */
  get location(): string {
    return `projects/${this.projectId}/databases/${this.#firestore.databaseId}/documents/${this.collectionName}`;
  }

  /**
   * The backend of partition `key` (see `assertPartitionKey` for the rules): the document
   * `<collectionName>/<partitionDocumentId(key)>`. Cheap; backends of one key address the same document.
   */
  partition(key: string): FirestoreBackend {
    assertPartitionKey(key, this.#identity());
    return new FirestoreBackend({
      firestore: this.#firestore,
      collectionName: this.collectionName,
      documentId: partitionDocumentId(key),
      fieldName: this.fieldName,
      ...(this.#timeoutMs !== undefined ? { timeoutMs: this.#timeoutMs } : {}),
      ...(this.#leaseMs !== undefined ? { leaseMs: this.#leaseMs } : {}),
      logger: this.#logger,
    });
  }

  /**
   * Waits for calls of its partitions abandoned at their deadline (see `FirestoreBackend.close()`),
   * then terminates the Firestore client the backend created (without `firestore`); a client of
   * yours is left open.
   */
  async close(): Promise<void> {
    await drain(abandonedCalls(this.#firestore));
    if (this.#ownsFirestore) await this.#firestore.terminate();
  }

  toString(): string {
    return `${BACKEND}(${this.location})`;
  }

  toJSON(): Record<string, string> {
    return { backend: BACKEND, location: this.location, fieldName: this.fieldName };
  }

  [inspectSymbol](): string {
    return `${BACKEND} { projectId: '${this.projectId}', collectionName: '${this.collectionName}', fieldName: '${this.fieldName}' }`;
  }

  #identity(): BackendIdentity {
    return { backend: BACKEND, location: this.location };
  }
}
