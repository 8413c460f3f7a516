import { createHash, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';

/** A JWT split into its parts, not yet verified. */
export interface DecodedJwt {
  header: Record<string, unknown>;
  payload: Record<string, unknown>;
  signingInput: string;
  signature: Buffer;
}

/** Thrown by `decodeJwt` for anything that is not a well-formed compact JWS. */
export class JwtFormatError extends Error {
  readonly code = 'EMULATOR_JWT_MALFORMED';
  constructor(message: string) {
    super(message);
    this.name = 'JwtFormatError';
  }
}

function parseSegment(segment: string, what: string): Record<string, unknown> {
  if (!/^[A-Za-z0-9_-]*$/.test(segment)) throw new JwtFormatError(`${what} is not base64url`);
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
  } catch (cause) {
    throw new JwtFormatError(`${what} is not JSON: ${(cause as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new JwtFormatError(`${what} is not a JSON object`);
  }
  return value as Record<string, unknown>;
}

/** Splits and parses a compact JWS (three base64url parts). */
export function decodeJwt(token: string): DecodedJwt {
  if (token.length > 64 * 1024) throw new JwtFormatError('token too long');
  const parts = token.split('.');
  if (parts.length !== 3) throw new JwtFormatError('JWT must have three parts');
  const [h, p, s] = parts as [string, string, string];
  const header = parseSegment(h, 'header');
  const payload = parseSegment(p, 'payload');
  if (!/^[A-Za-z0-9_-]*$/.test(s)) throw new JwtFormatError('signature is not base64url');
  return { header, payload, signingInput: `${h}.${p}`, signature: Buffer.from(s, 'base64url') };
}

/** Signs `payload` with RS256. */
export function signJwt(payload: Record<string, unknown>, key: KeyObject, header: Record<string, unknown>): string {
  const h = Buffer.from(JSON.stringify({ typ: 'JWT', alg: 'RS256', ...header })).toString('base64url');
  const p = Buffer.from(JSON.stringify(payload)).toString('base64url');
  const signature = sign('sha256', Buffer.from(`${h}.${p}`), key).toString('base64url');
  return `${h}.${p}.${signature}`;
}

/** Verifies an RS256 (or PS256) signature of a decoded JWT with `key`. */
export function verifyJwtSignature(jwt: DecodedJwt, key: KeyObject): boolean {
  const alg = jwt.header['alg'];
  try {
    if (alg === 'RS256') return verify('sha256', Buffer.from(jwt.signingInput), key, jwt.signature);
    if (alg === 'PS256') {
      return verify(
        'sha256',
        Buffer.from(jwt.signingInput),
        { key, padding: 6 /* RSA_PKCS1_PSS_PADDING */, saltLength: 32 },
        jwt.signature,
      );
    }
  } catch {
    return false;
  }
  return false;
}

/** The public key of a PEM certificate. */
export function certificatePublicKey(certificatePem: string): KeyObject {
  return createPublicKey(certificatePem);
}

/** base64url SHA-256 of `input`, the PKCE S256 transform. */
export function s256(input: string): string {
  return createHash('sha256').update(input).digest('base64url');
}
