// Test support (not exported): managed identity sign-ins against the emulator's endpoints.
// msal-node detects the managed identity source once per process, so each protocol runs from its
// own test file (jest gives each file a fresh module registry) with the environment set first.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { inspect } from 'node:util';
import { DEFAULT_IDS, startEmulator, type Emulator } from '@o365/emulator';
import { Account } from '../../src/account.js';
import type { AccountOptions } from '../../src/account.js';
import { AuthenticationError } from '../../src/errors.js';
import type { Logger } from '../../src/logger.js';
import { MSGraphProtocol } from '../../src/protocol.js';

const VARS = ['IDENTITY_ENDPOINT', 'IDENTITY_HEADER', 'AZURE_POD_IDENTITY_AUTHORITY_HOST'];
const TOKEN_PATHS = ['/msi/token', '/metadata/identity/oauth2/token'];

function claimsOf(jwt: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
}

export function describeManagedIdentityFlow(protocol: 'appService' | 'imds'): void {
  describe(`authFlowType 'managedIdentity' (${protocol})`, () => {
    let emu: Emulator;
    const accounts: Account[] = [];
    const logged: string[] = [];
    const logger: Logger = {
      debug: (m, d) => logged.push(m + JSON.stringify(d ?? {})),
      info: (m, d) => logged.push(m + JSON.stringify(d ?? {})),
      warn: (m, d) => logged.push(m + JSON.stringify(d ?? {})),
      error: (m, d) => logged.push(m + JSON.stringify(d ?? {})),
    };

    beforeAll(async () => {
      emu = await startEmulator();
      for (const v of VARS) delete process.env[v];
      Object.assign(process.env, emu.managedIdentityEnv(protocol));
    });

    afterAll(async () => {
      for (const a of accounts) await a.close();
      for (const v of VARS) delete process.env[v];
      await emu?.stop();
    });

    const account = (credentials: [] | [string], options: AccountOptions = {}): Account => {
      const made = new Account(credentials, {
        authFlowType: 'managedIdentity',
        protocol: new MSGraphProtocol({ graphUrl: emu.graphUrl }),
        tls: { ca: emu.ca },
        logger,
        ...options,
      });
      accounts.push(made);
      return made;
    };
    const identityRequests = (): number => emu.requests().filter((r) => TOKEN_PATHS.includes(r.path.replace(/\/$/, ''))).length;

    it('system-assigned: one endpoint request, an app-only token of that identity, Graph works, nothing stored', async () => {
      const system = account([]);
      expect(system.connection.clientId).toBe('system_assigned_managed_identity');
      const before = identityRequests();
      await expect(system.authenticate()).resolves.toBe(true);
      const token = await system.connection.getAccessToken();
      expect(await system.connection.getAccessToken()).toBe(token);
      expect(identityRequests()).toBe(before + 1);
      expect(claimsOf(token)).toMatchObject({
        oid: DEFAULT_IDS.systemIdentityObjectId,
        appid: DEFAULT_IDS.systemIdentityClientId,
        idtyp: 'app',
        aud: 'https://graph.microsoft.com',
      });
      const names: string[] = [];
      for await (const user of system.directory().getUsers({ limit: 3 })) names.push(user.userPrincipalName ?? '');
      expect(names).toHaveLength(3);
      expect(await system.connection.tokenBackend.load()).toBeUndefined();
    });

    it.each([
      ['[clientId]', [DEFAULT_IDS.userIdentityClientId] as [string], {}],
      ['{ resourceId }', [] as [], { managedIdentity: { resourceId: DEFAULT_IDS.userIdentityResourceId } }],
      ['{ objectId }', [] as [], { managedIdentity: { objectId: DEFAULT_IDS.userIdentityObjectId } }],
    ])('user-assigned by %s gets that identity’s token', async (_name, credentials, options) => {
      const token = await account(credentials, options).connection.getAccessToken();
      expect(claimsOf(token)).toMatchObject({ oid: DEFAULT_IDS.userIdentityObjectId, appid: DEFAULT_IDS.userIdentityClientId });
    });

    it('a due token is replaced by one endpoint request for 50 concurrent calls (msal-node’s copy skipped); refreshToken() forces one', async () => {
      let shiftMs = 0;
      const due = account([DEFAULT_IDS.userIdentityClientId], { clock: { now: () => Date.now() + shiftMs } });
      // The first token may come from msal-node's per-process copy: no count is asserted for it.
      const first = await due.connection.getAccessToken();
      shiftMs = 86_399_000 - 120_000; // two minutes before the 24-hour token expires: inside the 300 s refresh skew
      const before = identityRequests();
      const tokens = await Promise.all(Array.from({ length: 50 }, () => due.connection.getAccessToken()));
      expect(new Set(tokens).size).toBe(1);
      expect(tokens[0] === first).toBe(false); // (no token in a failure message)
      expect(identityRequests()).toBe(before + 1);
      await due.connection.getAccessToken();
      expect(identityRequests()).toBe(before + 1);
      await due.connection.refreshToken();
      expect(identityRequests()).toBe(before + 2);
    });

    it('throttling (429 with Retry-After, in the endpoint\u2019s own shape) is retried and the token still comes', async () => {
      const throttled = account([]);
      await throttled.connection.refreshToken();
      const path = protocol === 'imds' ? '/metadata/identity/oauth2/token' : '/msi/token';
      emu.clearRequests();
      emu.faults.add({ path: new RegExp(`${path.replace(/\//g, '\\/')}\\/?$`), kind: 'status', status: 429, retryAfter: 1, count: 1 });
      await throttled.connection.refreshToken();
      const answers = emu.requests().filter((r) => TOKEN_PATHS.includes(r.path.replace(/\/$/, '')));
      expect(answers.map((r) => r.status)).toEqual([429, 200]);
      emu.faults.clear();
    }, 60_000);

    it('an unknown identity fails with AuthenticationError carrying the endpoint answer and what to check', async () => {
      const unknown = account(['0e0e0e0e-0000-4000-8000-00000000dead']);
      const error = await unknown.connection.getAccessToken().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AuthenticationError);
      expect((error as AuthenticationError).message).toMatch(/Identity not found/);
      expect((error as AuthenticationError).message).toMatch(/managed identity is assigned/);
    });

    it('the App Service header secret appears in no message, log or inspect output', () => {
      const secret = process.env['IDENTITY_HEADER'];
      const text = [inspect(accounts, { depth: 6 }), String(accounts[0]), ...logged].join('\n');
      expect(logged.length).toBeGreaterThan(0);
      if (secret !== undefined) expect(text).not.toContain(secret);
      else expect(protocol).toBe('imds');
    });
  });
}

export function describeManagedIdentityArguments(): void {
  describe("authFlowType 'managedIdentity' arguments", () => {
    it.each([
      ['a secret', ['id', 'secret'], {}, /takes no secret/],
      ['a token backend', [], { tokenBackend: { load: async () => undefined, save: async () => ({}), delete: async () => undefined } }, /in memory only/],
      ['two different ids', ['a'], { managedIdentity: { clientId: 'b' } }, /name the managed identity once/],
      ['two ids in the option', [], { managedIdentity: { clientId: 'a', objectId: 'b' } }, /exactly one/],
      ['an empty id', [], { managedIdentity: { resourceId: ' ' } }, /managedIdentity.resourceId must be a non-empty string/],
    ])('refuses %s with a TypeError naming it', (_name, credentials, options, message) => {
      expect(() => new Account(credentials as [], { authFlowType: 'managedIdentity', ...(options as AccountOptions) })).toThrow(message);
    });

    it('refuses the managedIdentity option on another flow', () => {
      expect(() => new Account(['id'], { authFlowType: 'device', managedIdentity: { clientId: 'x' } })).toThrow(/needs authFlowType: 'managedIdentity'/);
    });
  });
}
