import { randomUUID } from 'node:crypto';
import type {
  AccountInfo,
  AuthenticationResult,
  ConfidentialClientApplication,
  Configuration,
  PublicClientApplication,
} from '@azure/msal-node';
import { loadMsal } from './load-msal.js';
import { AuthenticationError, type O365Error } from '../errors.js';
import type { HttpClient } from '../http/http-client.js';
import type { Logger } from '../logger.js';
import { abortReason, throwIfAborted } from '../abort.js';
import { redactText } from '../redact.js';
import type { AbortSignalLike } from '../token-credential.js';
import { discoverAuthorityMetadata } from './authority.js';
import { isAssertion, isCertificate, type ClientCredential } from './credentials.js';
import { mapAuthError, type AuthOperation } from './error-mapping.js';
import { msalLoggerOptions } from './msal-logger.js';
import { MsalNetworkClient } from './network-client.js';
import type { TokenStore } from './token-store.js';

/** Options of {@link AuthEngine}. */
export interface AuthEngineOptions {
  clientId: string;
  credential?: ClientCredential;
  /** `${authorityHost}/${tenantId}`. */
  authority: string;
  http: HttpClient;
  logger: Logger;
  store: TokenStore;
  /** Distinguishes TLS/proxy settings in the per-process discovery cache. */
  trustKey: string;
  /** Declared to the identity platform with every token request (`cp1`: handles CAE claims challenges). */
  clientCapabilities?: string[];
}

/**
 * What the device code callback receives.
 *
 * @example
 * ```ts
 * await account.authenticate({ deviceCodeCallback: (info: DeviceCodeInfo) => console.log(`Go to ${info.verificationUri} and enter ${info.userCode}`) });
 * ```
 */
export interface DeviceCodeInfo {
  /** The code the person types at `verificationUri`. */
  userCode: string;
  verificationUri: string;
  /** Seconds until the code expires. */
  expiresIn: number;
  /** Microsoft's ready-to-print instruction. */
  message: string;
}

/** Everything step 2 of the authorization code flow needs (kept by the caller between steps). */
export interface AuthCodeRequestState {
  scopes: string[];
  redirectUri: string;
  state: string;
  nonce: string;
  codeVerifier: string;
}


/**
 * The msal-node side: builds the public or confidential client application once (with the
 * authority metadata discovered once per process, so msal-node makes no discovery request of its
 * own), runs each grant with a correlation id, and maps failures to o365-ts errors.
 */
export class AuthEngine {
  readonly #options: AuthEngineOptions;
  readonly #network: MsalNetworkClient;
  #app: Promise<PublicClientApplication | ConfidentialClientApplication> | undefined;

  constructor(options: AuthEngineOptions) {
    this.#options = options;
    this.#network = new MsalNetworkClient(options.http, options.logger);
  }

  /** Whether the app is confidential (has a secret, certificate or assertion). */
  get confidential(): boolean {
    return this.#options.credential !== undefined;
  }

  #application(): Promise<PublicClientApplication | ConfidentialClientApplication> {
    if (this.#app === undefined) {
      this.#app = this.#build();
      this.#app.catch(() => {
        this.#app = undefined;
      });
    }
    return this.#app;
  }

  async #build(): Promise<PublicClientApplication | ConfidentialClientApplication> {
    const { clientId, credential, authority, http, logger, store, trustKey, clientCapabilities } = this.#options;
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
      cache: { cachePlugin: store.plugin },
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

  /** Runs one msal-node call with a fresh correlation id; failures become o365-ts errors. */
  async #run<T>(operation: AuthOperation, scopes: readonly string[], fn: (correlationId: string) => Promise<T>): Promise<T> {
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

  static #required(result: AuthenticationResult | null, operation: string): AuthenticationResult {
    if (result === null || !result.accessToken) {
      throw new AuthenticationError(`The identity platform returned no access token (${operation})`);
    }
    return result;
  }

  /** Client credentials grant, always from the network (the caller keeps the token). */
  async acquireByClientCredential(scopes: string[], claims?: string): Promise<AuthenticationResult> {
    const app = await this.#application();
    if (!(app instanceof (await loadMsal()).ConfidentialClientApplication)) {
      throw new AuthenticationError('The credentials flow needs a client secret, certificate or assertion: new Account([clientId, secret], ...)');
    }
    return this.#run('credentials', scopes, async (correlationId) =>
      AuthEngine.#required(await app.acquireTokenByClientCredential({ scopes, correlationId, skipCache: true, ...(claims !== undefined ? { claims } : {}) }), 'client credentials'),
    );
  }

  /** Resource owner password credentials grant. */
  async acquireByPassword(scopes: string[], username: string, password: string): Promise<AuthenticationResult> {
    const app = await this.#application();
    return this.#run('password', scopes, async (correlationId) =>
      AuthEngine.#required(await app.acquireTokenByUsernamePassword({ scopes, username, password, correlationId }), 'password'),
    );
  }

  /** A refresh token obtained elsewhere, redeemed (msal-node's `acquireTokenByRefreshToken`): its user enters the cache. */
  async acquireByRefreshToken(refreshToken: string, scopes: string[]): Promise<AuthenticationResult> {
    const app = await this.#application();
    return this.#run('refresh', scopes, async (correlationId) =>
      AuthEngine.#required(await app.acquireTokenByRefreshToken({ refreshToken, scopes, correlationId, forceCache: true }), 'refresh token import'),
    );
  }

  /**
   * On-behalf-of: a token for `scopes` for the user of `assertion` (a web API's caller token).
   * msal-node looks in its cache first, where tokens are kept per assertion hash.
   */
  async acquireOnBehalfOf(assertion: string, scopes: string[], skipCache = false): Promise<AuthenticationResult> {
    const app = await this.#application();
    if (!(app instanceof (await loadMsal()).ConfidentialClientApplication)) {
      throw new AuthenticationError('On-behalf-of needs a confidential client: new Account([clientId, secretOrCertificate], ...)');
    }
    // msal-node 7 looks in its in-memory cache before it calls the cache plugin for this flow.
    if (!skipCache) this.#options.store.hydrate(app.getTokenCache());
    return this.#run('on_behalf_of', scopes, async (correlationId) =>
      AuthEngine.#required(await app.acquireTokenOnBehalfOf({ oboAssertion: assertion, scopes, correlationId, skipCache }), 'on-behalf-of'),
    );
  }

  /** A new access token from the refresh token; `claims` (a CAE challenge's, as JSON) go with the request. */
  async refresh(account: AccountInfo, scopes: string[], claims?: string): Promise<AuthenticationResult> {
    const app = await this.#application();
    return this.#run('refresh', scopes, async (correlationId) =>
      AuthEngine.#required(
        await app.acquireTokenSilent({ account, scopes, forceRefresh: true, correlationId, ...(claims !== undefined ? { claims } : {}) }),
        'refresh',
      ),
    );
  }

  /** Step 1 of the authorization code flow: the URL to send the person to, and what step 2 needs. */
  async authorizationUrl(
    scopes: string[],
    options: { redirectUri: string; state?: string; loginHint?: string; prompt?: string },
  ): Promise<{ url: string; request: AuthCodeRequestState }> {
    const app = await this.#application();
    const { verifier, challenge } = await new (await loadMsal()).CryptoProvider().generatePkceCodes();
    const state = options.state ?? randomUUID();
    const nonce = randomUUID();
    const url = await this.#run('authorization_url', scopes, (correlationId) =>
      app.getAuthCodeUrl({
        scopes,
        redirectUri: options.redirectUri,
        state,
        nonce,
        codeChallenge: challenge,
        codeChallengeMethod: 'S256',
        correlationId,
        ...(options.loginHint ? { loginHint: options.loginHint } : {}),
        ...(options.prompt ? { prompt: options.prompt } : {}),
      }),
    );
    return { url, request: { scopes, redirectUri: options.redirectUri, state, nonce, codeVerifier: verifier } };
  }

  /** Step 2: exchanges the code (state already checked by the caller). */
  async acquireByCode(request: AuthCodeRequestState, code: string, clientInfo?: string): Promise<AuthenticationResult> {
    const app = await this.#application();
    return this.#run('authorization_code', request.scopes, async (correlationId) =>
      AuthEngine.#required(
        await app.acquireTokenByCode(
          {
            code,
            scopes: request.scopes,
            redirectUri: request.redirectUri,
            codeVerifier: request.codeVerifier,
            state: request.state,
            nonce: request.nonce,
            correlationId,
          },
          { code, state: request.state, nonce: request.nonce, ...(clientInfo ? { client_info: clientInfo } : {}) },
        ),
        'authorization code',
      ),
    );
  }

  /**
   * Device code grant. Resolves `null` when the person declined (or the code expired unused);
   * rejects with a typed error otherwise.
   */
  async acquireByDeviceCode(
    scopes: string[],
    onCode: (info: DeviceCodeInfo) => void | Promise<void>,
    options: { timeoutSeconds?: number; signal?: AbortSignalLike } = {},
  ): Promise<AuthenticationResult | null> {
    throwIfAborted(options.signal);
    const app = await this.#application();
    if (!(app instanceof (await loadMsal()).PublicClientApplication)) {
      throw new AuthenticationError('The device code flow needs a public client: new Account([clientId], { authFlowType: "device" })');
    }
    const correlationId = randomUUID();
    let callbackError: unknown;
    const request = {
      scopes,
      correlationId,
      cancel: false,
      ...(options.timeoutSeconds ? { timeout: options.timeoutSeconds } : {}),
      deviceCodeCallback: (response: { userCode: string; verificationUri: string; expiresIn: number; message: string }) => {
        // The callback is synchronous for msal-node; a failing or rejecting callback cancels polling.
        try {
          const done = onCode({
            userCode: response.userCode,
            verificationUri: response.verificationUri,
            expiresIn: response.expiresIn,
            message: response.message,
          });
          if (done && typeof (done as Promise<void>).catch === 'function') {
            (done as Promise<void>).catch((error: unknown) => {
              callbackError = error;
              request.cancel = true;
            });
          }
        } catch (error) {
          callbackError = error;
          request.cancel = true;
        }
      },
    };
    // msal-node checks `cancel` between polls: an abort stops the polling at the next interval.
    const onAbort = (): void => {
      request.cancel = true;
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const result = await app.acquireTokenByDeviceCode(request);
      if (callbackError !== undefined) throw callbackError;
      return AuthEngine.#required(result, 'device code');
    } catch (error) {
      if (options.signal?.aborted) throw abortReason(options.signal);
      if (callbackError !== undefined) {
        throw new AuthenticationError('The device code callback failed; sign-in cancelled', { cause: callbackError });
      }
      const failure = this.#network.takeFailure(correlationId);
      const msal = error as { errorCode?: string; errorMessage?: string };
      const codes = [failure?.body?.error, msal.errorCode, msal.errorMessage];
      if (codes.some((c) => c === 'authorization_declined' || c === 'expired_token' || c === 'device_code_expired')) {
        return null;
      }
      throw mapAuthError(error, 'device_code', failure, { clientId: this.#options.clientId, authority: this.#options.authority, scopes });
    } finally {
      options.signal?.removeEventListener('abort', onAbort);
    }
  }

  /** Removes an account and its tokens from the in-memory cache (the caller saves). */
  async removeAccount(account: AccountInfo): Promise<void> {
    const app = await this.#application();
    await app.getTokenCache().removeAccount(account);
  }
}
