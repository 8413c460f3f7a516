// o365 logout: removes a profile's settings and tokens (local sign-out), or every profile's.
import type { Command } from 'commander';
import type { Context } from '../context.js';

export function registerLogout(program: Command, context: (cmd: Command) => Context): void {
  program
    .command('logout')
    .description('remove the profile\'s stored tokens and settings (--all: every profile)')
    .option('--all', 'every profile of the config directory')
    .addHelpText(
      'after',
      `
Examples:
  $ o365 logout
  $ o365 logout --profile work
  $ o365 logout --all

Tokens are removed from this machine; the refresh token is not revoked at Microsoft
(an administrator can revoke sessions with Revoke-MgUserSignInSession).`,
    )
    .action(async (opts: { all?: boolean }, cmd: Command) => {
      const ctx = context(cmd);
      const names = opts.all ? await ctx.store.list() : [ctx.profileName];
      const removed: string[] = [];
      for (const name of names) if (await ctx.store.remove(name)) removed.push(name);
      if (ctx.out.json) ctx.out.data({ removed });
      else if (removed.length === 0) ctx.out.line(opts.all ? 'No profiles to remove' : `Profile ${ctx.profileName} was not signed in`);
      else ctx.out.line(`Signed out: ${removed.join(', ')}`);
    });
}
