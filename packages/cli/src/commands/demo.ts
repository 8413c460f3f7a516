// o365 demo: the whole story against an embedded emulator, told by running the CLI's own
// commands in this process (a temporary config directory, removed at the end). Never prints a
// token. Exits non-zero when a step does not end as expected.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { Command } from 'commander';
import { EmulatorBrowser, type Emulator } from '@o365/emulator';
import type { Context } from '../context.js';
import { EXIT_CODES, type ExitCode } from '../exit-codes.js';

/** One step of `o365 demo --json` (an array of them). */
export interface DemoStepJson {
  title: string;
  command: string;
  exitCode: number;
  expectedExitCode: number;
  ok: boolean;
  ms: number;
}

export function registerDemo(program: Command, context: (cmd: Command) => Context): void {
  program
    .command('demo')
    .description('sign in every way against an embedded emulator and tell the story (no tenant needed)')
    .addHelpText(
      'after',
      `
Examples:
  $ o365 demo
  $ o365 demo --json     # the steps as JSON: title, command, exitCode, ok, ms

The demo always uses an embedded @o365/emulator and a temporary config directory; nothing is
left on disk. It exits 1 when a step does not end as expected.`,
    )
    .action(async (_opts: unknown, cmd: Command) => {
      const ctx = context(cmd);
      const ok = await demo(ctx);
      if (!ok) ctx.setExitCode(EXIT_CODES.failure);
    });
}

/** A stream that keeps what is written (and lets the demo watch for the device code). */
class Capture extends Writable {
  text = '';
  readonly #onText: ((all: string) => void) | undefined;
  readonly #log: string[];
  constructor(onText: ((all: string) => void) | undefined, log: string[]) {
    super();
    this.#onText = onText;
    this.#log = log;
  }
  override _write(chunk: Buffer | string, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    this.text += chunk.toString();
    this.#log.push(chunk.toString());
    this.#onText?.(this.text);
    done();
  }
}

async function demo(ctx: Context): Promise<boolean> {
  const { out } = ctx;
  const story = (text = ''): void => {
    if (!out.json) out.line(text);
  };
  const steps: DemoStepJson[] = [];
  const started = Date.now();
  story(out.bold('o365 demo: signing in to Microsoft 365 from a shell, against a local emulator'));
  const emu: Emulator = await ctx.emulator();
  const dir = await mkdtemp(join(tmpdir(), 'o365-demo-'));
  const { defaults } = emu;
  story(`The emulator plays login.microsoftonline.com and graph.microsoft.com at ${emu.url} (tenant ${defaults.tenantId}).`);
  story(out.dim(`Profiles and tokens go to ${dir} (removed at the end). Every command below is the real o365 command, run in this process.`));
  const env: NodeJS.ProcessEnv = { ...ctx.io.env, DEMO_SECRET: defaults.clientSecret, DEMO_PASSWORD: defaults.password, DEMO_WRONG_SECRET: 'not-the-right-secret', NO_COLOR: '1' };
  let n = 0;

  const step = async (
    title: string,
    what: string,
    args: string[],
    options: { expect?: ExitCode; onStderr?: (all: string) => void; show?: (stdout: string) => string } = {},
  ): Promise<{ stdout: string; stderr: string; code: number }> => {
    n++;
    story();
    story(out.bold(`${n}. ${title}`));
    story(out.dim(`   ${what}`));
    story(`   $ o365 ${args.join(' ')}`);
    const log: string[] = []; // stdout and stderr in the order they were written
    const stdout = new Capture(undefined, log);
    const stderr = new Capture(options.onStderr, log);
    const t0 = Date.now();
    const { run } = await import('../run.js');
    const code = await run(['--emulator', '--config-dir', dir, ...args], { stdout, stderr, env, emulator: emu, ...(ctx.io.signal ? { signal: ctx.io.signal } : {}) });
    const ms = Date.now() - t0;
    const expected = options.expect ?? EXIT_CODES.ok;
    const shown = options.show ? `${options.show(stdout.text)}${stderr.text}` : log.join('');
    for (const line of shown.split('\n').filter((l) => l.trim() !== '')) story(`   ${line.length > 140 ? `${line.slice(0, 137)}...` : line}`);
    const ok = code === expected;
    story(out.dim(`   exit ${code}${expected !== 0 ? ` (expected ${expected})` : ''}, ${ms} ms${ok ? '' : '  <-- NOT AS EXPECTED'}`));
    steps.push({ title, command: `o365 ${args.join(' ')}`, exitCode: code, expectedExitCode: expected, ok, ms });
    return { stdout: stdout.text, stderr: stderr.text, code };
  };

  try {
    await step('Client credentials with a secret (app-only, no user)', 'the app signs in as itself; the secret comes from an environment variable, never an argument', [
      'login', '--flow', 'secret', '--profile', 'app', '--client-id', defaults.clientId, '--secret-env', 'DEMO_SECRET',
    ]);
    await step('Who is the app?', 'app-only tokens have no /me: whoami reads the app name and roles from the token', ['whoami', '--profile', 'app']);
    await step('The first users of the directory', 'Graph /users, paged by @o365/core, printed as the pages come', ['users', '--profile', 'app', '--top', '5', '--select', 'displayName', 'jobTitle']);
    await step('Client credentials with a certificate', "a signed assertion instead of a secret (with --emulator: the emulator app's certificate)", [
      'login', '--flow', 'certificate', '--profile', 'cert',
    ]);

    const browser = new EmulatorBrowser(emu);
    const person = { username: defaults.username, password: defaults.password };
    // What the person does on the other device, or in the browser, done over HTTP by the
    // emulator's scripted browser as soon as the command shows the code or the URL.
    let pageVisit: Promise<unknown> | undefined;
    const once = (find: (all: string) => Promise<unknown> | undefined) => (all: string) => {
      pageVisit ??= find(all);
    };
    await step(
      'Device code: a user signs in on another device',
      `the code and URL are shown on stderr; here the emulator's scripted browser enters the code and signs in as ${defaults.username}`,
      ['login', '--flow', 'device', '--profile', 'adele'],
      {
        onStderr: once((all) => {
          const shown = /open (\S+) and enter the code (\S+)/.exec(all);
          return shown ? browser.completeDeviceLogin(shown[1]!, shown[2]!, person) : undefined;
        }),
      },
    );
    await pageVisit;
    pageVisit = undefined;
    await step('whoami as the user', 'Graph /me with the stored token', ['whoami', '--profile', 'adele']);
    await step(
      'Authorization code with PKCE and a loopback redirect (the browser flow)',
      'o365 listens on 127.0.0.1, the browser signs in on the authorize page and is sent back with the code',
      ['login', '--flow', 'browser', '--no-browser', '--profile', 'browser'],
      {
        onStderr: once((all) => {
          const url = /^(https:\/\/\S+\/authorize\?\S+)$/m.exec(all)?.[1];
          return url ? browser.signIn(url, person).then((redirected) => browser.visit(redirected)) : undefined;
        }),
      },
    );
    await pageVisit;
    await step('Password flow (ROPC)', 'user name and password (from DEMO_PASSWORD), no browser', [
      'login', '--flow', 'password', '--profile', 'alex', '--username', 'AlexW@contoso.onmicrosoft.com', '--password-env', 'DEMO_PASSWORD',
    ]);
    await step('Every profile', 'status reads the token files: who, which flow, valid until, refresh token', ['status']);

    const refreshes = (): number => emu.requests().filter((r) => r.grantType === 'refresh_token').length;
    const before = refreshes();
    emu.clock.advance(3700);
    story();
    story(out.dim('   ... an hour passes on the emulator clock: every stored access token is now expired'));
    await step('Automatic refresh', 'the stored access token is past its expiry on the emulator clock: the call refreshes it first (once) with the refresh token', ['request', 'me', '--profile', 'adele'], {
      show: (text) => {
        try {
          const me = JSON.parse(text) as { displayName?: string; userPrincipalName?: string };
          return `${me.displayName} <${me.userPrincipalName}> (response body shortened)\n   token refreshes seen by the emulator: ${refreshes() - before}\n`;
        } catch {
          return text;
        }
      },
    });
    await step('A token for a script', 'o365 token is the only command that prints a token; shown here without it', ['token', '--profile', 'adele', '--json'], {
      show: (text) => {
        try {
          const t = JSON.parse(text) as { accessToken: string; expiresOn: string; tokenType: string };
          return `{ "accessToken": "<${t.accessToken.length} characters, not shown>", "expiresOn": "${t.expiresOn}", "tokenType": "${t.tokenType}" }\n`;
        } catch {
          return '<output not shown>\n';
        }
      },
    });
    await step('A wrong secret', 'a typed error, its own exit code, and the secret never printed', [
      'login', '--flow', 'secret', '--profile', 'wrong', '--client-id', defaults.clientId, '--secret-env', 'DEMO_WRONG_SECRET',
    ], { expect: EXIT_CODES.invalidCredentials });

    emu.revokeRefreshTokens(defaults.username);
    emu.clock.advance(3700);
    story();
    story(out.dim(`   ... an administrator revokes ${defaults.username}'s sessions, and another hour passes`));
    await step('A revoked sign-in', 'the refresh fails (AADSTS50173): exit 4 means "sign in again"', ['whoami', '--profile', 'adele'], { expect: EXIT_CODES.signInExpired });
    await step('Sign out everywhere', 'removes every profile and token file', ['logout', '--all']);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  const failed = steps.filter((s) => !s.ok);
  if (out.json) out.data(steps);
  story();
  story(
    failed.length === 0
      ? `${out.bold('Done.')} ${steps.length} steps as expected in ${((Date.now() - started) / 1000).toFixed(1)} s; the emulator stops now.`
      : `${out.bold('Failed:')} ${failed.map((s) => s.title).join('; ')}`,
  );
  return failed.length === 0;
}
