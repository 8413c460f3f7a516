import { copyErrorWithout, NETWORK_ERROR_CODES } from '@o365/core/backend';

/** What went wrong in an S3 call, reduced to the cases the backend treats differently. */
export interface S3Failure {
  kind:
    | 'no-such-key'
    | 'no-such-bucket'
    | 'access-denied'
    | 'credentials-rejected'
    | 'precondition-failed'
    | 'conflict'
    | 'network'
    | 'credentials'
    | 'other';
  /** S3 error code (`NoSuchBucket`), Node error code (`ECONNREFUSED`) or error name. */
  code: string;
  status?: number;
  message: string;
}

const NETWORK_NAMES = new Set(['TimeoutError', 'RequestTimeout', 'AbortError']);
// 403s that mean "these credentials are not accepted", not "this principal may not do that".
const CREDENTIAL_CODES = new Set([
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'ExpiredToken',
  'InvalidToken',
  'TokenRefreshRequired',
  'AuthorizationHeaderMalformed',
]);

// Fields that must not travel with an error kept as `cause`: S3 echoes the access key id, the
// signature and the signed request in SignatureDoesNotMatch answers (the SDK copies them onto the
// error), and the SDK hangs the raw HTTP response on every service error as a hidden `$response`
// whose socket still references the request: its Authorization header and body (the token cache).
const DROPPED_FIELDS = new Set([
  '$response',
  '$responseBodyText',
  'AWSAccessKeyId',
  'SignatureProvided',
  'StringToSign',
  'StringToSignBytes',
  'CanonicalRequest',
  'CanonicalRequestBytes',
]);

interface ErrorLike {
  name?: unknown;
  code?: unknown;
  Code?: unknown;
  message?: unknown;
  $metadata?: { httpStatusCode?: unknown };
}

/** Sorts an error thrown by the S3 client into the cases the backend handles. */
export function classifyS3Error(err: unknown): S3Failure {
  const e: ErrorLike = typeof err === 'object' && err !== null ? (err as ErrorLike) : {};
  const name = typeof e.name === 'string' ? e.name : 'Error';
  const s3Code = typeof e.Code === 'string' ? e.Code : undefined;
  const nodeCode = typeof e.code === 'string' ? e.code : undefined;
  const status = typeof e.$metadata?.httpStatusCode === 'number' ? e.$metadata.httpStatusCode : undefined;
  const message = typeof e.message === 'string' && e.message !== '' ? e.message : String(err);
  const code = s3Code ?? (name !== 'Error' ? name : undefined) ?? nodeCode ?? 'Error';
  const failure = (kind: S3Failure['kind']): S3Failure =>
    status === undefined ? { kind, code, message } : { kind, code, status, message };

  if (code === 'NoSuchKey') return failure('no-such-key');
  if (code === 'NoSuchBucket') return failure('no-such-bucket');
  if (code === 'PreconditionFailed' || status === 412) return failure('precondition-failed');
  if (code === 'ConditionalRequestConflict') return failure('conflict');
  if (CREDENTIAL_CODES.has(code)) return failure('credentials-rejected');
  if (code === 'AccessDenied' || code === 'AllAccessDisabled' || (status === 403 && s3Code === undefined)) {
    return failure('access-denied');
  }
  if (status === undefined) {
    if (nodeCode !== undefined && NETWORK_ERROR_CODES.has(nodeCode)) return { kind: 'network', code: nodeCode, message };
    // When the socket error comes from another realm (jest's sandbox, vm contexts) it fails the
    // SDK's `instanceof Error` check and arrives wrapped as "AWS SDK error wrapper for Error: connect
    // ECONNREFUSED ...", with only the text left to recognise it by.
    const wrapped = /\b(E[A-Z]+|UND_ERR_[A-Z_]+)\b/.exec(message)?.[1];
    if (wrapped !== undefined && NETWORK_ERROR_CODES.has(wrapped)) return { kind: 'network', code: wrapped, message };
    if (NETWORK_NAMES.has(name)) return { kind: 'network', code: name, message };
    if (name === 'CredentialsProviderError' || /region is missing/i.test(message)) {
      return { kind: 'credentials', code: name, message };
    }
  }
  return failure('other');
}

/**
 * A copy of an S3 client error, fit to be kept as `cause`: same prototype (so `instanceof
 * NoSuchBucket` / `S3ServiceException` still hold), same name, message, code, `$metadata` and
 * stack, without the fields listed in DROPPED_FIELDS. The SDK defines `$response` as
 * non-configurable, so it cannot be deleted from the original; copying is the only way.
 */
export function redactS3Error(err: unknown): unknown {
  return copyErrorWithout(err, DROPPED_FIELDS);
}
