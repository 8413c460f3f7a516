// Shared pieces of the core benchmarks: a counting token backend, the baseline's file cache
// plugin for raw msal-node, raw msal-node apps configured for the emulator, request counting
// from the emulator's log, and bounded timing loops.
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  ConfidentialClientApplication,
  PublicClientApplication,
  type ICachePlugin,
  type INetworkModule,
  type NetworkRequestOptions,
  type NetworkResponse,
  type TokenCacheContext,
} from '@azure/msal-node';
import type { Emulator, RecordedRequest } from '@o365/emulator';
import { Agent, fetch, type Dispatcher } from 'undici';
import { MSGraphProtocol, type AccountOptions, type LockOptions, type ReleaseLock, type SaveOptions, type StoredToken, type TokenBackend } from '../src/index.js';

/** Graph's resource URI: the prefix core puts on scopes, used as is for raw msal-node. */
export const GRAPH = 'https://graph.microsoft.com';
export const USER_SCOPES = [`${GRAPH}/User.Read`];
export const APP_SCOPES = [`${GRAPH}/.default`];

/** A TokenBackend that counts what the library does with the backend it wraps. */
export class CountingBackend implements TokenBackend {
  loads = 0;
  saves = 0;
  locks = 0;
  constructor(readonly inner: TokenBackend & { location?: string }) {}

  /** Where the wrapped backend stores (core puts it in messages). */
  get location(): string | undefined {
    return this.inner.location;
  }

  load(): Promise<StoredToken | undefined> {
    this.loads++;
    return this.inner.load();
  }

  save(data: string, options?: SaveOptions): Promise<{ version?: string }> {
    this.saves++;
    return this.inner.save(data, options);
  }

  delete(): Promise<void> {
    return this.inner.delete();
  }

  lock(options?: LockOptions): Promise<ReleaseLock> {
    this.locks++;
    if (typeof this.inner.lock !== 'function') return Promise.resolve(async () => undefined);
    return this.inner.lock(options);
  }

  reset(): void {
    this.loads = 0;
    this.saves = 0;
    this.locks = 0;
  }
}

/**
 * The file cache plugin of msal-node's documentation (read the file before each cache access,
 * write it after a change), with an atomic write (temp file + rename) so that concurrent calls
 * never read a half-written file. Counts reads and writes.
 */
export class FileCachePlugin implements ICachePlugin {
  reads = 0;
  writes = 0;
  constructor(readonly file: string) {}

  async beforeCacheAccess(context: TokenCacheContext): Promise<void> {
    this.reads++;
    let data: string;
    try {
      data = await readFile(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw error;
    }
    context.tokenCache.deserialize(data);
  }

  async afterCacheAccess(context: TokenCacheContext): Promise<void> {
    if (!context.cacheHasChanged) return;
    this.writes++;
    const temp = `${this.file}.${randomUUID()}.tmp`;
    await writeFile(temp, context.tokenCache.serialize(), { mode: 0o600 });
    await rename(temp, this.file);
  }

  reset(): void {
    this.reads = 0;
    this.writes = 0;
  }
}

/**
 * A dispatcher that trusts the emulator's CA (what the emulator's own msal-node tests use).
 * `connections` caps sockets per origin (default: no cap, like Node's https agent).
 */
export function trustingAgent(emu: Emulator, connections?: number): Agent {
  return new Agent({ connect: { ca: emu.ca }, keepAliveTimeout: 1000, ...(connections ? { connections } : {}) });
}

/** Settles every promise; the values of those that resolved and how many rejected (with one reason). */
export async function settleAll<T>(promises: Promise<T>[]): Promise<{ values: T[]; failed: number; firstError?: string }> {
  const results = await Promise.allSettled(promises);
  const values: T[] = [];
  let failed = 0;
  let firstError: string | undefined;
  for (const r of results) {
    if (r.status === 'fulfilled') {
      values.push(r.value);
    } else {
      failed++;
      firstError ??= r.reason instanceof Error ? `${r.reason.name}: ${r.reason.message}` : String(r.reason);
    }
  }
  return { values, failed, ...(firstError !== undefined ? { firstError } : {}) };
}

/** msal-node's `system.networkClient` over undici, trusting the emulator's CA. */
export function msalNetworkClient(dispatcher: Dispatcher): INetworkModule {
  async function send<T>(url: string, method: 'GET' | 'POST', options?: NetworkRequestOptions): Promise<NetworkResponse<T>> {
    const res = await fetch(url, { method, headers: options?.headers, body: options?.body, dispatcher });
    const headers: Record<string, string> = {};
    res.headers.forEach((value, key) => {
      headers[key] = value;
    });
    const text = await res.text();
    return { headers, body: (text ? JSON.parse(text) : {}) as T, status: res.status };
  }
  return {
    sendGetRequestAsync: (url, options) => send(url, 'GET', options),
    sendPostRequestAsync: (url, options) => send(url, 'POST', options),
  };
}

/** Raw msal-node against the emulator: only authority, knownAuthorities and the network client change. */
export function rawPublicApp(emu: Emulator, dispatcher: Dispatcher, cachePlugin?: ICachePlugin): PublicClientApplication {
  return new PublicClientApplication({
    auth: {
      clientId: emu.defaults.publicClientId,
      authority: `${emu.authorityHost}/${emu.defaults.tenantId}`,
      knownAuthorities: [new URL(emu.url).host],
    },
    ...(cachePlugin ? { cache: { cachePlugin } } : {}),
    system: { networkClient: msalNetworkClient(dispatcher) },
  });
}

export function rawConfidentialApp(emu: Emulator, dispatcher: Dispatcher, cachePlugin?: ICachePlugin): ConfidentialClientApplication {
  return new ConfidentialClientApplication({
    auth: {
      clientId: emu.defaults.clientId,
      clientSecret: emu.defaults.clientSecret,
      authority: `${emu.authorityHost}/${emu.defaults.tenantId}`,
      knownAuthorities: [new URL(emu.url).host],
    },
    ...(cachePlugin ? { cache: { cachePlugin } } : {}),
    system: { networkClient: msalNetworkClient(dispatcher) },
  });
}

/** Account options as core defines them, pointed at the emulator and its clock. */
export function accountOptions(emu: Emulator, tokenBackend: TokenBackend): AccountOptions {
  return {
    tenantId: emu.defaults.tenantId,
    authorityHost: emu.authorityHost,
    protocol: new MSGraphProtocol({ graphUrl: emu.graphUrl }),
    tls: { ca: emu.ca },
    clock: { now: () => emu.clock.now() },
    tokenBackend,
  };
}

/** What the emulator received, by kind. */
export interface RequestCounts {
  /** OpenID configuration, instance discovery, keys. */
  metadata: number;
  /** Token endpoint POSTs (any grant). */
  token: number;
  /** Token endpoint POSTs by grant type. */
  grants: Record<string, number>;
  /** Anything else (Graph, pages). */
  other: number;
}

export function countRequests(requests: RecordedRequest[]): RequestCounts {
  const counts: RequestCounts = { metadata: 0, token: 0, grants: {}, other: 0 };
  for (const r of requests) {
    if (/\/\.well-known\/openid-configuration$|\/discovery\//.test(r.path)) {
      counts.metadata++;
    } else if (r.path.endsWith('/oauth2/v2.0/token')) {
      counts.token++;
      const grant = r.grantType ?? '?';
      counts.grants[grant] = (counts.grants[grant] ?? 0) + 1;
    } else {
      counts.other++;
    }
  }
  return counts;
}

/** A fresh temporary directory, removed by `cleanup`. */
export async function tempDir(prefix: string): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(tmpdir(), `o365-bench-${prefix}-`));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** Rejects if `promise` takes longer than `ms` (a benchmark must never hang the run). */
export async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Times one async operation, ms. */
export async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const start = performance.now();
  const value = await fn();
  return { ms: performance.now() - start, value };
}

const MAX_CALLS_PER_ROUND = 5_000_000;

/**
 * Calls `fn` one after the other for about `durationMs` (checked every 32 calls, capped at a
 * fixed number of calls so the loop is bounded). Returns calls and elapsed ms.
 */
export async function sequentialRate(fn: () => Promise<unknown>, durationMs: number): Promise<{ calls: number; ms: number }> {
  const start = performance.now();
  let calls = 0;
  let now = start;
  while (calls < MAX_CALLS_PER_ROUND) {
    for (let i = 0; i < 32; i++) await fn();
    calls += 32;
    now = performance.now();
    if (now - start >= durationMs) break;
  }
  return { calls, ms: now - start };
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** `12 345` style integers, for readable tables. */
export function fmtInt(n: number): string {
  return Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : 'n/a';
}

export function fmtMs(ms: number): string {
  return Number.isFinite(ms) ? (ms >= 100 ? ms.toFixed(0) : ms.toFixed(1)) : 'n/a';
}

export function fmtRatio(r: number): string {
  if (!Number.isFinite(r)) return 'n/a';
  return r >= 100 ? `${r.toFixed(0)}x` : r >= 10 ? `${r.toFixed(1)}x` : `${r.toFixed(2)}x`;
}

/**
 * A plain-text table with a header row, columns padded to their widest cell. `textColumns`
 * leading columns are left-aligned, the rest (numbers) right-aligned.
 */
export function table(header: string[], rows: string[][], textColumns = 1): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i < textColumns ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** A section's result: a title, a table, notes, and whether its claims held. */
export interface SectionResult {
  title: string;
  table: string;
  notes: string[];
  /** Claims of core this section checks, each with whether the numbers show it. */
  checks: { claim: string; ok: boolean; detail: string }[];
}
