import { AuthenticationError, InvalidArgumentError, TokenExpiredError } from '../errors.js';
import type { AccessToken } from '../token-credential.js';
import type { FoundAccessToken } from './cache-format.js';

/**
 * Where `authFlowType: 'external'` gets its access tokens: the token itself, or a function
 * called for every token the connection needs (after Graph refused one, with `refused` set).
 * A string result's expiry is read from the token's `exp` claim when it is a JWT.
 *
 * @example
 * ```ts
 * const accessToken: AccessTokenSource = async ({ refused }) => (refused ? await myLibrary.renew() : await myLibrary.current());
 * ```
 */
export type AccessTokenSource =
  | string
  | ((request: { scopes: readonly string[]; refused?: string }) => string | AccessToken | Promise<string | AccessToken>);

function expiryOf(token: string): number {
  const payload = token.split('.')[1];
  if (payload === undefined) return Number.POSITIVE_INFINITY;
  try {
    const exp = (JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { exp?: unknown }).exp;
    return typeof exp === 'number' && Number.isFinite(exp) ? exp * 1000 : Number.POSITIVE_INFINITY;
  } catch {
    return Number.POSITIVE_INFINITY;
  }
}

/**
 * Tokens obtained elsewhere (python-o365 #983, #987): o365-ts uses them as given and never
 * refreshes them. An expired one, or one Graph refused that the source hands out again, is a
 * `TokenExpiredError` saying to get a new token where it came from.
 */
export class ExternalAccessToken {
  constructor(
    readonly source: AccessTokenSource,
    readonly now: () => number,
  ) {
    if (typeof source !== 'function' && (typeof source !== 'string' || source.trim() === '')) {
      throw new InvalidArgumentError("authFlowType 'external' needs the accessToken option: a token or a function returning one", {
        parameter: 'accessToken',
      });
    }
  }

  async token(scopes: readonly string[], refused?: string): Promise<FoundAccessToken> {
    const value = typeof this.source === 'function' ? await this.source(refused === undefined ? { scopes } : { scopes, refused }) : this.source;
    const token = typeof value === 'string' ? value.trim() : value?.token;
    if (typeof token !== 'string' || token === '') {
      throw new AuthenticationError('The accessToken function returned no token');
    }
    const expiresOn = typeof value === 'object' && typeof value.expiresOnTimestamp === 'number' ? value.expiresOnTimestamp : expiryOf(token);
    if (refused !== undefined && token === refused) {
      throw new TokenExpiredError(
        'Microsoft Graph refused the access token given with the accessToken option, and the same token came back: o365-ts does not refresh a token obtained elsewhere; get a new one where it was obtained',
      );
    }
    if (expiresOn <= this.now()) {
      throw new TokenExpiredError(
        `The access token given with the accessToken option expired at ${new Date(expiresOn).toISOString()}: o365-ts does not refresh a token obtained elsewhere; get a new one where it was obtained (or pass a function that does)`,
      );
    }
    return { token, expiresOn, refreshAt: expiresOn, scopes: [...scopes] };
  }
}
