import { inspect } from 'node:util';
import { Directory, type GetUserOptions } from './graph/directory.js';
import { User } from './graph/user.js';
import { resolveMainResource } from './main-resource.js';
import { throwIfAborted } from './abort.js';
import { redactData } from './redact.js';
import { readLine, writeLine } from './auth/console-prompt.js';
import type { Credentials } from './auth/credentials.js';
import type { DeviceCodeInfo } from './auth/flows/device-code.js';
import { signInInteractively, type ConsentHandler } from './auth/flows/interactive.js';
import { Connection } from './connection.js';
import type { AuthFlowType, AuthorizationFlow, AuthorizationUrlOptions, ConnectionOptions, UserConnection } from './connection-options.js';
import type { AccessToken, GetTokenOptions, TokenCredential } from './token-credential.js';
import type { GraphSession } from './graph/graph-session.js';

export type { ConsentHandler } from './auth/flows/interactive.js';

/**
 * Shows the device code to the person (print `info.message`).
 *
 * @example
 * ```ts
 * const deviceCodeCallback: DeviceCodeCallback = (info) => console.log(info.message);
 * await new Account(['client-id'], { authFlowType: 'device', tenantId }).authenticate({ deviceCodeCallback });
 * ```
 */
export type DeviceCodeCallback = (info: DeviceCodeInfo) => void | Promise<void>;

/**
 * Options of {@link Account}: every {@link ConnectionOptions} plus the interactive parts.
 *
 * @example
 * ```ts
 * const options: AccountOptions = { authFlowType: 'credentials', tenantId: 'contoso.onmicrosoft.com', mainResource: 'adele@contoso.com' };
 * new Account(['client-id', 'secret'], options);
 * ```
 */
export interface AccountOptions extends ConnectionOptions {
  /**
   * Graph resource acted on: `me` (default for user flows), `users/{id}`, an e-mail
   * (`users/{email}`), `user:x`, `group:x`, `site:x`. The credentials flow has no `me`.
   */
  mainResource?: string;
  /** Default redirect URI of the authorization flow (python-o365's native client URI when unset). */
  redirectUri?: string;
  /** Replaces the console prompt of the authorization flow (see {@link ConsentHandler}). */
  handleConsent?: ConsentHandler;
  /** Shows the device code (default: printed with `output`). */
  deviceCodeCallback?: DeviceCodeCallback;
  /** Where the console flow prints (default: stdout). */
  output?: (text: string) => void;
  /** How the console flow reads the pasted URL (default: a line from stdin). */
  input?: (question: string) => Promise<string>;
  /** How long a loopback redirect is awaited (default 300 000 ms). */
  loopbackTimeoutMs?: number;
}

/**
 * Options of {@link Account.authenticate}.
 *
 * @example
 * ```ts
 * const options: AuthenticateOptions = { requestedScopes: ['basic', 'message_all'], redirectUri: 'http://localhost:8400' };
 * await account.authenticate(options);
 * ```
 */
export interface AuthenticateOptions {
  /** Scopes or python-o365 scope helpers (`basic`, `message_all`, ...). Ignored (with a warning) by the credentials flow, which uses `.default`. */
  requestedScopes?: string[];
  /** Alias of `requestedScopes` (python-o365's `scopes=`). Passing both with different values is an error. */
  scopes?: string[];
  /** Authorization flow: where the identity platform redirects; `http://localhost[:port]` is caught on a loopback server. */
  redirectUri?: string;
  /** Authorization flow: see {@link ConsentHandler}. */
  handleConsent?: ConsentHandler;
  /** Device code flow: see {@link DeviceCodeCallback}. */
  deviceCodeCallback?: DeviceCodeCallback;
  /** Authorization flow: pre-fills the sign-in name. */
  loginHint?: string;
  /** Device code flow: stop polling after this many seconds. */
  timeoutSeconds?: number;
  /**
   * Stops waiting for the person: device code polling stops at its next interval, the loopback
   * server closes, a pending paste is no longer awaited. `authenticate()` then rejects with the
   * signal's reason. (A token request already sent is not interrupted.)
   */
  signal?: AbortSignal;
}

/**
 * One user's side of an {@link Account} (from {@link Account.forUser}): tokens, Graph and the
 * directory, always for that user.
 *
 * @example
 * ```ts
 * const me = await account.forUser(req.session.username).getCurrentUser();
 * ```
 */
export interface UserAccount extends UserConnection {
  /** The directory, its requests carrying this user's token. */
  directory(options?: { resource?: string }): Directory;
  /** This user (`/me`, or the main resource). */
  getCurrentUser(options?: GetUserOptions): Promise<User>;
}

const NATIVE_CLIENT_PATH = '/common/oauth2/nativeclient';

/**
 * A Microsoft 365 account: python-o365's `Account`. Signs in with one of the OAuth flows, keeps
 * tokens in a {@link TokenBackend}, and gives access to Microsoft Graph.
 *
 * @example
 * ```ts
 * const account = new Account(['client-id', 'client-secret'], { authFlowType: 'credentials', tenantId: 'contoso-tenant-id' });
 * if (await account.authenticate()) {
 *   for await (const user of account.directory().getUsers({ limit: 10 })) console.log(user.displayName);
 * }
 * ```
 */
export class Account implements TokenCredential {
  /** The connection: tokens, refresh, the authenticated Graph session. */
  readonly connection: Connection;
  readonly #options: AccountOptions;
  readonly #mainResource: string | undefined;

  constructor(credentials: Credentials, options: AccountOptions = {}) {
    this.connection = new Connection(credentials, options);
    this.#options = { ...options, password: undefined };
    this.#mainResource = options.mainResource;
  }

  /** The protocol (Graph URL, scope prefix, scope helpers). */
  get protocol(): Connection['protocol'] {
    return this.connection.protocol;
  }

  get authFlowType(): AuthFlowType {
    return this.connection.authFlowType;
  }

  /** The selected user; set it to switch between users of one token cache. */
  get username(): string | undefined {
    return this.connection.username;
  }

  set username(value: string | undefined) {
    this.connection.username = value;
  }

  /**
   * The account acting for one user of the token cache, whatever `username` is set to later.
   * **The way for servers** handling several users at once: name the user per request instead of
   * setting the shared `username` (two overlapping requests would otherwise race for it).
   *
   * @example
   * ```ts
   * app.get('/profile', async (req, res) => {
   *   const user = account.forUser(req.session.username); // no shared state: safe under concurrency
   *   res.json((await user.getCurrentUser()).displayName);
   * });
   * ```
   */
  forUser(username: string): UserAccount {
    const view = this.connection.forUser(username);
    const directory = (options: { resource?: string } = {}): Directory => this.#directory(view.getSession(), options);
    return {
      ...view, // a plain object of arrow functions: spreading keeps them bound
      directory,
      getCurrentUser: (options: GetUserOptions = {}) => directory().getCurrentUser(options),
    };
  }

  /** The Graph resource this account acts on (`me`, `users/{id}`, ...). */
  get mainResource(): string {
    return resolveMainResource(this.#mainResource ?? this.protocol.defaultResource, { appOnly: this.connection.appOnly });
  }

  /**
   * Signs in with the account's flow. Resolves `true` on success, `false` only when the person
   * aborted (empty paste, declined device code); rejects with a typed error otherwise
   * (`InvalidCredentialsError`, `InteractionRequiredError`, `AuthenticationError`...).
   *
   * @example
   * ```ts
   * const ok = await account.authenticate({ requestedScopes: ['basic', 'users'] });
   * ```
   */
  async authenticate(options: AuthenticateOptions = {}): Promise<boolean> {
    const { requestedScopes, scopes } = options;
    if (requestedScopes !== undefined && scopes !== undefined && JSON.stringify(requestedScopes) !== JSON.stringify(scopes)) {
      throw new TypeError('Pass either requestedScopes or scopes (its alias), not both with different values');
    }
    const wanted = requestedScopes ?? scopes;
    if (wanted !== undefined && (!Array.isArray(wanted) || wanted.some((s) => typeof s !== 'string'))) {
      throw new TypeError('requestedScopes must be an array of strings');
    }
    throwIfAborted(options.signal);
    switch (this.authFlowType) {
      case 'credentials':
      case 'managedIdentity':
        return this.connection.acquireWithClientCredentials(wanted);
      case 'password':
        return this.connection.acquireWithPassword(wanted);
      case 'external':
        // Nothing to sign in: the token comes from elsewhere; true while it is valid.
        return this.connection.isAuthenticated();
      case 'device': {
        const callback = options.deviceCodeCallback ?? this.#options.deviceCodeCallback ?? ((info) => this.#write(info.message));
        return this.connection.acquireWithDeviceCode(wanted, callback, {
          ...(options.timeoutSeconds ? { timeoutSeconds: options.timeoutSeconds } : {}),
          ...(options.signal ? { signal: options.signal } : {}),
        });
      }
      default: {
        const handleConsent = options.handleConsent ?? this.#options.handleConsent;
        return signInInteractively(this.connection, wanted, {
          redirectUri: options.redirectUri ?? this.#options.redirectUri ?? `${this.protocol.authorityHost}${NATIVE_CLIENT_PATH}`,
          ...(handleConsent ? { handleConsent } : {}),
          ...(options.loginHint ? { loginHint: options.loginHint } : {}),
          loopbackTimeoutMs: this.#options.loopbackTimeoutMs ?? 300_000,
          write: (text) => this.#write(text),
          input: this.#options.input ?? readLine,
          ...(options.signal ? { signal: options.signal } : {}),
        });
      }
    }
  }

  #write(text: string): void {
    (this.#options.output ?? writeLine)(text);
  }

  /**
   * Web apps, step 1: the URL to redirect the person to and the `flow` to keep in their session
   * (plain JSON).
   *
   * @example
   * ```ts
   * const { url, flow } = await account.getAuthorizationUrl(['basic'], { redirectUri: 'https://app.example/callback' });
   * req.session.flow = flow; res.redirect(url);
   * ```
   */
  getAuthorizationUrl(
    requestedScopes: string[] | undefined,
    options: AuthorizationUrlOptions,
  ): Promise<{ url: string; flow: AuthorizationFlow }> {
    return this.connection.getAuthorizationUrl(requestedScopes, options);
  }

  /**
   * Web apps, step 2: exchanges the code of the redirected URL.
   *
   * @example
   * ```ts
   * await account.requestToken(`https://app.example${req.originalUrl}`, { flow: req.session.flow });
   * ```
   */
  requestToken(redirectedUrl: string, options: { flow: AuthorizationFlow }): Promise<boolean> {
    return this.connection.requestToken(redirectedUrl, options);
  }

  /** Whether tokens are stored for the selected user (or the app); no network. */
  /** See {@link Connection.importRefreshToken}: a user signed in elsewhere, kept signed in. */
  importRefreshToken(refreshToken: string, requestedScopes?: readonly string[]): Promise<string | undefined> {
    return this.connection.importRefreshToken(refreshToken, requestedScopes);
  }

  /** See {@link Connection.migrateLegacyToken}: a python-o365 token from before 2.1, migrated. */
  migrateLegacyToken(requestedScopes?: readonly string[]): Promise<boolean> {
    return this.connection.migrateLegacyToken(requestedScopes);
  }

  isAuthenticated(): Promise<boolean> {
    return this.connection.isAuthenticated();
  }

  /** Forgets every token: memory and backend. */
  clearTokenCache(): Promise<void> {
    return this.connection.clearTokenCache();
  }

  /** Usernames of every account in the token cache. */
  getAuthenticatedUsernames(): Promise<string[]> {
    return this.connection.getAuthenticatedUsernames();
  }

  /** Removes a user's tokens (default: the selected user). */
  logout(username?: string): Promise<boolean> {
    return this.connection.logout(username);
  }

  /**
   * The directory (users) of the tenant. `resource` (python-o365's `directory(resource=...)`)
   * replaces the account's `mainResource` for `getCurrentUser()`.
   *
   * @example
   * ```ts
   * for await (const u of account.directory().getUsers({ limit: 50, orderBy: 'displayName' })) console.log(u.displayName);
   * const alex = await appAccount.directory({ resource: 'alexw@contoso.com' }).getCurrentUser();
   * ```
   */
  directory(options: { resource?: string } = {}): Directory {
    return this.#directory(this.connection.getSession(), options);
  }

  #directory(session: GraphSession, options: { resource?: string }): Directory {
    const appOnly = this.connection.appOnly;
    const resource = options.resource ?? this.#mainResource;
    return new Directory({
      session,
      protocol: this.protocol,
      appOnly,
      ...(resource !== undefined ? { mainResource: resource } : {}),
    });
  }

  /**
   * The signed-in user (`/me`), or the main resource's user for the credentials flow.
   *
   * @example
   * ```ts
   * console.log((await account.getCurrentUser()).displayName);
   * const me = await account.getCurrentUser({ select: ['displayName', 'department'], signal: AbortSignal.timeout(10_000) });
   * ```
   */
  async getCurrentUser(options: GetUserOptions = {}): Promise<User> {
    return this.directory().getCurrentUser(options);
  }

  /** A `User` object for a user id or user principal name (no request is made). */
  newUser(idOrUpn: string): User {
    if (typeof idOrUpn !== 'string' || idOrUpn.trim() === '') throw new TypeError('newUser needs a user id or user principal name');
    const value = idOrUpn.trim();
    return new User(value.includes('@') ? { userPrincipalName: value, mail: value } : { id: value });
  }

  /** `@azure/core-auth` `TokenCredential.getToken`. */
  getToken(scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken> {
    return this.connection.getToken(scopes, options);
  }

  /** Closes idle HTTP connections. */
  close(): Promise<void> {
    return this.connection.close();
  }

  [inspect.custom](): string {
    return `Account ${inspect(
      redactData({
        clientId: this.connection.clientId,
        authFlowType: this.authFlowType,
        tenantId: this.connection.tenantId,
        username: this.username,
        mainResource: this.#mainResource,
      }),
    )}`;
  }

  toJSON(): Record<string, unknown> {
    return this.connection.toJSON();
  }

  toString(): string {
    return `Account(${this.connection.clientId}${this.username ? `, ${this.username}` : ''})`;
  }
}
