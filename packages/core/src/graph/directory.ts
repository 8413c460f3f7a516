import { ME_RESOURCE, USERS_RESOURCE, resolveMainResource } from '../main-resource.js';
import { InvalidMainResourceError } from '../errors.js';
import type { Protocol } from '../protocol.js';
import { graphGet } from './graph-request.js';
import type { GraphSession } from './graph-session.js';
import { iterateGraphPages } from './paging.js';
import { User } from './user.js';

/**
 * Options of {@link Directory}.
 *
 * @example
 * ```ts
 * const options: DirectoryOptions = { session: account.connection.getSession(), protocol: account.protocol, mainResource: 'adele@contoso.com', appOnly: true };
 * const directory = new Directory(options);
 * ```
 */
export interface DirectoryOptions {
  session: GraphSession;
  protocol: Protocol;
  /**
   * The account's main resource, used by {@link Directory.getCurrentUser}: `me` (default) or a
   * user (`users/{id}`, an e-mail, `user:{id}`).
   */
  mainResource?: string;
  /** App-only (client credentials): there is no `me`, so `getCurrentUser` needs a user as mainResource. */
  appOnly?: boolean;
}

/**
 * Options of {@link Directory.getUsers}.
 *
 * @example
 * ```ts
 * const options: GetUsersOptions = { limit: 50, filter: "startswith(displayName,'A')", select: ['displayName', 'mail'] };
 * for await (const user of account.directory().getUsers(options)) console.log(user.mail);
 * ```
 */
export interface GetUsersOptions {
  /** Most users to return (default 100, as python-o365; `Infinity` for all). */
  limit?: number;
  /** OData `$filter`, e.g. `startswith(displayName,'A')`. */
  filter?: string;
  /** OData `$orderby`, e.g. `displayName desc`. */
  orderBy?: string;
  /** Properties to return (`$select`); Graph's default set otherwise. */
  select?: readonly string[];
  /** Page size (`$top`, 1 to 999). Defaults to `limit`, capped at 999. */
  batch?: number;
  /**
   * Use Graph's advanced query parameters (`ConsistencyLevel: eventual` header and `$count=true`),
   * which directory queries need for `ne`, `endsWith`, `in`, and for `$filter` together with
   * `$orderby`. Default: on when both `filter` and `orderBy` are given, off otherwise.
   */
  advancedQuery?: boolean;
  signal?: AbortSignal;
}

/**
 * Options of {@link Directory.getUser} and {@link Directory.getCurrentUser}.
 *
 * @example
 * ```ts
 * const options: GetUserOptions = { select: ['displayName', 'department'] };
 * await account.directory().getUser('adele@contoso.com', options);
 * ```
 */
export interface GetUserOptions {
  select?: readonly string[];
  signal?: AbortSignal;
}

const DEFAULT_LIMIT = 100;

/**
 * The organisation's users (python-o365's `Directory`).
 *
 * @example
 * ```ts
 * const directory = account.directory();
 * for await (const user of directory.getUsers({ limit: 50, orderBy: 'displayName', select: ['displayName', 'mail'] })) {
 *   console.log(`${user}`, user.mail);
 * }
 * const adele = await directory.getUser('adele@contoso.com');
 * ```
 */
export class Directory {
  readonly #session: GraphSession;
  readonly #protocol: Protocol;
  readonly #mainResource: string | undefined;
  readonly #appOnly: boolean;

  constructor(options: DirectoryOptions) {
    this.#session = options.session;
    this.#protocol = options.protocol;
    this.#mainResource = options.mainResource;
    this.#appOnly = options.appOnly ?? false;
  }

  /**
   * Users of the directory, fetched page by page as you iterate (`@odata.nextLink`); no more
   * pages are requested than `limit` needs.
   *
   * @throws {GraphError} from the iterator, when Graph refuses a page.
   */
  getUsers(options: GetUsersOptions = {}): AsyncIterableIterator<User> {
    const limit = options.limit ?? DEFAULT_LIMIT;
    if (!(limit >= 0) || (Number.isFinite(limit) && !Number.isInteger(limit))) {
      throw new RangeError(`limit must be a non-negative integer or Infinity, got ${String(options.limit)}`);
    }
    const max = this.#protocol.maxTopValue;
    let top = options.batch ?? Math.min(limit, max);
    if (options.batch !== undefined && !(Number.isInteger(options.batch) && options.batch >= 1 && options.batch <= max)) {
      throw new RangeError(`batch must be an integer from 1 to ${max}, got ${String(options.batch)}`);
    }
    if (top === 0) top = 1; // limit 0 sends nothing anyway

    const params: string[] = [`$top=${top}`];
    if (hasText(options.filter)) params.push(`$filter=${encodeURIComponent(options.filter)}`);
    if (hasText(options.orderBy)) params.push(`$orderby=${encodeURIComponent(options.orderBy)}`);
    const select = selectParam(options.select);
    if (select !== undefined) params.push(select);
    // Entra answers 400 "Sorting not supported for current query" to $filter + $orderby otherwise.
    const advanced = options.advancedQuery ?? (hasText(options.filter) && hasText(options.orderBy));
    if (advanced) params.push('$count=true');

    const url = `${this.#protocol.graphUrl}${USERS_RESOURCE}?${params.join('&')}`;
    return iterateGraphPages(this.#session, url, {
      limit,
      map: (json) => new User(json),
      ...(advanced ? { headers: { ConsistencyLevel: 'eventual' } } : {}),
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
  }

  /**
   * One user by object id or user principal name.
   *
   * @throws {GraphError} `status` 404 / `graphCode` `Request_ResourceNotFound` when there is no such user.
   */
  async getUser(idOrUpn: string, options: GetUserOptions = {}): Promise<User> {
    if (typeof idOrUpn !== 'string' || idOrUpn.trim() === '') {
      throw new TypeError('getUser needs a user id or user principal name');
    }
    return this.#fetchUser(`${USERS_RESOURCE}/${encodeSegment(idOrUpn.trim())}`, options);
  }

  /**
   * The signed-in user (`me`), or, when the main resource names a user (app-only accounts act
   * for one), that user.
   *
   * @throws {InvalidMainResourceError} for an app-only account without a user main resource, or a
   * main resource that is not a user (a group, a site).
   */
  async getCurrentUser(options: GetUserOptions = {}): Promise<User> {
    const resource = resolveMainResource(this.#mainResource, { appOnly: this.#appOnly });
    const [first, id, ...rest] = resource.split('/');
    if (resource === ME_RESOURCE) return this.#fetchUser(ME_RESOURCE, options);
    if (first === USERS_RESOURCE && id !== undefined && id !== '' && rest.length === 0) {
      return this.#fetchUser(`${USERS_RESOURCE}/${encodeSegment(id)}`, options);
    }
    throw new InvalidMainResourceError(
      `Can't get the current user: the main resource "${resource}" is not "me" or a user ("users/{id}")`,
      this.#mainResource,
    );
  }

  async #fetchUser(path: string, options: GetUserOptions): Promise<User> {
    const select = selectParam(options.select);
    const url = select === undefined ? path : `${path}?${select}`;
    const json = await graphGet<Record<string, unknown>>(
      this.#session,
      `${this.#protocol.graphUrl}${url}`,
      options.signal === undefined ? {} : { signal: options.signal },
    );
    return new User(json);
  }

  toString(): string {
    return 'Active Directory';
  }
}

function hasText(s: string | undefined): s is string {
  return s !== undefined && s.trim() !== '';
}

function selectParam(select: readonly string[] | undefined): string | undefined {
  if (select === undefined || select.length === 0) return undefined;
  return `$select=${select.map((s) => encodeURIComponent(s.trim())).join(',')}`;
}

/** Encodes one path segment; `@` stays readable, `#` (guest UPNs: `#EXT#`) and `/` do not break the path. */
function encodeSegment(s: string): string {
  return encodeURIComponent(s).replace(/%40/g, '@');
}
