// The real `o365` binary, spawned, against an emulator running in the test process and reached
// over HTTPS as any tenant would be (--authority-host, --graph-url, --ca-file).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { EmulatorBrowser, startEmulator, type Emulator } from '@o365/emulator';
import { cliWorkspace, runCli, startCli, waitFor, type CliResult } from './cli-harness.js';

let emu: Emulator;
let ws: Awaited<ReturnType<typeof cliWorkspace>>;
const outputs: { args: string[]; result: CliResult }[] = [];

const SECRET_ENV = { APP_SECRET: '', USER_PASSWORD: '' };

async function o365(args: string[], options: { env?: NodeJS.ProcessEnv; input?: string } = {}): Promise<CliResult> {
  const result = await runCli(['--config-dir', ws.configDir, ...args], { ...options, env: { ...SECRET_ENV, ...options.env } });
  outputs.push({ args, result });
  return result;
}
const mode = async (path: string): Promise<number> => (await stat(path)).mode & 0o777;

beforeAll(async () => {
  emu = await startEmulator({ deviceCodeInterval: 1 });
  ws = await cliWorkspace(emu);
  SECRET_ENV.APP_SECRET = emu.defaults.clientSecret;
  SECRET_ENV.USER_PASSWORD = emu.defaults.password;
});

afterAll(async () => {
  await emu.stop();
  await ws.cleanup();
});

describe('help and usage', () => {
  it('o365 --help lists every command and the exit codes; each command has an example', async () => {
    const help = await o365(['--help']);
    expect(help.code).toBe(0);
    for (const command of ['login', 'whoami', 'status', 'token', 'request', 'users', 'logout', 'demo']) {
      expect(help.stdout).toMatch(new RegExp(`^\\s+${command}\\b`, 'm'));
      const own = await o365([command, '--help']);
      expect(own.code).toBe(0);
      expect(own.stdout).toContain('Examples:');
      expect(own.stdout).toContain(`$ o365 ${command}`);
    }
    expect(help.stdout).toMatch(/Exit codes: 0 ok.*2 usage/s);
  });

  it('an unknown option or command exits 2', async () => {
    expect((await o365(['whoami', '--bogus'])).code).toBe(2);
    expect((await o365(['nonsense'])).code).toBe(2);
    expect((await o365(['login', '--flow', 'telepathy'])).code).toBe(2);
  });

  it('a secret given as an argument is refused with exit 2 and never echoed', async () => {
    for (const args of [['login', '--flow', 'secret', '--secret', 'Sup3r-S3cret-Value'], ['login', '--password=Sup3r-S3cret-Value']]) {
      const result = await o365(args);
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(/never taken as arguments/);
      expect(result.stdout + result.stderr).not.toContain('Sup3r-S3cret-Value');
    }
  });

  it('a command on a profile that is not signed in exits 4 with advice', async () => {
    const result = await o365(['whoami', '--profile', 'nobody']);
    expect(result.code).toBe(4);
    expect(result.stderr).toContain('o365 login --profile nobody');
  });
});

describe('app-only (client secret)', () => {
  it('login --flow secret stores a profile without the secret, files 0600 in 0700 directories', async () => {
    const result = await o365(['login', '--flow', 'secret', '--profile', 'app', '--client-id', emu.defaults.clientId, '--secret-env', 'APP_SECRET', ...ws.target, '--json']);
    expect(result.code).toBe(0);
    const body = JSON.parse(result.stdout) as Record<string, unknown>;
    expect(body).toMatchObject({ profile: 'app', flow: 'secret', clientId: emu.defaults.clientId, tenantId: emu.defaults.tenantId });
    expect(typeof body['expiresOn']).toBe('string');
    const profileFile = join(ws.configDir, 'profiles', 'app.json');
    const tokenFile = join(ws.configDir, 'tokens', 'app.json');
    expect(await mode(ws.configDir)).toBe(0o700);
    expect(await mode(join(ws.configDir, 'profiles'))).toBe(0o700);
    expect(await mode(join(ws.configDir, 'tokens'))).toBe(0o700);
    expect(await mode(profileFile)).toBe(0o600);
    expect(await mode(tokenFile)).toBe(0o600);
    const profile = await readFile(profileFile, 'utf8');
    expect(profile).not.toContain(emu.defaults.clientSecret);
    expect(JSON.parse(profile)).toMatchObject({ secretEnv: 'APP_SECRET', flow: 'secret' });
  });

  it('whoami --json for the app: type app, roles from the token, no token', async () => {
    const result = await o365(['whoami', '--profile', 'app', '--json']);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ profile: 'app', type: 'app', clientId: emu.defaults.clientId, app: { roles: ['User.Read.All'] } });
  });

  it('users --json streams NDJSON, one user per line, --top honoured', async () => {
    const result = await o365(['users', '--profile', 'app', '--top', '7', '--select', 'displayName', 'userPrincipalName', '--json']);
    expect(result.code).toBe(0);
    const lines = result.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(7);
    for (const u of lines) expect(typeof u['userPrincipalName']).toBe('string');
  });

  it('without the secret variable, a new app token cannot be had: exit 3 saying which variable', async () => {
    const result = await o365(['whoami', '--profile', 'app'], { env: { APP_SECRET: '' } });
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('APP_SECRET');
  });

  it('a wrong secret exits 3 with the AADSTS code, stores nothing, never prints the secret', async () => {
    const result = await o365(['login', '--flow', 'secret', '--profile', 'wrong', '--client-id', emu.defaults.clientId, '--secret-env', 'WRONG', ...ws.target], {
      env: { WRONG: 'not-the-secret-0123456789' },
    });
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('AADSTS7000215');
    expect(result.stdout + result.stderr).not.toContain('not-the-secret-0123456789');
    await expect(stat(join(ws.configDir, 'profiles', 'wrong.json'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('--json errors are one JSON object on stderr with the code and the exit code', async () => {
    const result = await o365(['login', '--flow', 'secret', '--profile', 'wrong', '--client-id', emu.defaults.clientId, '--secret-env', 'WRONG', ...ws.target, '--json'], {
      env: { WRONG: 'not-the-secret-0123456789' },
    });
    expect(result.code).toBe(3);
    expect(result.stdout).toBe('');
    const error = JSON.parse(result.stderr.trim()) as { error: { code: string; exitCode: number; message: string } };
    expect(error.error).toMatchObject({ code: 'INVALID_CREDENTIALS', exitCode: 3 });
    const notSignedIn = await o365(['token', '--profile', 'nobody', '--json']);
    expect(JSON.parse(notSignedIn.stderr.trim())).toMatchObject({ error: { code: 'CLI_NOT_SIGNED_IN', exitCode: 4 } });
  });
});

describe('a user (password, device code)', () => {
  it('login --flow password with the password from a variable; whoami, token, request', async () => {
    const login = await o365(['login', '--flow', 'password', '--profile', 'adele', '--client-id', emu.defaults.publicClientId, '--username', emu.defaults.username, '--password-env', 'USER_PASSWORD', ...ws.target]);
    expect(login.code).toBe(0);
    expect(login.stdout).toContain(`Signed in as ${emu.defaults.username}`);

    const who = await o365(['whoami', '--profile', 'adele', '--json']);
    expect(who.code).toBe(0);
    expect(JSON.parse(who.stdout)).toMatchObject({ type: 'user', user: { userPrincipalName: emu.defaults.username, displayName: 'Adele Vance' } });

    const token = await o365(['token', '--profile', 'adele', '--json']);
    expect(token.code).toBe(0);
    const t = JSON.parse(token.stdout) as { accessToken: string; expiresOn: string; tokenType: string };
    expect(t.tokenType).toBe('Bearer');
    expect(t.accessToken.split('.')).toHaveLength(3);
    expect(Date.parse(t.expiresOn)).toBeGreaterThan(Date.now());
    const plain = await o365(['token', '--profile', 'adele']);
    expect(plain.stdout.trim()).toBe(t.accessToken);

    const me = await o365(['request', 'me', '--profile', 'adele', '--json']);
    expect(me.code).toBe(0);
    expect(JSON.parse(me.stdout)).toMatchObject({ userPrincipalName: emu.defaults.username });
    const v1 = await o365(['request', '/v1.0/users?$top=2&$select=displayName', '--profile', 'adele', '--json']);
    expect((JSON.parse(v1.stdout) as { value: unknown[] }).value).toHaveLength(2);
  });

  it('request: a Graph error exits 8 with its code; a body from stdin', async () => {
    const missing = await o365(['request', 'users/nobody@contoso.onmicrosoft.com', '--profile', 'adele']);
    expect(missing.code).toBe(8);
    expect(missing.stderr).toMatch(/404/);
    // The emulator's directory is read-only: a PATCH with a body (from stdin) is sent and refused
    // with Graph's 405, as for an app without write permission.
    const patch = await o365(['request', '--method', 'PATCH', 'me', '--body', '-', '--profile', 'adele'], { input: '{"mobilePhone":"+1 555 0100"}' });
    expect(patch.code).toBe(8);
    expect(patch.stderr).toMatch(/405/);
    expect(emu.requests().some((r) => r.method === 'PATCH' && r.path === '/v1.0/me' && r.status === 405)).toBe(true);
    const noFile = await o365(['request', '--method', 'POST', 'me', '--body', '@/nonexistent/body.json', '--profile', 'adele']);
    expect(noFile.code).toBe(2);
  });

  it('device code: the code and URL on stderr, the page completed over HTTP, then signed in', async () => {
    const running = startCli(['--config-dir', ws.configDir, 'login', '--flow', 'device', '--profile', 'device', '--client-id', emu.defaults.publicClientId, ...ws.target], { env: { NO_COLOR: '1' } });
    const shown = await waitFor(running.stderr, (t) => /enter the code \S+/.test(t));
    const [, uri, code] = /open (\S+) and enter the code (\S+)/.exec(shown)!;
    await new EmulatorBrowser(emu).completeDeviceLogin(uri!, code!, { username: emu.defaults.username, password: emu.defaults.password });
    const result = await running.done;
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`Signed in as ${emu.defaults.username}`);
    outputs.push({ args: ['login', '--flow', 'device'], result });
  });

  it('--flow code: the URL printed, the redirected address pasted on stdin (python-o365\'s console flow)', async () => {
    const running = startCli(['--config-dir', ws.configDir, 'login', '--flow', 'code', '--profile', 'pasted', '--client-id', emu.defaults.publicClientId, ...ws.target], { keepStdinOpen: true });
    const shown = await waitFor(running.stderr, (t) => /Paste the full address/.test(t));
    const url = /^(https:\/\/\S+\/authorize\?\S+)$/m.exec(shown)![1]!;
    const redirected = await new EmulatorBrowser(emu).signIn(url, { username: 'AlexW@contoso.onmicrosoft.com', password: emu.defaults.password });
    running.child.stdin!.end(`${redirected}\n`);
    const result = await running.done;
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Signed in as AlexW@contoso.onmicrosoft.com');
    // The authorization code is a secret too: not echoed back.
    const code = new URL(redirected).searchParams.get('code')!;
    expect(result.stdout + result.stderr).not.toContain(code);
    expect((await o365(['logout', '--profile', 'pasted'])).code).toBe(0);
  });

  it('Ctrl-C while the device code is polled: exit 130, nothing stored, no leftover file', async () => {
    const running = startCli(['--config-dir', ws.configDir, 'login', '--flow', 'device', '--profile', 'cancelled', '--client-id', emu.defaults.publicClientId, ...ws.target]);
    await waitFor(running.stderr, (t) => /enter the code \S+/.test(t));
    running.child.kill('SIGINT');
    const result = await running.done;
    expect(result.code).toBe(130);
    expect(result.stderr).toMatch(/nothing was stored/);
    await expect(stat(join(ws.configDir, 'profiles', 'cancelled.json'))).rejects.toMatchObject({ code: 'ENOENT' });
    const { readdir } = await import('node:fs/promises');
    const leftovers = [...(await readdir(join(ws.configDir, 'tokens'))), ...(await readdir(join(ws.configDir, 'profiles')))].filter((f) => f.includes('cancelled') || f.endsWith('.tmp'));
    expect(leftovers).toEqual([]);
  });

  it('status --json: every profile with flow, expiry and refresh token, from the files only', async () => {
    const result = await o365(['status', '--json']);
    expect(result.code).toBe(0);
    const entries = JSON.parse(result.stdout) as { profile: string; flow: string; username: string | null; accessTokenValid: boolean; refreshToken: boolean }[];
    expect(entries.map((e) => e.profile)).toEqual(['adele', 'app', 'device']);
    expect(entries.find((e) => e.profile === 'adele')).toMatchObject({ flow: 'password', username: emu.defaults.username, accessTokenValid: true, refreshToken: true });
    expect(entries.find((e) => e.profile === 'app')).toMatchObject({ flow: 'secret', username: null, accessTokenValid: true, refreshToken: false });
  });

  it('status --check refreshes for real: one refresh_token request per user profile', async () => {
    const before = emu.requests().filter((r) => r.grantType === 'refresh_token').length;
    const result = await o365(['status', '--check', '--json']);
    expect(result.code).toBe(0);
    const entries = JSON.parse(result.stdout) as { profile: string; check?: { ok: boolean } }[];
    expect(entries.every((e) => e.check?.ok === true)).toBe(true);
    expect(emu.requests().filter((r) => r.grantType === 'refresh_token').length - before).toBe(2);
  });
});

describe('failures a user meets', () => {
  it('a revoked sign-in: exit 4 after the access token is no longer usable', async () => {
    await o365(['login', '--flow', 'password', '--profile', 'revoked', '--client-id', emu.defaults.publicClientId, '--username', 'AlexW@contoso.onmicrosoft.com', '--password-env', 'USER_PASSWORD', ...ws.target]);
    // Corrupt nothing, just make the stored access token expired: rewrite its expiry in the file.
    const file = join(ws.configDir, 'tokens', 'revoked.json');
    const cache = JSON.parse(await readFile(file, 'utf8')) as { AccessToken: Record<string, { expires_on: string; extended_expires_on?: string }> };
    for (const at of Object.values(cache.AccessToken)) at.expires_on = at.extended_expires_on = String(Math.floor(Date.now() / 1000) - 60);
    await writeFile(file, JSON.stringify(cache));
    emu.revokeRefreshTokens('AlexW@contoso.onmicrosoft.com');
    const result = await o365(['whoami', '--profile', 'revoked']);
    expect(result.code).toBe(4);
    expect(result.stderr).toContain('AADSTS50173');
    expect(result.stderr).toContain('o365 login --profile revoked');
  });

  it('a corrupted token file: whoami exits 7, status reports it and keeps the others, the file is left as it was', async () => {
    const file = join(ws.configDir, 'tokens', 'revoked.json');
    await writeFile(file, '{"AccessToken": {', { mode: 0o600 });
    const who = await o365(['whoami', '--profile', 'revoked']);
    expect(who.code).toBe(7);
    const status = await o365(['status', '--json']);
    expect(status.code).toBe(7);
    const entries = JSON.parse(status.stdout) as { profile: string; error?: { exitCode: number } }[];
    expect(entries.find((e) => e.profile === 'revoked')?.error?.exitCode).toBe(7);
    expect(entries.find((e) => e.profile === 'adele')?.error).toBeUndefined();
    expect(await readFile(file, 'utf8')).toBe('{"AccessToken": {');
  });

  it('an unreachable identity host: exit 6', async () => {
    const caFile = ws.target[ws.target.indexOf('--ca-file') + 1]!;
    const result = await o365(['login', '--flow', 'secret', '--profile', 'offline', '--client-id', emu.defaults.clientId, '--secret-env', 'APP_SECRET', '--authority-host', 'https://127.0.0.1:9', '--ca-file', caFile, '--tenant', emu.defaults.tenantId]);
    expect(result.code).toBe(6);
  });

  it('logout removes a profile and its tokens; --all the rest', async () => {
    const one = await o365(['logout', '--profile', 'device', '--json']);
    expect(JSON.parse(one.stdout)).toEqual({ removed: ['device'] });
    await expect(stat(join(ws.configDir, 'tokens', 'device.json'))).rejects.toMatchObject({ code: 'ENOENT' });
    const all = await o365(['logout', '--all', '--json']);
    expect((JSON.parse(all.stdout) as { removed: string[] }).removed.sort()).toEqual(['adele', 'app', 'revoked']);
    expect((await o365(['status', '--json'])).stdout.trim()).toBe('[]');
  });
});

describe('no secret in any output', () => {
  it('secrets, passwords and tokens never appear, except in o365 token', async () => {
    const secrets = [emu.defaults.clientSecret, emu.defaults.password];
    const tokens = outputs
      .filter((o) => o.args[0] === 'token')
      .flatMap((o) => [o.result.stdout.trim(), ...(/"accessToken": "([^"]+)"/.exec(o.result.stdout)?.slice(1) ?? [])])
      .filter((t) => t.length > 100);
    expect(tokens.length).toBeGreaterThan(0);
    for (const { args, result } of outputs) {
      const text = args[0] === 'token' ? result.stderr : result.stdout + result.stderr;
      for (const secret of [...secrets, ...tokens]) expect(text).not.toContain(secret);
      expect(text).not.toMatch(/eyJ[\w-]{20,}\.eyJ[\w-]{20,}/);
    }
  });
});
