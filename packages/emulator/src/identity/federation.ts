// Workload identity federation, the Entra side: a client assertion issued by an external OpenID
// Connect issuer (Kubernetes, GitHub Actions, another cloud) is accepted for an app when one of
// its federated identity credentials names that issuer, subject and audience, and the signature
// verifies against the JWKS the issuer's OpenID configuration points to. Keys are fetched before
// the request is handled (the handlers are synchronous) and kept for five minutes, refetched at
// once for a key id they do not hold, as Entra does on key rotation.
import { createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { realNow } from '../clock.js';
import type { AppModel } from '../directory.js';
import { decodeJwt, verifyJwtSignature, type DecodedJwt } from '../jwt.js';
import type { SeedFederatedIdentityCredential } from '../seed.js';
import type { EmulatorState } from '../state.js';
import { AadFailure } from './aad-errors.js';

/** The audience Entra expects by default in a federated token. */
export const TOKEN_EXCHANGE_AUDIENCE = 'api://AzureADTokenExchange';
const KEYS_TTL_MS = 5 * 60_000;
const FETCH_TIMEOUT_MS = 5_000;
const SKEW_SECONDS = 300;

interface IssuerKeys {
  fetchedAt: number;
  keys?: Map<string, KeyObject>;
  failure?: string;
}

const keyCaches = new WeakMap<EmulatorState, Map<string, IssuerKeys>>();

function cacheOf(state: EmulatorState): Map<string, IssuerKeys> {
  let cache = keyCaches.get(state);
  if (!cache) {
    cache = new Map();
    keyCaches.set(state, cache);
  }
  return cache;
}

/** Whether an assertion is a federated one: not signed by an app certificate, issued by someone else. */
export function isFederatedAssertion(jwt: DecodedJwt, clientId: string): boolean {
  const certificateSigned = typeof jwt.header['x5t'] === 'string' || typeof jwt.header['x5t#S256'] === 'string';
  return !certificateSigned && typeof jwt.payload['iss'] === 'string' && jwt.payload['iss'] !== clientId;
}

function credentialsFor(app: AppModel, issuer: string): SeedFederatedIdentityCredential[] {
  return (app.seed.federatedIdentityCredentials ?? []).filter((f) => f.issuer === issuer);
}

/**
 * Fetches (or refreshes) the signing keys of the issuer of a federated client assertion in a token
 * request, so that {@link verifyFederatedAssertion} can check it synchronously. Does nothing for
 * other requests; never throws (a failed fetch is remembered and reported as AADSTS50166).
 */
export async function prefetchFederationKeys(state: EmulatorState, body: string, contentType: string): Promise<void> {
  if (!contentType.toLowerCase().startsWith('application/x-www-form-urlencoded')) return;
  const params = new URLSearchParams(body);
  const assertion = params.get('client_assertion');
  const clientId = params.get('client_id');
  if (!assertion || !clientId) return;
  let jwt: DecodedJwt;
  try {
    jwt = decodeJwt(assertion);
  } catch {
    return;
  }
  if (!isFederatedAssertion(jwt, clientId)) return;
  const issuer = String(jwt.payload['iss']);
  const app = state.directory.app(clientId);
  if (!app || credentialsFor(app, issuer).length === 0) return;
  const cache = cacheOf(state);
  const cached = cache.get(issuer);
  const kid = typeof jwt.header['kid'] === 'string' ? jwt.header['kid'] : undefined;
  const fresh = cached !== undefined && realNow() - cached.fetchedAt < KEYS_TTL_MS;
  if (fresh && cached.keys !== undefined && (kid === undefined || cached.keys.has(kid))) return;
  cache.set(issuer, await fetchIssuerKeys(issuer));
}

async function fetchIssuerKeys(issuer: string): Promise<IssuerKeys> {
  const fetchedAt = realNow();
  try {
    const configuration = await getJson(`${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`);
    const jwksUri = configuration['jwks_uri'];
    if (typeof jwksUri !== 'string') return { fetchedAt, failure: `The OpenID configuration of '${issuer}' has no jwks_uri.` };
    const jwks = await getJson(jwksUri);
    const keys = new Map<string, KeyObject>();
    const list: unknown = jwks['keys'];
    for (const jwk of Array.isArray(list) ? list : []) {
      if (typeof jwk !== 'object' || jwk === null) continue;
      const { kid } = jwk as { kid?: unknown };
      try {
        keys.set(typeof kid === 'string' ? kid : '', createPublicKey({ key: jwk as JsonWebKey, format: 'jwk' }));
      } catch {
        // A key we cannot use (another key type): skipped, as a relying party does.
      }
    }
    return { fetchedAt, keys };
  } catch (error) {
    return { fetchedAt, failure: `Fetching the keys of '${issuer}' failed: ${error instanceof Error ? error.message : String(error)}.` };
  }
}

function getJson(url: string): Promise<Record<string, unknown>> {
  const target = new URL(url);
  const request = target.protocol === 'https:' ? httpsRequest : target.protocol === 'http:' ? httpRequest : undefined;
  if (!request) return Promise.reject(new Error(`unsupported URL scheme ${target.protocol}`));
  return new Promise((resolve, reject) => {
    const req = request(target, { method: 'GET', headers: { accept: 'application/json' }, timeout: FETCH_TIMEOUT_MS, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        if ((res.statusCode ?? 0) !== 200) return reject(new Error(`HTTP ${res.statusCode ?? 0} from ${target.origin}${target.pathname}`));
        try {
          const parsed: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
          if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return reject(new Error('not a JSON object'));
          resolve(parsed as Record<string, unknown>);
        } catch {
          reject(new Error(`invalid JSON from ${target.origin}${target.pathname}`));
        }
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${FETCH_TIMEOUT_MS} ms`)));
    req.on('error', reject);
    req.end();
  });
}

/**
 * Checks a federated client assertion as Entra does: a credential for its issuer (AADSTS700211),
 * the issuer's signature (AADSTS50166 when the keys cannot be had, AADSTS700027 when it does not
 * verify), its time range (AADSTS700024), subject (AADSTS700213) and audience (AADSTS700212).
 */
export function verifyFederatedAssertion(state: EmulatorState, jwt: DecodedJwt, app: AppModel): void {
  const p = jwt.payload;
  const issuer = String(p['iss']);
  const credentials = credentialsFor(app, issuer);
  if (credentials.length === 0) throw new AadFailure(700211, { issuer });
  const keys = cacheOf(state).get(issuer);
  if (keys?.failure !== undefined || keys?.keys === undefined) {
    throw new AadFailure(50166, { reason: keys?.failure ?? `The keys of '${issuer}' were not fetched.` });
  }
  const kid = typeof jwt.header['kid'] === 'string' ? jwt.header['kid'] : '';
  const key = keys.keys.get(kid) ?? (kid === '' && keys.keys.size === 1 ? [...keys.keys.values()][0] : undefined);
  if (!key) throw new AadFailure(700027, { reason: `The key '${kid}' was not found in the JWKS of '${issuer}'.` });
  if (!verifyJwtSignature(jwt, key)) throw new AadFailure(700027, { reason: 'The signature of the client assertion is invalid.' });
  const exp = typeof p['exp'] === 'number' ? p['exp'] : NaN;
  const nbf = typeof p['nbf'] === 'number' ? p['nbf'] : typeof p['iat'] === 'number' ? p['iat'] : 0;
  if (!Number.isFinite(exp)) throw new AadFailure(700024, { reason: 'The assertion has no exp claim.' });
  // Made by an external issuer with real time: checked against real time and emulator time.
  const validAt = (nowSec: number): boolean => exp + SKEW_SECONDS > nowSec && nbf - SKEW_SECONDS <= nowSec;
  if (!validAt(realNow() / 1000) && !validAt(state.clock.now() / 1000)) {
    throw new AadFailure(700024, { reason: `Current time is outside [nbf ${nbf}, exp ${exp}].` });
  }
  const subject = typeof p['sub'] === 'string' ? p['sub'] : '';
  const bySubject = credentials.filter((f) => f.subject === subject);
  if (bySubject.length === 0) throw new AadFailure(700213, { subject });
  const audiences = Array.isArray(p['aud']) ? p['aud'].filter((a): a is string => typeof a === 'string') : typeof p['aud'] === 'string' ? [p['aud']] : [];
  const matched = bySubject.some((f) => (f.audiences ?? [TOKEN_EXCHANGE_AUDIENCE]).some((a) => audiences.includes(a)));
  if (!matched) throw new AadFailure(700212, { audience: audiences.join(', ') });
}
