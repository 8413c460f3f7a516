import { assertPartitionKey, partitionName, type BackendIdentity, type PartitionedTokenBackend } from '@o365/core/backend';
import type { PrismaTokenDelegate, PrismaWhereOf } from './prisma-delegate.js';
import { PrismaTokenBackend, type PrismaTokenBackendOptions } from './prisma-token-backend.js';

const BACKEND = 'PrismaPartitionedTokenBackend';

/**
 * Options of {@link PrismaPartitionedTokenBackend}: those of {@link PrismaTokenBackend} for a
 * dedicated table, with the key column in place of `where`.
 *
 * @example
 * ```ts
 * const options: PrismaPartitionedTokenBackendOptions = { delegate: prisma.o365Token, tokenField: 'token', versionField: 'version', keyPrefix: 'user:' };
 * ```
 */
export interface PrismaPartitionedTokenBackendOptions<D extends PrismaTokenDelegate = PrismaTokenDelegate>
  extends Omit<PrismaTokenBackendOptions<D>, 'where' | 'createIfMissing' | 'deleteMode'> {
  /** The unique text column naming a row (the shipped `O365Token` table's `key`). Default `key`. */
  keyField?: string;
  /** Put before each row's key, e.g. `user:` or `tenant:`, to share the table with other caches. */
  keyPrefix?: string;
}

/**
 * One row per partition (a user's home account id, a tenant) in a dedicated table such as the
 * shipped `O365Token`: a web app with many users reads, locks and writes only the row of the user
 * it serves. Each partition is a {@link PrismaTokenBackend} (compare-and-swap saves, and the
 * `lockStrategy` lock per row); rows are created on first save and deleted by `delete()`. The row
 * key is `keyPrefix + partitionName(key)` (`@o365/core/backend`), at most 81 characters plus the
 * prefix, so any key fits MySQL's 191-character `key` column and stays case-distinct.
 *
 * @example
 * ```ts
 * import { PartitionedAccounts } from '@o365/core';
 * import { PrismaPartitionedTokenBackend } from '@o365/backend-prisma';
 * const accounts = new PartitionedAccounts([clientId, clientSecret], {
 *   tenantId,
 *   tokenBackend: new PrismaPartitionedTokenBackend({
 *     delegate: prisma.o365Token, tokenField: 'token', versionField: 'version', keyPrefix: 'user:',
 *     lockStrategy: { type: 'postgres-advisory', client: prisma },
 *   }),
 * });
 * ```
 */
export class PrismaPartitionedTokenBackend<D extends PrismaTokenDelegate = PrismaTokenDelegate> implements PartitionedTokenBackend {
  readonly #options: Omit<PrismaPartitionedTokenBackendOptions<D>, 'keyField' | 'keyPrefix'>;
  readonly #keyField: string;
  readonly #keyPrefix: string;
  readonly #id: BackendIdentity;

  constructor(options: PrismaPartitionedTokenBackendOptions<D>) {
    const { keyField = 'key', keyPrefix = '', ...rest } = options ?? ({} as PrismaPartitionedTokenBackendOptions<D>);
    if (typeof keyField !== 'string' || keyField === '') throw new TypeError(`${BACKEND}: keyField must be a column name`);
    if (typeof keyPrefix !== 'string') throw new TypeError(`${BACKEND}: keyPrefix must be a string`);
    this.#options = rest;
    this.#keyField = keyField;
    this.#keyPrefix = keyPrefix;
    // Checks the delegate and columns once, with PrismaTokenBackend's own rules and messages.
    this.#backend(`${keyPrefix}check`);
    const modelName: unknown = Reflect.get(rest.delegate, '$name');
    this.#id = { backend: BACKEND, location: `${typeof modelName === 'string' ? modelName : 'model'} where ${keyField} = "${keyPrefix}*"` };
  }

  /** The model, column and key pattern, for messages. */
  get location(): string {
    return this.#id.location ?? BACKEND;
  }

  /** The row of one partition, `{ [keyField]: keyPrefix + partitionName(key) }`. */
  partition(key: string): PrismaTokenBackend<D> {
    assertPartitionKey(key, this.#id);
    return this.#backend(`${this.#keyPrefix}${partitionName(key)}`);
  }

  #backend(rowKey: string): PrismaTokenBackend<D> {
    return new PrismaTokenBackend<D>({
      ...this.#options,
      where: { [this.#keyField]: rowKey } as PrismaWhereOf<D>,
      createIfMissing: true,
      deleteMode: 'row',
    });
  }
}
