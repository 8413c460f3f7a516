import { TokenBackendError, type TokenBackendErrorOptions } from '../errors.js';

/**
 * The token backend holds a token written by python-o365 before 2.1 (a top-level `access_token`
 * instead of MSAL's unified cache). `account.migrateLegacyToken()` converts it by redeeming its
 * refresh token; otherwise the user signs in again. The stored data is left in place until a
 * migration or a successful `authenticate()` replaces it.
 *
 * @example
 * ```ts
 * try { await account.connection.getAccessToken(); }
 * catch (e) { if (e instanceof LegacyTokenFormatError && !(await account.migrateLegacyToken())) await account.authenticate(); }
 * ```
 */
export class LegacyTokenFormatError extends TokenBackendError {
  override readonly code: string = 'LEGACY_TOKEN_FORMAT';

  constructor(options: TokenBackendErrorOptions) {
    super(
      `The stored token${options.location ? ` (${options.location})` : ''} was written by python-o365 before 2.1, in a format o365-ts reads only to migrate it: call account.migrateLegacyToken() (it redeems the old refresh token), or sign in again with account.authenticate() (the old data is left in place until then)`,
      options,
    );
  }
}
