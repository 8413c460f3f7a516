/** A token stored by python-o365 before 2.1: requests-oauthlib's token dictionary. */
export interface LegacyToken {
  refreshToken: string;
  scopes: string[];
}

/**
 * The refresh token and scopes of a stored pre-2.1 python-o365 token (`{ access_token,
 * refresh_token, scope, ... }`), or `undefined` when the data holds no refresh token.
 */
export function readLegacyToken(data: string): LegacyToken | undefined {
  try {
    const old = JSON.parse(data) as { refresh_token?: unknown; scope?: unknown };
    if (typeof old.refresh_token !== 'string' || old.refresh_token === '') return undefined;
    const scope = old.scope;
    const scopes = Array.isArray(scope)
      ? scope.filter((x): x is string => typeof x === 'string')
      : typeof scope === 'string'
        ? scope.split(/\s+/).filter(Boolean)
        : [];
    return { refreshToken: old.refresh_token, scopes };
  } catch {
    return undefined;
  }
}
