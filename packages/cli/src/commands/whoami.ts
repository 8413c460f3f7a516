// o365 whoami: the signed-in user (delegated) or the app (app-only) of a profile.
import type { Command } from 'commander';
import { openAccount, requireProfile, type Context } from '../context.js';

/** The JSON shape of `o365 whoami --json`. */
export interface WhoamiJson {
  profile: string;
  flow: string;
  type: 'user' | 'app';
  clientId: string;
  tenantId: string;
  /** Delegated flows: the user. */
  user?: { id?: string; displayName?: string; userPrincipalName?: string; mail?: string; jobTitle?: string };
  /** App-only flows: claims of the app token (never the token). */
  app?: { displayName?: string; roles?: string[] };
}

export function registerWhoami(program: Command, context: (cmd: Command) => Context): void {
  program
    .command('whoami')
    .description('show who the profile is signed in as (calls Graph /me for users)')
    .addHelpText(
      'after',
      `
Examples:
  $ o365 whoami
  $ o365 whoami --profile work --json`,
    )
    .action(async (_opts: unknown, cmd: Command) => {
      const ctx = context(cmd);
      const result = await whoami(ctx);
      if (ctx.out.json) ctx.out.data(result);
      else if (result.user) {
        const u = result.user;
        ctx.out.line(`${ctx.out.bold(u.displayName ?? '?')} <${u.userPrincipalName ?? u.mail ?? '?'}>${u.jobTitle ? `, ${u.jobTitle}` : ''}`);
        ctx.out.line(ctx.out.dim(`user id ${u.id ?? '?'}, tenant ${result.tenantId}, app ${result.clientId}, flow ${result.flow}, profile ${result.profile}`));
      } else {
        ctx.out.line(`${ctx.out.bold(result.app?.displayName ?? result.clientId)} (app-only, no user)`);
        ctx.out.line(
          ctx.out.dim(`app ${result.clientId}, tenant ${result.tenantId}, roles ${result.app?.roles?.join(' ') || 'none'}, flow ${result.flow}, profile ${result.profile}`),
        );
      }
    });
}

export async function whoami(ctx: Context): Promise<WhoamiJson> {
  const profile = await requireProfile(ctx);
  const account = await openAccount(ctx, profile);
  const base = { profile: profile.name, flow: profile.flow, clientId: profile.clientId, tenantId: profile.tenantId };
  if (account.connection.appOnly) {
    const token = await account.getToken(`${account.protocol.scopePrefix}.default`);
    const claims = jwtClaims(token.token);
    const app: NonNullable<WhoamiJson['app']> = {};
    if (typeof claims['app_displayname'] === 'string') app.displayName = claims['app_displayname'];
    if (Array.isArray(claims['roles'])) app.roles = claims['roles'].filter((r): r is string => typeof r === 'string');
    return { ...base, type: 'app', app };
  }
  const me = (await account.getCurrentUser()).toJSON();
  const pick = (key: string): string | undefined => (typeof me[key] === 'string' ? (me[key] as string) : undefined);
  const user: NonNullable<WhoamiJson['user']> = {};
  for (const key of ['id', 'displayName', 'userPrincipalName', 'mail', 'jobTitle'] as const) {
    const value = pick(key);
    if (value !== undefined) user[key] = value;
  }
  return { ...base, type: 'user', user };
}

/** The payload of a JWT (read locally; the token itself is never printed). */
export function jwtClaims(token: string): Record<string, unknown> {
  const payload = token.split('.')[1];
  if (!payload) return {};
  try {
    const parsed: unknown = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    return parsed !== null && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}
