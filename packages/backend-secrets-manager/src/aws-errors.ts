/**
 * Helpers for errors thrown by the Secrets Manager client: naming them, describing them without
 * secret material, and making them safe to keep as `cause`.
 */
import { copyErrorWithout } from '@o365/core/backend';

// The SDK hangs the raw HTTP response on every service error as a hidden, non-configurable
// `$response`; its socket still references the request, whose body is the token cache on
// CreateSecret/PutSecretValue and whose headers carry the signature. Such a field must not travel
// with an error that applications log.
const DROPPED_FIELDS = new Set(['$response', '$responseBodyText']);

/** The error's `name` (the AWS error type for service errors), if any. */
export function awsErrorName(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const name = (err as { name?: unknown }).name;
  return typeof name === 'string' ? name : undefined;
}

/**
 * One line saying what failed: type, Node error code, HTTP status and the service message. AWS error
 * messages name resources and principals, never secret values.
 */
export function describeAwsError(err: unknown): string {
  if (typeof err !== 'object' || err === null) return String(err);
  const e = err as { name?: unknown; code?: unknown; message?: unknown; $metadata?: { httpStatusCode?: unknown } };
  const name = typeof e.name === 'string' ? e.name : 'Error';
  const code = typeof e.code === 'string' && e.code !== name ? ` ${e.code}` : '';
  const status = typeof e.$metadata?.httpStatusCode === 'number' ? ` (HTTP ${e.$metadata.httpStatusCode})` : '';
  const message = typeof e.message === 'string' && e.message !== '' ? e.message : 'no message';
  return `${name}${code}${status}: ${message}`;
}

/**
 * A copy of a client error fit to be kept as `cause`: same prototype (so `instanceof
 * ResourceNotFoundException` / `SecretsManagerServiceException` still hold), name, message,
 * `$metadata` and stack, without the fields in DROPPED_FIELDS. `$response` cannot be deleted from
 * the original (non-configurable), so copying is the only way.
 */
export function redactAwsError(err: unknown): unknown {
  return copyErrorWithout(err, DROPPED_FIELDS);
}

/** What to do next for the AWS errors a caller can fix, appended to the message (empty otherwise). */
export function adviceFor(err: unknown, operation: string): string {
  switch (awsErrorName(err)) {
    case 'AccessDeniedException':
      return `; grant secretsmanager:${operation} on this secret to the caller`;
    case 'ThrottlingException':
    case 'TooManyRequestsException':
      return '; Secrets Manager kept throttling after the SDK retries';
    case 'UnrecognizedClientException':
    case 'InvalidSignatureException':
    case 'ExpiredTokenException':
      return '; check the AWS credentials';
    default:
      return '';
  }
}
