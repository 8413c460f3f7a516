import { InvalidArgumentError } from '../errors.js';

const MAX_CLAIMS_LENGTH = 16_384;

/**
 * The claims of a Continuous Access Evaluation challenge, from a `WWW-Authenticate` header:
 * `Bearer ..., error="insufficient_claims", claims="<base64 JSON>"`, as Microsoft Graph sends it
 * to a CAE-capable client. Returns the decoded JSON (what msal's `claims` takes), or `undefined`
 * when the header is not such a challenge.
 *
 * @example
 * ```ts
 * const claims = claimsFromChallenge(response.headers.get('www-authenticate'));
 * if (claims) token = await account.getToken(scopes, { claims });
 * ```
 */
export function claimsFromChallenge(header: string | null | undefined): string | undefined {
  if (typeof header !== 'string' || header.length > MAX_CLAIMS_LENGTH * 2) return undefined;
  const params = new Map<string, string>();
  for (const m of header.matchAll(/([A-Za-z_]+)\s*=\s*"([^"]*)"/g)) params.set(m[1]!.toLowerCase(), m[2]!);
  if (params.get('error') !== 'insufficient_claims') return undefined;
  const encoded = params.get('claims');
  if (encoded === undefined || encoded === '') return undefined;
  try {
    return normalizeClaims(encoded, 'claims');
  } catch {
    return undefined;
  }
}

/**
 * A claims request as msal takes it: a JSON object, given as JSON or base64 of JSON (the form a
 * challenge carries; `@azure/core-rest-pipeline` passes it decoded). Anything else is an
 * `InvalidArgumentError` naming the parameter.
 *
 * @example
 * ```ts
 * normalizeClaims('eyJhY2Nlc3NfdG9rZW4iOnt9fQ==', 'claims'); // '{"access_token":{}}'
 * ```
 */
export function normalizeClaims(value: unknown, parameter: string): string {
  if (typeof value !== 'string' || value.trim() === '') {
    throw new InvalidArgumentError(`${parameter} must be a JSON claims request (a non-empty string)`, { parameter });
  }
  if (value.length > MAX_CLAIMS_LENGTH) {
    throw new InvalidArgumentError(`${parameter} is longer than ${MAX_CLAIMS_LENGTH} characters`, { parameter });
  }
  const trimmed = value.trim();
  const json = trimmed.startsWith('{') ? trimmed : Buffer.from(trimmed, 'base64').toString('utf8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (cause) {
    throw new InvalidArgumentError(`${parameter} is neither JSON nor base64-encoded JSON`, { parameter, cause });
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new InvalidArgumentError(`${parameter} must be a JSON object such as {"access_token":{...}}`, { parameter });
  }
  return JSON.stringify(parsed);
}
