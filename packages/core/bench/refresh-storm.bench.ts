// Refresh storm: N concurrent calls on an expired access token. core refreshes once for all of
// them (single flight under the backend's lock). The baselines are raw msal-node on a file cache
// whose access token has expired (msal-node uses the real clock, so the stored expiry is moved
// into the past instead of advancing a clock).
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { startEmulator, type Emulator } from '@o365/emulator';
import { Account, FileSystemTokenBackend } from '../src/index.js';
import {
  accountOptions,
  APP_SCOPES,
  countRequests,
  CountingBackend,
  FileCachePlugin,
  fmtInt,
  fmtMs,
  rawConfidentialApp,
  rawPublicApp,
  settleAll,
  table,
  tempDir,
  timed,
  trustingAgent,
  USER_SCOPES,
  withTimeout,
  type RequestCounts,
  type SectionResult,
} from './harness.js';

export interface RefreshStormOptions {
  /** Concurrent calls on the expired token. */
  concurrency: number;
}

interface StormOutcome {
  ms: number;
  requests: RequestCounts;
  reads: number;
  writes: number;
  locks: number | undefined;
  distinctTokens: number;
  /** Whether every caller got a token other than the expired one. */
  allNew: boolean;
  /** Calls that rejected, and the first reason. */
  failed: number;
  firstError?: string;
}

const STORM_TIMEOUT_MS = 30_000;
/**
 * Sockets per origin for the baselines. Without a cap, 1,000 simultaneous TLS handshakes in one
 * process on 2 cores exceed undici's 10 s connect timeout; the cap changes timing, not how many
 * token requests each client decides to make.
 */
const BASELINE_CONNECTIONS = 32;
/** Past the default access token lifetime (3599 s) and core's refresh skew. */
const EXPIRE_SECONDS = 3_700;

/** Moves every stored access token's expiry into the past, as if the process had been idle for an hour. */
async function expireAccessTokens(file: string): Promise<void> {
  const cache = JSON.parse(await readFile(file, 'utf8')) as { AccessToken?: Record<string, Record<string, string>> };
  const past = String(Math.floor(Date.now() / 1000) - 60);
  for (const entry of Object.values(cache.AccessToken ?? {})) {
    entry['expires_on'] = past;
    entry['extended_expires_on'] = past;
    delete entry['refresh_on'];
  }
  await writeFile(file, JSON.stringify(cache), { mode: 0o600 });
}

async function coreStorm(emu: Emulator, dir: string, n: number, flow: 'password' | 'credentials'): Promise<StormOutcome> {
  const backend = new CountingBackend(new FileSystemTokenBackend({ tokenPath: dir }));
  const { publicClientId, clientId, clientSecret, username, password } = emu.defaults;
  const account =
    flow === 'password'
      ? new Account([publicClientId], { ...accountOptions(emu, backend), authFlowType: 'password', username, password })
      : new Account([clientId, clientSecret], { ...accountOptions(emu, backend), authFlowType: 'credentials' });
  try {
    await withTimeout(account.authenticate({ requestedScopes: flow === 'password' ? ['User.Read'] : [] }), STORM_TIMEOUT_MS, 'core sign-in');
    const expired = await account.connection.getAccessToken();
    // The emulator and the Account share one clock: both see the token as expired.
    emu.clock.advance(EXPIRE_SECONDS);
    backend.reset();
    emu.clearRequests();
    const { ms, value } = await timed(() =>
      withTimeout(settleAll(Array.from({ length: n }, () => account.connection.getAccessToken())), STORM_TIMEOUT_MS, 'core storm'),
    );
    return {
      ms,
      requests: countRequests(emu.requests()),
      reads: backend.loads,
      writes: backend.saves,
      locks: backend.locks,
      distinctTokens: new Set(value.values).size,
      allNew: value.values.every((t) => t !== expired),
      failed: value.failed,
      ...(value.firstError ? { firstError: value.firstError } : {}),
    };
  } finally {
    await account.close();
  }
}

async function rawUserStorm(emu: Emulator, dir: string, n: number): Promise<StormOutcome> {
  const agent = trustingAgent(emu, BASELINE_CONNECTIONS);
  const file = path.join(dir, 'msal_cache.json');
  const plugin = new FileCachePlugin(file);
  const pca = rawPublicApp(emu, agent, plugin);
  try {
    const { username, password } = emu.defaults;
    const signedIn = await withTimeout(
      pca.acquireTokenByUsernamePassword({ scopes: USER_SCOPES, username, password }),
      STORM_TIMEOUT_MS,
      'msal-node sign-in',
    );
    const account = signedIn?.account;
    if (!account) throw new Error('msal-node sign-in returned no account');
    // One silent call first so msal-node's authority metadata is in memory: only the refresh is measured.
    await pca.acquireTokenSilent({ account, scopes: USER_SCOPES });
    await expireAccessTokens(file);
    plugin.reset();
    emu.clearRequests();
    const { ms, value } = await timed(() =>
      withTimeout(
        settleAll(Array.from({ length: n }, () => pca.acquireTokenSilent({ account, scopes: USER_SCOPES }))),
        STORM_TIMEOUT_MS,
        'msal-node storm',
      ),
    );
    return {
      ms,
      requests: countRequests(emu.requests()),
      reads: plugin.reads,
      writes: plugin.writes,
      locks: undefined,
      distinctTokens: new Set(value.values.map((r) => r.accessToken)).size,
      allNew: value.values.every((r) => r.accessToken !== signedIn.accessToken),
      failed: value.failed,
      ...(value.firstError ? { firstError: value.firstError } : {}),
    };
  } finally {
    await agent.close();
  }
}

async function rawAppStorm(emu: Emulator, dir: string, n: number): Promise<StormOutcome> {
  const agent = trustingAgent(emu, BASELINE_CONNECTIONS);
  const file = path.join(dir, 'msal_cache.json');
  const plugin = new FileCachePlugin(file);
  const cca = rawConfidentialApp(emu, agent, plugin);
  try {
    const first = await withTimeout(cca.acquireTokenByClientCredential({ scopes: APP_SCOPES }), STORM_TIMEOUT_MS, 'msal-node app token');
    await expireAccessTokens(file);
    plugin.reset();
    emu.clearRequests();
    const { ms, value } = await timed(() =>
      withTimeout(
        settleAll(Array.from({ length: n }, () => cca.acquireTokenByClientCredential({ scopes: APP_SCOPES }))),
        STORM_TIMEOUT_MS,
        'msal-node storm',
      ),
    );
    return {
      ms,
      requests: countRequests(emu.requests()),
      reads: plugin.reads,
      writes: plugin.writes,
      locks: undefined,
      distinctTokens: new Set(value.values.map((r) => r?.accessToken)).size,
      allNew: value.values.every((r) => r?.accessToken !== first?.accessToken),
      failed: value.failed,
      ...(value.firstError ? { firstError: value.firstError } : {}),
    };
  } finally {
    await agent.close();
  }
}

export async function refreshStorm(options: RefreshStormOptions): Promise<SectionResult> {
  const n = options.concurrency;
  const emu = await startEmulator({ port: 0 });
  const dirs = await Promise.all(['storm-core-user', 'storm-core-app', 'storm-msal-user', 'storm-msal-app'].map((p) => tempDir(p)));
  try {
    // Baselines first: the core runs advance the emulator's clock.
    const rawUser = await rawUserStorm(emu, dirs[2]!.dir, n);
    const rawApp = await rawAppStorm(emu, dirs[3]!.dir, n);
    const coreUser = await coreStorm(emu, dirs[0]!.dir, n, 'password');
    const coreApp = await coreStorm(emu, dirs[1]!.dir, n, 'credentials');

    const row = (scenario: string, subject: string, o: StormOutcome): string[] => [
      scenario,
      subject,
      fmtMs(o.ms),
      fmtInt(o.requests.token),
      fmtInt(o.requests.metadata),
      fmtInt(o.reads),
      fmtInt(o.writes),
      o.locks === undefined ? '-' : fmtInt(o.locks),
      String(o.distinctTokens),
      o.allNew ? 'yes' : 'NO',
      fmtInt(o.failed),
    ];
    const rows = [
      row('user (refresh token)', 'core  getAccessToken()  [FileSystemTokenBackend]', coreUser),
      row('', 'msal-node  acquireTokenSilent  [file cache plugin]', rawUser),
      row('app-only (re-acquire)', 'core  getAccessToken()  [credentials flow]', coreApp),
      row('', 'msal-node  acquireTokenByClientCredential  [file cache plugin]', rawApp),
    ];
    return {
      title: `3. Refresh storm: ${fmtInt(n)} concurrent calls on an expired access token`,
      table: table(
        ['scenario', 'subject', 'elapsed ms', 'token reqs', 'metadata reqs', 'backend/file reads', 'writes', 'locks', 'tokens seen', 'all new', 'failed'],
        rows,
        2,
      ),
      notes: [
        `core: the emulator's clock (which the Account also uses) is advanced ${EXPIRE_SECONDS} s; msal-node: the stored expiry is moved into the past.`,
        'msal-node 7.2.3 shares concurrent acquireTokenSilent calls with the same request (acquireTokenSilentDeduped); acquireTokenByClientCredential has no such sharing.',
        `The baselines' HTTP pool is capped at ${BASELINE_CONNECTIONS} sockets (uncapped, 1,000 concurrent TLS connects in this process time out).`,
        ...[coreUser, rawUser, coreApp, rawApp].filter((o) => o.firstError).map((o) => `first failure: ${o.firstError ?? ''}`),
      ],
      checks: [
        {
          claim: `user refresh storm: one token request for ${fmtInt(n)} callers`,
          ok: coreUser.requests.token === 1 && coreUser.requests.grants['refresh_token'] === 1,
          detail: `${coreUser.requests.token} token request(s) (${JSON.stringify(coreUser.requests.grants)}), ${coreUser.distinctTokens} distinct token(s)`,
        },
        {
          claim: `app-only storm: one token request for ${fmtInt(n)} callers`,
          ok: coreApp.requests.token === 1,
          detail: `${coreApp.requests.token} token request(s) (${JSON.stringify(coreApp.requests.grants)}), baseline ${rawApp.requests.token}`,
        },
        {
          claim: 'every caller got the new token',
          ok: coreUser.failed + coreApp.failed === 0 && coreUser.allNew && coreApp.allNew && coreUser.distinctTokens === 1 && coreApp.distinctTokens === 1,
          detail: `user: ${coreUser.distinctTokens} distinct, ${coreUser.failed} failed; app: ${coreApp.distinctTokens} distinct, ${coreApp.failed} failed`,
        },
      ],
    };
  } finally {
    await emu.stop();
    await Promise.all(dirs.map((d) => d.cleanup()));
  }
}
