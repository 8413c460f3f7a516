import type { AppModel, TenantModel } from '../directory.js';
import { sendJson, toParams, type RequestContext } from '../http-kit.js';
import type { SeedManagedIdentity } from '../seed.js';
import type { EmulatorState } from '../state.js';
import { AadFailure } from './aad-errors.js';
import { parseScopes } from './scopes.js';
import { issueAppToken } from './token-issuer.js';

/** Path of the Azure Instance Metadata Service token endpoint. */
export const IMDS_TOKEN_PATH = '/metadata/identity/oauth2/token';
/** Path of the App Service / Functions identity endpoint (`IDENTITY_ENDPOINT`). */
export const APP_SERVICE_IDENTITY_PATH = '/msi/token';

interface Found {
  tenant: TenantModel;
  identity: SeedManagedIdentity;
}

function lower(v: string | undefined): string | undefined {
  return v?.toLowerCase();
}

/** The identity a request selects: user-assigned by one of its ids, else the system-assigned one. */
function findIdentity(state: EmulatorState, params: ReturnType<typeof toParams>): Found | undefined {
  const clientId = lower(params.get('client_id'));
  const resourceId = lower(params.get('mi_res_id') ?? params.get('msi_res_id'));
  const objectId = lower(params.get('object_id') ?? params.get('principal_id'));
  const wantsUserAssigned = clientId !== undefined || resourceId !== undefined || objectId !== undefined;
  for (const tenant of state.directory.tenants) {
    for (const identity of tenant.seed.managedIdentities ?? []) {
      const system = identity.systemAssigned === true;
      if (!wantsUserAssigned) {
        if (system) return { tenant, identity };
        continue;
      }
      if (system) continue;
      if (
        (clientId && lower(identity.clientId) === clientId) ||
        (resourceId && lower(identity.resourceId) === resourceId) ||
        (objectId && lower(identity.objectId) === objectId)
      )
        return { tenant, identity };
    }
  }
  return undefined;
}

/** A managed identity is a service principal: modelled as an app with no credentials. */
function asApp(tenant: TenantModel, identity: SeedManagedIdentity): AppModel {
  return {
    seed: { clientId: identity.clientId, displayName: identity.displayName ?? identity.clientId },
    tenant,
    certificates: [],
    applicationPermissions: identity.applicationPermissions ?? [],
    isPublic: false,
    accessTokenLifetime: 86_399,
    refreshTokenLifetime: 0,
    servicePrincipalId: identity.objectId,
  };
}

function miError(ctx: RequestContext, status: number, error: string, description: string): void {
  sendJson(ctx, status, { error, error_description: description }, { 'Cache-Control': 'no-store' });
}

/**
 * Serves both managed identity protocols: IMDS (`Metadata: true`, api-version 2018-02-01) and
 * App Service (`X-IDENTITY-HEADER`, api-version 2019-08-01). The answers differ as Azure's do:
 * IMDS sends every number as a string and includes `expires_in`; App Service sends `expires_on`.
 */
export function handleManagedIdentity(state: EmulatorState, ctx: RequestContext, protocol: 'imds' | 'appService'): void {
  if (ctx.method !== 'GET') {
    miError(ctx, 405, 'invalid_request', 'Only GET is supported.');
    return;
  }
  if (protocol === 'imds') {
    if (ctx.req.headers['metadata']?.toString().toLowerCase() !== 'true') {
      miError(ctx, 400, 'invalid_request', 'Required metadata header not specified');
      return;
    }
  } else if (ctx.req.headers['x-identity-header'] !== state.settings.identityHeader) {
    // The header is the endpoint's shared secret; its value is never echoed.
    miError(ctx, 401, 'invalid_request', 'The X-IDENTITY-HEADER header is missing or wrong.');
    return;
  }
  const params = toParams(ctx.url.searchParams);
  const expectedVersion = protocol === 'imds' ? '2018-02-01' : '2019-08-01';
  if (!params.get('api-version')) {
    miError(ctx, 400, 'invalid_request', 'Required query variable \'api-version\' is missing');
    return;
  }
  if (params.get('api-version') !== expectedVersion) {
    miError(ctx, 400, 'invalid_request', `Unsupported api-version; this endpoint serves ${expectedVersion}.`);
    return;
  }
  const resource = params.get('resource');
  if (!resource) {
    miError(ctx, 400, 'invalid_request', 'Required query variable \'resource\' is missing');
    return;
  }
  const found = findIdentity(state, params);
  if (!found) {
    miError(ctx, 400, 'invalid_request', 'Identity not found');
    return;
  }
  let scopes;
  try {
    scopes = parseScopes(`${resource.replace(/\/+$/, '')}/.default`, found.tenant.id, state.directory);
  } catch (e) {
    if (!(e instanceof AadFailure)) throw e;
    miError(ctx, 400, 'invalid_resource', `AADSTS500011: The resource principal named ${resource} was not found.`);
    return;
  }
  const app = asApp(found.tenant, found.identity);
  const issued = issueAppToken(state, found.tenant, app, scopes, '2');
  const now = Math.floor(state.clock.now() / 1000);
  const expiresOn = String(now + issued.expires_in);
  const body: Record<string, string> = {
    access_token: issued.access_token,
    expires_on: expiresOn,
    resource,
    token_type: 'Bearer',
    client_id: found.identity.clientId,
  };
  if (protocol === 'imds') {
    body['expires_in'] = String(issued.expires_in);
    body['ext_expires_in'] = String(issued.expires_in);
    body['not_before'] = String(now);
  }
  sendJson(ctx, 200, body, { 'Cache-Control': 'no-store' });
}
