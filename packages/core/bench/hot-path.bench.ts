// Hot path: a token request with a valid cached token. core serves it from memory (no backend
// read, no token call); raw msal-node's acquireTokenSilent reads its cache plugin on every call.
// Both sides run in this process against the same emulator, rounds interleaved.
import path from 'node:path';
import { startEmulator } from '@o365/emulator';
import { ClientSecretCredential } from '@azure/identity';
import { Account, FileSystemTokenBackend, MemoryTokenBackend } from '../src/index.js';
import {
  accountOptions,
  countRequests,
  CountingBackend,
  FileCachePlugin,
  fmtInt,
  fmtRatio,
  median,
  rawPublicApp,
  sequentialRate,
  table,
  tempDir,
  trustingAgent,
  APP_SCOPES,
  USER_SCOPES,
  withTimeout,
  type RequestCounts,
  type SectionResult,
} from './harness.js';

export interface HotPathOptions {
  /** Length of one measured round per subject, ms. */
  roundMs: number;
  /** Rounds per subject (interleaved); the median rate is reported. */
  rounds: number;
}

interface Subject {
  label: string;
  call: () => Promise<string>;
  /** Backend loads (core) or cache plugin reads (msal-node) so far. */
  reads: () => number;
  resetReads: () => void;
  rates: number[];
  calls: number;
  readsDuring: number;
  requests: RequestCounts;
  /** Distinct tokens returned during the measured rounds (1 = always the cached one). */
  tokens: Set<string>;
}

export async function hotPath(options: HotPathOptions): Promise<SectionResult> {
  const emu = await startEmulator({ port: 0 });
  const agent = trustingAgent(emu);
  const coreDir = await tempDir('hot-core');
  const msalDir = await tempDir('hot-msal');
  const accounts: Account[] = [];
  try {
    const { username, password, publicClientId } = emu.defaults;

    // core: sign in once (password flow) into a token file, then a fresh Account over that file.
    const signer = new Account([publicClientId], {
      ...accountOptions(emu, new FileSystemTokenBackend({ tokenPath: coreDir.dir })),
      authFlowType: 'password',
      username,
      password,
    });
    accounts.push(signer);
    await withTimeout(signer.authenticate({ requestedScopes: ['User.Read'] }), 15_000, 'core sign-in');
    const backend = new CountingBackend(new FileSystemTokenBackend({ tokenPath: coreDir.dir }));
    const account = new Account([publicClientId], { ...accountOptions(emu, backend), authFlowType: 'public' });
    accounts.push(account);
    const firstCoreToken = await account.connection.getAccessToken();
    const warmupLoads = backend.loads;

    // Raw msal-node: sign in (ROPC) with the documented file cache plugin, and a second app with
    // msal-node's in-memory cache only (no plugin) as a reference for the library's own cost.
    const plugin = new FileCachePlugin(path.join(msalDir.dir, 'msal_cache.json'));
    const pcaFile = rawPublicApp(emu, agent, plugin);
    const signedIn = await withTimeout(
      pcaFile.acquireTokenByUsernamePassword({ scopes: USER_SCOPES, username, password }),
      15_000,
      'msal-node sign-in',
    );
    if (!signedIn?.account) throw new Error('msal-node sign-in returned no account');
    const fileAccount = signedIn.account;
    const pcaMemory = rawPublicApp(emu, agent);
    const memorySignIn = await pcaMemory.acquireTokenByUsernamePassword({ scopes: USER_SCOPES, username, password });
    if (!memorySignIn?.account) throw new Error('msal-node sign-in returned no account');
    const memoryAccount = memorySignIn.account;

    // App-only peers: core's credentials flow and @azure/identity's ClientSecretCredential, the
    // TokenCredential Azure SDK users start from, both with their first token already in memory.
    const app = new Account([emu.defaults.clientId, emu.defaults.clientSecret], {
      ...accountOptions(emu, new MemoryTokenBackend()),
      authFlowType: 'credentials',
    });
    accounts.push(app);
    await app.getToken(APP_SCOPES[0]!);
    const identity = new ClientSecretCredential(emu.defaults.tenantId, emu.defaults.clientId, emu.defaults.clientSecret, {
      authorityHost: emu.authorityHost,
      disableInstanceDiscovery: true,
      tlsOptions: { ca: emu.ca },
    });
    await identity.getToken(APP_SCOPES[0]!);

    const subjects: Subject[] = [
      {
        label: 'core  account.connection.getAccessToken()  [FileSystemTokenBackend]',
        call: () => account.connection.getAccessToken(),
        reads: () => backend.loads,
        resetReads: () => backend.reset(),
      },
      {
        label: 'core  account.getToken(scope)  [TokenCredential, same Account]',
        call: async () => (await account.getToken(USER_SCOPES[0]!)).token,
        reads: () => backend.loads,
        resetReads: () => backend.reset(),
      },
      {
        label: 'msal-node  acquireTokenSilent  [file cache plugin]  (baseline)',
        call: async () => (await pcaFile.acquireTokenSilent({ account: fileAccount, scopes: USER_SCOPES })).accessToken,
        reads: () => plugin.reads,
        resetReads: () => plugin.reset(),
      },
      {
        label: 'core  app-only account.getToken(.default)  [credentials flow]',
        call: async () => (await app.getToken(APP_SCOPES[0]!)).token,
        reads: () => 0,
        resetReads: () => undefined,
      },
      {
        label: '@azure/identity  ClientSecretCredential.getToken(.default)',
        call: async () => (await identity.getToken(APP_SCOPES[0]!)).token,
        reads: () => 0,
        resetReads: () => undefined,
      },
      {
        label: 'msal-node  acquireTokenSilent  [in-memory cache, no plugin]',
        call: async () => (await pcaMemory.acquireTokenSilent({ account: memoryAccount, scopes: USER_SCOPES })).accessToken,
        reads: () => 0,
        resetReads: () => undefined,
      },
    ].map((s) => ({ ...s, rates: [], calls: 0, readsDuring: 0, requests: countRequests([]), tokens: new Set<string>() }));

    // Warm-up: every subject's first calls (JIT, msal-node's authority metadata) are not measured.
    for (const s of subjects) for (let i = 0; i < 100; i++) await s.call();

    for (let round = 0; round < options.rounds; round++) {
      for (const s of subjects) {
        s.resetReads();
        emu.clearRequests();
        const { calls, ms } = await sequentialRate(async () => s.tokens.add(await s.call()), options.roundMs);
        s.rates.push((calls / ms) * 1000);
        s.calls += calls;
        s.readsDuring += s.reads();
        const counts = countRequests(emu.requests());
        s.requests.metadata += counts.metadata;
        s.requests.token += counts.token;
        s.requests.other += counts.other;
      }
    }

    const baseline = median(subjects[2]!.rates);
    const rows = subjects.map((s) => {
      const rate = median(s.rates);
      return [
        s.label,
        fmtInt(rate),
        fmtRatio(rate / baseline),
        fmtInt(s.calls),
        s.label.includes('no plugin') ? '-' : fmtInt(s.readsDuring),
        fmtInt(s.requests.token),
        fmtInt(s.requests.metadata),
        String(s.tokens.size),
      ];
    });
    const core = subjects[0]!;
    const coreCredential = subjects[1]!;
    const raw = subjects[2]!;
    return {
      title: `1. Hot path: valid cached token, sequential calls (median of ${options.rounds} rounds x ${options.roundMs} ms each, interleaved)`,
      table: table(['subject', 'calls/s', 'vs baseline', 'calls', 'backend/file reads', 'token reqs', 'metadata reqs', 'tokens seen'], rows),
      notes: [
        `core's fresh Account read the token file ${warmupLoads} time(s) on its first call (before measuring); the first token was ${firstCoreToken ? 'served from the file' : 'missing'}.`,
        'Reads and requests are counted during the measured rounds only; "tokens seen" = distinct access tokens returned (1 = always the cached one).',
      ],
      checks: [
        {
          claim: 'hot path reads no backend (getAccessToken)',
          ok: core.readsDuring === 0,
          detail: `${core.readsDuring} backend loads in ${fmtInt(core.calls)} calls`,
        },
        {
          claim: 'hot path reads no backend (getToken)',
          ok: coreCredential.readsDuring === 0,
          detail: `${coreCredential.readsDuring} backend loads in ${fmtInt(coreCredential.calls)} calls`,
        },
        {
          claim: 'hot path makes no token or metadata request',
          ok: core.requests.token + core.requests.metadata + coreCredential.requests.token + coreCredential.requests.metadata === 0,
          detail: `${core.requests.token + coreCredential.requests.token} token, ${core.requests.metadata + coreCredential.requests.metadata} metadata requests`,
        },
        {
          claim: 'baseline (msal-node + file plugin) reads its cache file on every call',
          ok: raw.readsDuring >= raw.calls,
          detail: `${fmtInt(raw.readsDuring)} file reads in ${fmtInt(raw.calls)} calls`,
        },
      ],
    };
  } finally {
    await Promise.all(accounts.map((a) => a.close()));
    await agent.close();
    await emu.stop();
    await coreDir.cleanup();
    await msalDir.cleanup();
  }
}
