// What every command gets: the global options, the output, the config store, the emulator of
// `--emulator`, and an Account built from a profile.
import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { Account, MSGraphProtocol, type AccountOptions, type Credentials } from '@o365/core';
import type { Emulator } from '@o365/emulator';
import type { ConfigStore} from './config.js';
import { type Profile } from './config.js';
import { CliError, EXIT_CODES, UsageError, type ExitCode } from './exit-codes.js';
import type { Output, RunIo } from './output.js';

/** The global options, as commander parsed them. */
export interface GlobalOptions {
  json?: boolean;
  profile: string;
  emulator?: boolean;
  configDir?: string;
}

/** Everything a command needs. */
export interface Context {
  readonly io: RunIo;
  readonly out: Output;
  readonly options: GlobalOptions;
  readonly store: ConfigStore;
  readonly profileName: string;
  /** The emulator of `--emulator` (started on first use). */
  emulator(): Promise<Emulator>;
  /** The current time (epoch ms): the emulator's clock with `--emulator`, else the system's. */
  now(): Promise<number>;
  /** Accounts opened by the command; closed when it ends. */
  readonly opened: Account[];
  /** Ends the command with this exit code (after its output), without an error message. */
  setExitCode(code: ExitCode): void;
}

/** Where a profile's requests go: the emulator of this process, or what the profile says. */
export interface Target {
  authorityHost?: string;
  graphUrl?: string;
  ca?: string;
}

export async function targetOf(ctx: Context, profile: Pick<Profile, 'authorityHost' | 'graphUrl' | 'caFile'>): Promise<Target> {
  if (ctx.options.emulator) {
    const emu = await ctx.emulator();
    return { authorityHost: emu.authorityHost, graphUrl: emu.graphUrl, ca: emu.ca };
  }
  const target: Target = {};
  if (profile.authorityHost) target.authorityHost = profile.authorityHost;
  if (profile.graphUrl) target.graphUrl = profile.graphUrl;
  if (profile.caFile) target.ca = await readFile(profile.caFile, 'utf8');
  return target;
}

/** Reads a PEM file holding a private key and its certificate (as `az` and msal take them). */
export async function readCertificate(file: string): Promise<{ thumbprint: string; privateKey: string }> {
  let pem: string;
  try {
    pem = await readFile(file, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read the certificate file ${file}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  const key = /-----BEGIN (?:RSA |EC |ENCRYPTED )?PRIVATE KEY-----[\s\S]+?-----END (?:RSA |EC |ENCRYPTED )?PRIVATE KEY-----/.exec(pem)?.[0];
  const cert = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(pem)?.[0];
  if (!key || !cert) throw new UsageError(`the certificate file ${file} must hold a PEM private key and its PEM certificate`);
  const thumbprint = new X509Certificate(cert).fingerprint.replace(/:/g, '');
  return { thumbprint, privateKey: key };
}

/** The options of an Account for a profile (target, token backend). */
export async function accountOptions(ctx: Context, profile: Profile, extra: AccountOptions = {}): Promise<AccountOptions> {
  const target = await targetOf(ctx, profile);
  const options: AccountOptions = {
    authFlowType: authFlowTypeOf(profile),
    tenantId: profile.tenantId,
    tokenBackend: await ctx.store.tokenBackend(profile.name, profile.tokenStore),
    retry: { maxRetries: 1 },
    timeoutMs: 20_000,
    ...extra,
  };
  if (profile.username && !options.username) options.username = profile.username;
  if (target.authorityHost) options.authorityHost = target.authorityHost;
  if (target.graphUrl) options.protocol = new MSGraphProtocol({ graphUrl: target.graphUrl });
  if (target.ca) options.tls = { ca: target.ca };
  if (ctx.options.emulator) {
    // The emulator's clock may be moved (o365 demo does): token expiry is judged on its time.
    const { clock } = await ctx.emulator();
    options.clock = { now: () => clock.now() };
  }
  return options;
}

export function authFlowTypeOf(profile: Pick<Profile, 'flow'>): NonNullable<AccountOptions['authFlowType']> {
  switch (profile.flow) {
    case 'secret':
    case 'certificate':
      return 'credentials';
    case 'password':
      return 'password';
    case 'device':
      return 'device';
    case 'browser':
      return 'public';
    case 'code':
      return 'authorization';
  }
}

/** The profile of `--profile`, or an error saying how to sign in. */
export async function requireProfile(ctx: Context, name = ctx.profileName): Promise<Profile> {
  const profile = await ctx.store.read(name);
  if (profile === undefined) {
    throw new CliError(`profile "${name}" is not signed in`, {
      exitCode: EXIT_CODES.signInExpired,
      code: 'CLI_NOT_SIGNED_IN',
      advice: `sign in first: o365${ctx.options.emulator ? ' --emulator' : ''} login${name === 'default' ? '' : ` --profile ${name}`}`,
    });
  }
  return profile;
}

/**
 * An Account for a signed-in profile. For `--flow secret`, the secret is read again from the
 * profile's environment variable when set; without it, only the stored app token is usable.
 */
export async function openAccount(ctx: Context, profile: Profile): Promise<Account> {
  const options = await accountOptions(ctx, profile);
  let credentials: Credentials = [profile.clientId];
  if (profile.flow === 'certificate' && profile.certificateFile) {
    credentials = [profile.clientId, await readCertificate(profile.certificateFile)];
  } else if (profile.flow === 'secret') {
    credentials = [profile.clientId, await profileSecret(ctx, profile)];
  }
  const account = new Account(credentials, options);
  ctx.opened.push(account);
  return account;
}

/**
 * The client secret of a `--flow secret` profile: read again from the environment variable named
 * at login (never stored), or the emulator's published demo secret for an `--emulator` profile.
 */
async function profileSecret(ctx: Context, profile: Profile): Promise<string> {
  const secret = profile.secretEnv ? ctx.io.env[profile.secretEnv] : undefined;
  if (secret) return secret;
  if (profile.emulator && ctx.options.emulator) return (await ctx.emulator()).defaults.clientSecret;
  throw new CliError(
    profile.secretEnv
      ? `profile "${profile.name}" signs in with a client secret read from ${profile.secretEnv}, which is not set`
      : `profile "${profile.name}" signs in with a client secret, and none is available`,
    {
      exitCode: EXIT_CODES.invalidCredentials,
      code: 'CLI_SECRET_UNAVAILABLE',
      advice: profile.secretEnv ? `set ${profile.secretEnv} to the client secret (secrets are never stored in the profile)` : 'run o365 login --flow secret --secret-env VAR again',
    },
  );
}

/** Splits `--scopes a,b c` lists. */
export function splitScopes(values: readonly string[] | undefined): string[] | undefined {
  if (values === undefined) return undefined;
  const scopes = values.flatMap((v) => v.split(/[\s,]+/)).filter(Boolean);
  return scopes.length > 0 ? scopes : undefined;
}

/** The ISO time of an epoch-ms value, without milliseconds. */
export function iso(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
