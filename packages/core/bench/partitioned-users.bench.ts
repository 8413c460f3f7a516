// Many users, one partition each: PartitionedAccounts over PartitionedFileSystemTokenBackend, with
// 1 / 1,000 / 100,000 partitions in the folder. Measures the refresh of one user's expired token
// (a fresh PartitionedAccounts, then a warm one) and the heap an open partition Account costs, and
// shows both do not move with the number of other partitions. A few users really sign in; the
// other partitions are copies of their caches (generated entries: they are never read).
import { spawnSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { defaultSeed, startEmulator, type SeedUser } from '@o365/emulator';
import {
  createHttpClient,
  PartitionedAccounts,
  PartitionedFileSystemTokenBackend,
  type PartitionedTokenBackend,
  type TokenBackend,
} from '../src/index.js';
import { partitionName } from '../src/backend.js';
import { accountOptions, CountingBackend, fmtMs, fmtRatio, median, table, tempDir, timed, trustingAgent, USER_SCOPES, type SectionResult } from './harness.js';
import { benchUser, buildCache, EXPIRE_SECONDS } from './many-users.bench.js';

export interface PartitionedUsersOptions {
  /** Partitions in the folder, one row each (ascending). */
  sizes: number[];
  /** Users who really sign in (their partitions are the ones refreshed). */
  realUsers: number;
  /** Partition Accounts opened for the heap figure. */
  heapAccounts: number;
}

/** Counts every partition's loads and saves. */
class CountingPartitions implements PartitionedTokenBackend {
  readonly counters: CountingBackend[] = [];
  constructor(readonly inner: PartitionedTokenBackend) {}
  get location(): string | undefined {
    return this.inner.location;
  }
  partition(key: string): TokenBackend {
    const counting = new CountingBackend(this.inner.partition(key));
    this.counters.push(counting);
    return counting;
  }
  get loads(): number {
    return this.counters.reduce((n, c) => n + c.loads, 0);
  }
  get saves(): number {
    return this.counters.reduce((n, c) => n + c.saves, 0);
  }
}

async function writeMany(files: { file: string; data: string }[], concurrency = 64): Promise<void> {
  const queue = [...files];
  const worker = async (): Promise<void> => {
    for (let next = queue.pop(); next !== undefined; next = queue.pop()) await writeFile(next.file, next.data, { mode: 0o600 });
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

function heapUsed(): number {
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage().heapUsed;
}

interface Row {
  partitions: number;
  fresh: number;
  warm: number;
  heapPerAccount: number;
  tokenRequests: number;
  loads: number;
  saves: number;
}

export async function partitionedUsers(options: PartitionedUsersOptions): Promise<SectionResult> {
  const seed = defaultSeed();
  const real: SeedUser[] = Array.from({ length: options.realUsers }, (_, i) => benchUser(50_000 + i));
  const warmUser = benchUser(49_999);
  seed.tenants[0]!.users.push(...real, warmUser);
  const emu = await startEmulator({ seed });
  const dispatcher = trustingAgent(emu, 16);
  const http = createHttpClient({ tls: { ca: emu.ca } });
  const { dir, cleanup } = await tempDir('partitioned-users');
  const rows: Row[] = [];
  const checks: SectionResult['checks'] = [];
  const base = () => {
    const { tokenBackend: _unused, ...rest } = accountOptions(emu, new CountingBackend(new PartitionedFileSystemTokenBackend({ folder: dir }).partition('x')));
    return { ...rest, httpClient: http };
  };
  try {
    // One unmeasured refresh first: authority discovery (once per HTTP client) and the JIT warm-up
    // of the refresh path are then in no row.
    const warmFolder = new PartitionedFileSystemTokenBackend({ folder: path.join(dir, 'warm-up') });
    await warmFolder.partition(warmUser.id).save(await buildCache(emu, [warmUser], dispatcher));
    emu.clock.advance(EXPIRE_SECONDS);
    const warmUp = new PartitionedAccounts([emu.defaults.publicClientId], { ...base(), tokenBackend: warmFolder });
    await warmUp.get(warmUser.id).connection.getAccessToken({ scopes: USER_SCOPES });
    await warmUp.close();
    for (const size of options.sizes) {
      const folder = path.join(dir, `p-${size}`);
      await mkdir(folder, { recursive: true, mode: 0o700 });
      const users = real.slice(0, Math.min(size, real.length));
      const caches: string[] = [];
      for (const user of users) caches.push(await buildCache(emu, [user], dispatcher));
      const files = users.map((user, i) => ({ file: path.join(folder, `${partitionName(user.id)}.json`), data: caches[i]! }));
      for (let i = users.length; i < size; i++) files.push({ file: path.join(folder, `${partitionName(`generated-${i}`)}.json`), data: caches[i % caches.length]! });
      await writeMany(files);
      // Written pages flushed first: the generation's writeback must not land in the measurements.
      spawnSync('sync');

      // Heap of open partition Accounts, each with its cache loaded (no refresh: tokens still valid).
      const heapStore = new PartitionedAccounts([emu.defaults.publicClientId], { ...base(), tokenBackend: new PartitionedFileSystemTokenBackend({ folder }), maxOpenAccounts: options.heapAccounts });
      const keys = Array.from({ length: Math.min(options.heapAccounts, size) }, (_, i) => (i < users.length ? users[i]!.id : `generated-${i}`));
      const heapBefore = heapUsed();
      for (const key of keys) await heapStore.get(key).isAuthenticated();
      // Fewer open Accounts than asked (a small folder) is too few to divide the noise by.
      const heapPerAccount = keys.length === options.heapAccounts ? (heapUsed() - heapBefore) / keys.length : Number.NaN;
      await heapStore.close();

      emu.clock.advance(EXPIRE_SECONDS);
      // fresh: each of the first half of the users on a new PartitionedAccounts (counted on the first).
      const half = Math.max(1, Math.floor(users.length / 2));
      const freshTimes: number[] = [];
      let tokenRequests = 0;
      let loads = 0;
      let saves = 0;
      for (const [i, user] of users.slice(0, half).entries()) {
        const counting = new CountingPartitions(new PartitionedFileSystemTokenBackend({ folder }));
        const accounts = new PartitionedAccounts([emu.defaults.publicClientId], { ...base(), tokenBackend: counting });
        const before = emu.requests().length;
        freshTimes.push((await timed(() => accounts.get(user.id).connection.getAccessToken({ scopes: USER_SCOPES }))).ms);
        if (i === 0) {
          tokenRequests = emu.requests().slice(before).filter((r) => r.grantType !== undefined).length;
          ({ loads, saves } = counting);
        }
        await accounts.close();
      }
      // warm: the other half on one PartitionedAccounts that has served a call already.
      const accounts = new PartitionedAccounts([emu.defaults.publicClientId], { ...base(), tokenBackend: new PartitionedFileSystemTokenBackend({ folder }) });
      await accounts.get(users[0]!.id).connection.getAccessToken({ scopes: USER_SCOPES });
      const warm: number[] = [];
      for (const user of users.slice(half)) warm.push((await timed(() => accounts.get(user.id).connection.getAccessToken({ scopes: USER_SCOPES }))).ms);
      await accounts.close();
      const fresh = { ms: median(freshTimes) };
      rows.push({ partitions: size, fresh: fresh.ms, warm: warm.length > 0 ? median(warm) : Number.NaN, heapPerAccount, tokenRequests, loads, saves });
      checks.push({
        claim: `refresh of one user among ${size} partitions: one token request, two reads and one save of that partition only`,
        ok: tokenRequests === 1 && loads === 2 && saves === 1,
        detail: `${tokenRequests} token request(s), ${loads} load(s), ${saves} save(s)`,
      });
    }
  } finally {
    await http.close();
    await dispatcher.close();
    await emu.stop();
    await cleanup();
  }
  const first = rows[0]!;
  const heapBase = rows.find((r) => Number.isFinite(r.heapPerAccount));
  return {
    title: 'Many users, one partition each (PartitionedAccounts + PartitionedFileSystemTokenBackend): refresh of one expired user token (ms) and heap per open partition Account',
    table: table(
      ['partitions', 'fresh PartitionedAccounts', 'warm (median)', 'fresh vs 1 partition', 'heap per Account (KiB)', 'heap vs 1 partition'],
      rows.map((r) => [
        r.partitions.toLocaleString('en-US'),
        fmtMs(r.fresh),
        fmtMs(r.warm),
        fmtRatio(r.fresh / first.fresh),
        Number.isFinite(r.heapPerAccount) ? (r.heapPerAccount / 1024).toFixed(1) : '-',
        Number.isFinite(r.heapPerAccount) && heapBase ? fmtRatio(r.heapPerAccount / heapBase.heapPerAccount) : '-',
      ]),
    ),
    notes: [
      `fresh = first call on a new PartitionedAccounts (median over half of the ${options.realUsers} signed-in users, one instance each): opens the partition's Account, reads its file, refreshes, saves it under its lock file`,
      'warm = the other half refreshed on one PartitionedAccounts that has served a call already (median)',
      `heap = heapUsed growth over ${options.heapAccounts} open partition Accounts with their caches loaded, divided by their number (- where the folder holds fewer partitions)${(globalThis as { gc?: unknown }).gc ? ' (after gc)' : ' (no --expose-gc: noisy)'}`,
      'the other partitions are copies of the real users\u2019 caches, written as files: they exist in the folder and are never read',
    ],
    checks,
  };
}
