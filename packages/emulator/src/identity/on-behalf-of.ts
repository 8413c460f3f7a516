import { decodeJwt, verifyJwtSignature } from '../jwt.js';
import type { AppModel, TenantModel } from '../directory.js';
import type { EmulatorState } from '../state.js';
import { AadFailure, aadTimestamp } from './aad-errors.js';
import type { Amr } from './grants.js';
import { checkUserCanSignIn } from './sign-in.js';
import type { SeedUser } from '../seed.js';
import { accessTokenIssuer } from './token-issuer.js';

/** What an on-behalf-of assertion says, once Entra's checks passed. */
export interface OnBehalfOfCaller {
  user: SeedUser;
  amr: Amr;
  authTime: number;
}

/**
 * Checks the `assertion` of an on-behalf-of request (`grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer`,
 * `requested_token_use=on_behalf_of`) as Entra does: a user access token this platform signed,
 * in its validity period, whose audience is the web API of the app presenting it (its client id
 * or an identifier URI). AADSTS50013 for a foreign, unsigned, app-only or mis-addressed token,
 * AADSTS500133 for an expired one.
 */
export function verifyOnBehalfOfAssertion(state: EmulatorState, assertion: string, app: AppModel, tenant: TenantModel): OnBehalfOfCaller {
  let jwt;
  try {
    jwt = decodeJwt(assertion);
  } catch {
    throw new AadFailure(50013, { reason: 'The assertion is not a well-formed JWT.' });
  }
  if (jwt.header['kid'] !== state.crypto.signing.kid || !verifyJwtSignature(jwt, state.crypto.signing.publicKey)) {
    throw new AadFailure(50013, { reason: 'The key was not found or the signature does not verify.' });
  }
  const p = jwt.payload;
  const aud = typeof p['aud'] === 'string' ? p['aud'] : '';
  const accepted = [app.seed.clientId, app.api?.identifierUri, `api://${app.seed.clientId}`].filter((a): a is string => a !== undefined);
  if (!accepted.some((a) => a.toLowerCase() === aud.toLowerCase().replace(/\/+$/, ''))) {
    throw new AadFailure(50013, {
      reason: `Assertion audience does not match the Client app presenting the assertion. The audience in the assertion was '${aud}' and the expected audience is '${app.seed.clientId}' or one of the Application Id URIs of this application`,
    });
  }
  const now = state.clock.now();
  const exp = typeof p['exp'] === 'number' ? p['exp'] : 0;
  if (exp * 1000 <= now) throw new AadFailure(500133, { now: aadTimestamp(now), exp: aadTimestamp(exp * 1000) });
  if (p['iss'] !== accessTokenIssuer(tenant.id)) {
    throw new AadFailure(50013, { reason: 'The assertion was issued by another tenant.' });
  }
  if (p['idtyp'] === 'app' || typeof p['oid'] !== 'string' || p['scp'] === undefined) {
    throw new AadFailure(50013, { reason: 'The assertion is not a user token: on-behalf-of needs a delegated token.' });
  }
  const user = state.directory.user(tenant, p['oid']);
  if (!user) throw new AadFailure(50013, { reason: 'The user of the assertion no longer exists.' });
  checkUserCanSignIn(user);
  const amr = Array.isArray(p['amr']) ? (p['amr'] as Amr) : (['pwd'] as Amr);
  const iat = typeof p['iat'] === 'number' ? p['iat'] * 1000 : now;
  return { user, amr, authTime: iat };
}
