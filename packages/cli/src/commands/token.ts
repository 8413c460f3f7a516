// o365 token: the one command that prints an access token.
import type { Command } from 'commander';
import { iso, openAccount, requireProfile, splitScopes, type Context } from '../context.js';

/** The JSON shape of `o365 token --json` (as `az account get-access-token`). */
export interface TokenJson {
  accessToken: string;
  /** ISO time. */
  expiresOn: string;
  tokenType: 'Bearer';
}

export function registerToken(program: Command, context: (cmd: Command) => Context): void {
  program
    .command('token')
    .description('print an access token (refreshed when due); the only command that prints one')
    .option('--scopes <scopes...>', 'scopes of the token (default: those of the sign-in; app-only: .default)')
    .option('--resource <uri>', 'a resource instead of scopes: asks for <uri>/.default')
    .addHelpText(
      'after',
      `
Examples:
  $ curl -H "Authorization: Bearer $(o365 token)" https://graph.microsoft.com/v1.0/me
  $ o365 token --scopes Mail.Read --json    # { accessToken, expiresOn, tokenType }`,
    )
    .action(async (opts: { scopes?: string[]; resource?: string }, cmd: Command) => {
      const ctx = context(cmd);
      const result = await token(ctx, opts);
      if (ctx.out.json) ctx.out.data(result);
      else ctx.out.line(result.accessToken);
    });
}

export async function token(ctx: Context, opts: { scopes?: string[]; resource?: string }): Promise<TokenJson> {
  const profile = await requireProfile(ctx);
  const account = await openAccount(ctx, profile);
  let scopes = splitScopes(opts.scopes);
  if (opts.resource) scopes = [`${opts.resource.replace(/\/+$/, '')}/.default`];
  if (scopes === undefined) {
    scopes = account.connection.appOnly ? [`${account.protocol.scopePrefix}.default`] : account.protocol.getScopesFor(profile.scopes);
  }
  const t = await account.getToken(scopes);
  return { accessToken: t.token, expiresOn: iso(t.expiresOnTimestamp), tokenType: 'Bearer' };
}
