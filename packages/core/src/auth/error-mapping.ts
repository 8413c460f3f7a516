import {
  AuthenticationError,
  ConsentDeclinedError,
  InteractionRequiredError,
  InvalidCredentialsError,
  InvalidUserAssertionError,
  O365Error,
  TokenExpiredError,
  type O365ErrorOptions,
} from '../errors.js';
import { redactText } from '../redact.js';
import { clipServerText } from '../text-limits.js';
import type { NetworkFailure } from './network-client.js';

/** What was being done when the error happened; it picks the advice in the message. */
export type AuthOperation =
  | 'refresh'
  | 'credentials'
  | 'password'
  | 'authorization_code'
  | 'device_code'
  | 'authorization_url'
  | 'discovery'
  | 'managed_identity'
  | 'on_behalf_of';

// AADSTS numbers, as documented at https://learn.microsoft.com/entra/identity-platform/reference-error-codes
const EXPIRED = new Set([70008, 700082, 700084, 50173, 50132, 70043, 700081]);
const INVALID_CREDENTIALS = new Set([
  7000215, // invalid client secret
  7000222, // expired client secret
  700027, // client assertion signature/certificate
  700024, // client assertion not within its valid time range
  700016, // application not found in the directory
  50126, // invalid username or password
  50034, // user account does not exist
  50053, // account locked
  50057, // account disabled
  50055, // password expired
  7000218, // client_assertion or client_secret required
  90002, // tenant not found
  900023, // tenant id malformed
  700023, // invalid audience / authority
  700025, // client is public, secret given
]);
const INTERACTION = new Set([65001, 50076, 50079, 50072, 50074, 50158, 50125, 50105, 53003, 53000, 50012]);
const INTERACTION_ERRORS = new Set(['interaction_required', 'consent_required', 'login_required']);
const INTERACTION_SUBERRORS = new Set(['consent_required', 'basic_action', 'additional_action', 'message_only', 'user_password_expired']);

interface MsalLikeError {
  errorCode?: string;
  errorMessage?: string;
  subError?: string;
  correlationId?: string;
  errorNo?: string | number;
  status?: number;
  traceId?: string;
}

function asMsalError(error: unknown): MsalLikeError | undefined {
  if (error !== null && typeof error === 'object' && 'errorCode' in error) return error as MsalLikeError;
  return undefined;
}

function aadstsCodes(...texts: Array<string | undefined>): number[] {
  const codes = new Set<number>();
  for (const text of texts) {
    if (!text) continue;
    for (const match of text.matchAll(/AADSTS(\d{4,})/g)) codes.add(Number(match[1]));
  }
  return [...codes];
}

/** The first line of an AADSTS description, without its trace/correlation/timestamp trailer. */
function firstLine(description: string): string {
  const line = description.split(/\r?\n/)[0] ?? description;
  return redactText(line.replace(/\s*Trace ID:.*$/i, '').trim());
}

const ADVICE: Record<AuthOperation, string> = {
  refresh: 'Sign in again with account.authenticate().',
  credentials: 'Check the client id, tenant id and the client secret or certificate.',
  password: 'Check the username and password (and that the app allows public client flows).',
  authorization_code: 'Start the sign-in again.',
  device_code: 'Start the device code sign-in again.',
  authorization_url: 'Check the client id, tenant id and redirect URI.',
  discovery: 'Check authorityHost, tenantId and the TLS/proxy settings.',
  on_behalf_of: "Check the web API's client id, tenant id and client secret or certificate.",
  managed_identity:
    'Check that the code runs where this managed identity is assigned (App Service / Functions set IDENTITY_ENDPOINT and IDENTITY_HEADER; VMs and AKS answer on IMDS) and that the identity id is right.',
};

/**
 * What the caller knows about the request, used to make the advice concrete (the consent URL of
 * AADSTS65001, the scopes of AADSTS70011). Every field is optional.
 *
 * @example
 * ```ts
 * mapAuthError(error, 'authorization_code', failure, { clientId, authority: 'https://login.microsoftonline.com/contoso.com', scopes });
 * ```
 */
export interface AuthErrorContext {
  clientId?: string;
  /** Authority URL including the tenant, e.g. `https://login.microsoftonline.com/contoso.com`. */
  authority?: string;
  /** The scopes requested. */
  scopes?: readonly string[];
}

/** The scope AADSTS70011 complains about, as the description quotes it. */
function invalidScopeOf(description: string | undefined): string | undefined {
  const match = description ? /The scope '([^']{1,500})' (?:is not valid|does not exist)/i.exec(description) : null;
  return match ? clipServerText(match[1], 200) : undefined;
}

/** The admin-consent URL of the app (https://learn.microsoft.com/entra/identity-platform/v2-admin-consent). */
export function adminConsentUrl(context: AuthErrorContext, description?: string): string {
  const clientId = context.clientId ?? /application with (?:ID|identifier) '([0-9a-f-]{36})'/i.exec(description ?? '')?.[1] ?? '<client id>';
  const authority = (context.authority ?? 'https://login.microsoftonline.com/organizations').replace(/\/+$/, '');
  return `${authority}/adminconsent?client_id=${encodeURIComponent(clientId)}`;
}

/**
 * Turns what msal-node (or the wire) reported into the o365-ts error hierarchy:
 * wrong secret/certificate/password or unknown client -> {@link InvalidCredentialsError};
 * expired/revoked refresh token -> {@link TokenExpiredError}; consent/MFA ->
 * {@link InteractionRequiredError}; anything else -> {@link AuthenticationError}. Server details
 * (AADSTS codes, correlation id, trace id, status) are kept, and the original error is the `cause`.
 */
export function mapAuthError(error: unknown, operation: AuthOperation, failure?: NetworkFailure, context: AuthErrorContext = {}): O365Error {
  if (error instanceof O365Error) return error;
  const msal = asMsalError(error);
  const body = failure?.body;

  // No answer at all: the HTTP client's own error is the meaningful one.
  if (failure?.error !== undefined && body === undefined) {
    if (failure.error instanceof O365Error) return failure.error;
    if (failure.status !== undefined) {
      // It did answer, with something that is not JSON (a proxy's page, a truncated body).
      return new AuthenticationError(
        `The identity platform answered HTTP ${failure.status} with a body that is not JSON (a proxy or gateway in the way?). ${ADVICE.discovery}`,
        { status: failure.status, cause: failure.error },
      );
    }
    return new AuthenticationError(`Could not reach the identity platform. ${ADVICE.discovery}`, { cause: failure.error });
  }

  const errorCode = body?.error ?? msal?.errorCode ?? undefined;
  const description = body?.error_description ?? msal?.errorMessage;
  const suberror = body?.suberror ?? (msal?.subError || undefined);
  const codes =
    body?.error_codes && body.error_codes.length > 0
      ? body.error_codes
      : aadstsCodes(description, msal?.errorNo !== undefined ? `AADSTS${msal.errorNo}` : undefined);
  const correlationId = body?.correlation_id ?? (msal?.correlationId || undefined);
  const traceId = body?.trace_id ?? (msal?.traceId || undefined);
  const status = failure?.status ?? msal?.status;

  const details: O365ErrorOptions = { cause: error };
  if (errorCode) details.error = errorCode;
  if (description) details.errorDescription = redactText(description);
  if (codes.length > 0) details.errorCodes = codes;
  if (suberror) details.suberror = suberror;
  if (correlationId) details.correlationId = correlationId;
  if (traceId) details.traceId = traceId;
  if (status !== undefined) details.status = status;

  const ref = [
    ...codes.map((c) => `AADSTS${c}`),
    ...(errorCode && codes.length === 0 ? [errorCode] : []),
    ...(correlationId ? [`correlation id ${correlationId}`] : []),
  ].join(', ');
  const said = description ? `: ${firstLine(description)}` : errorCode ? `: ${errorCode}` : '';
  const tail = ref ? ` (${ref})` : '';

  const has = (set: Set<number>): boolean => codes.some((c) => set.has(c));

  if (operation === 'on_behalf_of' && (codes.includes(50013) || codes.includes(500133))) {
    return new InvalidUserAssertionError(
      `The identity platform refused the caller's token${said}${tail}. It must be an unexpired user token for this web API (its audience your client id or Application ID URI); the caller has to get a new one.`,
      details,
    );
  }
  if (has(EXPIRED) || errorCode === 'no_tokens_found' || errorCode === 'refresh_token_expired') {
    const why = errorCode === 'no_tokens_found' ? ': no refresh token is stored for this account' : said;
    return new TokenExpiredError(`The sign-in has expired and could not be refreshed${why}${tail}. ${ADVICE.refresh}`, details);
  }
  if (has(INVALID_CREDENTIALS) || errorCode === 'invalid_client' || errorCode === 'unauthorized_client') {
    return new InvalidCredentialsError(`The identity platform rejected the credentials${said}${tail}. ${ADVICE[operation]}`, details);
  }
  if (codes.includes(65004) || (errorCode === 'access_denied' && (suberror === 'cancel' || codes.length === 0))) {
    return new ConsentDeclinedError(
      `The consent was declined${said}${tail}; nothing was stored. Sign in again and accept, request fewer scopes, or ask an administrator to grant consent for the tenant: ${adminConsentUrl(context, description)}`,
      details,
    );
  }
  if (codes.includes(70011) || errorCode === 'invalid_scope') {
    const scope = invalidScopeOf(description);
    const asked = context.scopes && context.scopes.length > 0 ? ` (requested: ${clipServerText(context.scopes.join(' '), 500)})` : '';
    return new AuthenticationError(
      `The identity platform refused ${scope ? `the scope '${scope}'` : 'a requested scope'}${asked}${tail}. Correct or remove it in the scopes passed to Account (a permission name such as 'Mail.Read', or a helper such as 'basic'); the sign-in cannot succeed with it.`,
      details,
    );
  }
  if (codes.includes(65001) || suberror === 'consent_required' || errorCode === 'consent_required') {
    return new InteractionRequiredError(
      `The app has not been granted consent for these permissions${said}${tail}. ${
        operation === 'authorization_code' || operation === 'device_code'
          ? 'An administrator has to grant it (user consent is not allowed for them)'
          : operation === 'on_behalf_of'
            ? "The web API needs consent for them for this user: an administrator grants it, or the client app is listed in the API's knownClientApplications so the user consents to both at sign-in"
            : 'Sign in interactively (authorization or device code flow) to consent, or have an administrator grant it'
      }: ${adminConsentUrl(context, description)}`,
      details,
    );
  }
  if (
    has(INTERACTION) ||
    (errorCode !== undefined && INTERACTION_ERRORS.has(errorCode)) ||
    (suberror !== undefined && INTERACTION_SUBERRORS.has(suberror))
  ) {
    return new InteractionRequiredError(
      `The user has to sign in interactively (consent or multi-factor authentication)${said}${tail}. Use the authorization or device code flow.`,
      details,
    );
  }
  if (operation === 'refresh' && (errorCode === 'invalid_grant' || errorCode === 'bad_token')) {
    return new TokenExpiredError(`The refresh token was refused${said}${tail}. ${ADVICE.refresh}`, details);
  }
  if ((status !== undefined && status >= 500) || errorCode === 'temporarily_unavailable' || errorCode === 'server_error') {
    // Nothing is wrong with the credentials: the service failed (after the HTTP client's retries).
    return new AuthenticationError(`The identity platform is unavailable right now${said}${tail}. Try again later.`, details);
  }
  if (msal?.errorCode === 'network_error') {
    return new AuthenticationError(
      `Could not reach the ${operation === 'managed_identity' ? 'managed identity endpoint' : 'identity platform'}${tail}. ${operation === 'managed_identity' ? ADVICE.managed_identity : ADVICE.discovery}`,
      details,
    );
  }
  const plain = error instanceof Error && !msal ? `: ${redactText(error.message)}` : said;
  return new AuthenticationError(`Authentication failed${plain}${tail}. ${ADVICE[operation]}`, details);
}
