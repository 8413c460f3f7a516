/**
 * Redaction of secret material (tokens, secrets, passwords, authorization codes) before anything
 * reaches a logger, an error message or `util.inspect` output.
 */

/** What replaces a secret value. */
export const REDACTED = '[redacted]';

// Query/form/JSON keys whose values are secrets in OAuth traffic.
const SECRET_KEYS = [
  'access_token',
  'refresh_token',
  'id_token',
  'code',
  'client_secret',
  'client_assertion',
  'password',
  'assertion',
  'device_code',
  'user_code',
  'code_verifier',
  'secret',
  'token',
  'accessToken',
  'refreshToken',
  'idToken',
  'clientSecret',
  'codeVerifier',
  'privateKey',
  'private_key',
];

const KEY_SET = new Set(SECRET_KEYS.map((k) => k.toLowerCase()));

// `key=value` in URLs and form bodies, `"key":"value"` in JSON.
const FORM_PATTERN = new RegExp(`([?&#;\\s]|^)(${SECRET_KEYS.join('|')})=([^&#\\s"']+)`, 'gi');
// `code` is left out of JSON: Graph error bodies use it for their (harmless) error code.
const JSON_KEYS = SECRET_KEYS.filter((k) => k !== 'code');
const JSON_PATTERN = new RegExp(`("(?:${JSON_KEYS.join('|')})"\\s*:\\s*)"[^"]*"`, 'gi');
// A JWT (three base64url segments starting with a JSON header `{"`) anywhere in a string.
const JWT_PATTERN = /eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*/g;
const BEARER_PATTERN = /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/gi;
const PEM_PATTERN = /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----/g;

/** Known secret values registered at runtime (the client secret, a password...), redacted wherever they appear. */
const knownSecrets = new Set<string>();

/**
 * Registers a value that must never be printed (a client secret, a password). Values shorter than
 * 6 characters are ignored: redacting them would garble ordinary text.
 */
export function registerSecret(value: string | undefined): void {
  if (typeof value === 'string' && value.length >= 6) knownSecrets.add(value);
}

/**
 * Removes secrets from a string: `key=value` pairs and JSON members with a secret-bearing key,
 * JWTs, `Bearer` credentials, PEM private keys and registered secret values.
 *
 * @example
 * ```ts
 * redactText('https://app/cb?code=0.AAA&state=xyz'); // 'https://app/cb?code=[redacted]&state=xyz'
 * ```
 */
export function redactText(text: string): string {
  let out = text
    .replace(PEM_PATTERN, REDACTED)
    .replace(FORM_PATTERN, (_m, sep: string, key: string) => `${sep}${key}=${REDACTED}`)
    .replace(JSON_PATTERN, (_m, head: string) => `${head}"${REDACTED}"`)
    .replace(JWT_PATTERN, REDACTED)
    .replace(BEARER_PATTERN, (_m, scheme: string) => `${scheme} ${REDACTED}`);
  for (const secret of knownSecrets) {
    if (out.includes(secret)) out = out.split(secret).join(REDACTED);
  }
  return out;
}

/**
 * Deeply redacts a log payload: secret-bearing keys lose their value, strings are passed through
 * {@link redactText}. Bounded in depth so cyclic or huge objects cannot hang logging.
 */
export function redactData(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return redactText(value);
  if (value === null || typeof value !== 'object') return value;
  if (depth > 5) return '[object]';
  if (value instanceof Error) return redactText(`${value.name}: ${value.message}`);
  if (Array.isArray(value)) return value.slice(0, 50).map((v) => redactData(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
    out[key] = KEY_SET.has(key.toLowerCase()) && v !== undefined ? REDACTED : redactData(v, depth + 1);
  }
  return out;
}
