import { randomUUID } from 'node:crypto';
import type {
  AccountInfo,
  AuthenticationResult,
  ConfidentialClientApplication,
  Configuration,
  ICachePlugin,
  PublicClientApplication,
} from '@azure/msal-node';
import { loadMsal } from './load-msal.js';
import { AuthenticationError, type O365Error } from '../errors.js';
import type { HttpClient } from '../http/http-client.js';
import type { Logger } from '../logger.js';
import { redactText } from '../redact.js';
import { discoverAuthorityMetadata } from './authority.js';
import { isAssertion, isCertificate, type ClientCredential } from './credentials.js';
import { mapAuthError, type AuthOperation } from './error-mapping.js';
import { msalLoggerOptions } from './msal-logger.js';
import { MsalNetworkClient } from './network-client.js';
import type { TokenCache } from './token-cache.js';

type MsalApplication = PublicClientApplication | ConfidentialClientApplication;

/** Options of {@link MsalClient}. */
export interface MsalClientOptions {
  clientId: string;
  credential?: ClientCredential;
  /** `${authorityHost}/${tenantId}`. */
  authority: string;
  http: HttpClient;
  logger: Logger;
  cache: TokenCache;
  /** Distinguishes TLS/proxy settings in the per-process discovery cache. */
  trustKey: string;
  /** Declared to the identity platform with every token request (`cp1`: handles CAE claims challenges). */
  clientCapabilities?: string[];
}

/**
 * The msal-node side: builds the public or confidential client application once (with the
 * authority metadata discovered once per process, so msal-node makes no discovery request of its
 * own), runs each grant with a correlation id, and maps failures to o365-ts errors.
 */
export class MsalClient {
  readonly #options: MsalClientOptions;
  readonly #network: MsalNetworkClient;
  readonly #apps = new Map<'whole' | 'account', Promise<MsalApplication>>();

  constructor(options: MsalClientOptions) {
    this.#options = options;
    this.#network = new MsalNetworkClient(options.http, options.logger);
  }

  /** The app's client id, as configured. */
  get clientId(): string {
    return this.#options.clientId;
  }

  /** `${authorityHost}/${tenantId}`. */
  get authority(): string {
    return this.#options.authority;
  }

  /** Whether the app is confidential (has a secret, certificate or assertion). */
  get confidential(): boolean {
    return this.#options.credential !== undefined;
  }

  /** The application for sign-ins and on-behalf-of: msal-node sees the whole cache. */
  application(): Promise<MsalApplication> {
    return this.#built('whole', this.#options.cache.plugin);
  }

  /**
   * The application for calls about one account (refresh, sign-out), made under the cache's lock
   * one at a time: msal-node sees that account's entries only, in an in-memory cache of its own
   * that no sign-in running meanwhile replaces.
   */
  #accountApplication(): Promise<MsalApplication> {
    return this.#built('account', this.#options.cache.accountPlugin);
  }

  /** Each application is built once; a failed build is forgotten, so the next call tries again. */
  #built(kind: 'whole' | 'account', cachePlugin: ICachePlugin): Promise<MsalApplication> {
    let app = this.#apps.get(kind);
    if (app === undefined) {
      const building = this.#build(cachePlugin);
      app = building;
      this.#apps.set(kind, building);
      building.catch(() => {
        if (this.#apps.get(kind) === building) this.#apps.delete(kind);
      });
    }
    return app;
  }

  async #build(cachePlugin: ICachePlugin): Promise<MsalApplication> {
    const { clientId, credential, authority, http, logger, trustKey, clientCapabilities } = this.#options;
    let authorityMetadata: string;
    try {
      authorityMetadata = await discoverAuthorityMetadata(authority, http, trustKey);
    } catch (error) {
      throw mapAuthError(error, 'discovery');
    }
    const host = new URL(authority).host;
    const auth: Configuration['auth'] = {
      clientId,
      authority,
      knownAuthorities: [host],
      authorityMetadata,
      ...(clientCapabilities !== undefined && clientCapabilities.length > 0 ? { clientCapabilities } : {}),
    };
    if (typeof credential === 'string') {
      auth.clientSecret = credential;
    } else if (isCertificate(credential)) {
      const thumbprint = credential.thumbprint.replace(/[^0-9a-fA-F]/g, '');
      auth.clientCertificate = {
        ...(thumbprint.length === 64 ? { thumbprintSha256: thumbprint } : { thumbprint }),
        privateKey: credential.privateKey,
        ...(credential.x5c ? { x5c: credential.x5c } : {}),
      };
    } else if (isAssertion(credential)) {
      const assertion = credential.clientAssertion;
      auth.clientAssertion =
        typeof assertion === 'string'
          ? assertion
          : (config) => assertion({ clientId: config.clientId, ...(config.tokenEndpoint ? { tokenEndpoint: config.tokenEndpoint } : {}) });
    }
    const config: Configuration = {
      auth,
      cache: { cachePlugin },
      system: {
        networkClient: this.#network,
        loggerOptions: msalLoggerOptions(logger),
      },
    };
    const msal = await loadMsal();
    try {
      return credential === undefined ? new msal.PublicClientApplication(config) : new msal.ConfidentialClientApplication(config);
    } catch (error) {
      throw new AuthenticationError(`Invalid client configuration: ${redactText(error instanceof Error ? error.message : String(error))}`, {
        cause: error,
      });
    }
  }

  /** What the network client saw of the request with this correlation id (the server's error body). */
  failureOf(correlationId: string): ReturnType<MsalNetworkClient['takeFailure']> {
    return this.#network.takeFailure(correlationId);
  }

  /** Runs one msal-node call with a fresh correlation id; failures become o365-ts errors. */
  async run<T>(operation: AuthOperation, scopes: readonly string[], fn: (correlationId: string) => Promise<T>): Promise<T> {
    const correlationId = randomUUID();
    try {
      return await fn(correlationId);
    } catch (error) {
      throw this.mapError(error, operation, correlationId, scopes);
    }
  }

  /**
   * Maps an msal-node error, using what the network client saw for that request and what this
   * engine knows (client id, authority, scopes), so the advice can name the scope or give the
   * admin-consent URL.
   */
  mapError(error: unknown, operation: AuthOperation, correlationId?: string, scopes?: readonly string[]): O365Error {
    const failure = correlationId ? this.#network.takeFailure(correlationId) : undefined;
    const { clientId, authority } = this.#options;
    return mapAuthError(error, operation, failure, { clientId, authority, ...(scopes ? { scopes } : {}) });
  }

  static required(result: AuthenticationResult | null, operation: string): AuthenticationResult {
    if (result === null || !result.accessToken) {
      throw new AuthenticationError(`The identity platform returned no access token (${operation})`);
    }
    return result;
  }

  /** Client credentials grant, always from the network (the caller keeps the token). */
  async acquireByClientCredential(scopes: string[], claims?: string): Promise<AuthenticationResult> {
    const app = await this.application();
    if (!(app instanceof (await loadMsal()).ConfidentialClientApplication)) {
      throw new AuthenticationError('The credentials flow needs a client secret, certificate or assertion: new Account([clientId, secret], ...)');
    }
    return this.run('credentials', scopes, async (correlationId) =>
      MsalClient.required(await app.acquireTokenByClientCredential({ scopes, correlationId, skipCache: true, ...(claims !== undefined ? { claims } : {}) }), 'client credentials'),
    );
  }

  /** Resource owner password credentials grant. */
  async acquireByPassword(scopes: string[], username: string, password: string): Promise<AuthenticationResult> {
    const app = await this.application();
    return this.run('password', scopes, async (correlationId) =>
      MsalClient.required(await app.acquireTokenByUsernamePassword({ scopes, username, password, correlationId }), 'password'),
    );
  }

  /** A refresh token obtained elsewhere, redeemed (msal-node's `acquireTokenByRefreshToken`): its user enters the cache. */
  async acquireByRefreshToken(refreshToken: string, scopes: string[]): Promise<AuthenticationResult> {
    const app = await this.application();
    return this.run('refresh', scopes, async (correlationId) =>
      MsalClient.required(await app.acquireTokenByRefreshToken({ refreshToken, scopes, correlationId, forceCache: true }), 'refresh token import'),
    );
  }

  /**
   * On-behalf-of: a token for `scopes` for the user of `assertion` (a web API's caller token).
   * msal-node looks in its cache first, where tokens are kept per assertion hash.
   */
  async acquireOnBehalfOf(assertion: string, scopes: string[], skipCache = false): Promise<AuthenticationResult> {
    const app = await this.application();
    if (!(app instanceof (await loadMsal()).ConfidentialClientApplication)) {
      throw new AuthenticationError('On-behalf-of needs a confidential client: new Account([clientId, secretOrCertificate], ...)');
    }
    // msal-node 7 looks in its in-memory cache before it calls the cache plugin for this flow.
    if (!skipCache) this.#options.cache.hydrate(app.getTokenCache());
    return this.run('on_behalf_of', scopes, async (correlationId) =>
      MsalClient.required(await app.acquireTokenOnBehalfOf({ oboAssertion: assertion, scopes, correlationId, skipCache }), 'on-behalf-of'),
    );
  }

  /** A new access token from the refresh token; `claims` (a CAE challenge's, as JSON) go with the request. Call under the cache's lock. */
  async refresh(account: AccountInfo, scopes: string[], claims?: string): Promise<AuthenticationResult> {
    const app = await this.#accountApplication();
    return this.#options.cache.forAccount(account.homeAccountId, () =>
      this.run('refresh', scopes, async (correlationId) =>
        MsalClient.required(
          await app.acquireTokenSilent({ account, scopes, forceRefresh: true, correlationId, ...(claims !== undefined ? { claims } : {}) }),
          'refresh',
        ),
      ),
    );
  }

  /** Removes an account and its tokens from the cache (the caller saves). Call under the cache's lock. */
  async removeAccount(account: AccountInfo): Promise<void> {
    const app = await this.#accountApplication();
    await this.#options.cache.forAccount(account.homeAccountId, () => app.getTokenCache().removeAccount(account));
  }
}
