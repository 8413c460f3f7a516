import { createSign, generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Claims of a token from {@link OidcIssuer.token}; each has a default. */
export interface OidcIssuerTokenClaims {
  /** Default: the issuer's subject (`system:serviceaccount:default:workload`). */
  sub?: string;
  /** Default `api://AzureADTokenExchange`, what Entra expects of a federated assertion. */
  aud?: string;
  /** Default: the issuer's URL. Another value makes a token Entra refuses (AADSTS700211). */
  iss?: string;
  /** Expiry, epoch seconds. Default one hour from now. */
  exp?: number;
  /** Key id in the header. Default the issuer's key; another makes the signature unverifiable. */
  kid?: string;
}

/** A running loopback OpenID Connect issuer (see {@link startOidcIssuer}). */
export interface OidcIssuer {
  /** `http://127.0.0.1:<port>`: the issuer URL to put in a federated identity credential. */
  readonly url: string;
  /** The key id of its signing key, as its JWKS lists it. */
  readonly kid: string;
  /** A token signed by the issuer: a Kubernetes service account token or a CI job's OIDC token. */
  token(claims?: OidcIssuerTokenClaims): string;
  /**
   * What a GitHub Actions job sees: `ACTIONS_ID_TOKEN_REQUEST_URL` and
   * `ACTIONS_ID_TOKEN_REQUEST_TOKEN`. The endpoint answers `{ value }` with a token for the
   * `audience` query parameter and `githubSubject`.
   */
  readonly githubActions: { requestUrl: string; requestToken: string };
  /** Requests received (path and `Authorization` header), in order. */
  readonly requests: Array<{ path: string; authorization?: string }>;
  stop(): Promise<void>;
}

/** Options of {@link startOidcIssuer}. */
export interface OidcIssuerOptions {
  /** Default subject of its tokens. Default `system:serviceaccount:default:workload`. */
  subject?: string;
  /** Subject of the tokens its GitHub-Actions-like endpoint issues. Default `repo:contoso/app:ref:refs/heads/main`. */
  githubSubject?: string;
}

/**
 * A small OpenID Connect issuer on 127.0.0.1 (discovery, JWKS, and a GitHub-Actions-like token
 * endpoint): what Kubernetes or GitHub Actions is to Entra in workload identity federation. Put
 * its URL in an app's `federatedIdentityCredentials`; the emulator fetches its keys and checks
 * the tokens it signs as Entra does.
 *
 * @example
 * ```ts
 * const issuer = await startOidcIssuer();
 * const seed = defaultSeed();
 * seed.tenants[0]!.apps[0]!.federatedIdentityCredentials = [{ issuer: issuer.url, subject: 'system:serviceaccount:default:workload' }];
 * const emu = await startEmulator({ seed });
 * const assertion = issuer.token(); // the client assertion of the app
 * ```
 */
export async function startOidcIssuer(options: OidcIssuerOptions = {}): Promise<OidcIssuer> {
  const subject = options.subject ?? 'system:serviceaccount:default:workload';
  const githubSubject = options.githubSubject ?? 'repo:contoso/app:ref:refs/heads/main';
  const requestToken = `gh-request-${randomUUID()}`;
  const kid = 'key-1';
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = { ...publicKey.export({ format: 'jwk' }), kid, use: 'sig', alg: 'RS256' };
  const requests: Array<{ path: string; authorization?: string }> = [];
  let url = '';

  const sign = (key: KeyObject, claims: OidcIssuerTokenClaims): string => {
    const now = Math.floor(Date.now() / 1000);
    const header = { alg: 'RS256', typ: 'JWT', kid: claims.kid ?? kid };
    const payload = {
      iss: claims.iss ?? url,
      sub: claims.sub ?? subject,
      aud: claims.aud ?? 'api://AzureADTokenExchange',
      iat: now,
      nbf: now,
      exp: claims.exp ?? now + 3600,
      jti: randomUUID(),
    };
    const input = `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`;
    return `${input}.${createSign('RSA-SHA256').update(input).sign(key).toString('base64url')}`;
  };

  const server: Server = createServer((req, res) => {
    const target = new URL(req.url ?? '/', url);
    requests.push({ path: target.pathname, ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}) });
    const json = (status: number, body: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (target.pathname === '/.well-known/openid-configuration') return json(200, { issuer: url, jwks_uri: `${url}/keys` });
    if (target.pathname === '/keys') return json(200, { keys: [jwk] });
    if (target.pathname === '/_apis/token') {
      if (req.headers.authorization?.toLowerCase() !== `bearer ${requestToken}`.toLowerCase()) return json(401, { message: 'bad request token' });
      return json(200, { value: sign(privateKey, { sub: githubSubject, aud: target.searchParams.get('audience') ?? '' }) });
    }
    json(404, {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    kid,
    token: (claims = {}) => sign(privateKey, claims),
    githubActions: { requestUrl: `${url}/_apis/token?api-version=2.0`, requestToken },
    requests,
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
