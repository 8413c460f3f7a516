// Many users in one cache: a web app whose users all signed in through one FileSystemTokenBackend
// file. Measures, for 1 / 100 / 1,000 users in the cache, the refresh of one user's expired token
// (a fresh Account: load + refresh + save; then a warm one) against raw msal-node with the file
// cache plugin of its documentation on the same cache, and a user switch on the hot path. The
// cache is built once with raw msal-node (ROPC for every seeded user, in memory) and copied.
import { randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { PublicClientApplication } from '@azure/msal-node';
import { defaultSeed, startEmulator, type Emulator, type SeedUser } from '@o365/emulator';
import { Account, FileSystemTokenBackend } from '../src/index.js';
import {
  accountOptions,
  countRequests,
  CountingBackend,
  FileCachePlugin,
  fmtMs,
  fmtRatio,
  median,
  msalNetworkClient,
  table,
  tempDir,
  timed,
  trustingAgent,
  USER_SCOPES,
  type SectionResult,
} from './harness.js';

export interface ManyUsersOptions {
  /** Users in the cache, one row each (ascending). */
  sizes: number[];
  /** Warm refreshes measured per size (each for another user). */
  warmRefreshes: number;
}

export const PASSWORD = 'Bench-P@ssw0rd-1';
/** Past the access token lifetime (3599 s) and core's refresh skew. */
export const EXPIRE_SECONDS = 3_700;

export function benchUser(i: number): SeedUser {
  const hex = i.toString(16).padStart(12, '0');
  return {
    id: `bbbbbbbb-0000-4000-8000-${hex}`,
    userPrincipalName: `bench${i}@contoso.onmicrosoft.com`,
    password: PASSWORD,
    displayName: `Bench User ${i}`,
  };
}

/** Signs every user in with raw msal-node (ROPC, in-memory cache, a few at a time): the serialized cache. */
export async function buildCache(
  emu: Emulator,
  users: SeedUser[],
  dispatcher: ReturnType<typeof trustingAgent>,
): Promise<string> {
  const app = new PublicClientApplication({
    auth: {
      clientId: emu.defaults.publicClientId,
      authority: `${emu.authorityHost}/${emu.defaults.tenantId}`,
      knownAuthorities: [new URL(emu.url).host],
    },
    system: { networkClient: msalNetworkClient(dispatcher) },
  });
  const queue = [...users];
  const worker = async (): Promise<void> => {
    for (let user = queue.shift(); user !== undefined; user = queue.shift()) {
      await app.acquireTokenByUsernamePassword({
        scopes: USER_SCOPES,
        username: user.userPrincipalName,
        password: user.password,
      });
    }
  };
  await Promise.all(Array.from({ length: 8 }, worker));
  return app.getTokenCache().serialize();
}

interface Row {
  users: number;
  coreCold: number;
  coreWarm: number;
  msal: number;
  switchUs: number;
  tokenRequests: number;
  loads: number;
  saves: number;
}

export async function manyUsers(options: ManyUsersOptions): Promise<SectionResult> {
  const max = Math.max(...options.sizes);
  const seed = defaultSeed();
  const extra = Array.from({ length: max }, (_, i) => benchUser(i));
  seed.tenants[0]!.users.push(...extra);
  const emu = await startEmulator({ seed });
  const dispatcher = trustingAgent(emu, 16);
  const { dir, cleanup } = await tempDir('many-users');
  const rows: Row[] = [];
  const checks: SectionResult['checks'] = [];
  try {
    // Authority metadata is discovered once per process by core (and warmed for msal-node below):
    // a first Account discovers it here so that no row includes it.
    const warmUp = new Account(
      [emu.defaults.publicClientId],
      accountOptions(
        emu,
        new CountingBackend(new FileSystemTokenBackend({ tokenPath: path.join(dir, 'warm-up') })),
      ),
    );
    await warmUp.getAuthorizationUrl(USER_SCOPES, { redirectUri: 'http://localhost' });
    await warmUp.close();
    for (const size of options.sizes) {
      const users = extra.slice(0, size);
      const data = await buildCache(emu, users, dispatcher);
      const homeId = (u: SeedUser): string => `${u.id}.${emu.defaults.tenantId}`;
      // Every access token is now expired for core (emulator clock); msal-node is told to refresh.
      emu.clock.advance(EXPIRE_SECONDS);

      // core, fresh Account: load the file, refresh one user, save.
      const coreDir = path.join(dir, `core-${size}`);
      const file = new FileSystemTokenBackend({ tokenPath: coreDir });
      await file.save(data);
      const backend = new CountingBackend(file);
      const account = new Account([emu.defaults.publicClientId], accountOptions(emu, backend));
      const target = users[size - 1]!;
      const before = emu.requests().length;
      const cold = await timed(() =>
        account.connection.forUser(target.userPrincipalName).getAccessToken({ scopes: USER_SCOPES }),
      );
      const counts = countRequests(emu.requests().slice(before));
      const loads = backend.loads;
      const saves = backend.saves;
      const warm: number[] = [];
      for (let i = 0; i < Math.min(options.warmRefreshes, size - 1); i++) {
        const user = users[i]!;
        warm.push(
          (
            await timed(() =>
              account.connection.forUser(user.userPrincipalName).getAccessToken({ scopes: USER_SCOPES }),
            )
          ).ms,
        );
      }
      // A user switch on the hot path: alternate two users whose tokens are in memory.
      const a = account.connection.forUser(target.userPrincipalName);
      const b = account.connection.forUser((users[0] ?? target).userPrincipalName);
      await a.getAccessToken({ scopes: USER_SCOPES });
      await b.getAccessToken({ scopes: USER_SCOPES });
      const switches = 20_000;
      const switched = await timed(async () => {
        for (let i = 0; i < switches; i++)
          await account.connection
            .forUser(i % 2 ? target.userPrincipalName : (users[0] ?? target).userPrincipalName)
            .getAccessToken({ scopes: USER_SCOPES });
      });
      await account.close();

      // msal-node + its documented file cache plugin, same cache, one user refreshed (median of 3).
      const msalTimes: number[] = [];
      for (let trial = 0; trial < 3; trial++) {
        // A new agent per trial: sockets left idle by the loops above may have been closed by the server.
        const msalAgent = trustingAgent(emu);
        const msalFile = path.join(dir, `msal-${size}-${randomUUID()}.json`);
        await writeFile(msalFile, data, { mode: 0o600 });
        const app = new PublicClientApplication({
          auth: {
            clientId: emu.defaults.publicClientId,
            authority: `${emu.authorityHost}/${emu.defaults.tenantId}`,
            knownAuthorities: [new URL(emu.url).host],
          },
          cache: { cachePlugin: new FileCachePlugin(msalFile) },
          system: { networkClient: msalNetworkClient(msalAgent) },
        });
        const user = users[(size - 1 - trial + size) % size]!;
        // Authority metadata into memory first (core's is per process): only the refresh is timed.
        // msal-node keeps the real clock, so users[0]'s stored token is still valid for it.
        const other = await app.getTokenCache().getAccountByHomeId(homeId(users[0]!));
        if (other) await app.acquireTokenSilent({ account: other, scopes: USER_SCOPES });
        msalTimes.push(
          (
            await timed(async () => {
              const info = await app.getTokenCache().getAccountByHomeId(homeId(user));
              if (!info) throw new Error('msal-node did not find the account');
              return app.acquireTokenSilent({ account: info, scopes: USER_SCOPES, forceRefresh: true });
            })
          ).ms,
        );
        await msalAgent.close();
      }

      rows.push({
        users: size,
        coreCold: cold.ms,
        coreWarm: warm.length > 0 ? median(warm) : Number.NaN,
        msal: median(msalTimes),
        switchUs: (switched.ms / switches) * 1000,
        tokenRequests: counts.token,
        loads,
        saves,
      });
      checks.push({
        claim: `refresh of one user among ${size} (fresh Account): one token request, one save, two reads (first load, re-read under the lock)`,
        ok: counts.token === 1 && loads === 2 && saves === 1,
        detail: `${counts.token} token request(s), ${loads} load(s), ${saves} save(s)`,
      });
    }
  } finally {
    await dispatcher.close();
    await emu.stop();
    await cleanup();
  }
  const base = rows[0]!;
  return {
    title: `Many users in one FileSystemTokenBackend file: refresh of one expired user token (ms), core vs msal-node + file cache plugin (same cache, forceRefresh)`,
    table: table(
      [
        'users in cache',
        'core fresh Account',
        'core warm (median)',
        'msal-node + file plugin',
        'msal / core fresh',
        'core fresh vs 1 user',
        'user switch (µs)',
      ],
      rows.map((r) => [
        String(r.users),
        fmtMs(r.coreCold),
        fmtMs(r.coreWarm),
        fmtMs(r.msal),
        fmtRatio(r.msal / r.coreCold),
        fmtRatio(r.coreCold / base.coreCold),
        r.switchUs.toFixed(2),
      ]),
    ),
    notes: [
      'core fresh Account = first call of a new Account: reads and validates the whole file, refreshes, saves it (atomic write under the lock file)',
      'core warm = another user refreshed on the same Account (cache in memory; reload + save of the file under the lock)',
      'msal-node = getAccountByHomeId + acquireTokenSilent({ forceRefresh }) with the plugin reading the file before and writing it after; msal-node 7 finds an account through getAllAccounts(), which rebuilds the cache once per account (quadratic)',
      'core still reads, validates and writes the whole file on a refresh: its cost grows linearly with the users in the file (partitioned storage, one partition per user, is what removes it)',
      'user switch = forUser(name).getAccessToken() alternating two users whose tokens are in memory (no I/O)',
    ],
    checks,
  };
}
