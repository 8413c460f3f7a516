import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { createClock, type EmulatorClock } from './clock.js';
import { getCryptoMaterial, type GeneratedCertificate } from './crypto-material.js';
import { DEFAULT_IDS, defaultSeed, stableGuid } from './default-seed.js';
import { Directory } from './directory.js';
import { FaultRegistry, type FaultSpec, type ActiveFault } from './faults.js';
import { approveDeviceCode, declineDeviceCode } from './identity/device-code.js';
import { GrantStore } from './identity/grants.js';
import { raiseCaeEvent, revokeUsers } from './identity/revocation.js';
import { APP_SERVICE_IDENTITY_PATH } from './identity/managed-identity.js';
import { MAX_BODY_BYTES } from './http-kit.js';
import { RequestLog, type RecordedRequest } from './request-log.js';
import { validateSeed, type EmulatorSeed } from './seed.js';
import { createEmulatorServer, silentLogger, type EmulatorLogger } from './server.js';
import type { EmulatorState } from './state.js';
import { httpsOrigin } from './origin.js';

/**
 * Options of `startEmulator`.
 *
 * @example
 * ```ts
 * const emu = await startEmulator({ port: 0, deviceCodeInterval: 1 });
 * ```
 */
export interface StartEmulatorOptions {
  /** Port to listen on; 0 (default) picks a free one. */
  port?: number;
  /** Address to bind. Default `127.0.0.1`. */
  host?: string;
  /** Tenants, apps and users. Default: `defaultSeed()` (see the README). */
  seed?: EmulatorSeed;
  /** `interval` of device-code answers, seconds. Default 5 (Entra's). Tests may use 1. */
  deviceCodeInterval?: number;
  /** `expires_in` of device codes, seconds. Default 900. */
  deviceCodeExpiresIn?: number;
  /** Largest request body accepted, bytes. Default 1 MiB; larger bodies get 413. */
  maxBodyBytes?: number;
  /**
   * Time a client has to send a whole request, headers and body, in ms. Default 30000. A client
   * that stops mid-request (slowloris) gets 408 and its connection is closed.
   */
  requestTimeoutMs?: number;
  /** Receives the emulator's own failures. Default: silent. */
  logger?: EmulatorLogger;
}

/**
 * The identifiers of the seed a test uses most: the first tenant, apps and users.
 *
 * @example
 * ```ts
 * const { tenantId, clientId, clientSecret } = emu.defaults;
 * ```
 */
export interface EmulatorDefaults {
  tenantId: string;
  /** The first confidential app. */
  clientId: string;
  /** Its first secret. */
  clientSecret: string;
  /** The first public app. */
  publicClientId: string;
  /** The first user without MFA. */
  username: string;
  password: string;
  /** The first user that requires MFA (empty when the seed has none). */
  mfaUsername: string;
  /**
   * A certificate and key generated at start. With the default seed it is registered on the
   * confidential app; with a custom seed, add `certificate` to an app's `certificates`
   * (`emulatorAppCertificate()` gives it before start).
   */
  certificate: Pick<GeneratedCertificate, 'thumbprint' | 'thumbprintSha256' | 'privateKey' | 'certificate'>;
}

/**
 * A running emulator.
 *
 * @example
 * ```ts
 * const emu = await startEmulator({ port: 0 });
 * const res = await fetch(`${emu.authorityHost}/${emu.defaults.tenantId}/v2.0/.well-known/openid-configuration`, { dispatcher });
 * await emu.stop();
 * ```
 */
export interface Emulator {
  /** `https://127.0.0.1:PORT`, no trailing slash. */
  readonly url: string;
  /** Same origin as `url`: tenants live at `${authorityHost}/{tenant}/oauth2/v2.0/...`. */
  readonly authorityHost: string;
  /** Graph root with a trailing slash: `${graphUrl}v1.0/me`. */
  readonly graphUrl: string;
  /** PEM of the self-signed TLS certificate (CN and SAN 127.0.0.1, SAN localhost) to trust. */
  readonly ca: string;
  readonly defaults: EmulatorDefaults;
  readonly clock: EmulatorClock;
  readonly faults: Pick<FaultRegistry, 'add' | 'clear' | 'list'>;
  /** Requests received so far (admin routes excluded), oldest first; secrets never recorded. */
  requests(): RecordedRequest[];
  clearRequests(): void;
  /** Revokes refresh tokens and sessions of one user (UPN or id) or of everyone. */
  revokeRefreshTokens(username?: string): void;
  /**
   * A Continuous Access Evaluation critical event for one user (UPN or id) or everyone that leaves
   * refresh tokens valid (a Conditional Access re-evaluation, e.g. after a network change): Graph
   * answers CAE-capable tokens (`xms_cc: ["cp1"]`) issued before it with a claims challenge.
   * `revokeRefreshTokens` is such an event too, and a refresh then fails.
   */
  raiseCaeEvent(username?: string): void;
  /** Completes a device-code sign-in without the page (the page is the real path). */
  readonly deviceCodes: {
    approve(userCode: string, credentials: { username: string; password: string }): void;
    decline(userCode: string): void;
  };
  /**
   * Environment variables that point a managed identity client at this emulator:
   * `appService` gives `IDENTITY_ENDPOINT` + `IDENTITY_HEADER` (App Service / Functions,
   * api-version 2019-08-01); `imds` gives `AZURE_POD_IDENTITY_AUTHORITY_HOST`, the IMDS
   * override msal-node and @azure/identity read.
   */
  managedIdentityEnv(protocol: 'appService' | 'imds'): Record<string, string>;
  /** Stops listening and closes every connection. */
  stop(): Promise<void>;
}

/**
 * The certificate `startEmulator` registers on the default confidential app (one per process).
 *
 * @example
 * ```ts
 * const cert = await emulatorAppCertificate();
 * const seed = defaultSeed(cert.certificate);
 * ```
 */
export async function emulatorAppCertificate(): Promise<GeneratedCertificate> {
  return (await getCryptoMaterial()).appCertificate;
}

function deriveDefaults(seed: EmulatorSeed, cert: GeneratedCertificate): EmulatorDefaults {
  const tenant = seed.tenants[0]!;
  const confidential = tenant.apps.find((a) => !a.publicClient);
  const publicApp = tenant.apps.find((a) => a.publicClient);
  const user = tenant.users.find((u) => !u.mfaRequired && u.accountEnabled !== false) ?? tenant.users[0];
  const mfa = tenant.users.find((u) => u.mfaRequired);
  return {
    tenantId: tenant.id,
    clientId: confidential?.clientId ?? '',
    clientSecret: confidential?.secrets?.[0] ?? '',
    publicClientId: publicApp?.clientId ?? '',
    username: user?.userPrincipalName ?? '',
    password: user?.password ?? '',
    mfaUsername: mfa?.userPrincipalName ?? '',
    certificate: {
      thumbprint: cert.thumbprint,
      thumbprintSha256: cert.thumbprintSha256,
      privateKey: cert.privateKey,
      certificate: cert.certificate,
    },
  };
}

/**
 * Starts an emulator of the Microsoft identity platform (v2.0) and of Microsoft Graph's users
 * API on HTTPS, on 127.0.0.1.
 *
 * @example
 * ```ts
 * import { startEmulator } from '@o365/emulator';
 * const emu = await startEmulator({ port: 0 });
 * // msal-node: authority `${emu.authorityHost}/${emu.defaults.tenantId}`, knownAuthorities [new URL(emu.url).host]
 * await emu.stop();
 * ```
 */
export async function startEmulator(options: StartEmulatorOptions = {}): Promise<Emulator> {
  const crypto = await getCryptoMaterial();
  // A private copy: later changes to the caller's object must not reach the running emulator.
  const seed = structuredClone(options.seed ?? defaultSeed(crypto.appCertificate.certificate));
  validateSeed(seed);
  const host = options.host ?? '127.0.0.1';
  const interval = options.deviceCodeInterval ?? 5;
  if (!Number.isInteger(interval) || interval < 1) throw new RangeError('deviceCodeInterval must be an integer >= 1');
  const requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
  if (!Number.isInteger(requestTimeoutMs) || requestTimeoutMs < 1) throw new RangeError('requestTimeoutMs must be an integer >= 1');
  const state: EmulatorState = {
    url: '',
    directory: new Directory(seed, (clientId) => stableGuid(`sp:${clientId.toLowerCase()}`)),
    clock: createClock(),
    crypto,
    grants: new GrantStore(),
    faults: new FaultRegistry(),
    log: new RequestLog(),
    settings: {
      deviceCodeInterval: interval,
      deviceCodeExpiresIn: options.deviceCodeExpiresIn ?? 900,
      maxBodyBytes: options.maxBodyBytes ?? MAX_BODY_BYTES,
      requestTimeoutMs,
      identityHeader: randomUUID(),
    },
  };
  const { server, cancelDelays, destroySockets } = createEmulatorServer(
    state,
    { key: crypto.tls.privateKey, cert: crypto.tls.certificate },
    options.logger ?? silentLogger,
  );
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  state.url = httpsOrigin(host, port);
  let stopped: Promise<void> | undefined;
  const faults = state.faults;
  return {
    url: state.url,
    authorityHost: state.url,
    graphUrl: `${state.url}/`,
    ca: crypto.tls.certificate,
    defaults: deriveDefaults(seed, crypto.appCertificate),
    clock: state.clock,
    faults: {
      add: (spec: FaultSpec) => faults.add(spec),
      clear: () => faults.clear(),
      list: (): ActiveFault[] => faults.list(),
    },
    requests: () => state.log.list(),
    clearRequests: () => state.log.clear(),
    revokeRefreshTokens: (username?: string) => {
      revokeUsers(state, username);
    },
    raiseCaeEvent: (username?: string) => {
      raiseCaeEvent(state, username);
    },
    managedIdentityEnv: (protocol): Record<string, string> =>
      protocol === 'imds'
        ? { AZURE_POD_IDENTITY_AUTHORITY_HOST: state.url }
        : { IDENTITY_ENDPOINT: `${state.url}${APP_SERVICE_IDENTITY_PATH}`, IDENTITY_HEADER: state.settings.identityHeader },
    deviceCodes: {
      approve: (userCode, credentials) => approveDeviceCode(state, userCode, credentials),
      decline: (userCode) => declineDeviceCode(state, userCode),
    },
    stop() {
      stopped ??= new Promise<void>((resolve) => {
        cancelDelays();
        server.close(() => resolve());
        server.closeAllConnections();
        destroySockets();
      });
      return stopped;
    },
  };
}

export { DEFAULT_IDS };
