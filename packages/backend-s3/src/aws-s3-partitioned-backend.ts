import { S3Client } from '@aws-sdk/client-s3';
import { assertPartitionKey, partitionName, type BackendIdentity, type PartitionedTokenBackend } from '@o365/core/backend';
import { AWSS3Backend, type AWSS3BackendOptions } from './aws-s3-backend.js';

const BACKEND = 'AWSS3PartitionedBackend';
const inspectSymbol = Symbol.for('nodejs.util.inspect.custom');

/**
 * Options of {@link AWSS3PartitionedBackend}: those of {@link AWSS3Backend} with a `prefix` in
 * place of the one `objectKey`.
 *
 * @example
 * ```ts
 * const options: AWSS3PartitionedBackendOptions = { bucketName: 'my-app-tokens', prefix: 'o365/users/', clientConfig: { region: 'eu-west-1' } };
 * ```
 */
export interface AWSS3PartitionedBackendOptions extends Omit<AWSS3BackendOptions, 'objectKey'> {
  /** Where the partitions' objects live: `<prefix><partitionName(key)>.json`. Default `o365/partitions/`. */
  prefix?: string;
}

/**
 * One S3 object per partition (a user's home account id, a tenant) under a prefix, so a web app
 * with many users reads and writes only the object of the user it serves. Each partition is an
 * {@link AWSS3Backend} (ETag versions, conditional writes) and all share one `S3Client`. Object
 * names come from `partitionName(key)` of `@o365/core/backend`: any key, safe and distinct.
 *
 * Partitions have no `lock()`: S3 offers no lease of its own, so N hosts refreshing one user at
 * once make up to N token requests; the conditional write keeps one winner and loses no sign-in.
 *
 * @example
 * ```ts
 * import { PartitionedAccounts } from '@o365/core';
 * import { AWSS3PartitionedBackend } from '@o365/backend-s3';
 * const accounts = new PartitionedAccounts(['client-id', secret], {
 *   tenantId: 'contoso.onmicrosoft.com',
 *   tokenBackend: new AWSS3PartitionedBackend({ bucketName: 'my-app-tokens', prefix: 'o365/users/' }),
 * });
 * ```
 */
export class AWSS3PartitionedBackend implements PartitionedTokenBackend {
  readonly bucketName: string;
  readonly prefix: string;
  readonly #options: Omit<AWSS3BackendOptions, 'objectKey' | 'clientConfig'> & { client: S3Client };
  readonly #ownsClient: boolean;
  readonly #id: BackendIdentity;

  constructor(options: AWSS3PartitionedBackendOptions) {
    if (options === null || typeof options !== 'object') throw new TypeError(`${BACKEND}: options { bucketName } are required`);
    const { prefix = 'o365/partitions/', client, clientConfig, ...rest } = options;
    if (typeof prefix !== 'string') throw new TypeError(`${BACKEND}: prefix must be a string`);
    if (client !== undefined && clientConfig !== undefined) throw new TypeError(`${BACKEND}: pass either client or clientConfig, not both`);
    const shared = client ?? new S3Client(clientConfig ?? {});
    try {
      // Checks bucket and encryption options once, with AWSS3Backend's own rules and messages.
      new AWSS3Backend({ ...rest, objectKey: `${prefix}${'x'.repeat(81)}.json`, client: shared });
    } catch (error) {
      if (client === undefined) shared.destroy();
      throw error;
    }
    this.bucketName = rest.bucketName;
    this.prefix = prefix;
    this.#ownsClient = client === undefined;
    this.#options = { ...rest, client: shared };
    this.#id = { backend: BACKEND, location: this.location };
  }

  /** `s3://bucket/prefix`. */
  get location(): string {
    return `s3://${this.bucketName}/${this.prefix}`;
  }

  /** The object of one partition, `<prefix><partitionName(key)>.json`. */
  partition(key: string): AWSS3Backend {
    assertPartitionKey(key, this.#id);
    return new AWSS3Backend({ ...this.#options, objectKey: `${this.prefix}${partitionName(key)}.json` });
  }

  /** Destroys the S3 client when the backend created it (never a client it was given). */
  destroy(): void {
    if (this.#ownsClient) this.#options.client.destroy();
  }

  toString(): string {
    return `${BACKEND}(${this.location})`;
  }

  [inspectSymbol](): string {
    return this.toString();
  }
}
