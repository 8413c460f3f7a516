import {
  DeleteObjectCommand,
  GetObjectCommand,
  PutObjectCommand,
  S3Client,
  type PutObjectCommandInput,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import {
  assertSaveData,
  TokenBackendError,
  TokenCacheConflictError,
  type BackendIdentity,
  type LockOptions,
  type ReleaseLock,
  type SaveOptions,
  type StoredToken,
  type TokenBackend,
} from '@o365/core/backend';
import { classifyS3Error, redactS3Error, type S3Failure } from './s3-errors.js';
import { acquireS3Lease, type S3LeaseLockOptions } from './s3-lease-lock.js';

const BACKEND = 'AWSS3Backend';
const inspectSymbol = Symbol.for('nodejs.util.inspect.custom');
// S3 limits keys to 1024 bytes of UTF-8.
const MAX_KEY_BYTES = 1024;

/**
 * Server-side encryption S3 applies to the stored object.
 *
 * @example
 * ```ts
 * const sse: S3ServerSideEncryption = 'aws:kms';
 * new AWSS3Backend({ bucketName: 'tokens', objectKey: 'app.json', serverSideEncryption: sse, kmsKeyId: 'alias/tokens' });
 * ```
 */
export type S3ServerSideEncryption = 'AES256' | 'aws:kms';

/**
 * Options of {@link AWSS3Backend}.
 *
 * @example
 * ```ts
 * const options: AWSS3BackendOptions = {
 *   bucketName: 'my-tokens',
 *   objectKey: 'o365/app.json',
 *   clientConfig: { region: 'eu-west-1', maxAttempts: 3 },
 *   serverSideEncryption: 'AES256',
 * };
 * ```
 */
export interface AWSS3BackendOptions {
  /** The bucket that holds the token cache. It must exist; the backend never creates buckets. */
  bucketName: string;
  /** Key of the object holding the cache, e.g. `o365/my-app.json`. */
  objectKey: string;
  /**
   * An S3 client to use (shared connections, custom credentials, middleware). The backend never
   * destroys a client it was given. Mutually exclusive with `clientConfig`.
   */
  client?: S3Client;
  /**
   * Configuration of the S3 client the backend creates when `client` is not given (region,
   * credentials, endpoint, `maxAttempts`, `requestHandler` timeouts...). Defaults to the SDK's
   * default chain (environment, shared config, instance role).
   */
  clientConfig?: S3ClientConfig;
  /**
   * Server-side encryption of the object: `AES256` (SSE-S3) or `aws:kms` (SSE-KMS). Omitted: the
   * bucket's default encryption applies (SSE-S3 on every bucket since January 2023).
   */
  serverSideEncryption?: S3ServerSideEncryption;
  /** KMS key id or ARN for SSE-KMS. Implies `serverSideEncryption: 'aws:kms'`. */
  kmsKeyId?: string;
  /**
   * Adds `lock()`: a lease on `<objectKey>.lock` created with `If-None-Match: *` and broken with a
   * delete conditional on its ETag, so processes on several hosts refreshing one token make one
   * token request. Needs a store that enforces both conditions (Amazon S3 does, for writes since
   * 2024 and deletes since 2025); one that ignores them (s3rver) would let two holders in.
   * `true` for the defaults (30 s lease).
   */
  lock?: boolean | S3LeaseLockOptions;
}

/**
 * Keeps the token cache in one private Amazon S3 object, so that every instance of a service
 * shares one sign-in. The version of the cache is the object's ETag, and conditional saves map to
 * S3 conditional writes (`If-Match: <etag>`, `If-None-Match: *`), enforced by Amazon S3 since
 * 2024: a save that lost a race rejects with `TokenCacheConflictError` and leaves the object as
 * the winner wrote it.
 *
 * The object is written without an ACL (private to the bucket owner) and labelled
 * `application/json` when the data is JSON (an MSAL cache), `application/octet-stream` otherwise
 * (for example when wrapped by an encrypting backend).
 *
 * @example
 * ```ts
 * import { Account } from '@o365/core';
 * import { AWSS3Backend } from '@o365/backend-s3';
 *
 * const account = new Account(['client-id', 'client-secret'], {
 *   tokenBackend: new AWSS3Backend({ bucketName: 'my-tokens', objectKey: 'o365/app.json', clientConfig: { region: 'eu-west-1' } }),
 * });
 * ```
 */
export class AWSS3Backend implements TokenBackend {
  /** The bucket holding the cache. */
  readonly bucketName: string;
  /** The key of the object holding the cache. */
  readonly objectKey: string;
  /** Server-side encryption requested on save, if any. */
  readonly serverSideEncryption?: S3ServerSideEncryption;
  // Private fields keep the client (and the credentials in its config) out of util.inspect and JSON.
  readonly #client: S3Client;
  readonly #ownsClient: boolean;
  readonly #kmsKeyId?: string;
  /** Cross-host lease lock around a refresh; present only with the `lock` option. */
  readonly lock?: (options?: LockOptions) => Promise<ReleaseLock>;

  constructor(options: AWSS3BackendOptions) {
    if (options === null || typeof options !== 'object') {
      throw new TypeError('AWSS3Backend: options { bucketName, objectKey } are required');
    }
    const { bucketName, objectKey, client, clientConfig, serverSideEncryption, kmsKeyId, lock } = options;
    if (typeof bucketName !== 'string' || bucketName.trim() === '') {
      throw new TypeError('AWSS3Backend: bucketName must be a non-empty string');
    }
    if (typeof objectKey !== 'string' || objectKey === '') {
      throw new TypeError('AWSS3Backend: objectKey must be a non-empty string');
    }
    if (Buffer.byteLength(objectKey, 'utf8') > MAX_KEY_BYTES) {
      throw new TypeError(`AWSS3Backend: objectKey is longer than S3's limit of ${MAX_KEY_BYTES} bytes`);
    }
    if (client !== undefined && clientConfig !== undefined) {
      throw new TypeError('AWSS3Backend: pass either client or clientConfig, not both');
    }
    if (serverSideEncryption !== undefined && serverSideEncryption !== 'AES256' && serverSideEncryption !== 'aws:kms') {
      throw new TypeError(`AWSS3Backend: serverSideEncryption must be 'AES256' or 'aws:kms'`);
    }
    if (kmsKeyId !== undefined) {
      if (typeof kmsKeyId !== 'string' || kmsKeyId === '') {
        throw new TypeError('AWSS3Backend: kmsKeyId must be a non-empty string');
      }
      if (serverSideEncryption === 'AES256') {
        throw new TypeError(`AWSS3Backend: kmsKeyId needs serverSideEncryption 'aws:kms', not 'AES256'`);
      }
    }
    this.bucketName = bucketName;
    this.objectKey = objectKey;
    const sse = kmsKeyId !== undefined ? 'aws:kms' : serverSideEncryption;
    if (sse !== undefined) this.serverSideEncryption = sse;
    if (kmsKeyId !== undefined) this.#kmsKeyId = kmsKeyId;
    this.#ownsClient = client === undefined;
    this.#client = client ?? new S3Client(clientConfig ?? {});
    if (lock !== undefined && lock !== false) {
      if (lock !== true && (typeof lock !== 'object' || lock === null)) throw new TypeError('AWSS3Backend: lock must be true or { leaseMs?, timeoutMs? }');
      const leaseOptions: S3LeaseLockOptions = lock === true ? {} : lock;
      if (leaseOptions.leaseMs !== undefined && !(Number.isFinite(leaseOptions.leaseMs) && leaseOptions.leaseMs > 0)) {
        throw new TypeError('AWSS3Backend: lock.leaseMs must be a positive number of milliseconds');
      }
      const target = {
        client: this.#client,
        bucketName,
        lockKey: `${objectKey}.lock`,
        backend: BACKEND,
        error: (operation: 'lock', failure: S3Failure, cause: unknown) => this.#error(operation, failure, cause),
      };
      this.lock = (lockOptions?: LockOptions) => acquireS3Lease(target, leaseOptions, lockOptions);
    }
  }

  /** `s3://bucket/key`, used in error messages and as `TokenBackendError.location`. */
  get location(): string {
    return `s3://${this.bucketName}/${this.objectKey}`;
  }

  /**
   * Reads the object. Resolves `undefined` when it does not exist (S3 answers `NoSuchKey`; this
   * needs `s3:ListBucket`, without which S3 answers 403 for a missing object).
   */
  async load(): Promise<StoredToken | undefined> {
    let response;
    try {
      response = await this.#client.send(new GetObjectCommand({ Bucket: this.bucketName, Key: this.objectKey }));
    } catch (err) {
      const failure = classifyS3Error(err);
      if (failure.kind === 'no-such-key') return undefined;
      throw this.#error('load', failure, err);
    }
    let data: string;
    try {
      data = response.Body === undefined ? '' : await response.Body.transformToString('utf-8');
    } catch (err) {
      // The connection can drop while the body streams in: that is a failed load, not an empty cache.
      throw this.#error('load', classifyS3Error(err), err);
    }
    return response.ETag === undefined ? { data } : { data, version: response.ETag };
  }

  /**
   * Writes the object. `expectedVersion: '<etag>'` sends `If-Match`, `expectedVersion: null` sends
   * `If-None-Match: *`; a lost condition (412 `PreconditionFailed`, 409
   * `ConditionalRequestConflict`, or 404 when the object vanished) rejects with
   * `TokenCacheConflictError`. Resolves the new ETag.
   */
  async save(data: string, options: SaveOptions = {}): Promise<{ version?: string }> {
    assertSaveData(data, this.#identity());
    const { expectedVersion } = options;
    const input: PutObjectCommandInput = {
      Bucket: this.bucketName,
      Key: this.objectKey,
      Body: data,
      ContentType: contentTypeOf(data),
      // Token caches must never sit in a CDN or proxy cache should the bucket ever be fronted by one.
      CacheControl: 'no-store',
    };
    if (this.serverSideEncryption !== undefined) input.ServerSideEncryption = this.serverSideEncryption;
    if (this.#kmsKeyId !== undefined) input.SSEKMSKeyId = this.#kmsKeyId;
    if (typeof expectedVersion === 'string') input.IfMatch = expectedVersion;
    else if (expectedVersion === null) input.IfNoneMatch = '*';

    let response;
    try {
      response = await this.#client.send(new PutObjectCommand(input));
    } catch (err) {
      const failure = classifyS3Error(err);
      const conditional = expectedVersion !== undefined;
      if (conditional && (failure.kind === 'precondition-failed' || failure.kind === 'conflict' || failure.kind === 'no-such-key')) {
        const expected = expectedVersion === null ? 'that nothing is stored yet' : `version ${expectedVersion}`;
        const found =
          failure.kind === 'conflict'
            ? 'another conditional write to the object was in progress'
            : failure.kind === 'no-such-key'
              ? 'the object no longer exists'
              : expectedVersion === null
                ? 'an object already exists'
                : 'the stored version is a different one';
        throw new TokenCacheConflictError(
          `${BACKEND} did not save ${this.location}: expected ${expected}, but ${found} (${failure.code}${statusText(failure)}). Reload the cache and retry.`,
          { backend: BACKEND, location: this.location, expectedVersion, cause: redactS3Error(err) },
        );
      }
      throw this.#error('save', failure, err);
    }
    return response.ETag === undefined ? {} : { version: response.ETag };
  }

  /** Deletes the object; S3's delete is idempotent, so nothing stored is not an error. */
  async delete(): Promise<void> {
    try {
      await this.#client.send(new DeleteObjectCommand({ Bucket: this.bucketName, Key: this.objectKey }));
    } catch (err) {
      const failure = classifyS3Error(err);
      if (failure.kind === 'no-such-key') return;
      throw this.#error('delete', failure, err);
    }
  }

  /**
   * Closes the connections of the S3 client this backend created from `clientConfig`. A client
   * passed as `client` belongs to the caller and is left open.
   */
  destroy(): void {
    if (this.#ownsClient) this.#client.destroy();
  }

  toString(): string {
    return `${BACKEND}(${this.location})`;
  }

  [inspectSymbol](): string {
    const sse = this.serverSideEncryption === undefined ? '' : `, serverSideEncryption: '${this.serverSideEncryption}'`;
    return `${BACKEND} { bucketName: '${this.bucketName}', objectKey: '${this.objectKey}'${sse} }`;
  }

  #identity(): BackendIdentity {
    return { backend: BACKEND, location: this.location };
  }

  #error(operation: 'load' | 'save' | 'delete' | 'lock', failure: S3Failure, cause: unknown): TokenBackendError {
    const what = operation === 'lock' ? `${BACKEND} could not lock ${this.location} (${this.location}.lock)` : `${BACKEND} could not ${operation} ${this.location}`;
    const action = operation === 'load' ? 'GetObject' : operation === 'save' ? 'PutObject' : operation === 'lock' ? 'PutObject, s3:GetObject and s3:DeleteObject' : 'DeleteObject';
    let reason: string;
    switch (failure.kind) {
      case 'no-such-bucket':
        reason = `the bucket "${this.bucketName}" does not exist (${failure.code}${statusText(failure)}). Create it, or check bucketName and the client's region/endpoint.`;
        break;
      case 'access-denied':
        reason =
          `access denied (${failure.code}${statusText(failure)}). The caller needs s3:${action} on arn:aws:s3:::${this.bucketName}/${this.objectKey}` +
          (operation === 'load' ? ', and s3:ListBucket on the bucket, without which S3 answers 403 instead of 404 for a missing object' : '') +
          (this.#kmsKeyId !== undefined || this.serverSideEncryption === 'aws:kms' ? '; with SSE-KMS also kms:Decrypt/kms:GenerateDataKey on the key' : '') +
          '.';
        break;
      case 'network':
        reason = `the S3 endpoint could not be reached (${failure.code}: ${failure.message}). Check the endpoint, region and network.`;
        break;
      case 'credentials':
        reason = `no usable AWS credentials or configuration (${failure.message}).`;
        break;
      case 'credentials-rejected':
        reason = `S3 rejected the client's credentials (${failure.code}${statusText(failure)}). Check the access key, secret key, session token and region.`;
        break;
      default:
        reason = `S3 answered ${failure.code}${statusText(failure)}: ${failure.message}`;
    }
    return new TokenBackendError(`${what}: ${reason}`, { backend: BACKEND, location: this.location, cause: redactS3Error(cause) });
  }
}

function statusText(failure: S3Failure): string {
  return failure.status === undefined ? '' : `, HTTP ${failure.status}`;
}

/** JSON (an MSAL cache) is labelled as such; anything else (ciphertext, base64) is opaque bytes. */
function contentTypeOf(data: string): string {
  const first = data.trimStart()[0];
  if (first === '{' || first === '[') {
    try {
      JSON.parse(data);
      return 'application/json';
    } catch {
      // Not JSON after all: fall through to the opaque type.
    }
  }
  return 'application/octet-stream';
}
