/**
 * The error hierarchy of o365-ts. Every class has a stable `code` that callers can switch on;
 * server details (AADSTS numbers, correlation id) are carried as fields, never secrets. Every
 * message and every server-supplied text field passes through `text-limits.ts`, so no error is
 * longer than a few KB or carries terminal control characters, whatever the server sent.
 */
import { boundMessage, clipServerText, MAX_MESSAGE_LENGTH } from './text-limits.js';

/**
 * Details an identity-platform error answer carries (the fields Microsoft documents).
 *
 * @example
 * ```ts
 * const details: ServerErrorDetails = err; // an AuthenticationError carries them
 * console.error(details.errorCodes, details.correlationId, details.traceId);
 * ```
 */
export interface ServerErrorDetails {
  /** OAuth `error`, e.g. `invalid_grant`. */
  error?: string;
  /** `error_description`, starting with the AADSTS code. Tokens and secrets are never part of it. */
  errorDescription?: string;
  /** AADSTS numbers from `error_codes`. */
  errorCodes?: number[];
  /** `suberror`, e.g. `consent_required`, `basic_action`. */
  suberror?: string;
  correlationId?: string;
  traceId?: string;
  /** HTTP status of the answer, when there was one. */
  status?: number;
}

/**
 * Options shared by every o365-ts error.
 *
 * @example
 * ```ts
 * throw new AuthenticationError('The sign-in failed', { error: 'invalid_grant', errorCodes: [70008], cause } satisfies O365ErrorOptions);
 * ```
 */
export interface O365ErrorOptions extends ServerErrorDetails {
  cause?: unknown;
}

/**
 * Base class of every error thrown by o365-ts.
 *
 * @example
 * ```ts
 * try { await account.authenticate(); }
 * catch (e) { if (e instanceof O365Error) console.error(e.code, e.message); }
 * ```
 */
export class O365Error extends Error {
  /** Stable, machine-readable identifier of the error kind. */
  readonly code: string = 'O365_ERROR';
  readonly error?: string;
  readonly errorDescription?: string;
  readonly errorCodes?: number[];
  readonly suberror?: string;
  readonly correlationId?: string;
  readonly traceId?: string;
  readonly status?: number;

  constructor(message: string, options: O365ErrorOptions = {}) {
    super(boundMessage(message), options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    if (options.error !== undefined) this.error = clipServerText(options.error, 200);
    if (options.errorDescription !== undefined) this.errorDescription = clipServerText(options.errorDescription, MAX_MESSAGE_LENGTH);
    if (Array.isArray(options.errorCodes)) this.errorCodes = options.errorCodes.filter((c) => typeof c === 'number').slice(0, 20);
    if (options.suberror !== undefined) this.suberror = clipServerText(options.suberror, 200);
    if (options.correlationId !== undefined) this.correlationId = clipServerText(options.correlationId, 200);
    if (options.traceId !== undefined) this.traceId = clipServerText(options.traceId, 200);
    if (options.status !== undefined) this.status = options.status;
  }
}

/**
 * Authentication failed. Subclasses say why; this base is used when no more specific reason applies
 * (malformed redirect URL, wrong `state`, a server answer that cannot be classified...).
 *
 * @example
 * ```ts
 * if (err instanceof AuthenticationError) console.error(err.code, err.errorCodes, err.correlationId);
 * ```
 */
export class AuthenticationError extends O365Error {
  override readonly code: string = 'AUTHENTICATION_FAILED';
}

/**
 * The credentials are wrong: client secret or certificate, username or password, unknown client id
 * (AADSTS7000215, 700027, 50126, 700016). Retrying with the same credentials will not help.
 *
 * @example
 * ```ts
 * catch (e) { if (e instanceof InvalidCredentialsError) console.error('Check the client secret'); }
 * ```
 */
export class InvalidCredentialsError extends AuthenticationError {
  override readonly code: string = 'INVALID_CREDENTIALS';
}

/**
 * The access token expired and could not be refreshed (refresh token expired or revoked:
 * AADSTS70008, 700082, 50173, `invalid_grant`). The user has to sign in again.
 *
 * @example
 * ```ts
 * catch (e) { if (e instanceof TokenExpiredError) await account.authenticate(); }
 * ```
 */
export class TokenExpiredError extends AuthenticationError {
  override readonly code: string = 'TOKEN_EXPIRED';
}

/**
 * The identity platform needs the user: consent (AADSTS65001), MFA (AADSTS50076),
 * `interaction_required`, `login_required`. Run an interactive flow.
 *
 * @example
 * ```ts
 * catch (e) { if (e instanceof InteractionRequiredError) console.error(e.suberror); }
 * ```
 */
export class InteractionRequiredError extends AuthenticationError {
  override readonly code: string = 'INTERACTION_REQUIRED';
}

/**
 * On-behalf-of: the identity platform refused the caller's token (the user assertion): not a user
 * token for this web API (AADSTS50013: another audience, not signed by the platform, app-only) or
 * expired (AADSTS500133). The caller has to get a new token; a web API answers its caller `401`.
 *
 * @example
 * ```ts
 * catch (e) { if (e instanceof InvalidUserAssertionError) res.status(401).end(); }
 * ```
 */
export class InvalidUserAssertionError extends AuthenticationError {
  override readonly code: string = 'INVALID_USER_ASSERTION';
}

/**
 * The user (or an administrator's policy) declined the consent the sign-in asked for
 * (`error=access_denied`, AADSTS65004): its own outcome, distinct from
 * {@link InteractionRequiredError}, because running the same interactive flow again only asks the
 * same question. `authenticate()` rejects with it; nothing is stored. Ask for fewer scopes, or have
 * an administrator grant consent for the tenant.
 *
 * @example
 * ```ts
 * try { await account.authenticate(); }
 * catch (e) { if (e instanceof ConsentDeclinedError) console.error('Consent was declined; nothing was stored'); }
 * ```
 */
export class ConsentDeclinedError extends AuthenticationError {
  override readonly code: string = 'CONSENT_DECLINED';
}

/**
 * A public function was called with an argument of the wrong kind (from JavaScript, where the
 * types are not checked): `parameter` names it, with the index for a list (`scopes[2]`).
 *
 * @example
 * ```ts
 * try { protocol.getScopesFor(['Mail.Read', null as never]); }
 * catch (e) { if (e instanceof InvalidArgumentError) console.error(e.parameter); } // 'scopes[1]'
 * ```
 */
export class InvalidArgumentError extends O365Error {
  override readonly code: string = 'INVALID_ARGUMENT';
  /** The parameter at fault, e.g. `scopes[2]`. */
  readonly parameter: string;

  constructor(message: string, options: { parameter: string; cause?: unknown }) {
    super(message, { cause: options.cause });
    this.parameter = options.parameter;
  }
}

/**
 * Options of {@link TokenBackendError}.
 *
 * @example
 * ```ts
 * throw new TokenBackendError('MyBackend: could not save', { backend: 'MyBackend', location: 'db/tokens/1', cause } satisfies TokenBackendErrorOptions);
 * ```
 */
export interface TokenBackendErrorOptions {
  /** Name of the backend class, e.g. `FileSystemTokenBackend`. */
  backend: string;
  /** Where: a file path, bucket/key, secret name... Never secret material. */
  location?: string;
  cause?: unknown;
}

/**
 * A token backend could not load, save or delete: unreachable service, permission denied,
 * corrupted data. The stored copy is left as it was.
 *
 * @example
 * ```ts
 * catch (e) { if (e instanceof TokenBackendError) console.error(e.backend, e.location, e.cause); }
 * ```
 */
export class TokenBackendError extends O365Error {
  override readonly code: string = 'TOKEN_BACKEND_ERROR';
  readonly backend: string;
  readonly location?: string;

  constructor(message: string, options: TokenBackendErrorOptions) {
    super(message, { cause: options.cause });
    this.backend = options.backend;
    if (options.location !== undefined) this.location = clipServerText(options.location, 2048);
  }
}

/**
 * A conditional save lost: the stored version is not the expected one (another process wrote
 * first), or a create-only save found something already stored. Reload and retry.
 *
 * @example
 * ```ts
 * try { await backend.save(data, { expectedVersion: v }); }
 * catch (e) { if (e instanceof TokenCacheConflictError) { const fresh = await backend.load(); } }
 * ```
 */
export class TokenCacheConflictError extends TokenBackendError {
  override readonly code: string = 'TOKEN_CACHE_CONFLICT';
  /** The version the caller expected (`null`: nothing stored). */
  readonly expectedVersion?: string | null;
  /** The version found, when the backend knows it. */
  readonly actualVersion?: string;

  constructor(
    message: string,
    options: TokenBackendErrorOptions & { expectedVersion?: string | null; actualVersion?: string },
  ) {
    super(message, options);
    if (options.expectedVersion !== undefined) this.expectedVersion = options.expectedVersion;
    if (options.actualVersion !== undefined) this.actualVersion = options.actualVersion;
  }
}

/**
 * Options of {@link GraphError}.
 *
 * @example
 * ```ts
 * throw new GraphError('Graph answered 404', { status: 404, graphCode: 'Request_ResourceNotFound', requestId } satisfies GraphErrorOptions);
 * ```
 */
export interface GraphErrorOptions {
  status: number;
  /** Graph's `error.code`, e.g. `Request_ResourceNotFound`. */
  graphCode?: string;
  requestId?: string;
  clientRequestId?: string;
  method?: string;
  /** URL path (no query string, which may hold user data). */
  path?: string;
  cause?: unknown;
}

/**
 * Microsoft Graph answered with a non-2xx status.
 *
 * @example
 * ```ts
 * catch (e) { if (e instanceof GraphError && e.status === 404) return undefined; }
 * ```
 */
export class GraphError extends O365Error {
  override readonly code: string = 'GRAPH_ERROR';
  readonly graphCode?: string;
  readonly requestId?: string;
  readonly clientRequestId?: string;
  readonly method?: string;
  readonly path?: string;

  constructor(message: string, options: GraphErrorOptions) {
    super(message, { status: options.status, cause: options.cause });
    if (options.graphCode !== undefined) this.graphCode = clipServerText(options.graphCode, 200);
    if (options.requestId !== undefined) this.requestId = clipServerText(options.requestId, 200);
    if (options.clientRequestId !== undefined) this.clientRequestId = clipServerText(options.clientRequestId, 200);
    if (options.method !== undefined) this.method = clipServerText(options.method, 20);
    if (options.path !== undefined) this.path = clipServerText(options.path, 2048);
  }
}

// ---------------------------------------------------------------- network

/**
 * Options of {@link NetworkError}.
 *
 * @example
 * ```ts
 * throw new NetworkError('GET /v1.0/me failed', { method: 'GET', path: '/v1.0/me', attempts: 3, cause: error });
 * ```
 */
export interface NetworkErrorOptions {
  /** HTTP method of the failed request. */
  method?: string;
  /** URL path of the failed request (never the query string, which may carry user data). */
  path?: string;
  /** How many attempts were made before giving up. */
  attempts?: number;
  cause?: unknown;
}

/**
 * A request never got an HTTP answer: connection refused or reset, TLS failure (for example an
 * untrusted certificate: pass `tls.ca`), DNS failure. `cause` holds the low-level error.
 *
 * @example
 * ```ts
 * try { await http.fetch('https://graph.microsoft.com/v1.0/me'); }
 * catch (e) { if (e instanceof NetworkError) console.error(e.method, e.path, e.cause); }
 * ```
 */
export class NetworkError extends O365Error {
  override readonly code: string = 'NETWORK_ERROR';
  readonly method?: string;
  readonly path?: string;
  readonly attempts?: number;

  constructor(message: string, options: NetworkErrorOptions = {}) {
    super(message, { cause: options.cause });
    if (options.method !== undefined) this.method = clipServerText(options.method, 20);
    if (options.path !== undefined) this.path = clipServerText(options.path, 2048);
    if (options.attempts !== undefined) this.attempts = options.attempts;
  }
}

/**
 * A request got no response headers within `timeoutMs`.
 *
 * @example
 * ```ts
 * catch (e) { if (e instanceof HttpTimeoutError) console.error(`no answer after ${e.timeoutMs} ms`); }
 * ```
 */
export class HttpTimeoutError extends NetworkError {
  override readonly code: string = 'HTTP_TIMEOUT';
  readonly timeoutMs: number;

  constructor(message: string, options: NetworkErrorOptions & { timeoutMs: number }) {
    super(message, options);
    this.timeoutMs = options.timeoutMs;
  }
}

// ---------------------------------------------------------------- storage, configuration, federation

/**
 * The token backend holds a token written by python-o365 before 2.1 (a top-level `access_token`
 * instead of MSAL's unified cache). `account.migrateLegacyToken()` converts it by redeeming its
 * refresh token; otherwise the user signs in again. The stored data is left in place until a
 * migration or a successful `authenticate()` replaces it.
 *
 * @example
 * ```ts
 * try { await account.connection.getAccessToken(); }
 * catch (e) { if (e instanceof LegacyTokenFormatError && !(await account.migrateLegacyToken())) await account.authenticate(); }
 * ```
 */
export class LegacyTokenFormatError extends TokenBackendError {
  override readonly code: string = 'LEGACY_TOKEN_FORMAT';

  constructor(options: TokenBackendErrorOptions) {
    super(
      `The stored token${options.location ? ` (${options.location})` : ''} was written by python-o365 before 2.1, in a format o365-ts reads only to migrate it: call account.migrateLegacyToken() (it redeems the old refresh token), or sign in again with account.authenticate() (the old data is left in place until then)`,
      options,
    );
  }
}

/**
 * A `mainResource` that cannot be used: empty after a `user:` / `group:` / `site:` prefix, or
 * `me` with app-only (client credentials) authentication, which has no signed-in user.
 *
 * @example
 * ```ts
 * try { resolveMainResource(undefined, { appOnly: true }); }
 * catch (e) { if (e instanceof InvalidMainResourceError) console.error(e.message); }
 * ```
 */
export class InvalidMainResourceError extends O365Error {
  override readonly code: string = 'INVALID_MAIN_RESOURCE';
  /** The value that was given (`undefined` when none was). */
  readonly resource: string | undefined;

  constructor(message: string, resource: string | undefined) {
    super(message);
    this.resource = resource;
  }
}

/**
 * A workload identity federation error: the federated token could not be read or fetched (no
 * file, an unreachable OIDC endpoint, an answer without a token). The cause is attached; the
 * token and the request token never appear in the message.
 *
 * @example
 * ```ts
 * try { await account.authenticate(); }
 * catch (e) { if (e instanceof FederatedTokenError) console.error(e.source, e.message); }
 * ```
 */
export class FederatedTokenError extends AuthenticationError {
  override readonly code: string = 'FEDERATED_TOKEN_UNAVAILABLE';
  /** Where the token was to come from: the file path, or the OIDC endpoint's origin. */
  readonly source: string;

  constructor(message: string, options: { source: string; cause?: unknown }) {
    super(message, { cause: options.cause });
    this.source = options.source;
  }
}
