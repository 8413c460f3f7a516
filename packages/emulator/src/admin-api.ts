import { sendEmpty, sendJson, type RequestContext } from './http-kit.js';
import { faultFromJson, FaultSpecError } from './faults.js';
import { raiseCaeEvent, revokeUsers } from './identity/revocation.js';
import type { EmulatorState } from './state.js';

/** Admin routes live under this prefix; they are never logged nor faulted. */
export const ADMIN_PREFIX = '/_emulator/';

function parseJson(ctx: RequestContext): Record<string, unknown> {
  if (ctx.body.length === 0) return {};
  const value = JSON.parse(ctx.body.toString('utf8')) as unknown;
  // `null`, arrays and scalars carry no fields: read them as an empty object.
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function bad(ctx: RequestContext, message: string): void {
  sendJson(ctx, 400, { error: 'invalid_request', error_description: message });
}

/**
 * `POST|GET|DELETE /_emulator/faults`, `GET|DELETE /_emulator/requests`,
 * `GET|POST /_emulator/clock` (`{ "advanceSeconds": n }`), `POST /_emulator/revoke` (`{ "username"?: ... }`), `POST /_emulator/cae-event` (`{ "username"?: ... }`).
 */
export function handleAdmin(state: EmulatorState, ctx: RequestContext): void {
  const what = ctx.path.slice(ADMIN_PREFIX.length).replace(/\/+$/, '');
  let body: Record<string, unknown> = {};
  try {
    if (!ctx.bodyTooLarge) body = parseJson(ctx);
  } catch {
    bad(ctx, 'The body is not valid JSON.');
    return;
  }
  if (ctx.bodyTooLarge) {
    sendJson(ctx, 413, { error: 'invalid_request', error_description: 'The body is too large.' });
    return;
  }
  const key = `${ctx.method} ${what}`;
  switch (key) {
    case 'POST faults':
      try {
        const id = state.faults.add(faultFromJson(body));
        sendJson(ctx, 201, { id });
      } catch (err) {
        if (err instanceof FaultSpecError) bad(ctx, err.message);
        else throw err;
      }
      return;
    case 'GET faults':
      sendJson(
        ctx,
        200,
        state.faults.list().map((f) => ({ ...f, path: f.path instanceof RegExp ? undefined : f.path, pathRegex: f.path instanceof RegExp ? f.path.source : undefined })),
      );
      return;
    case 'DELETE faults':
      state.faults.clear();
      sendEmpty(ctx, 204);
      return;
    case 'GET requests':
      sendJson(ctx, 200, state.log.list());
      return;
    case 'DELETE requests':
      state.log.clear();
      sendEmpty(ctx, 204);
      return;
    case 'GET clock':
      sendJson(ctx, 200, { now: state.clock.now() });
      return;
    case 'POST clock': {
      const seconds = body['advanceSeconds'];
      if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds < 0) {
        bad(ctx, 'advanceSeconds must be a non-negative number');
        return;
      }
      state.clock.advance(seconds);
      sendJson(ctx, 200, { now: state.clock.now() });
      return;
    }
    case 'POST revoke':
    case 'POST cae-event': {
      const username = body['username'];
      if (username !== undefined && typeof username !== 'string') {
        bad(ctx, 'username must be a string');
        return;
      }
      if (key === 'POST revoke') sendJson(ctx, 200, { revokedUsers: revokeUsers(state, username) });
      else sendJson(ctx, 200, { users: raiseCaeEvent(state, username) });
      return;
    }
    default:
      sendJson(ctx, 404, { error: 'not_found', error_description: `No admin route '${ctx.method} ${ctx.path}'.` });
  }
}
