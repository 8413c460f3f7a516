import type { AuthenticationResult, ManagedIdentityApplication, ManagedIdentityIdParams } from '@azure/msal-node';
import { loadMsal } from './load-msal.js';
import { AuthenticationError } from '../errors.js';
import type { HttpClient } from '../http/http-client.js';
import type { Logger } from '../logger.js';
import { redactText, registerSecret } from '../redact.js';
import { mapAuthError } from './error-mapping.js';
import { msalLoggerOptions } from './msal-logger.js';
import { MsalNetworkClient } from './network-client.js';

/**
 * Which user-assigned managed identity to use, by exactly one of its ids. Without one, the
 * resource's system-assigned identity is used.
 *
 * @example
 * ```ts
 * const byResource: ManagedIdentityId = { resourceId: '/subscriptions/.../userAssignedIdentities/my-id' };
 * new Account([], { authFlowType: 'managedIdentity', managedIdentity: byResource });
 * ```
 */
export type ManagedIdentityId = { clientId: string } | { resourceId: string } | { objectId: string };

/** msal-node's own name for the system-assigned identity, used as the connection's client id. */
export const SYSTEM_ASSIGNED_MANAGED_IDENTITY = 'system_assigned_managed_identity';

/** Validates a {@link ManagedIdentityId} given from JavaScript (exactly one non-empty id). */
export function checkManagedIdentityId(value: unknown): ManagedIdentityId {
  if (value === null || typeof value !== 'object') {
    throw new TypeError('managedIdentity must be { clientId } or { resourceId } or { objectId }');
  }
  const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
  const known = entries.filter(([k]) => k === 'clientId' || k === 'resourceId' || k === 'objectId');
  if (known.length !== 1 || entries.length !== 1) {
    throw new TypeError(`managedIdentity must name exactly one of clientId, resourceId, objectId (got ${entries.map(([k]) => k).join(', ') || 'none'})`);
  }
  const [key, id] = known[0]!;
  if (typeof id !== 'string' || id.trim() === '') throw new TypeError(`managedIdentity.${key} must be a non-empty string`);
  return { [key]: id.trim() } as ManagedIdentityId;
}

/** The client id a connection reports for an identity (msal-node's naming). */
export function managedIdentityClientId(id: ManagedIdentityId | undefined): string {
  if (id === undefined) return SYSTEM_ASSIGNED_MANAGED_IDENTITY;
  if ('clientId' in id) return id.clientId;
  return 'resourceId' in id ? id.resourceId : id.objectId;
}

/**
 * The one resource a managed identity token is for. Managed identity endpoints take a resource,
 * not scopes: `https://graph.microsoft.com/.default` asks for `https://graph.microsoft.com`.
 */
export function managedIdentityResource(scopes: readonly string[]): string {
  const resources = [...new Set(scopes.map((s) => s.replace(/\/\.default$/, '')))];
  if (resources.length !== 1 || resources[0] === '' || resources[0] === '.default') {
    throw new TypeError(`a managed identity token is for one resource ('<resource>/.default'); got ${JSON.stringify(scopes)}`);
  }
  return resources[0]!;
}

/** Options of {@link ManagedIdentityEngine}. */
export interface ManagedIdentityEngineOptions {
  id?: ManagedIdentityId;
  http: HttpClient;
  logger: Logger;
}

/**
 * msal-node's `ManagedIdentityApplication` over core's HTTP client. msal-node picks the source
 * (App Service, IMDS, Azure Arc, Cloud Shell, Service Fabric) from the environment, once per
 * process. Tokens stay in memory: the connection keeps the current one, nothing goes to a backend.
 */
export class ManagedIdentityEngine {
  readonly #options: ManagedIdentityEngineOptions;
  readonly #network: MsalNetworkClient;
  #app: ManagedIdentityApplication | undefined;

  constructor(options: ManagedIdentityEngineOptions) {
    this.#options = options;
    this.#network = new MsalNetworkClient(options.http, options.logger);
    // The App Service endpoint's shared secret: keep it out of every log and message.
    registerSecret(process.env['IDENTITY_HEADER']);
  }

  async #application(): Promise<ManagedIdentityApplication> {
    if (this.#app !== undefined) return this.#app;
    const { ManagedIdentityApplication } = await loadMsal();
    if (this.#app !== undefined) return this.#app;
    const { id, logger } = this.#options;
    const managedIdentityIdParams: ManagedIdentityIdParams | undefined =
      id === undefined
        ? undefined
        : 'clientId' in id
          ? { userAssignedClientId: id.clientId }
          : 'resourceId' in id
            ? { userAssignedResourceId: id.resourceId }
            : { userAssignedObjectId: id.objectId };
    try {
      this.#app = new ManagedIdentityApplication({
        ...(managedIdentityIdParams ? { managedIdentityIdParams } : {}),
        system: {
          networkClient: this.#network,
          loggerOptions: msalLoggerOptions(logger),
        },
      });
    } catch (error) {
      throw new AuthenticationError(`Invalid managed identity configuration: ${redactText(error instanceof Error ? error.message : String(error))}`, {
        cause: error,
      });
    }
    return this.#app;
  }

  /**
   * A token for the resource of `scopes`. `forceRefresh` skips msal-node's in-memory copy (the
   * connection decided the token it holds is due).
   */
  async acquire(scopes: readonly string[], forceRefresh: boolean): Promise<AuthenticationResult> {
    const resource = managedIdentityResource(scopes);
    let result: AuthenticationResult | null;
    try {
      result = await (await this.#application()).acquireToken({ resource, forceRefresh });
    } catch (error) {
      throw mapAuthError(error, 'managed_identity', undefined, { scopes });
    }
    if (!result?.accessToken) throw new AuthenticationError('The managed identity endpoint returned no access token');
    return result;
  }
}
