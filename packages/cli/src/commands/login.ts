// o365 login: signs in with one of the flows and stores the profile (only after success).
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { Account, type AuthenticateOptions, type Credentials, type DeviceCodeInfo } from '@o365/core';
import type { Command } from 'commander';
import { FLOWS, type Flow, type Profile } from '../config.js';
import { accountOptions, iso, readCertificate, splitScopes, targetOf, type Context } from '../context.js';
import { CliError, EXIT_CODES, UsageError } from '../exit-codes.js';
import { ask, fromEnv } from '../prompt.js';
import { checkTokenStore } from '../token-stores.js';

interface LoginOptions {
  flow: string;
  clientId?: string;
  tenant?: string;
  scopes?: string[];
  secretEnv?: string;
  certificate?: string;
  username?: string;
  passwordEnv?: string;
  authorityHost?: string;
  graphUrl?: string;
  caFile?: string;
  timeout?: string;
  browser?: boolean;
  tokenStore?: string;
}

const DEFAULT_DELEGATED_SCOPES = ['User.Read', 'User.ReadBasic.All'];
const APP_ONLY: readonly Flow[] = ['secret', 'certificate'];

export function registerLogin(program: Command, context: (cmd: Command) => Context): void {
  program
    .command('login')
    .description('sign in and store the profile (device code by default)')
    .option('--flow <flow>', `sign-in flow: ${FLOWS.join(', ')}`, 'device')
    .option('--client-id <id>', 'application (client) id (with --emulator: the emulator app)')
    .option('--tenant <tenant>', 'tenant id or domain; organizations/common for delegated flows', undefined)
    .option('--scopes <scopes...>', 'delegated scopes (default: User.Read User.ReadBasic.All); app flows use .default')
    .option('--secret-env <VAR>', '--flow secret (optional for code): the environment variable holding the client secret (else a no-echo prompt)')
    .option('--certificate <file>', '--flow certificate: PEM file with the private key and the certificate')
    .option('--username <upn>', '--flow password: the user name')
    .option('--password-env <VAR>', '--flow password: the environment variable holding the password (else a no-echo prompt)')
    .option('--authority-host <url>', 'identity host (national clouds, an emulator); default https://login.microsoftonline.com')
    .option('--graph-url <url>', 'Graph root; default https://graph.microsoft.com/')
    .option('--ca-file <file>', 'PEM of an extra CA to trust (TLS inspection, an emulator)')
    .option('--timeout <seconds>', '--flow device: stop polling after this many seconds')
    .option('--no-browser', '--flow browser: print the URL instead of opening a browser')
    .option('--token-store <store>', 'where the tokens live: file (default, the config directory), redis[://host:port] (@o365/backend-redis; a password from REDIS_URL), s3://bucket/prefix (@o365/backend-s3)')
    .addHelpText(
      'after',
      `
Examples:
  $ o365 login --client-id 6731de76-... --tenant contoso.onmicrosoft.com             # device code
  $ AZ_SECRET=... o365 login --flow secret --client-id 1111... --tenant contoso.onmicrosoft.com --secret-env AZ_SECRET
  $ o365 login --flow certificate --client-id 1111... --tenant contoso.onmicrosoft.com --certificate app.pem
  $ O365_PASSWORD=... o365 login --flow password --client-id 6666... --tenant contoso.onmicrosoft.com --username adele@contoso.com --password-env O365_PASSWORD
  $ o365 --emulator login --flow password    # against the embedded emulator, its default app and user
  $ o365 login --client-id 6731de76-... --tenant contoso.onmicrosoft.com --token-store redis://127.0.0.1:6379

Secrets are read from the named environment variable or a no-echo prompt, never from an argument.
The profile is written only when the sign-in succeeded; Ctrl-C stores nothing.`,
    )
    .action(async (opts: LoginOptions, cmd: Command) => {
      await login(context(cmd), opts);
    });
}

async function login(ctx: Context, opts: LoginOptions): Promise<void> {
  if (!(FLOWS as readonly string[]).includes(opts.flow)) throw new UsageError(`unknown --flow "${opts.flow}": use one of ${FLOWS.join(', ')}`);
  const flow = opts.flow as Flow;
  const appOnly = APP_ONLY.includes(flow);
  const emu = ctx.options.emulator ? await ctx.emulator() : undefined;
  const clientId =
    opts.clientId ?? (emu ? (appOnly || (flow === 'code' && opts.secretEnv) ? emu.defaults.clientId : emu.defaults.publicClientId) : undefined);
  if (!clientId) throw new UsageError('--client-id is required (the application id of your app registration)');
  const tenantId = opts.tenant ?? emu?.defaults.tenantId ?? (appOnly ? undefined : 'organizations');
  if (!tenantId) throw new UsageError(`--flow ${flow} needs --tenant (your directory id or domain, e.g. contoso.onmicrosoft.com)`);
  if (appOnly && ['common', 'organizations', 'consumers'].includes(tenantId.toLowerCase())) {
    throw new UsageError(`--flow ${flow} needs the tenant of your directory (its id or domain), not "${tenantId}"`);
  }
  if (flow !== 'certificate' && opts.certificate) throw new UsageError('--certificate goes with --flow certificate');
  if (flow !== 'password' && (opts.username || opts.passwordEnv)) throw new UsageError('--username and --password-env go with --flow password');
  if (!['secret', 'code'].includes(flow) && opts.secretEnv) throw new UsageError('--secret-env goes with --flow secret (or code)');

  const scopes = appOnly ? [] : (splitScopes(opts.scopes) ?? DEFAULT_DELEGATED_SCOPES);
  const profile: Profile = {
    version: 1,
    name: ctx.profileName,
    clientId,
    tenantId,
    flow,
    scopes,
    createdAt: new Date().toISOString(),
  };
  const tokenStore = opts.tokenStore === undefined ? 'file' : checkTokenStore(opts.tokenStore);
  if (tokenStore !== 'file') profile.tokenStore = tokenStore;
  if (emu) {
    profile.emulator = true;
    profile.authorityHost = emu.authorityHost;
    profile.graphUrl = emu.graphUrl;
  } else {
    if (opts.authorityHost) profile.authorityHost = checkUrl(opts.authorityHost, '--authority-host').replace(/\/+$/, '');
    if (opts.graphUrl) profile.graphUrl = checkUrl(opts.graphUrl, '--graph-url');
    if (opts.caFile) profile.caFile = resolve(opts.caFile);
  }
  await targetOf(ctx, profile).catch((error: unknown) => {
    throw new UsageError(`cannot read --ca-file: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  });

  let credentials: Credentials = [clientId];
  const extra: Parameters<typeof accountOptions>[2] = {};
  if (flow === 'secret' || (flow === 'code' && opts.secretEnv)) {
    let secret: string;
    if (opts.secretEnv) {
      profile.secretEnv = opts.secretEnv;
      secret = fromEnv(ctx.io, opts.secretEnv, 'client secret');
    } else if (emu && opts.clientId === undefined) {
      secret = emu.defaults.clientSecret; // the emulator's published demo secret
    } else {
      secret = await ask(ctx.io, 'Client secret (not shown): ', { secret: true });
    }
    if (!secret) throw new UsageError('the client secret is empty');
    credentials = [clientId, secret];
  } else if (flow === 'certificate') {
    if (opts.certificate) {
      profile.certificateFile = resolve(opts.certificate);
      credentials = [clientId, await readCertificate(profile.certificateFile)];
    } else if (emu) {
      const { thumbprint, privateKey } = emu.defaults.certificate;
      credentials = [clientId, { thumbprint, privateKey }];
    } else {
      throw new UsageError('--flow certificate needs --certificate FILE (PEM with the private key and the certificate)');
    }
  } else if (flow === 'password') {
    const username = opts.username ?? emu?.defaults.username;
    if (!username) throw new UsageError('--flow password needs --username');
    let password: string;
    if (opts.passwordEnv) password = fromEnv(ctx.io, opts.passwordEnv, 'password');
    else if (emu && opts.username === undefined) password = emu.defaults.password;
    else password = await ask(ctx.io, `Password for ${username} (not shown): `, { secret: true });
    extra.username = username;
    extra.password = password;
  }

  // A new sign-in replaces whatever the profile held.
  const previous = await ctx.store.read(ctx.profileName).catch(() => undefined);
  const options = await accountOptions(ctx, profile, extra);
  const account = new Account(credentials, options);
  ctx.opened.push(account);

  const auth: AuthenticateOptions = { requestedScopes: scopes };
  if (ctx.io.signal) auth.signal = ctx.io.signal;
  if (flow === 'device') {
    if (opts.timeout) auth.timeoutSeconds = positive(opts.timeout, '--timeout');
    auth.deviceCodeCallback = (info: DeviceCodeInfo) => showDeviceCode(ctx, info);
  } else if (flow === 'browser') {
    auth.redirectUri = 'http://localhost';
    auth.handleConsent = (url: string) => {
      ctx.out.alert(`Sign in in your browser; if none opens, open this URL:\n${url}`);
      if (opts.browser !== false) openBrowser(url, ctx.io.env);
      ctx.out.note(ctx.out.dim('Waiting for the browser to come back to http://localhost ...'));
      return ''; // the loopback server catches the redirect
    };
  } else if (flow === 'code') {
    auth.handleConsent = async (url: string) => {
      ctx.out.alert(`Open this URL in a browser and sign in:\n${url}`);
      return ask(ctx.io, 'Paste the full address the browser ended on: ', { secret: false });
    };
  }

  const spinner = flow === 'device' ? startSpinner(ctx) : undefined;
  let ok: boolean;
  try {
    ok = await account.authenticate(auth);
  } finally {
    spinner?.();
  }
  if (!ok) throw new CliError('the sign-in was declined or timed out; nothing was stored', { exitCode: EXIT_CODES.interactionRequired, advice: 'run o365 login again' });

  if (!appOnly) {
    profile.username = account.username ?? extra.username;
    // A new sign-in replaces the profile's earlier user.
    if (previous) {
      for (const other of await account.getAuthenticatedUsernames()) {
        if (other.toLowerCase() !== profile.username?.toLowerCase()) await account.logout(other);
      }
    }
  }
  const token = await account.getToken(appOnly ? `${account.protocol.scopePrefix}.default` : scopesForToken(account, scopes));
  await ctx.store.write(profile);

  const result = {
    profile: profile.name,
    flow,
    clientId,
    tenantId,
    ...(profile.username ? { username: profile.username } : {}),
    expiresOn: iso(token.expiresOnTimestamp),
    ...(profile.emulator ? { emulator: true } : {}),
  };
  if (ctx.out.json) ctx.out.data(result);
  else
    ctx.out.line(
      `Signed in ${profile.username ? `as ${ctx.out.bold(profile.username)}` : `as the app ${ctx.out.bold(clientId)}`} (profile ${profile.name}, flow ${flow}); access token valid until ${result.expiresOn}`,
    );
}

function scopesForToken(account: Account, scopes: string[]): string[] {
  return account.protocol.getScopesFor(scopes);
}

function checkUrl(value: string, option: string): string {
  try {
    const url = new URL(value);
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error('not http(s)');
    return url.href;
  } catch {
    throw new UsageError(`${option} must be an absolute http(s) URL`);
  }
}

function positive(value: string, option: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`${option} must be a positive number`);
  return n;
}

function showDeviceCode(ctx: Context, info: DeviceCodeInfo): void {
  // Shown even with --json: the person needs it. On stderr, so stdout stays data.
  ctx.out.alert(`To sign in, open ${ctx.out.boldErr(info.verificationUri)} and enter the code ${ctx.out.boldErr(info.userCode)}`);
  ctx.out.alert(`(the code expires in ${Math.round(info.expiresIn / 60)} min; Ctrl-C cancels)`);
}

/** A spinner on a terminal while the device code is polled; returns the function that stops it. */
function startSpinner(ctx: Context): (() => void) | undefined {
  if (!ctx.out.interactive || ctx.out.json) return undefined;
  const frames = ['|', '/', '-', '\\'];
  let i = 0;
  const stderr = ctx.io.stderr;
  const timer = setInterval(() => {
    stderr.write(`\r${frames[i++ % frames.length]} waiting for the sign-in...`);
  }, 250);
  timer.unref();
  return () => {
    clearInterval(timer);
    stderr.write('\r\x1b[K');
  };
}

function openBrowser(url: string, env: NodeJS.ProcessEnv): void {
  const command =
    env['BROWSER'] ?? (process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer.exe' : 'xdg-open');
  try {
    const child = spawn(command, [url], { stdio: 'ignore', detached: true });
    child.on('error', () => undefined); // no browser: the URL is printed
    child.unref();
  } catch {
    // no browser: the URL is printed
  }
}
