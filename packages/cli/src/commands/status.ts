// o365 status: every profile, from the stored token cache (no network); --check refreshes for real.
import type { Command } from 'commander';
import { summarizeTokenCache, type TokenCacheSummary } from '@o365/core';
import type { Profile } from '../config.js';
import { iso, openAccount, type Context } from '../context.js';
import { adviceFor, exitCodeFor, EXIT_CODES, type ExitCode } from '../exit-codes.js';
import { describeError } from '../errors-format.js';

/** One entry of `o365 status --json` (an array of them). */
export interface StatusJson {
  profile: string;
  flow: string;
  clientId: string;
  tenantId: string;
  /** The user (delegated flows), or null for app-only. */
  username: string | null;
  /** ISO time the stored access token is valid until, or null when none is stored. */
  accessTokenExpiresOn: string | null;
  accessTokenValid: boolean;
  refreshToken: boolean;
  /** Made with --emulator: only usable in the process that made it. */
  emulator: boolean;
  /** Where the tokens live: `file` (the config directory) or the profile's `--token-store`. */
  tokenStore: string;
  /** The token store of the profile could not be read (e.g. a corrupted file). */
  error?: { exitCode: number; message: string };
  /** With --check: 'ok' or the error's exit code and message. */
  check?: { ok: true; accessTokenExpiresOn: string } | { ok: false; exitCode: number; error: string };
}

export function registerStatus(program: Command, context: (cmd: Command) => Context): void {
  program
    .command('status')
    .description('show every profile: user, flow, token validity, refresh token (no network unless --check)')
    .option('--check', 'refresh each profile\'s token now (a real token request) and report the outcome')
    .addHelpText(
      'after',
      `
Examples:
  $ o365 status
  $ o365 status --check --json     # exits non-zero when a profile cannot refresh`,
    )
    .action(async (opts: { check?: boolean }, cmd: Command) => {
      const ctx = context(cmd);
      const { entries, exitCode } = await status(ctx, opts.check === true);
      if (ctx.out.json) ctx.out.data(entries);
      else if (entries.length === 0) ctx.out.line(`No profiles in ${ctx.store.dir}; sign in with o365 login`);
      else {
        for (const e of entries) {
          const who = e.username ?? `app ${e.clientId}`;
          const token = e.accessTokenExpiresOn ? `${e.accessTokenValid ? 'valid until' : 'expired at'} ${e.accessTokenExpiresOn}` : 'none stored';
          ctx.out.line(`${ctx.out.bold(e.profile)}: ${who} (flow ${e.flow}, tenant ${e.tenantId}${e.emulator ? ', emulator' : ''})`);
          ctx.out.line(`  access token ${token}; refresh token ${e.refreshToken ? 'present' : e.flow === 'secret' || e.flow === 'certificate' ? 'not used (app-only)' : 'absent'}`);
          if (e.error) ctx.out.line(`  token store: FAILED (exit ${e.error.exitCode}): ${e.error.message}`);
          if (e.check) ctx.out.line(`  check: ${e.check.ok ? `refreshed, valid until ${e.check.accessTokenExpiresOn}` : `FAILED (exit ${e.check.exitCode}): ${e.check.error}`}`);
        }
      }
      ctx.setExitCode(exitCode);
    });
}

export async function status(ctx: Context, check: boolean): Promise<{ entries: StatusJson[]; exitCode: ExitCode }> {
  const entries: StatusJson[] = [];
  let exitCode: ExitCode = EXIT_CODES.ok;
  const names = await ctx.store.list();
  for (const name of names) {
    const profile = await ctx.store.read(name);
    if (!profile) continue;
    let entry: StatusJson;
    try {
      entry = entryOf(profile, await summarizeTokenCache(await ctx.store.tokenBackend(name, profile.tokenStore), { clientId: profile.clientId }), await ctx.now());
    } catch (error) {
      // A corrupted token file is reported on its profile (and in the exit code); the others still show.
      const code = exitCodeFor(error);
      if (exitCode === EXIT_CODES.ok) exitCode = code;
      entry = { ...entryOf(profile, undefined, await ctx.now()), error: { exitCode: code, message: describeError(error) } };
      entries.push(entry);
      continue;
    }
    if (check) {
      try {
        const account = await openAccount(ctx, profile);
        await account.connection.refreshToken();
        const token = await account.getToken(account.connection.appOnly ? `${account.protocol.scopePrefix}.default` : account.protocol.getScopesFor(profile.scopes));
        entry.check = { ok: true, accessTokenExpiresOn: iso(token.expiresOnTimestamp) };
        const after = entryOf(profile, await summarizeTokenCache(await ctx.store.tokenBackend(name, profile.tokenStore), { clientId: profile.clientId }), await ctx.now());
        entry = { ...after, check: entry.check };
      } catch (error) {
        const code = exitCodeFor(error);
        if (exitCode === EXIT_CODES.ok) exitCode = code;
        const advice = adviceFor(error, name);
        entry.check = { ok: false, exitCode: code, error: describeError(error) + (advice ? ` (${advice})` : '') };
      }
    }
    entries.push(entry);
  }
  return { entries, exitCode };
}

function entryOf(profile: Profile, summary: TokenCacheSummary | undefined, now: number): StatusJson {
  const user = profile.username === undefined ? summary?.users[0] : summary?.users.find((u) => u.username.toLowerCase() === profile.username!.toLowerCase());
  const expires = profile.flow === 'secret' || profile.flow === 'certificate' ? summary?.appAccessTokenExpiresOn : user?.accessTokenExpiresOn;
  return {
    profile: profile.name,
    flow: profile.flow,
    clientId: profile.clientId,
    tenantId: profile.tenantId,
    username: profile.username ?? user?.username ?? null,
    accessTokenExpiresOn: expires === undefined ? null : iso(expires),
    accessTokenValid: expires !== undefined && expires > now,
    refreshToken: user?.refreshToken ?? false,
    emulator: profile.emulator === true,
    tokenStore: profile.tokenStore ?? 'file',
  };
}
