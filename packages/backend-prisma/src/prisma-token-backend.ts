import { createHash, randomInt } from 'node:crypto';
import {
  assertSaveData,
  TokenBackendError,
  TokenCacheConflictError,
  noopLogger,
  type LockOptions,
  type Logger,
  type ReleaseLock,
  type SaveOptions,
  type StoredToken,
  type TokenBackend,
} from '@o365/core/backend';
import type { PrismaLockStrategy } from './lock-strategy.js';
import { acquirePostgresAdvisoryLock, type PostgresAdvisoryLockStrategy } from './postgres-advisory-lock.js';
import type { PrismaTokenDelegate, PrismaWhereOf } from './prisma-delegate.js';
import { describePrismaError, isUniqueViolation, prismaErrorCode, safeCause } from './prisma-errors.js';
import { rowLeaseLock, type RowLeaseLockStrategy } from './row-lease-lock.js';

const BACKEND = 'PrismaTokenBackend';
const DEFAULT_LOCK_TIMEOUT_MS = 30_000;
/** Versions of rows this backend creates start at a random value below this (see `#initialVersion`). */
const INITIAL_VERSION_RANGE = 2 ** 30;

/**
 * Options of {@link PrismaTokenBackend}.
 *
 * @typeParam D - the model delegate, e.g. `typeof prisma.user`.
 * @example
 * ```ts
 * const options: PrismaTokenBackendOptions<typeof prisma.user> = {
 *   delegate: prisma.user, where: { id: 7 }, tokenField: 'o365Token', versionField: 'o365TokenVersion',
 * };
 * ```
 */
export interface PrismaTokenBackendOptions<D extends PrismaTokenDelegate = PrismaTokenDelegate> {
  /** The generated model delegate holding the row: `prisma.user`, `prisma.tenant`, `prisma.o365Token`. */
  delegate: D;
  /**
   * Selects the one row that holds this cache, e.g. `{ id: userId }` or `{ key: 'app' }`. It must
   * match a single row (use a unique field): writes go through `updateMany` with this filter.
   */
  where: PrismaWhereOf<D>;
  /** The nullable text column (`String?`) holding the serialized cache. Default `o365Token`. */
  tokenField?: string;
  /**
   * An `Int` column counting writes (e.g. `version Int @default(0)`). With it, versions are that
   * counter and a conditional save is `UPDATE ... WHERE version = expected`. Without it, the version
   * is a SHA-256 of the stored text and a conditional save compares the stored text itself
   * (`UPDATE ... WHERE token = loaded`); both are atomic compare-and-swap in the database.
   */
  versionField?: string;
  /**
   * Create the row when it does not exist (a dedicated model such as `O365Token`). `true` creates
   * it from `where` (which must then hold the primary key); `{ data }` adds further columns. Without
   * it (an application's own row, such as the user's), a missing row is a `TokenBackendError`.
   */
  createIfMissing?: boolean | { data: object };
  /**
   * What {@link PrismaTokenBackend.delete} does: `'row'` deletes the row, `'field'` sets the token
   * field to null (and bumps the version). Default `'row'` with `createIfMissing`, else `'field'`:
   * the backend never deletes a row it did not create.
   */
  deleteMode?: 'row' | 'field';
  /**
   * Adds {@link PrismaTokenBackend.lock} so that processes refreshing at the same moment make one
   * token request: `postgres-advisory` (PostgreSQL) or `row-lease` (any database, a `DateTime?`
   * column). Without it the backend has no `lock()` and core falls back to `expectedVersion`.
   */
  lockStrategy?: PrismaLockStrategy;
  /** Where the backend reports what it does (never token data). */
  logger?: Logger;
}

type Row = Record<string, unknown>;

/**
 * A token backend that keeps the cache in a row of your own database through Prisma: a column of a
 * row the application already has (python-o365's `DjangoTokenBackend`: the user's row, a tenant's
 * row) or a dedicated `O365Token` model with one row per cache. Conditional saves are atomic
 * compare-and-swap updates; `lockStrategy` adds a cross-process lock (PostgreSQL advisory lock, or
 * a lease column on any database). Every database
 * failure surfaces as `TokenBackendError` naming the model and the `where` filter, never token data.
 *
 * @example
 * ```ts
 * import { Account } from '@o365/core';
 * import { PrismaTokenBackend } from '@o365/backend-prisma';
 *
 * // The cache in the user's own row: model User { ... o365Token String? o365TokenVersion Int @default(0) }
 * const account = new Account([clientId, clientSecret], {
 *   tokenBackend: new PrismaTokenBackend({ delegate: prisma.user, where: { id: user.id }, versionField: 'o365TokenVersion' }),
 * });
 *
 * // A dedicated table (sql/postgresql/001_o365_token.sql), locked across processes while refreshing
 * const shared = new PrismaTokenBackend({
 *   delegate: prisma.o365Token, where: { key: 'daemon' }, tokenField: 'token', versionField: 'version',
 *   createIfMissing: true, lockStrategy: { type: 'postgres-advisory', client: prisma },
 * });
 * ```
 */
export class PrismaTokenBackend<D extends PrismaTokenDelegate = PrismaTokenDelegate> implements TokenBackend {
  /** Cross-process lock held around a refresh; present only when `lockStrategy` was given. */
  readonly lock?: (options?: LockOptions) => Promise<ReleaseLock>;

  readonly #delegate: PrismaTokenDelegate;
  readonly #where: Row;
  readonly #tokenField: string;
  readonly #versionField: string | undefined;
  readonly #createData: Row | undefined;
  readonly #deleteMode: 'row' | 'field';
  readonly #logger: Logger;
  readonly #location: string;

  constructor(options: PrismaTokenBackendOptions<D>) {
    if (!options || typeof options.delegate?.findFirst !== 'function' || typeof options.delegate.updateMany !== 'function') {
      throw new TypeError(`${BACKEND}: \`delegate\` must be a Prisma model delegate such as prisma.user`);
    }
    if (typeof options.where !== 'object' || options.where === null || Object.keys(options.where).length === 0) {
      throw new TypeError(`${BACKEND}: \`where\` must select the row holding the cache, e.g. { id: userId }`);
    }
    this.#delegate = options.delegate;
    this.#where = { ...(options.where as Row) };
    this.#tokenField = options.tokenField ?? 'o365Token';
    this.#versionField = options.versionField;
    if (this.#versionField === this.#tokenField) {
      throw new TypeError(`${BACKEND}: \`versionField\` and \`tokenField\` must be different columns`);
    }
    const create = options.createIfMissing;
    this.#createData = create ? { ...(typeof create === 'object' ? (create.data as Row) : {}), ...this.#where } : undefined;
    this.#deleteMode = options.deleteMode ?? (this.#createData ? 'row' : 'field');
    this.#logger = options.logger ?? noopLogger;
    const modelName = Reflect.get(options.delegate, '$name');
    this.#location = `${typeof modelName === 'string' ? modelName : 'model'}.${this.#tokenField} where ${stableJson(this.#where)}`;

    const strategy = options.lockStrategy;
    if (strategy?.type === 'postgres-advisory') this.lock = this.#advisoryLock(strategy);
    else if (strategy?.type === 'row-lease') this.lock = this.#leaseLock(strategy);
    else if (strategy !== undefined) {
      throw new TypeError(`${BACKEND}: unknown lockStrategy type ${JSON.stringify((strategy as { type?: unknown }).type)}`);
    }
  }

  /** The stored cache and its version, or `undefined` when the row is missing or the field is null. */
  async load(): Promise<StoredToken | undefined> {
    const row = await this.#findRow('load the token cache from');
    if (!row) return undefined;
    const data = this.#tokenOf(row);
    if (data === null) return undefined;
    return { data, version: this.#versionOf(row, data) };
  }

  /**
   * Stores `data`. `expectedVersion` makes it a compare-and-swap: a string must still be the stored
   * version, `null` means nothing may be stored (field null or row missing); a lost condition rejects
   * with `TokenCacheConflictError` and writes nothing.
   */
  async save(data: string, options: SaveOptions = {}): Promise<{ version?: string }> {
    assertSaveData(data, { backend: BACKEND, location: this.#location });
    const { expectedVersion } = options;
    if (typeof expectedVersion === 'string') return this.#saveIfVersion(data, expectedVersion);
    if (expectedVersion === null) return this.#saveIfEmpty(data);
    return this.#saveUnconditionally(data);
  }

  /** Removes the cache: deletes the row (`deleteMode: 'row'`) or nulls the field. Idempotent. */
  async delete(): Promise<void> {
    if (this.#deleteMode === 'row') {
      await this.#call('delete the token cache row of', [], () => this.#delegate.deleteMany({ where: this.#where }));
      return;
    }
    const data: Row = { [this.#tokenField]: null };
    // Bumping the version on delete is what stops a writer holding a pre-delete version from
    // resurrecting the cache.
    if (this.#versionField) data[this.#versionField] = { increment: 1 };
    await this.#call('delete the token cache from', [], () =>
      this.#delegate.updateMany({ where: { ...this.#where, [this.#tokenField]: { not: null } }, data }),
    );
  }

  /** Shows where the cache lives, never what it holds. */
  toString(): string {
    return `${BACKEND}(${this.#location})`;
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }

  #advisoryLock(strategy: PostgresAdvisoryLockStrategy): (options?: LockOptions) => Promise<ReleaseLock> {
    if (typeof strategy.client?.$transaction !== 'function') {
      throw new TypeError(`${BACKEND}: lockStrategy.client must be your PrismaClient (it needs $transaction)`);
    }
    const lockName = strategy.key ?? this.#location;
    return async (lockOptions?: LockOptions): Promise<ReleaseLock> => {
      const timeoutMs = lockOptions?.timeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS;
      try {
        const release = await acquirePostgresAdvisoryLock(strategy, lockName, timeoutMs, {
          onHoldError: (error) =>
            this.#logger.warn(`${BACKEND}: the lock transaction ended with an error; the lock may have been released early`, {
              location: this.#location,
              error: describePrismaError(safeCause(error)),
            }),
        });
        this.#logger.debug(`${BACKEND}: lock acquired`, { location: this.#location });
        return release;
      } catch (error) {
        const cause = safeCause(error);
        const text = describePrismaError(cause);
        const timedOut = /55P03|lock timeout|lock_not_available|Unable to start a transaction in the given time/i.test(text);
        throw new TokenBackendError(
          timedOut
            ? `${BACKEND} could not take the lock for ${this.#location} within ${timeoutMs} ms (another process holds it): ${text}`
            : `${BACKEND} could not take the lock for ${this.#location}: ${text}`,
          { backend: BACKEND, location: this.#location, cause },
        );
      }
    };
  }

  #leaseLock(strategy: RowLeaseLockStrategy): (options?: LockOptions) => Promise<ReleaseLock> {
    return rowLeaseLock(
      strategy,
      {
        takeIfFree: async (field, until, now) =>
          (
            await this.#call('take the lock on', [], () =>
              this.#delegate.updateMany({
                where: { ...this.#where, OR: [{ [field]: null }, { [field]: { lt: now } }] },
                data: { [field]: until },
              }),
            )
          ).count,
        createHolding: (field, until) => this.#createLeasedRow(field, until),
        clear: async (field, until) => {
          await this.#call('release the lock on', [], () =>
            this.#delegate.updateMany({ where: { ...this.#where, [field]: until }, data: { [field]: null } }),
          );
        },
      },
      {
        backend: BACKEND,
        location: this.#location,
        reservedFields: [this.#tokenField, this.#versionField],
        defaultTimeoutMs: DEFAULT_LOCK_TIMEOUT_MS,
        onAcquired: () => this.#logger.debug(`${BACKEND}: lock acquired`, { location: this.#location }),
      },
    );
  }

  /**
   * The lease could not be taken: when the row does not exist yet (a dedicated model before its
   * first save), create it holding the lease. `false` when the row exists (someone holds the lease)
   * or another process created it first.
   */
  async #createLeasedRow(field: string, until: Date): Promise<boolean> {
    const row = await this.#findRow('take the lock on');
    if (row) return false;
    if (!this.#createData) throw this.#missingRow();
    const data: Row = { ...this.#createData, [this.#tokenField]: null, [field]: until };
    if (this.#versionField) data[this.#versionField] = this.#initialVersion();
    try {
      await this.#delegate.create({ data });
      return true;
    } catch (error) {
      if (isUniqueViolation(error)) return false;
      throw this.#wrap('take the lock on', error, []);
    }
  }

  async #saveIfVersion(data: string, expected: string): Promise<{ version?: string }> {
    if (this.#versionField) {
      const n = /^-?\d{1,15}$/.test(expected) ? Number(expected) : undefined;
      if (n !== undefined) {
        const next = n + 1;
        const { count } = await this.#call('save the token cache to', [data], () =>
          this.#delegate.updateMany({
            where: { ...this.#where, [this.#versionField as string]: n, [this.#tokenField]: { not: null } },
            data: { [this.#tokenField]: data, [this.#versionField as string]: next },
          }),
        );
        if (count > 0) return { version: String(next) };
      }
      throw await this.#conflict(expected);
    }
    // Without a version column, compare the stored text itself: the UPDATE only matches while the
    // row still holds exactly what this process loaded.
    const row = await this.#findRow('load the token cache from');
    const current = row ? this.#tokenOf(row) : null;
    if (current === null || hashVersion(current) !== expected) {
      throw this.#conflictError(expected, current === null ? undefined : hashVersion(current));
    }
    const { count } = await this.#call('save the token cache to', [data, current], () =>
      this.#delegate.updateMany({ where: { ...this.#where, [this.#tokenField]: current }, data: { [this.#tokenField]: data } }),
    );
    // MySQL counts changed rows, not matched ones (unless the driver sets CLIENT_FOUND_ROWS):
    // rewriting the same text reports 0. It is a success if the row still holds that text.
    if (count === 0 && !(data === current && (await this.#holds(data)))) throw await this.#conflict(expected);
    return { version: hashVersion(data) };
  }

  async #saveIfEmpty(data: string): Promise<{ version?: string }> {
    const row = await this.#findRow('load the token cache from');
    if (row) {
      if (this.#tokenOf(row) !== null) throw this.#conflictError(null, this.#versionOf(row, this.#tokenOf(row) as string));
      const where: Row = { ...this.#where, [this.#tokenField]: null };
      const update: Row = { [this.#tokenField]: data };
      let next: number | undefined;
      if (this.#versionField) {
        const current = this.#intVersion(row);
        next = current + 1;
        where[this.#versionField] = current;
        update[this.#versionField] = next;
      }
      const { count } = await this.#call('save the token cache to', [data], () => this.#delegate.updateMany({ where, data: update }));
      if (count === 0) throw await this.#conflict(null);
      return { version: next === undefined ? hashVersion(data) : String(next) };
    }
    if (!this.#createData) throw this.#missingRow();
    const created = await this.#create(data);
    if (!created) throw await this.#conflict(null);
    return created;
  }

  async #saveUnconditionally(data: string): Promise<{ version?: string }> {
    // Bounded: each round either writes or sees a row another writer created meanwhile.
    for (let attempt = 0; attempt < 3; attempt++) {
      const update: Row = { [this.#tokenField]: data };
      if (this.#versionField) update[this.#versionField] = { increment: 1 };
      const { count } = await this.#call('save the token cache to', [data], () =>
        this.#delegate.updateMany({ where: this.#where, data: update }),
      );
      if (count > 1) {
        this.#logger.warn(`${BACKEND}: \`where\` matched ${count} rows; it should select exactly one`, { location: this.#location });
      }
      if (count > 0) {
        if (!this.#versionField) return { version: hashVersion(data) };
        // updateMany does not return the row: read the version back. If another writer got in
        // between, its version would not describe `data`, so none is returned.
        const row = await this.#findRow('load the token cache from');
        return row && this.#tokenOf(row) === data ? { version: String(this.#intVersion(row)) } : {};
      }
      if (!this.#versionField) {
        // MySQL counts changed rows, not matched ones (unless the driver sets CLIENT_FOUND_ROWS):
        // without a version to bump, rewriting the text already stored reports 0 rows although
        // the row exists. A row holding other text appeared meanwhile: write again.
        const row = await this.#findRow('load the token cache from');
        if (row && this.#tokenOf(row) === data) return { version: hashVersion(data) };
        if (row) continue;
      }
      if (!this.#createData) throw this.#missingRow();
      const created = await this.#create(data);
      if (created) return created;
    }
    throw new TokenBackendError(`${BACKEND} could not save the token cache to ${this.#location}: the row kept appearing and disappearing`, {
      backend: BACKEND,
      location: this.#location,
    });
  }

  /** Whether the row exists and holds exactly `data`. */
  async #holds(data: string): Promise<boolean> {
    const row = await this.#findRow('load the token cache from');
    return row !== undefined && this.#tokenOf(row) === data;
  }

  /** Creates the row; `undefined` when another writer created it first (unique violation). */
  async #create(data: string): Promise<{ version: string } | undefined> {
    const row: Row = { ...(this.#createData as Row), [this.#tokenField]: data };
    let version = hashVersion(data);
    if (this.#versionField) {
      const initial = this.#initialVersion();
      row[this.#versionField] = initial;
      version = String(initial);
    }
    try {
      await this.#delegate.create({ data: row });
      return { version };
    } catch (error) {
      if (isUniqueViolation(error)) return undefined;
      throw this.#wrap('create the token cache row of', error, [data]);
    }
  }

  /**
   * A row created after a delete starts at a random version rather than 1, so that a writer still
   * holding the version of the deleted row cannot match the new one (the ABA problem).
   */
  #initialVersion(): number {
    return randomInt(1, INITIAL_VERSION_RANGE);
  }

  async #findRow(action: string): Promise<Row | undefined> {
    const select: Record<string, boolean> = { [this.#tokenField]: true };
    if (this.#versionField) select[this.#versionField] = true;
    const row = await this.#call(action, [], () => this.#delegate.findFirst({ where: this.#where, select }));
    return row ? (row as Row) : undefined;
  }

  #tokenOf(row: Row): string | null {
    const value = row[this.#tokenField];
    if (value === null || value === undefined) return null;
    if (typeof value !== 'string') {
      throw new TokenBackendError(
        `${BACKEND}: ${this.#location} is not a text column (got ${typeof value}); declare it as String?`,
        { backend: BACKEND, location: this.#location },
      );
    }
    return value;
  }

  #intVersion(row: Row): number {
    const value = row[this.#versionField as string];
    const n = typeof value === 'bigint' ? Number(value) : value;
    if (typeof n !== 'number' || !Number.isSafeInteger(n)) {
      throw new TokenBackendError(`${BACKEND}: version field ${this.#versionField} of ${this.#location} is not an Int (got ${typeof value})`, {
        backend: BACKEND,
        location: this.#location,
      });
    }
    return n;
  }

  #versionOf(row: Row, data: string): string {
    return this.#versionField ? String(this.#intVersion(row)) : hashVersion(data);
  }

  /** The conflict error, with the version now stored when it can be read. */
  async #conflict(expected: string | null): Promise<TokenCacheConflictError> {
    let actual: string | undefined;
    try {
      const row = await this.#findRow('load the token cache from');
      const data = row ? this.#tokenOf(row) : null;
      if (row && data !== null) actual = this.#versionOf(row, data);
    } catch {
      // The conflict is the news; the version found is only a detail.
    }
    return this.#conflictError(expected, actual);
  }

  #conflictError(expected: string | null, actual: string | undefined): TokenCacheConflictError {
    const what =
      expected === null
        ? `a token cache is already stored in ${this.#location}`
        : `the token cache in ${this.#location} is no longer version ${expected}${actual === undefined ? ' (nothing is stored now)' : ` (now ${actual})`}`;
    return new TokenCacheConflictError(`${BACKEND}: ${what}; another process wrote it first. Reload and retry.`, {
      backend: BACKEND,
      location: this.#location,
      expectedVersion: expected,
      ...(actual === undefined ? {} : { actualVersion: actual }),
    });
  }

  #missingRow(): TokenBackendError {
    return new TokenBackendError(
      `${BACKEND}: no row matches ${this.#location}; create it first or pass createIfMissing for a dedicated model`,
      { backend: BACKEND, location: this.#location },
    );
  }

  async #call<T>(action: string, secrets: readonly string[], fn: () => PromiseLike<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      throw this.#wrap(action, error, secrets);
    }
  }

  #wrap(action: string, error: unknown, secrets: readonly string[]): TokenBackendError {
    if (error instanceof TokenBackendError) return error;
    const cause = safeCause(error, secrets);
    const code = prismaErrorCode(error);
    const hint =
      code === 'P1001' || code === 'P1002' || code === 'P1017'
        ? ' Is the database running and reachable?'
        : code === 'P2021' || code === 'P2022'
          ? ' Has the table been created (see the SQL files shipped with @o365/backend-prisma)?'
          : '';
    return new TokenBackendError(`${BACKEND} could not ${action} ${this.#location}: ${describePrismaError(cause)}.${hint}`, {
      backend: BACKEND,
      location: this.#location,
      cause,
    });
  }
}

/** The version of a cache stored without a version column: its SHA-256, base64url. */
function hashVersion(data: string): string {
  return `sha256:${createHash('sha256').update(data, 'utf8').digest('base64url')}`;
}

/** JSON with sorted keys (BigInt and Date safe), to describe `where` and derive lock names. */
function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v === 'bigint') return v.toString();
    if (v && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Date)) {
      return Object.fromEntries(Object.entries(v as Row).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    }
    return v;
  });
}
