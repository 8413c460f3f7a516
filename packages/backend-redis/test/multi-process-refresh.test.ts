/**
 * The coordination the backend exists for: 8 node processes (each running the built package and
 * @o365/core's Account) share one Redis key holding a cache whose short-lived access token has
 * expired; all 8 ask for an access token at the same moment. The emulator's token endpoint must see
 * exactly ONE refresh request, and all 8 end with the same, newest cache.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { assertFreshBuild, startRefreshChild } from '@o365/backend-testkit';
import { Account, MSGraphProtocol } from '@o365/core';
import { defaultSeed, startEmulator, type Emulator, type EmulatorSeed } from '@o365/emulator';
import { RedisTokenBackend } from '../src/index.js';
import { startRedis, type RedisServer } from './redis-server.js';

const CHILDREN = 8;
const ACCESS_TOKEN_LIFETIME_S = 120;
const packageDir = join(__dirname, '..');
const CHILD = join(__dirname, 'fixtures', 'refresh-child.mjs');

let redis: RedisServer;
let emu: Emulator;
let dir: string;

function shortLivedSeed(): EmulatorSeed {
  const seed = defaultSeed();
  for (const tenant of seed.tenants) for (const app of tenant.apps) app.accessTokenLifetimeSeconds = ACCESS_TOKEN_LIFETIME_S;
  return seed;
}

beforeAll(async () => {
  assertFreshBuild(packageDir, '@o365/backend-redis');
  [redis, emu] = await Promise.all([startRedis(), startEmulator({ seed: shortLivedSeed() })]);
  dir = mkdtempSync(join(tmpdir(), 'o365-redis-mp-'));
});
afterAll(async () => {
  await Promise.all([emu?.stop(), redis?.stop()]);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const sha = (s: string): string => createHash('sha256').update(s).digest('hex');

interface ChildResult {
  accessToken: string;
  stored: string | null;
  version: string | null;
  pid: number;
}

describe(`${CHILDREN} processes on one Redis key and an expired access token`, () => {
  it('make exactly one refresh request and all end with the same, newest cache', async () => {
    const key = `mp-${process.pid}-${Date.now()}`;
    const d = emu.defaults;
    const backend = new RedisTokenBackend({ url: redis.url, key });
    const account = new Account([d.clientId, d.clientSecret], {
      authFlowType: 'password',
      tenantId: d.tenantId,
      username: d.username,
      password: d.password,
      protocol: new MSGraphProtocol({ graphUrl: emu.graphUrl }),
      authorityHost: emu.authorityHost,
      tls: { ca: emu.ca },
      clock: { now: () => emu.clock.now() },
      refreshSkewSeconds: 30,
      tokenBackend: backend,
    });
    try {
      await expect(account.authenticate({ requestedScopes: ['basic'] })).resolves.toBe(true);
      const before = await backend.load();
      expect(before).toBeDefined();
      const stored = JSON.parse(before!.data) as { AccessToken: Record<string, { expires_on: string }> };
      const expiresOn = Math.min(...Object.values(stored.AccessToken).map((t) => Number(t.expires_on)));
      expect(expiresOn * 1000 - emu.clock.now()).toBeLessThanOrEqual((ACCESS_TOKEN_LIFETIME_S + 1) * 1000); // expires_on is in whole seconds

      // The short-lived access token has expired; the refresh token is still valid.
      emu.clock.advance(ACCESS_TOKEN_LIFETIME_S + 10);
      const caFile = join(dir, 'emulator-ca.pem');
      writeFileSync(caFile, emu.ca);
      const env = {
        CHILD_REDIS_URL: redis.url,
        CHILD_KEY: key,
        CHILD_CLIENT_ID: d.clientId,
        CHILD_CLIENT_SECRET: d.clientSecret,
        CHILD_TENANT_ID: d.tenantId,
        CHILD_USERNAME: d.username,
        CHILD_GRAPH_URL: emu.graphUrl,
        CHILD_AUTHORITY_HOST: emu.authorityHost,
        CHILD_CA_FILE: caFile,
        CHILD_CLOCK_OFFSET_MS: String(emu.clock.now() - Date.now()),
      };
      const children = await Promise.all(Array.from({ length: CHILDREN }, () => startRefreshChild<ChildResult>(CHILD, { cwd: packageDir, env })));
      const since = emu.requests().length;
      // All eight are loaded and connected: release them at once.
      for (const { child } of children) child.stdin.write('go\n');
      const results = await Promise.all(children.map((c) => c.result));

      const tokenRequests = emu.requests().slice(since).filter((r) => r.path.endsWith('/oauth2/v2.0/token'));
      expect(tokenRequests.map((r) => r.grantType)).toEqual(['refresh_token']);
      expect(tokenRequests[0]!.status).toBe(200);

      const after = await backend.load();
      expect(after).toBeDefined();
      expect(after!.version).not.toBe(before!.version);
      expect(sha(after!.data)).not.toBe(sha(before!.data));
      expect(new Set(results.map((r) => r.pid)).size).toBe(CHILDREN);
      expect(new Set(results.map((r) => r.accessToken)).size).toBe(1);
      for (const r of results) {
        expect(r.stored).toBe(sha(after!.data));
        expect(r.version).toBe(after!.version);
      }
      // The lock is free again.
      expect(await redis.command(['EXISTS', backend.lockKey])).toBe(0);
    } finally {
      await account.close();
      await backend.close();
    }
  }, 90_000);
});
