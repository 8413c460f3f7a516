import { inspect } from 'node:util';
import { Account, type AccountOptions } from './account.js';
import type { Credentials } from './auth/credentials.js';
import { assertPartitionKey } from './backends/backend-contract.js';
import type { PartitionedTokenBackend } from './backends/token-backend.js';
import { httpClientFor } from './connection-setup.js';
import type { HttpClient } from './http/http-client.js';
import { noopLogger } from './logger.js';
import { redactData } from './redact.js';

const DEFAULT_MAX_OPEN = 1_000;

/**
 * Options of {@link PartitionedAccounts}: every {@link AccountOptions} but `tokenBackend` and
 * `username`, plus the partitioned store.
 *
 * @example
 * ```ts
 * const options: PartitionedAccountsOptions = {
 *   authFlowType: 'authorization',
 *   tenantId: 'contoso.onmicrosoft.com',
 *   tokenBackend: new PartitionedFileSystemTokenBackend({ folder: '/var/lib/myapp/tokens' }),
 * };
 * ```
 */
export interface PartitionedAccountsOptions extends Omit<AccountOptions, 'tokenBackend' | 'username'> {
  /** Where each partition's token cache lives (one file, object, row or key per partition). */
  tokenBackend: PartitionedTokenBackend;
  /**
   * How many partitions' `Account`s are kept open (least recently used dropped first). A dropped
   * partition loses only its in-memory copy: its next call reads its cache again. Default 1,000.
   */
  maxOpenAccounts?: number;
}

/**
 * One app, many signed-in users, each in their own partition of the token store: the way for a
 * web app or API with many users. `get(key)` is the {@link Account} of one partition (the key is
 * yours: the session's user id, the user's home account id, a tenant for app-only tokens). It
 * loads, locks and saves only that partition, so its cost and its memory do not grow with the
 * number of users in other partitions; every partition shares one HTTP client (one connection
 * pool, one authority discovery).
 *
 * @example
 * ```ts
 * import { PartitionedAccounts, PartitionedFileSystemTokenBackend } from '@o365/core';
 * const accounts = new PartitionedAccounts(['client-id', process.env.CLIENT_SECRET!], {
 *   tenantId: 'contoso.onmicrosoft.com',
 *   tokenBackend: new PartitionedFileSystemTokenBackend({ folder: '/var/lib/myapp/tokens' }),
 * });
 * // in a request handler:
 * const me = await accounts.get(req.session.userId).getCurrentUser();
 * ```
 */
export class PartitionedAccounts {
  /** The partitioned store. */
  readonly tokenBackend: PartitionedTokenBackend;
  readonly #credentials: Credentials;
  readonly #options: AccountOptions;
  readonly #http: HttpClient;
  readonly #ownsHttp: boolean;
  readonly #maxOpen: number;
  /** Open accounts in least-recently-used order (a Map iterates in insertion order). */
  readonly #open = new Map<string, Account>();

  constructor(credentials: Credentials, options: PartitionedAccountsOptions) {
    const backend: unknown = options?.tokenBackend;
    if (typeof (backend as PartitionedTokenBackend | undefined)?.partition !== 'function') {
      throw new TypeError('PartitionedAccounts needs tokenBackend: a PartitionedTokenBackend (one with partition(key))');
    }
    const { tokenBackend, maxOpenAccounts, ...accountOptions } = options;
    if (maxOpenAccounts !== undefined && (!Number.isInteger(maxOpenAccounts) || maxOpenAccounts < 1)) {
      throw new TypeError(`maxOpenAccounts must be a positive integer, got ${String(maxOpenAccounts)}`);
    }
    this.tokenBackend = tokenBackend;
    this.#maxOpen = maxOpenAccounts ?? DEFAULT_MAX_OPEN;
    this.#ownsHttp = accountOptions.httpClient === undefined;
    this.#http = accountOptions.httpClient ?? httpClientFor(accountOptions, accountOptions.logger ?? noopLogger);
    this.#credentials = credentials;
    this.#options = { ...accountOptions, httpClient: this.#http };
    // Fails now, on bad credentials or options, rather than on the first request.
    void new Account(credentials, { ...this.#options, tokenBackend: tokenBackend.partition('options-check') });
  }

  /**
   * The account of one partition: the same `Account` for the same key while it is open. Its
   * calls need no `username`: the partition holds one user (or one tenant's app-only tokens).
   */
  get(key: string): Account {
    const open = this.#open.get(key);
    if (open !== undefined) {
      this.#open.delete(key);
      this.#open.set(key, open);
      return open;
    }
    assertPartitionKey(key, { backend: 'PartitionedAccounts', ...(this.tokenBackend.location ? { location: this.tokenBackend.location } : {}) });
    const account = new Account(this.#credentials, { ...this.#options, tokenBackend: this.tokenBackend.partition(key) });
    this.#open.set(key, account);
    if (this.#open.size > this.#maxOpen) {
      const oldest = this.#open.keys().next().value as string;
      this.#open.delete(oldest);
    }
    return account;
  }

  /** How many partitions have an open `Account`. */
  get openAccounts(): number {
    return this.#open.size;
  }

  /** Drops every open account and closes the shared HTTP client (unless it was given). */
  async close(): Promise<void> {
    this.#open.clear();
    if (this.#ownsHttp) await this.#http.close();
  }

  /** No credentials or tokens in `util.inspect` output. */
  [inspect.custom](): string {
    return `PartitionedAccounts ${inspect(redactData({ tokenBackend: this.tokenBackend.location ?? 'partitioned', openAccounts: this.#open.size }))}`;
  }
}
