/**
 * Ready-made client assertions for workload identity federation: the app proves itself with a
 * token another issuer gave this workload (a Kubernetes service account token, a GitHub Actions
 * OIDC token) instead of a secret or certificate. Entra checks it against the app's federated
 * identity credentials (issuer, subject, audience).
 */
import { readFile } from 'node:fs/promises';
import { FederatedTokenError, InvalidArgumentError } from '../errors.js';
import { registerSecret } from '../redact.js';
import type { ClientAssertionCredential } from './credentials.js';

/** The audience Entra expects in a federated token unless the credential names another. */
export const TOKEN_EXCHANGE_AUDIENCE = 'api://AzureADTokenExchange';

/**
 * Options of {@link federatedTokenFileAssertion}.
 *
 * @example
 * ```ts
 * const options: FederatedTokenFileOptions = { path: '/var/run/secrets/azure/tokens/azure-identity-token' };
 * ```
 */
export interface FederatedTokenFileOptions {
  /** The token file. Default: `AZURE_FEDERATED_TOKEN_FILE` (set by AKS workload identity). */
  path?: string;
  /** Where the default is read from. Default `process.env`. */
  env?: NodeJS.ProcessEnv;
}

/**
 * A client assertion read from a file, read again for every token request, so a token the
 * platform rotates (Kubernetes projects a new one before the old expires) is always the current one.
 *
 * @example
 * ```ts
 * import { Account, federatedTokenFileAssertion } from '@o365/core';
 * // On AKS with workload identity: AZURE_CLIENT_ID, AZURE_TENANT_ID and AZURE_FEDERATED_TOKEN_FILE are set.
 * const account = new Account([process.env.AZURE_CLIENT_ID!, federatedTokenFileAssertion()], {
 *   authFlowType: 'credentials',
 *   tenantId: process.env.AZURE_TENANT_ID!,
 * });
 * ```
 */
export function federatedTokenFileAssertion(options: FederatedTokenFileOptions = {}): ClientAssertionCredential {
  const path = options.path ?? (options.env ?? process.env)['AZURE_FEDERATED_TOKEN_FILE'];
  if (!path) {
    throw new InvalidArgumentError('federatedTokenFileAssertion: no token file: pass { path } or set AZURE_FEDERATED_TOKEN_FILE', { parameter: 'path' });
  }
  return {
    clientAssertion: async () => {
      let text: string;
      try {
        text = await readFile(path, 'utf8');
      } catch (cause) {
        const code = (cause as NodeJS.ErrnoException).code ?? 'error';
        throw new FederatedTokenError(`The federated token file ${path} could not be read (${code})`, { source: path, cause });
      }
      const token = text.trim();
      if (token.split('.').length !== 3) {
        throw new FederatedTokenError(`The federated token file ${path} does not hold a JWT (${token.length} characters)`, { source: path });
      }
      registerSecret(token);
      return token;
    },
  };
}

/**
 * Options of {@link githubActionsAssertion}.
 *
 * @example
 * ```ts
 * const options: GitHubActionsAssertionOptions = { audience: 'api://AzureADTokenExchange' };
 * ```
 */
export interface GitHubActionsAssertionOptions {
  /** The `aud` of the OIDC token; the federated credential must list it. Default `api://AzureADTokenExchange`. */
  audience?: string;
  /** Default `ACTIONS_ID_TOKEN_REQUEST_URL` (set in a job with `permissions: id-token: write`). */
  requestUrl?: string;
  /** Default `ACTIONS_ID_TOKEN_REQUEST_TOKEN`. */
  requestToken?: string;
  /** Where the defaults are read from. Default `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** Bound of one request to the OIDC endpoint. Default 10 000 ms. */
  timeoutMs?: number;
}

/**
 * A client assertion fetched from GitHub Actions' OIDC endpoint for every token request (the
 * job's token lives minutes), for a workflow that signs in without a stored secret.
 *
 * @example
 * ```ts
 * import { Account, githubActionsAssertion } from '@o365/core';
 * // In a job with `permissions: { id-token: write }`; the app has a federated credential for
 * // issuer https://token.actions.githubusercontent.com, subject repo:contoso/app:ref:refs/heads/main.
 * const account = new Account([clientId, githubActionsAssertion()], { authFlowType: 'credentials', tenantId });
 * ```
 */
export function githubActionsAssertion(options: GitHubActionsAssertionOptions = {}): ClientAssertionCredential {
  const env = options.env ?? process.env;
  const requestUrl = options.requestUrl ?? env['ACTIONS_ID_TOKEN_REQUEST_URL'];
  const requestToken = options.requestToken ?? env['ACTIONS_ID_TOKEN_REQUEST_TOKEN'];
  if (!requestUrl || !requestToken) {
    throw new InvalidArgumentError(
      'githubActionsAssertion: ACTIONS_ID_TOKEN_REQUEST_URL and ACTIONS_ID_TOKEN_REQUEST_TOKEN are not set: run in a GitHub Actions job with `permissions: id-token: write`, or pass { requestUrl, requestToken }',
      { parameter: requestUrl ? 'requestToken' : 'requestUrl' },
    );
  }
  let url: URL;
  try {
    url = new URL(requestUrl);
  } catch (cause) {
    throw new InvalidArgumentError('githubActionsAssertion: ACTIONS_ID_TOKEN_REQUEST_URL is not a URL', { parameter: 'requestUrl', cause });
  }
  registerSecret(requestToken);
  url.searchParams.set('audience', options.audience ?? TOKEN_EXCHANGE_AUDIENCE);
  const source = url.origin;
  const timeoutMs = options.timeoutMs ?? 10_000;
  return {
    clientAssertion: async () => {
      let response: Response;
      try {
        response = await fetch(url, { headers: { authorization: `bearer ${requestToken}`, accept: 'application/json' }, signal: AbortSignal.timeout(timeoutMs) });
      } catch (cause) {
        throw new FederatedTokenError(`The GitHub Actions OIDC endpoint ${source} could not be reached`, { source, cause: cause instanceof Error ? new Error(cause.message) : cause });
      }
      const text = await response.text().catch(() => '');
      if (!response.ok) {
        throw new FederatedTokenError(`The GitHub Actions OIDC endpoint ${source} answered HTTP ${response.status}`, { source });
      }
      let value: unknown;
      try {
        value = (JSON.parse(text) as { value?: unknown }).value;
      } catch {
        value = undefined;
      }
      if (typeof value !== 'string' || value.split('.').length !== 3) {
        throw new FederatedTokenError(`The GitHub Actions OIDC endpoint ${source} answered without a token`, { source });
      }
      registerSecret(value);
      return value;
    },
  };
}
