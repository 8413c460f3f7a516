import { afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { Account, FileSystemTokenBackend, MSGraphProtocol, type AccountOptions } from '@o365/core';
import { startEmulator, type Emulator } from '@o365/emulator';
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Token-file interop with the real MSAL Python (Debian's python3-msal, the library python-o365 2.1
 * stores its tokens with), against the real emulator, both ways.
 *
 * Why port 443: MSAL Python keys cache entries by the authority's host name WITHOUT the port
 * (`urlparse(authority).hostname`), and its ROPC user-realm lookup goes to `https://{hostname}/`,
 * port dropped too; msal-node keys by host including a non-default port. On Microsoft's hosts
 * (443) both write the same `environment`. Running this suite's emulator on 127.0.0.1:443 is that
 * situation exactly: no port in any authority, nothing rewritten between the two libraries. A
 * non-root user cannot bind 443 by default: the suite then fails saying how to allow it.
 *
 * What the two libraries do differently, and this suite tolerates on purpose: both find entries by
 * their fields, never by key, but their key strings differ. msal-node 7 appends an empty
 * requested-claims segment (`...-<target>-` for access tokens, `...-<realm>--` for ID tokens,
 * `...-<clientId>---` for refresh tokens); MSAL Python (1.21 and current) does not (`...-<target>`,
 * `...-<realm>-`, `...--<target>`). So after MSAL Python refreshes a file msal-node wrote, the file
 * holds the old refresh token under msal-node's key and the new one under MSAL Python's; both are
 * valid, each library writes only its own key, and the count stays at two.
 */

const PYTHON = '/usr/bin/python3';
const SCRIPT = join(__dirname, 'msal_python_cache.py');
const GRAPH_USER_READ = 'https://graph.microsoft.com/User.Read';

type Outcome = { ok: boolean; fingerprint?: string; error?: string; codes?: number[]; hasRefreshToken?: boolean; scope?: string };
type PyAccount = { username: string; homeAccountId: string; environment: string };
type PyAnswer = {
  msalVersion: string;
  loaded?: boolean;
  saved?: boolean;
  accounts: PyAccount[];
  signIn?: Outcome;
  silent?: Outcome;
  forced?: Outcome;
};
type CacheJson = Record<string, Record<string, Record<string, string>>>;

/** The same fingerprint the Python script prints: tokens never cross the pipe. */
const fingerprint = (token: string): string => createHash('sha256').update(token, 'utf8').digest('hex').slice(0, 16);

/** Runs the MSAL Python side once; bounded by a timeout, fails with its stderr. */
function runPython(request: Record<string, unknown>): Promise<PyAnswer> {
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, [SCRIPT], { stdio: ['pipe', 'pipe', 'pipe'], timeout: 30_000, env: { PATH: process.env['PATH'] ?? '' } });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (err += d.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code !== 0) {
        reject(new Error(`MSAL Python (${String(request['command'])}) exited with ${code ?? signal}: ${err.slice(-3000)}`));
        return;
      }
      try {
        resolve(JSON.parse(out) as PyAnswer);
      } catch (cause) {
        reject(new Error(`MSAL Python printed no JSON: ${out.slice(0, 500)} ${err.slice(-1000)}`, { cause }));
      }
    });
    child.stdin.end(JSON.stringify(request));
  });
}

/** Starts the emulator on 443, or fails saying how to allow it: never a silent skip. */
async function startOn443(): Promise<Emulator> {
  try {
    return await startEmulator({ port: 443 });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EACCES') {
      throw new Error(
        'The MSAL Python interop suite runs its emulator on 127.0.0.1:443, like Microsoft\'s hosts, because MSAL Python drops the ' +
          'port from cache keys and from its user-realm URL. This user may not bind port 443. Allow it with ' +
          '`sudo sysctl net.ipv4.ip_unprivileged_port_start=443` (add it to /etc/sysctl.d/ to keep it), or ' +
          '`sudo setcap cap_net_bind_service=+ep "$(readlink -f "$(command -v node)")"`, or run the tests as root (CI does).',
        { cause: error },
      );
    }
    if (code === 'EADDRINUSE') {
      throw new Error(
        'The MSAL Python interop suite needs 127.0.0.1:443 (MSAL Python drops the port from cache keys and URLs), ' +
          'and something already listens there. Stop it (`sudo ss -ltnp "sport = :443"` shows what) and run again.',
        { cause: error },
      );
    }
    throw error;
  }
}

describe('token files with the real MSAL Python (python-o365 2.1), emulator on 127.0.0.1:443', () => {
  let emu: Emulator;
  let dir: string;
  let caFile: string;
  /** The authority as python-o365 builds it: `https://{host}/{tenant}`, no port (443 is the default). */
  let authority: string;
  const opened: Account[] = [];

  const account = (tokenPath: string, extra: AccountOptions = {}): Account => {
    const a = new Account([emu.defaults.publicClientId], {
      authFlowType: 'password',
      username: emu.defaults.username,
      tenantId: emu.defaults.tenantId,
      authorityHost: emu.authorityHost,
      protocol: new MSGraphProtocol({ graphUrl: emu.graphUrl }),
      tls: { ca: emu.ca },
      clock: { now: () => emu.clock.now() },
      tokenBackend: new FileSystemTokenBackend({ tokenPath }),
      ...extra,
    });
    opened.push(a);
    return a;
  };
  const python = (command: string, tokenFile: string, extra: Record<string, unknown> = {}): Promise<PyAnswer> =>
    runPython({
      command,
      tokenFile,
      caFile,
      authority,
      clientId: emu.defaults.publicClientId,
      username: emu.defaults.username,
      scopes: [GRAPH_USER_READ],
      ...extra,
    });
  const refreshGrants = (): number => emu.requests().filter((r) => r.grantType === 'refresh_token').length;
  const tokenRequests = (): number => emu.requests().filter((r) => r.grantType !== undefined).length;

  beforeAll(() => {
    const probe = spawnSync(PYTHON, ['-c', 'import msal, requests'], { encoding: 'utf8', timeout: 20_000 });
    if (probe.status !== 0) {
      throw new Error(
        `MSAL Python is missing (${PYTHON} -c 'import msal' failed: ${(probe.stderr || String(probe.error)).trim()}). ` +
          'Install the Debian package: sudo apt-get install -y python3-msal',
      );
    }
  });

  // One emulator per test: MSAL Python checks ID-token times against the real clock, so a test
  // that moves the emulator's clock forward must not leave it moved for the next one.
  beforeEach(async () => {
    emu = await startOn443();
    dir = await mkdtemp(join(tmpdir(), 'o365-msal-python-'));
    caFile = join(dir, 'emulator-ca.pem');
    await writeFile(caFile, emu.ca);
    authority = `${new URL(emu.authorityHost).origin}/${emu.defaults.tenantId}`;
  });

  afterEach(async () => {
    await Promise.all(opened.splice(0).map((a) => a.close()));
    await emu?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('on port 443 the authority carries no port, as on Microsoft\'s hosts', () => {
    const host = new URL(emu.authorityHost);
    expect(host.port).toBe('');
    expect(host.host).toBe('127.0.0.1');
    expect(authority).toBe(`https://127.0.0.1/${emu.defaults.tenantId}`);
  });

  it('a file o365-ts wrote loads in MSAL Python, which serves our access token from it, refreshes with our refresh token, and saves a file o365-ts reads back', async () => {
    const tokenPath = join(dir, 'written-by-o365-ts');
    const file = join(tokenPath, 'o365_token.txt');
    const signIn = account(tokenPath, { password: emu.defaults.password });
    expect(await signIn.authenticate({ requestedScopes: [GRAPH_USER_READ] })).toBe(true);
    const ours = await signIn.connection.getAccessToken();
    const written = JSON.parse(await readFile(file, 'utf8')) as CacheJson;
    expect(Object.values(written['Account']!).map((a) => a['environment'])).toEqual(['127.0.0.1']);

    const refreshesBefore = refreshGrants();
    const py = await python('use', file);
    expect(py.loaded).toBe(true);
    expect(py.accounts).toEqual([
      expect.objectContaining({ username: emu.defaults.username, environment: '127.0.0.1' }),
    ]);
    // From the cache: the very token o365-ts was issued, no request.
    expect(py.silent).toEqual(expect.objectContaining({ ok: true, fingerprint: fingerprint(ours) }));
    // force_refresh: a new token from the emulator, obtained with the refresh token o365-ts stored.
    expect(py.forced?.ok).toBe(true);
    expect(py.forced?.fingerprint).not.toBe(fingerprint(ours));
    expect(refreshGrants()).toBe(refreshesBefore + 1);
    expect(py.saved).toBe(true);

    // Back in o365-ts, from the file MSAL Python saved, without a password.
    const reopened = account(tokenPath);
    expect(await reopened.isAuthenticated()).toBe(true);
    const requestsBefore = tokenRequests();
    const me = await reopened.getCurrentUser();
    expect(me.userPrincipalName?.toLowerCase()).toBe(emu.defaults.username.toLowerCase());
    expect([fingerprint(ours), py.forced?.fingerprint]).toContain(fingerprint(await reopened.connection.getAccessToken()));
    expect(tokenRequests()).toBe(requestsBefore);
    emu.clock.advance(2 * 3600);
    await reopened.getCurrentUser();
    const refreshesBeforeExpiry = refreshGrants();
    emu.clock.advance(2 * 3600);
    expect((await reopened.getCurrentUser()).userPrincipalName?.toLowerCase()).toBe(emu.defaults.username.toLowerCase());
    expect(refreshGrants()).toBe(refreshesBeforeExpiry + 1);
    // The two libraries key entries differently (see the report in the suite's doc comment), so
    // the file can hold one refresh token under each library's key; it must not grow past that.
    const after = JSON.parse(await readFile(file, 'utf8')) as CacheJson;
    expect(Object.keys(after['RefreshToken']!).length).toBeLessThanOrEqual(2);
    expect(Object.keys(after['AccessToken']!).length).toBeLessThanOrEqual(2);
    expect(Object.keys(after['Account']!)).toHaveLength(1);
  });

  it('a file MSAL Python wrote (python-o365 2.1 password flow) loads in o365-ts, which refreshes and saves it, and MSAL Python still finds its account', async () => {
    const tokenPath = join(dir, 'written-by-msal-python');
    const file = join(tokenPath, 'o365_token.txt');
    const py = await python('sign-in', file, { password: emu.defaults.password });
    expect(py.signIn).toEqual(expect.objectContaining({ ok: true, hasRefreshToken: true }));
    expect(py.saved).toBe(true);
    const pythonText = await readFile(file, 'utf8');
    expect(pythonText).toMatch(/^\{\n {4}"/); // json.dumps(indent=4), as python-o365 writes it
    const pythonCache = JSON.parse(pythonText) as CacheJson;
    expect(Object.values(pythonCache['Account']!)).toEqual([
      expect.objectContaining({ environment: '127.0.0.1', username: emu.defaults.username, authority_type: 'MSSTS' }),
    ]);

    const a = account(tokenPath);
    expect(await a.isAuthenticated()).toBe(true);
    expect(a.username?.toLowerCase()).toBe(emu.defaults.username.toLowerCase());
    const requestsBefore = tokenRequests();
    const me = await a.getCurrentUser();
    expect(me.userPrincipalName?.toLowerCase()).toBe(emu.defaults.username.toLowerCase());
    expect(fingerprint(await a.connection.getAccessToken())).toBe(py.signIn?.fingerprint); // MSAL Python's token, as stored
    expect(tokenRequests()).toBe(requestsBefore);

    emu.clock.advance(2 * 3600);
    const refreshesBefore = refreshGrants();
    expect((await a.getCurrentUser()).userPrincipalName?.toLowerCase()).toBe(emu.defaults.username.toLowerCase());
    expect(refreshGrants()).toBe(refreshesBefore + 1);
    const refreshed = await a.connection.getAccessToken();
    expect(fingerprint(refreshed)).not.toBe(py.signIn?.fingerprint);
    const saved = JSON.parse(await readFile(file, 'utf8')) as CacheJson;
    const savedSecrets = Object.values(saved['AccessToken']!).map((e) => e['secret']);
    expect(savedSecrets).toContain(refreshed);

    const again = await python('accounts', file);
    expect(again.loaded).toBe(true);
    expect(again.accounts).toEqual([
      expect.objectContaining({ username: emu.defaults.username, environment: '127.0.0.1', homeAccountId: py.accounts[0]?.homeAccountId }),
    ]);
  });
});
