// The programmatic entry: `run(argv, io)` parses the command line with commander, runs one
// command and resolves with its exit code. Never calls process.exit, never writes to
// process.stdout/stderr directly: the binary and tests pass their own streams.
import { Command, CommanderError, Option } from 'commander';
import type { Account } from '@o365/core';
import type { Emulator } from '@o365/emulator';
import { registerDemo } from './commands/demo.js';
import { registerLogin } from './commands/login.js';
import { registerLogout } from './commands/logout.js';
import { registerRequest } from './commands/request.js';
import { registerStatus } from './commands/status.js';
import { registerToken } from './commands/token.js';
import { registerUsers } from './commands/users.js';
import { registerWhoami } from './commands/whoami.js';
import { checkProfileName, ConfigStore, defaultConfigDir } from './config.js';
import type { Context, GlobalOptions } from './context.js';
import { describeError } from './errors-format.js';
import { adviceFor, EXIT_CODES, exitCodeFor, type ExitCode } from './exit-codes.js';
import { Output, type RunIo } from './output.js';
import { refuseSecretArguments } from './prompt.js';

export type { RunIo } from './output.js';

const VERSION = readVersion();

/**
 * Runs the `o365` command line in this process and resolves with the exit code (it never throws
 * and never exits the process).
 *
 * @example
 * ```ts
 * import { run } from '@o365/cli';
 * const code = await run(['--emulator', 'demo'], { stdout: process.stdout, stderr: process.stderr, env: process.env });
 * process.exitCode = code;
 * ```
 */
export async function run(argv: readonly string[], io: RunIo): Promise<ExitCode> {
  const json = argv.includes('--json');
  let out = new Output(io, { json });
  let profileName = 'default';
  let exitCode: ExitCode = EXIT_CODES.ok;
  const opened: Account[] = [];
  let ownEmulator: Promise<Emulator> | undefined;
  const emulator = (): Promise<Emulator> => {
    if (io.emulator) return Promise.resolve(io.emulator);
    ownEmulator ??= import('@o365/emulator').then(({ startEmulator }) => startEmulator({ port: 0, deviceCodeInterval: 1 }));
    return ownEmulator;
  };

  const program = new Command('o365');
  program
    .description('Microsoft 365 sign-in from a shell: tokens, Graph calls, users (o365-ts)')
    .version(VERSION, '-V, --version')
    .option('--json', 'machine-readable output on stdout; no progress on stderr')
    .option('--profile <name>', 'the profile to use', 'default')
    .option('--emulator', 'run against an embedded @o365/emulator (default tenant, in memory, this process only)')
    .addOption(new Option('--config-dir <dir>', 'where profiles and tokens live').default(undefined, '$XDG_CONFIG_HOME/o365 or ~/.config/o365 (%APPDATA%\\o365 on Windows)'))
    .showHelpAfterError('(add --help for usage)')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
      outputError: (s, write) => write(out.red(s)),
    })
    .addHelpText(
      'after',
      `
Examples:
  $ o365 --emulator demo                    # the whole story against a local emulator, no tenant needed
  $ o365 login --client-id <app id> --tenant contoso.onmicrosoft.com
  $ o365 whoami
  $ o365 users --top 5 --json
  $ o365 request me/messages

Exit codes: 0 ok, 1 other, 2 usage, 3 invalid credentials, 4 sign-in expired or revoked,
5 consent/MFA/interaction needed, 6 network, 7 token store, 8 Graph error, 130 cancelled.`,
    );

  const stores: ConfigStore[] = [];
  const track = (store: ConfigStore): ConfigStore => {
    stores.push(store);
    return store;
  };
  const context = (cmd: Command): Context => {
    const options = cmd.optsWithGlobals<GlobalOptions>();
    out = new Output(io, { json: options.json === true });
    profileName = checkProfileName(options.profile);
    return {
      io,
      out,
      options,
      store: track(new ConfigStore(options.configDir ?? defaultConfigDir(io.env))),
      profileName,
      emulator,
      now: async () => (options.emulator ? (await emulator()).clock.now() : Date.now()),
      opened,
      setExitCode: (code) => {
        exitCode = code;
      },
    };
  };
  for (const register of [registerLogin, registerWhoami, registerStatus, registerToken, registerRequest, registerUsers, registerLogout, registerDemo]) {
    register(program, context);
  }
  for (const cmd of program.commands) {
    cmd.exitOverride();
    cmd.configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s), outputError: (s, write) => write(out.red(s)) });
    cmd.showHelpAfterError('(add --help for usage)');
  }

  try {
    refuseSecretArguments(argv);
    await program.parseAsync([...argv], { from: 'user' });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version end with 0; commander printed its own message for parse errors.
      if (error.exitCode === 0) return EXIT_CODES.ok;
      return EXIT_CODES.usage;
    }
    const code = exitCodeFor(error);
    report(out, error, code, profileName);
    return code;
  } finally {
    await Promise.allSettled(opened.map((a) => a.close()));
    await Promise.allSettled(stores.map((s) => s.close()));
    if (ownEmulator) await (await ownEmulator.catch(() => undefined))?.stop();
  }
}

function report(out: Output, error: unknown, code: ExitCode, profile: string): void {
  const message = describeError(error);
  const advice = adviceFor(error, profile);
  if (out.json) {
    const raw: unknown = error instanceof Error ? (error as Error & { code?: unknown }).code : undefined;
    const kind = typeof raw === 'string' ? raw : 'ERROR';
    out.alert(JSON.stringify({ error: { code: kind, exitCode: code, message, ...(advice ? { advice } : {}) } }));
    return;
  }
  out.alert(out.red(`o365: ${message}`));
  if (advice) out.alert(`  ${advice}`);
}

/** Replaced by the build (tsup `define`) with package.json's version. */
declare const __O365_CLI_VERSION__: string | undefined;

function readVersion(): string {
  return typeof __O365_CLI_VERSION__ === 'string' ? __O365_CLI_VERSION__ : '0.0.0-dev';
}

