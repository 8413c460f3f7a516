// --token-store: a profile whose tokens live in Redis (a real redis-server on loopback, through
// @o365/backend-redis), not in the config directory; and the values it refuses.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { startEmulator, type Emulator } from '@o365/emulator';
// The Redis test server lives once, with the Redis backend's tests.
import { rawCommand, startRedis, type RedisServer } from '../../backend-redis/test/redis-server.js';
import { cliWorkspace, runCli, type CliResult } from './cli-harness.js';

let emu: Emulator;
let redis: RedisServer;
let ws: Awaited<ReturnType<typeof cliWorkspace>>;

const o365 = (args: string[]): Promise<CliResult> =>
  runCli(['--config-dir', ws.configDir, ...args], { env: { USER_PASSWORD: emu.defaults.password } });
const keys = async (): Promise<string[]> => ((await rawCommand(redis.url, ['KEYS', '*'])) as string[]).sort();

beforeAll(async () => {
  [emu, redis] = await Promise.all([startEmulator(), startRedis()]);
  ws = await cliWorkspace(emu);
}, 60_000);

afterAll(async () => {
  await ws?.cleanup();
  await Promise.all([emu?.stop(), redis?.stop()]);
});

describe('--token-store redis://', () => {
  it('login keeps the tokens in Redis (none in the config directory); whoami and status read them there; logout removes them', async () => {
    const login = await o365([
      'login', '--flow', 'password', '--profile', 'shared', '--client-id', emu.defaults.publicClientId,
      '--username', emu.defaults.username, '--password-env', 'USER_PASSWORD', '--token-store', redis.url, ...ws.target,
    ]);
    expect(login.code).toBe(0);
    expect(await keys()).toEqual(['o365:cli:{shared}:data']);
    expect(await readdir(join(ws.configDir, 'tokens')).catch(() => [])).toEqual([]);

    const who = await o365(['whoami', '--profile', 'shared', '--json']);
    expect(who.code).toBe(0);
    expect(JSON.parse(who.stdout)).toMatchObject({ user: { userPrincipalName: emu.defaults.username } });
    const status = await o365(['status', '--json']);
    expect(JSON.parse(status.stdout)).toMatchObject([{ profile: 'shared', refreshToken: true, accessTokenValid: true, tokenStore: redis.url }]);

    const logout = await o365(['logout', '--profile', 'shared']);
    expect(logout.code).toBe(0);
    expect(await keys()).toEqual([]);
  }, 60_000);

  it('refuses a store with credentials in it, or one it does not know (usage, exit 2), storing nothing', async () => {
    const base = ['login', '--flow', 'password', '--client-id', emu.defaults.publicClientId, '--username', emu.defaults.username, '--password-env', 'USER_PASSWORD', ...ws.target];
    const withPassword = await o365([...base, '--token-store', 'redis://:hunter2-pass@127.0.0.1:6379']);
    expect(withPassword.code).toBe(2);
    expect(withPassword.stderr).toMatch(/must not hold credentials/);
    expect(withPassword.stderr).not.toContain('hunter2-pass');
    const unknown = await o365([...base, '--token-store', 'ftp://example.com/tokens']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/not supported/);
    expect(await readdir(join(ws.configDir, 'profiles')).catch(() => [])).not.toContain('default.json');
  });
});
