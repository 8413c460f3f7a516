/**
 * The identity platform's error catalogue: the AADSTS codes the emulator answers with, their OAuth
 * `error`, HTTP status, optional `suberror`, and the description text Entra sends.
 */

interface CatalogueEntry {
  error: string;
  status: number;
  suberror?: string;
  message: (v: Record<string, string>) => string;
}

const v = (vars: Record<string, string>, key: string): string => vars[key] ?? '';

/**
 * The catalogue, keyed by AADSTS number.
 *
 * @example
 * ```ts
 * AAD_ERRORS[50126].error; // 'invalid_grant'
 * ```
 */
export const AAD_ERRORS = {
  50011: {
    error: 'invalid_request',
    status: 400,
    message: (x) =>
      `The redirect URI '${v(x, 'redirectUri')}' specified in the request does not match the redirect URIs configured for the application '${v(x, 'clientId')}'. Make sure the redirect URI sent in the request matches one added to your application in the Azure portal.`,
  },
  50034: {
    error: 'invalid_grant',
    status: 400,
    message: (x) => `The user account ${v(x, 'username')} does not exist in the ${v(x, 'tenant')} directory. To sign into this application, the account must be added to the directory.`,
  },
  50049: {
    error: 'invalid_instance',
    status: 400,
    message: () => 'Unknown or invalid instance.',
  },
  50057: {
    error: 'invalid_grant',
    status: 400,
    message: () => 'The user account is disabled.',
  },
  50058: {
    error: 'login_required',
    status: 400,
    message: () => 'A silent sign-in request was sent but no user is signed in.',
  },
  50076: {
    error: 'invalid_grant',
    status: 400,
    suberror: 'basic_action',
    message: (x) =>
      `Due to a configuration change made by your administrator, or because you moved to a new location, you must use multi-factor authentication to access '${v(x, 'resource')}'.`,
  },
  50126: {
    error: 'invalid_grant',
    status: 400,
    message: () => 'Error validating credentials due to invalid username or password.',
  },
  50173: {
    error: 'invalid_grant',
    status: 400,
    message: (x) =>
      `The provided grant has expired due to it being revoked, a fresh auth token is needed. The user might have changed or reset their password. The grant was issued on '${v(x, 'issued')}' and the TokensValidFrom date (before which tokens are not valid) for this user is '${v(x, 'validFrom')}'.`,
  },
  54005: {
    error: 'invalid_grant',
    status: 400,
    message: () => 'OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token.',
  },
  65001: {
    error: 'invalid_grant',
    status: 400,
    suberror: 'consent_required',
    message: (x) =>
      `The user or administrator has not consented to use the application with ID '${v(x, 'clientId')}' named '${v(x, 'appName')}'. Send an interactive authorization request for this user and resource.`,
  },
  65004: {
    error: 'access_denied',
    status: 400,
    message: () => 'User declined to consent to access the app.',
  },
  70000: {
    error: 'invalid_grant',
    status: 400,
    message: (x) => `The provided value for the '${v(x, 'param')}' parameter is not valid.${x['reason'] ? ` ${x['reason']}` : ''}`,
  },
  70003: {
    error: 'unsupported_grant_type',
    status: 400,
    message: (x) => `The app requested an unsupported grant type '${v(x, 'grantType')}'.`,
  },
  70007: {
    error: 'invalid_request',
    status: 400,
    message: (x) => `The application returned an unsupported value '${v(x, 'responseMode')}' for the 'response_mode' parameter.`,
  },
  70008: {
    error: 'invalid_grant',
    status: 400,
    message: (x) =>
      `The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource.${x['issued'] ? ` The code was issued on '${x['issued']}'.` : ''}`,
  },
  70011: {
    error: 'invalid_scope',
    status: 400,
    message: (x) => `The provided request must include a 'scope' input parameter. The provided value for the input parameter 'scope' is not valid. The scope '${v(x, 'scope')}' is not valid.${x['reason'] ? ` ${x['reason']}` : ''}`,
  },
  70016: {
    error: 'authorization_pending',
    status: 400,
    message: () => 'OAuth 2.0 device flow error. Authorization is pending. Continue polling.',
  },
  70018: {
    error: 'bad_verification_code',
    status: 400,
    message: () => "Invalid verification code: the device_code sent to the token endpoint wasn't recognized.",
  },
  70019: {
    error: 'expired_token',
    status: 400,
    message: () => 'Verification code expired.',
  },
  70020: {
    error: 'authorization_declined',
    status: 400,
    message: () => 'The end user denied the authorization request.',
  },
  70021: {
    error: 'slow_down',
    status: 400,
    message: (x) => `OAuth 2.0 device flow error. The client is polling too fast; wait ${v(x, 'interval')} seconds between requests.`,
  },
  90002: {
    error: 'invalid_request',
    status: 400,
    message: (x) =>
      `Tenant '${v(x, 'tenant')}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.`,
  },
  90009: {
    error: 'invalid_request',
    status: 400,
    message: () => 'Application is requesting a token for itself. This scenario is supported only if resource is specified using the GUID based App Identifier.',
  },
  500011: {
    error: 'invalid_resource',
    status: 400,
    message: (x) =>
      `The resource principal named ${v(x, 'resource')} was not found in the tenant named ${v(x, 'tenant')}. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant.`,
  },
  500112: {
    error: 'invalid_grant',
    status: 400,
    message: (x) =>
      `The reply address '${v(x, 'redirectUri')}' does not match the reply address '${v(x, 'expected')}' provided when requesting Authorization code.`,
  },
  501481: {
    error: 'invalid_grant',
    status: 400,
    message: () => 'The Code_Verifier does not match the code_challenge supplied in the authorization request.',
  },
  700016: {
    error: 'unauthorized_client',
    status: 400,
    message: (x) =>
      `Application with identifier '${v(x, 'clientId')}' was not found in the directory '${v(x, 'tenant')}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`,
  },
  700021: {
    error: 'invalid_client',
    status: 401,
    message: () => "Client assertion application identifier doesn't match 'client_id' parameter.",
  },
  500121: {
    error: 'access_denied',
    status: 400,
    message: () => 'Authentication failed during strong authentication request.',
  },
  90033: {
    error: 'temporarily_unavailable',
    status: 503,
    message: () => 'A transient error has occurred. Please try again.',
  },
  50013: {
    error: 'invalid_grant',
    status: 400,
    message: (x) => `Assertion failed signature validation. [Reason - ${v(x, 'reason')}]`,
  },
  500133: {
    error: 'invalid_grant',
    status: 400,
    message: (x) =>
      `Assertion is not within its valid time range. Ensure that the access token is not expired before using it for user assertion, or request a new token. Current time: ${v(x, 'now')}, expiry time of assertion ${v(x, 'exp')}.`,
  },
  700211: {
    error: 'invalid_client',
    status: 400,
    message: (x) =>
      `No matching federated identity record found for presented assertion issuer '${v(x, 'issuer')}'. Please check your federated identity credential Subject, Audience and Issuer against the presented assertion. https://learn.microsoft.com/entra/workload-id/workload-identity-federation`,
  },
  700212: {
    error: 'invalid_client',
    status: 400,
    message: (x) =>
      `No matching federated identity record found for presented assertion audience '${v(x, 'audience')}'. Please check your federated identity credential Subject, Audience and Issuer against the presented assertion. https://learn.microsoft.com/entra/workload-id/workload-identity-federation`,
  },
  700213: {
    error: 'invalid_client',
    status: 400,
    message: (x) =>
      `No matching federated identity record found for presented assertion subject '${v(x, 'subject')}'. Please check your federated identity credential Subject, Audience and Issuer against the presented assertion. https://learn.microsoft.com/entra/workload-id/workload-identity-federation`,
  },
  50166: {
    error: 'invalid_client',
    status: 400,
    message: (x) => `Request to External OIDC endpoint failed. ${v(x, 'reason')}`,
  },
  700022: {
    error: 'invalid_scope',
    status: 400,
    message: (x) => `The provided value for the input parameter scope '${v(x, 'scope')}' is not valid because it contains more than one resource. Request tokens for one resource at a time.`,
  },
  700024: {
    error: 'invalid_client',
    status: 401,
    message: (x) => `Client assertion is not within its valid time range. ${v(x, 'reason')}`,
  },
  700025: {
    error: 'invalid_client',
    status: 401,
    message: () => "Client is public so neither 'client_assertion' nor 'client_secret' should be presented.",
  },
  700027: {
    error: 'invalid_client',
    status: 401,
    message: (x) => `Client assertion failed signature validation. [Reason - ${v(x, 'reason')}]`,
  },
  700082: {
    error: 'invalid_grant',
    status: 400,
    message: (x) =>
      `The refresh token has expired due to inactivity. The token was issued on ${v(x, 'issued')} and was inactive for ${v(x, 'inactive')}.`,
  },
  900144: {
    error: 'invalid_request',
    status: 400,
    message: (x) => `The request body must contain the following parameter: '${v(x, 'param')}'.`,
  },
  900561: {
    error: 'invalid_request',
    status: 400,
    message: (x) => `The endpoint only accepts ${v(x, 'allowed')} requests. Received a ${v(x, 'method')} request.`,
  },
  900971: {
    error: 'invalid_request',
    status: 400,
    message: () => 'No reply address provided.',
  },
  1002012: {
    error: 'invalid_scope',
    status: 400,
    message: (x) =>
      `The provided value for scope ${v(x, 'scope')} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`,
  },
  7000215: {
    error: 'invalid_client',
    status: 401,
    message: (x) =>
      `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${v(x, 'clientId')}'.`,
  },
  7000218: {
    error: 'invalid_client',
    status: 401,
    message: () => "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
  },
  9001023: {
    error: 'invalid_request',
    status: 400,
    message: () => 'The grant type is not supported over the /common or /consumers endpoints. Please use the /organizations or tenant-specific endpoint.',
  },
  9002313: {
    error: 'invalid_request',
    status: 400,
    message: (x) => `Invalid request. Request is malformed or invalid.${x['reason'] ? ` ${x['reason']}` : ''}`,
  },
  9002331: {
    error: 'invalid_request',
    status: 413,
    message: (x) => `The request is too large. The body must be at most ${v(x, 'limit')} bytes.`,
  },
  90056: {
    error: 'invalid_request',
    status: 400,
    message: () => 'The resource is disabled or does not exist. Check your app\'s code to ensure that you have specified the exact resource URL for the resource you are trying to access.',
  },
  900023: {
    error: 'invalid_request',
    status: 400,
    message: (x) => `Specified tenant identifier '${v(x, 'tenant')}' is neither a valid DNS name, nor a valid external domain.`,
  },
} satisfies Record<number, CatalogueEntry>;

/**
 * An AADSTS number the emulator knows.
 *
 * @example
 * ```ts
 * const code: AadCode = 65001;
 * ```
 */
export type AadCode = keyof typeof AAD_ERRORS;

/**
 * The platform's error body.
 *
 * @example
 * ```ts
 * const body = (await res.json()) as AadErrorBody;
 * if (body.error_codes.includes(50076)) askForMfa();
 * ```
 */
export interface AadErrorBody {
  error: string;
  error_description: string;
  error_codes: number[];
  timestamp: string;
  trace_id: string;
  correlation_id: string;
  error_uri: string;
  suberror?: string;
  claims?: string;
}

/** A platform error ready to be sent: status and body. */
export interface AadErrorAnswer {
  status: number;
  body: AadErrorBody;
}

/** Raised inside handlers and turned into the platform's error answer by the router. */
export class AadFailure extends Error {
  constructor(
    readonly aadCode: AadCode,
    readonly vars: Record<string, string> = {},
    readonly overrides: { error?: string; status?: number; suberror?: string } = {},
  ) {
    super(`AADSTS${aadCode}`);
    this.name = 'AadFailure';
  }
}

/** Entra's timestamp form: `2024-05-01 12:00:00Z`. */
export function aadTimestamp(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

/** Builds the error answer the identity platform sends for `code`. */
export function buildAadError(
  failure: AadFailure,
  ctx: { now: number; traceId: string; correlationId: string; baseUrl: string },
): AadErrorAnswer {
  const entry: CatalogueEntry = AAD_ERRORS[failure.aadCode];
  const timestamp = aadTimestamp(ctx.now);
  // Entra separates the trailer lines with CRLF (see the sample answer in "Microsoft Entra
  // authentication and authorization error codes"); clients that show only the first line rely on it.
  const description =
    `AADSTS${failure.aadCode}: ${entry.message(failure.vars)}\r\n` +
    `Trace ID: ${ctx.traceId}\r\nCorrelation ID: ${ctx.correlationId}\r\nTimestamp: ${timestamp}`;
  const body: AadErrorBody = {
    error: failure.overrides.error ?? entry.error,
    error_description: description,
    error_codes: [failure.aadCode],
    timestamp,
    trace_id: ctx.traceId,
    correlation_id: ctx.correlationId,
    error_uri: `${ctx.baseUrl}/error?code=${failure.aadCode}`,
  };
  const suberror = failure.overrides.suberror ?? entry.suberror;
  if (suberror) body.suberror = suberror;
  return { status: failure.overrides.status ?? entry.status, body };
}
