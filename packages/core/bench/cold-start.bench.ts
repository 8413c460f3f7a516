// Cold concurrency: N concurrent first calls in a process that has not talked to this authority
// yet. core discovers the authority metadata once per process and shares one token request
// between concurrent callers; raw msal-node is measured doing the same calls. Each trial and
// scenario gets a fresh emulator (a new authority URL), so nothing discovered earlier is reused.
import { copyFile, mkdir } from 'node:fs/promises';
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
  fmtRatio,
  median,
  rawConfidentialApp,
  rawPublicApp,
  table,
  tempDir,
  timed,
  trustingAgent,
  USER_SCOPES,
  withTimeout,
  type RequestCounts,
  type SectionResult,
} from './harness.js';

export interface ColdStartOptions {
  /** Concurrent first calls. */
  concurrency: number;
  /** Trials per scenario, each on a fresh emulator; the median time is reported. */
  trials: number;
}

interface Outcome {
  ms: number;
  requests: RequestCounts;
  reads: number;
  distinctTokens: number;
}

interface Tally {
  ms: number[];
  metadata: number[];
  token: number[];
  reads: number[];
  distinctTokens: number[];
}

const newTally = (): Tally => ({ ms: [], metadata: [], token: [], reads: [], distinctTokens: [] });

function record(tally: Tally, outcome: Outcome): void {
  tally.ms.push(outcome.ms);
  tally.metadata.push(outcome.requests.metadata);
  tally.token.push(outcome.requests.token);
  tally.reads.push(outcome.reads);
  tally.distinctTokens.push(outcome.distinctTokens);
}

/** `3` when every trial gave 3, `2..4` otherwise. */
function range(values: number[]): string {
  const min = Math.min(...values);
  const max = Math.max(...values);
  return min === max ? fmtInt(min) : `${fmtInt(min)}..${fmtInt(max)}`;
}

const CALL_TIMEOUT_MS = 20_000;

/** Signs a user in with raw msal-node (ROPC) and returns the MSAL cache file it wrote. */
async function seedUserCache(emu: Emulator, dir: string): Promise<string> {
  const agent = trustingAgent(emu);
  try {
    const file = path.join(dir, 'seed.json');
    const pca = rawPublicApp(emu, agent, new FileCachePlugin(file));
    const { username, password } = emu.defaults;
    await withTimeout(pca.acquireTokenByUsernamePassword({ scopes: USER_SCOPES, username, password }), CALL_TIMEOUT_MS, 'seed sign-in');
    return file;
  } finally {
    await agent.close();
  }
}

/** User with a valid access token in the token file: N concurrent getAccessToken() on a fresh Account. */
async function coreUser(emu: Emulator, tokenDir: string, n: number): Promise<Outcome> {
  const backend = new CountingBackend(new FileSystemTokenBackend({ tokenPath: tokenDir }));
  const account = new Account([emu.defaults.publicClientId], { ...accountOptions(emu, backend), authFlowType: 'public' });
  try {
    emu.clearRequests();
    const { ms, value } = await timed(() =>
      withTimeout(Promise.all(Array.from({ length: n }, () => account.connection.getAccessToken())), CALL_TIMEOUT_MS, 'core cold calls'),
    );
    return { ms, requests: countRequests(emu.requests()), reads: backend.loads, distinctTokens: new Set(value).size };
  } finally {
    await account.close();
  }
}

/** The same with raw msal-node: the account from the file cache, then N concurrent acquireTokenSilent. */
async function rawUser(emu: Emulator, cacheFile: string, n: number): Promise<Outcome> {
  const agent = trustingAgent(emu);
  const plugin = new FileCachePlugin(cacheFile);
  const pca = rawPublicApp(emu, agent, plugin);
  try {
    emu.clearRequests();
    const { ms, value } = await timed(() =>
      withTimeout(
        (async () => {
          const [account] = await pca.getTokenCache().getAllAccounts();
          if (!account) throw new Error('the seeded cache has no account');
          return Promise.all(Array.from({ length: n }, () => pca.acquireTokenSilent({ account, scopes: USER_SCOPES })));
        })(),
        CALL_TIMEOUT_MS,
        'msal-node cold calls',
      ),
    );
    return { ms, requests: countRequests(emu.requests()), reads: plugin.reads, distinctTokens: new Set(value.map((r) => r.accessToken)).size };
  } finally {
    await agent.close();
  }
}

/** App-only, empty token file: N concurrent getAccessToken() on a fresh credentials-flow Account. */
async function coreApp(emu: Emulator, tokenDir: string, n: number): Promise<Outcome> {
  const backend = new CountingBackend(new FileSystemTokenBackend({ tokenPath: tokenDir }));
  const account = new Account([emu.defaults.clientId, emu.defaults.clientSecret], {
    ...accountOptions(emu, backend),
    authFlowType: 'credentials',
  });
  try {
    emu.clearRequests();
    const { ms, value } = await timed(() =>
      withTimeout(Promise.all(Array.from({ length: n }, () => account.connection.getAccessToken())), CALL_TIMEOUT_MS, 'core cold calls'),
    );
    return { ms, requests: countRequests(emu.requests()), reads: backend.loads, distinctTokens: new Set(value).size };
  } finally {
    await account.close();
  }
}

/** The same with raw msal-node: N concurrent acquireTokenByClientCredential on a fresh app. */
async function rawApp(emu: Emulator, cacheFile: string, n: number): Promise<Outcome> {
  const agent = trustingAgent(emu);
  const plugin = new FileCachePlugin(cacheFile);
  const cca = rawConfidentialApp(emu, agent, plugin);
  try {
    emu.clearRequests();
    const { ms, value } = await timed(() =>
      withTimeout(
        Promise.all(Array.from({ length: n }, () => cca.acquireTokenByClientCredential({ scopes: APP_SCOPES }))),
        CALL_TIMEOUT_MS,
        'msal-node cold calls',
      ),
    );
    return {
      ms,
      requests: countRequests(emu.requests()),
      reads: plugin.reads,
      distinctTokens: new Set(value.map((r) => r?.accessToken)).size,
    };
  } finally {
    await agent.close();
  }
}

export async function coldStart(options: ColdStartOptions): Promise<SectionResult> {
  const n = options.concurrency;
  const tallies = { coreUser: newTally(), rawUser: newTally(), coreApp: newTally(), rawApp: newTally() };
  for (let trial = 0; trial < options.trials; trial++) {
    // Which side goes first alternates, so neither always gets the warmer process.
    const coreFirst = trial % 2 === 0;

    const userEmu = await startEmulator({ port: 0 });
    const userDir = await tempDir('cold-user');
    try {
      const seed = await seedUserCache(userEmu, userDir.dir);
      const coreDir = path.join(userDir.dir, 'core');
      await mkdir(coreDir);
      await copyFile(seed, path.join(coreDir, 'o365_token.txt'));
      const rawFile = path.join(userDir.dir, 'msal_cache.json');
      await copyFile(seed, rawFile);
      if (coreFirst) {
        record(tallies.coreUser, await coreUser(userEmu, coreDir, n));
        record(tallies.rawUser, await rawUser(userEmu, rawFile, n));
      } else {
        record(tallies.rawUser, await rawUser(userEmu, rawFile, n));
        record(tallies.coreUser, await coreUser(userEmu, coreDir, n));
      }
    } finally {
      await userEmu.stop();
      await userDir.cleanup();
    }

    const appEmu = await startEmulator({ port: 0 });
    const appDir = await tempDir('cold-app');
    try {
      const rawFile = path.join(appDir.dir, 'msal_cache.json');
      if (coreFirst) {
        record(tallies.coreApp, await coreApp(appEmu, appDir.dir, n));
        record(tallies.rawApp, await rawApp(appEmu, rawFile, n));
      } else {
        record(tallies.rawApp, await rawApp(appEmu, rawFile, n));
        record(tallies.coreApp, await coreApp(appEmu, appDir.dir, n));
      }
    } finally {
      await appEmu.stop();
      await appDir.cleanup();
    }
  }

  const row = (scenario: string, subject: string, t: Tally, baseline: Tally): string[] => [
    scenario,
    subject,
    fmtMs(median(t.ms)),
    fmtRatio(median(baseline.ms) / median(t.ms)),
    range(t.metadata),
    range(t.token),
    range(t.reads),
    range(t.distinctTokens),
  ];
  const rows = [
    row('user, valid token on disk', 'core  getAccessToken()', tallies.coreUser, tallies.rawUser),
    row('', 'msal-node  getAllAccounts + acquireTokenSilent (baseline)', tallies.rawUser, tallies.rawUser),
    row('app-only, empty cache', 'core  getAccessToken() [credentials flow]', tallies.coreApp, tallies.rawApp),
    row('', 'msal-node  acquireTokenByClientCredential (baseline)', tallies.rawApp, tallies.rawApp),
  ];
  const max = (values: number[]) => Math.max(...values);
  return {
    title: `2. Cold concurrency: ${n} concurrent first calls, fresh client and fresh emulator (median of ${options.trials} trials)`,
    table: table(
      ['scenario', 'subject', 'elapsed ms', 'speed vs baseline', 'metadata reqs', 'token reqs', 'backend/file reads', 'tokens seen'],
      rows,
      2,
    ),
    notes: [
      'Counts are per trial (a range when trials differ). "metadata reqs" = OpenID configuration + instance discovery requests seen by the emulator.',
      'Emulator and clients share this process and its CPU: elapsed times include the emulator answering.',
      'The user scenario starts from one MSAL cache file written by a raw msal-node sign-in and copied for each side (core reads msal-node\'s format as is).',
    ],
    checks: [
      {
        claim: 'cold user calls: no metadata and no token request when the stored token is valid',
        ok: max(tallies.coreUser.metadata) === 0 && max(tallies.coreUser.token) === 0,
        detail: `${range(tallies.coreUser.metadata)} metadata, ${range(tallies.coreUser.token)} token requests`,
      },
      {
        claim: 'cold user calls: the backend is read once for all concurrent callers',
        ok: max(tallies.coreUser.reads) === 1,
        detail: `${range(tallies.coreUser.reads)} backend loads for ${n} calls`,
      },
      {
        claim: 'cold app-only calls: authority metadata discovered once, one token request',
        ok: max(tallies.coreApp.metadata) <= 1 && max(tallies.coreApp.token) === 1,
        detail: `${range(tallies.coreApp.metadata)} metadata, ${range(tallies.coreApp.token)} token requests for ${n} calls (baseline: ${range(tallies.rawApp.metadata)} and ${range(tallies.rawApp.token)})`,
      },
    ],
  };
}
