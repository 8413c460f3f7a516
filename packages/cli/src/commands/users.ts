// o365 users: the tenant's users, paged through core's Directory, printed as they come.
import type { GetUsersOptions } from '@o365/core';
import type { Command } from 'commander';
import { openAccount, requireProfile, type Context } from '../context.js';
import { UsageError } from '../exit-codes.js';

interface UsersOptions {
  top?: string;
  filter?: string;
  select?: string[];
  orderBy?: string;
}

export function registerUsers(program: Command, context: (cmd: Command) => Context): void {
  program
    .command('users')
    .description('list the directory\'s users, page by page, streamed as they come')
    .option('--top <n>', 'most users to list ("all" for every user)', '100')
    .option('--filter <odata>', "OData $filter, e.g. \"startswith(displayName,'A')\"")
    .option('--select <props...>', 'properties to return ($select), e.g. displayName mail')
    .option('--order-by <odata>', 'OData $orderby, e.g. displayName')
    .addHelpText(
      'after',
      `
Examples:
  $ o365 users --top 10
  $ o365 users --filter "startswith(displayName,'A')" --select displayName mail
  $ o365 users --top all --json | jq -r .userPrincipalName     # NDJSON: one JSON object per line

Needs User.ReadBasic.All (delegated) or User.Read.All (application).`,
    )
    .action(async (opts: UsersOptions, cmd: Command) => {
      const ctx = context(cmd);
      const profile = await requireProfile(ctx);
      const account = await openAccount(ctx, profile);
      const limit = opts.top === 'all' ? Number.POSITIVE_INFINITY : Number(opts.top);
      if (!(limit >= 1) || (Number.isFinite(limit) && !Number.isInteger(limit))) throw new UsageError('--top must be a positive integer or "all"');
      const query: GetUsersOptions = { limit };
      if (opts.filter) query.filter = opts.filter;
      if (opts.orderBy) query.orderBy = opts.orderBy;
      const select = opts.select?.flatMap((s) => s.split(',')).filter(Boolean);
      if (select?.length) query.select = select;
      if (ctx.io.signal) query.signal = ctx.io.signal;
      let count = 0;
      const progress = ctx.out.interactive && !ctx.out.json;
      for await (const user of account.directory().getUsers(query)) {
        count++;
        if (ctx.out.json) ctx.out.ndjson(user.toJSON());
        else if (select?.length) {
          const raw = user.toJSON() as Record<string, unknown>;
          ctx.out.line(select.map((k) => format(raw[k])).join('\t'));
        } else ctx.out.line(`${user.displayName ?? '?'}\t${user.userPrincipalName ?? user.mail ?? ''}\t${user.jobTitle ?? ''}`.trimEnd());
        if (progress && count % 100 === 0) ctx.io.stderr.write(`\r${count} users...`);
      }
      if (progress && count >= 100) ctx.io.stderr.write('\r\x1b[K');
      ctx.out.note(ctx.out.dim(`${count} user${count === 1 ? '' : 's'}`));
    });
}

function format(value: unknown): string {
  if (value === undefined || value === null) return '';
  return typeof value === 'string' ? value : JSON.stringify(value);
}
