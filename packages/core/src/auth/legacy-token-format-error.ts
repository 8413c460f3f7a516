import { TokenBackendError, type TokenBackendErrorOptions } from '../errors.js';

/**
 * The token backend holds a token written by python-o365 before 2.1 (a top-level `access_token`
 * instead of MSAL's unified cache). It cannot be converted: the user has to sign in again. The
 * stored data is left in place; a successful `authenticate()` replaces it.
 *
 * @example
 * ```ts
 * try { await account.connection.getAccessToken(); }
 * catch (e) { if (e instanceof LegacyTokenFormatError) await account.authenticate(); }
 * ```
 */
export class LegacyTokenFormatError extends TokenBackendError {
  override readonly code: string = 'LEGACY_TOKEN_FORMAT';

  constructor(options: TokenBackendErrorOptions) {
    super(
      `The stored token${options.location ? ` (${options.location})` : ''} was written by python-o365 before 2.1 and uses a format o365-ts cannot read; sign in again with account.authenticate() (the old data is left in place until then)`,
      options,
    );
  }
}
