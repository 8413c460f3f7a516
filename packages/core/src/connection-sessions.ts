// The Graph sessions a Connection hands out: one per user selection (both tokens of a 401 retry
// are for the same user), and the on-behalf-of side of one caller.
import { throwIfAborted, untilAborted } from './abort.js';
import type { TokenRequest } from './auth/token-provider.js';
import type { Selection } from './auth/user-selection.js';
import type { ConnectionParts } from './connection-parts.js';
import type { OnBehalfOfConnection } from './connection-options.js';
import { createGraphSession, type GraphSession, type CreateGraphSessionOptions } from './graph/graph-session.js';

function graphSession(parts: ConnectionParts, getAccessToken: CreateGraphSessionOptions['getAccessToken']): GraphSession {
  return createGraphSession({
    ...parts.graphExtras,
    http: parts.http,
    graphUrl: parts.protocol.graphUrl,
    refreshOn401: true,
    logger: parts.logger,
    getAccessToken,
  });
}

/** A Graph session whose requests carry the selection's user's token (refreshed on a 401 or a claims challenge). */
export function userGraphSession(parts: ConnectionParts, selection: Selection): GraphSession {
  return graphSession(parts, async (request) => {
    const wanted: TokenRequest = {
      ...(request.refused === undefined ? {} : { stale: request.refused }),
      ...(request.claims === undefined ? {} : { claims: request.claims }),
    };
    return (await parts.tokens.token(selection, undefined, wanted)).token;
  });
}

function oboScopes(parts: ConnectionParts, scopes: string[] | undefined): string[] {
  return parts.protocol.getScopesFor(scopes && scopes.length > 0 ? scopes : ['User.Read']);
}

/** Tokens and a Graph session for the user of a web API's caller (`userAssertion`), by on-behalf-of. */
export function onBehalfOfView(parts: ConnectionParts, userAssertion: string): OnBehalfOfConnection {
  let session: GraphSession | undefined;
  return {
    getAccessToken: async (options = {}) => {
      throwIfAborted(options.signal);
      return (await untilAborted(parts.obo.token(userAssertion, oboScopes(parts, options.scopes)), options.signal)).token;
    },
    getSession: () =>
      (session ??= graphSession(
        parts,
        async (request) => (await parts.obo.token(userAssertion, oboScopes(parts, undefined), request.refused)).token,
      )),
  };
}
