// `pnpm demo`: every sign-in flow of @o365/core, step by step, against the embedded emulator.
// It prints what is being done and what came back (user names, expiry, scopes), never a token.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  Account,
  FileSystemTokenBackend,
  InvalidCredentialsError,
  MSGraphProtocol,
  O365Error,
  type AccountOptions,
} from '@o365/core';
import { startEmulator, type Emulator } from '@o365/emulator';
import { DemoBrowser } from './browser.js';

// The demo's whole point is to print, so it writes to stdout directly.
const print = (text: string): void => {
  process.stdout.write(`${text}\n`);
};
const bold = (s: string): string => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[0m` : s);
const dim = (s: string): string => (process.stdout.isTTY ? `\x1b[2m${s}\x1b[0m` : s);
let stepNo = 0;
function step(title: string, what: string): void {
  stepNo += 1;
  print(`\n${bold(`${stepNo}. ${title}`)}`);
  print(dim(`   ${what}`));
}
function said(label: string, value: unknown): void {
  print(`   ${label.padEnd(22)} ${String(value)}`);
}
const when = (ms: number): string => new Date(ms).toISOString().replace('.000Z', 'Z');

async function main(): Promise<void> {
  print(bold('o365-ts demo: signing in to Microsoft 365, every flow, against a local emulator'));
  const emu: Emulator = await startEmulator({ deviceCodeInterval: 1 });
  const dir = await mkdtemp(join(tmpdir(), 'o365-demo-'));
  const browser = new DemoBrowser(emu.ca);
  const accounts: Account[] = [];
  try {
    print(`\nThe emulator plays login.microsoftonline.com and graph.microsoft.com at ${emu.url}`);
    print(`Tenant ${emu.defaults.tenantId}, user ${emu.defaults.username}. Token files go to ${dir}`);

    // What points an Account at another identity host: configuration, as with @azure/identity.
    const common = (file: string, extra: AccountOptions = {}): AccountOptions => ({
      tenantId: emu.defaults.tenantId,
      authorityHost: emu.authorityHost,
      protocol: new MSGraphProtocol({ graphUrl: emu.graphUrl }),
      tls: { ca: emu.ca },
      clock: { now: () => emu.clock.now() },
      tokenBackend: new FileSystemTokenBackend({ tokenPath: dir, tokenFilename: file }),
      ...extra,
    });
    const open = (credentials: ConstructorParameters<typeof Account>[0], options: AccountOptions): Account => {
      const account = new Account(credentials, options);
      accounts.push(account);
      return account;
    };
    const expiry = async (account: Account, scope?: string): Promise<string> => {
      const token = await account.getToken(scope ?? 'https://graph.microsoft.com/User.Read');
      return `${when(token.expiresOnTimestamp)} (in ${Math.round((token.expiresOnTimestamp - emu.clock.now()) / 60_000)} min)`;
    };

    // ------------------------------------------------------------------ credentials, secret
    step('Client credentials with a secret (app-only, no user)', "new Account([clientId, secret], { authFlowType: 'credentials' }).authenticate()");
    const app = open([emu.defaults.clientId, emu.defaults.clientSecret], common('app.json', { authFlowType: 'credentials' }));
    said('authenticate()', await app.authenticate());
    said('scopes', app.connection.resolveScopes().join(' '));
    said('token expires', await expiry(app, 'https://graph.microsoft.com/.default'));
    const names: string[] = [];
    for await (const user of app.directory().getUsers({ limit: 5, orderBy: 'displayName' })) names.push(user.displayName ?? '?');
    said('first 5 users', names.join(', '));

    // ------------------------------------------------------------------ credentials, certificate
    step('Client credentials with a certificate', 'the app proves itself with a signed assertion (thumbprint + private key) instead of a secret');
    const { thumbprint, privateKey } = emu.defaults.certificate;
    const certApp = open([emu.defaults.clientId, { thumbprint, privateKey }], common('cert.json', { authFlowType: 'credentials' }));
    said('authenticate()', await certApp.authenticate());
    said('token expires', await expiry(certApp, 'https://graph.microsoft.com/.default'));

    // ------------------------------------------------------------------ password
    step('Password flow (ROPC): a user name and password, no browser', "authFlowType: 'password' with username and password options");
    const ropc = open(
      [emu.defaults.publicClientId],
      common('user.json', { authFlowType: 'password', username: emu.defaults.username, password: emu.defaults.password }),
    );
    said('authenticate()', await ropc.authenticate({ requestedScopes: ['basic'] }));
    const me = await ropc.getCurrentUser();
    said('signed in as', `${me.displayName} <${me.userPrincipalName}>, ${me.jobTitle ?? ''}`);
    said('token expires', await expiry(ropc));

    // ------------------------------------------------------------------ authorization (console)
    step('Authorization code flow, the console way', 'python-o365 prints a URL and waits for the redirected URL; handleConsent(url) replaces that prompt');
    const consoleFlow = open([emu.defaults.clientId, emu.defaults.clientSecret], common('console.json'));
    const ok = await consoleFlow.authenticate({
      requestedScopes: ['basic', 'users'],
      handleConsent: async (url) => {
        said('consent URL', `${url.slice(0, 70)}...`);
        const redirected = await browser.signIn(url, emu.defaults.username, emu.defaults.password);
        said('browser ended on', `${redirected.split('?')[0]}?code=...&state=...`);
        return redirected;
      },
    });
    said('authenticate()', ok);
    said('signed in as', consoleFlow.username);

    // ------------------------------------------------------------------ loopback
    step('Authorization code flow with a loopback redirect', "redirectUri 'http://localhost': the library listens on 127.0.0.1 and catches the redirect itself");
    const loopback = open([emu.defaults.publicClientId], common('loopback.json', { authFlowType: 'public' }));
    said(
      'authenticate()',
      await loopback.authenticate({
        redirectUri: 'http://localhost',
        handleConsent: async (url) => {
          const redirected = await browser.signIn(url, emu.defaults.username, emu.defaults.password);
          said('browser visits', `${new URL(redirected).origin}/ (the loopback server answered ${await browser.visit(redirected)})`);
          return '';
        },
      }),
    );
    said('signed in as', loopback.username);

    // ------------------------------------------------------------------ web two-step
    step('Web app, two steps', 'getAuthorizationUrl() -> keep `flow` in the session (plain JSON) -> requestToken(redirectedUrl, { flow })');
    const web = open([emu.defaults.clientId, emu.defaults.clientSecret], common('web.json'));
    const { url, flow } = await web.getAuthorizationUrl(['basic'], { redirectUri: 'http://localhost:3000/auth/callback' });
    const session = JSON.stringify({ flow });
    said('flow kept (fields)', Object.keys(flow).join(', '));
    const callback = await browser.signIn(url, emu.defaults.username, emu.defaults.password);
    const later = open([emu.defaults.clientId, emu.defaults.clientSecret], common('web.json'));
    said('requestToken()', await later.requestToken(callback, JSON.parse(session) as { flow: typeof flow }));
    said('signed in as', later.username);

    // ------------------------------------------------------------------ device code
    step('Device code flow', 'for devices without a browser: the callback shows a code, the person enters it on another device');
    const device = open([emu.defaults.publicClientId], common('device.json', { authFlowType: 'device' }));
    said(
      'authenticate()',
      await device.authenticate({
        deviceCodeCallback: (info) => {
          said('shown to the person', info.message.replace(info.userCode, '<code>'));
          void browser.enterDeviceCode(info.verificationUri, info.userCode, emu.defaults.username, emu.defaults.password);
        },
      }),
    );
    said('signed in as', device.username);

    // ------------------------------------------------------------------ refresh
    step('Refresh', 'an hour passes (the emulator clock moves); the next Graph call refreshes the token first, once');
    const refreshesBefore = emu.requests().filter((r) => r.grantType === 'refresh_token').length;
    emu.clock.advance(3600);
    await Promise.all(Array.from({ length: 25 }, () => ropc.getCurrentUser()));
    said('25 Graph calls made', `${emu.requests().filter((r) => r.grantType === 'refresh_token').length - refreshesBefore} token refresh`);
    said('token expires', await expiry(ropc));

    // ------------------------------------------------------------------ many users
    step('Several users in one token cache', "username selects one; getAuthenticatedUsernames() lists them");
    const shared = open([emu.defaults.publicClientId], common('user.json', { authFlowType: 'password', password: emu.defaults.password }));
    await shared.connection.acquireWithPassword(undefined, { username: 'AlexW@contoso.onmicrosoft.com' });
    said('users in user.json', (await shared.getAuthenticatedUsernames()).join(', '));
    shared.username = emu.defaults.username;
    said('as Adele', (await shared.getCurrentUser()).displayName);
    shared.username = 'AlexW@contoso.onmicrosoft.com';
    said('as Alex', (await shared.getCurrentUser()).displayName);

    // ------------------------------------------------------------------ failure
    step('A wrong secret', 'failures are typed errors with the AADSTS code and correlation id, never the secret');
    const wrong = open([emu.defaults.clientId, 'not-the-right-secret'], common('wrong.json', { authFlowType: 'credentials' }));
    try {
      await wrong.authenticate();
      throw new Error('the wrong secret was accepted');
    } catch (error) {
      if (!(error instanceof InvalidCredentialsError)) throw error;
      said('error', `${error.name} (code ${error.code})`);
      said('AADSTS', error.errorCodes?.join(', '));
      said('correlation id', error.correlationId);
      said('message', error.message);
    }
    print(`\n${bold('Done.')} Every flow signed in against the emulator; the emulator is stopped now.`);
  } finally {
    await Promise.all(accounts.map((a) => a.close()));
    await browser.close();
    await emu.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`\nThe demo failed: ${error instanceof O365Error ? `${error.name}: ${error.message}` : String(error)}\n`);
  process.exitCode = 1;
});
