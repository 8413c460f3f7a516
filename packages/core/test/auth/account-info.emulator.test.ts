// accountInfoOf replaces msal-node's getAllAccounts() on the refresh path: it must give msal-node
// the very AccountInfo msal-node lists itself, on caches msal-node wrote.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { PublicClientApplication, type AccountInfo } from '@azure/msal-node';
import { defaultSeed, startEmulator, type Emulator } from '@o365/emulator';
import { Account } from '../../src/account.js';
import { MemoryTokenBackend } from '../../src/backends/memory-backend.js';
import { MSGraphProtocol } from '../../src/protocol.js';
import { accountInfoOf } from '../../src/auth/account-info.js';
import { createHttpClient } from '../../src/http/http-client.js';
import { discoverAuthorityMetadata } from '../../src/auth/authority.js';
import type { CacheJson } from '../../src/auth/cache-format.js';

describe('accountInfoOf', () => {
  let emu: Emulator;
  const backend = new MemoryTokenBackend();
  const accounts: Account[] = [];

  beforeAll(async () => {
    const seed = defaultSeed();
    emu = await startEmulator({ seed });
    const users = seed.tenants[0]!.users.filter((u) => !u.mfaRequired).slice(0, 3);
    expect(users.length).toBe(3);
    for (const user of users) {
      const account = new Account([emu.defaults.publicClientId], {
        authFlowType: 'password',
        username: user.userPrincipalName,
        password: user.password,
        tenantId: emu.defaults.tenantId,
        authorityHost: emu.authorityHost,
        protocol: new MSGraphProtocol({ graphUrl: emu.graphUrl }),
        tls: { ca: emu.ca },
        clock: { now: () => emu.clock.now() },
        tokenBackend: backend,
      });
      accounts.push(account);
      expect(await account.authenticate({ requestedScopes: ['User.Read'] })).toBe(true);
    }
  });

  afterAll(async () => {
    await Promise.all(accounts.map((a) => a.close()));
    await emu?.stop();
  });

  const msalAccounts = async (data: string, clientId: string): Promise<AccountInfo[]> => {
    // Configured as AuthEngine configures msal-node, so msal matches the emulator's environment.
    const authority = `${emu.authorityHost}/${emu.defaults.tenantId}`;
    const authorityMetadata = await discoverAuthorityMetadata(authority, createHttpClient({ tls: { ca: emu.ca } }), 'account-info-test');
    const app = new PublicClientApplication({
      auth: { clientId, authority, knownAuthorities: [new URL(authority).host], authorityMetadata },
    });
    app.getTokenCache().deserialize(data);
    return app.getTokenCache().getAllAccounts();
  };

  it('equals the first AccountInfo msal-node lists for each account', async () => {
    const data = (await backend.load())!.data;
    const listed = await msalAccounts(data, emu.defaults.publicClientId);
    expect(listed.length).toBe(3);
    const cache = JSON.parse(data) as CacheJson;
    for (const info of listed) {
      const first = listed.find((a) => a.homeAccountId === info.homeAccountId)!;
      const ours = accountInfoOf(cache, info.homeAccountId, emu.defaults.publicClientId);
      expect(ours).toEqual(first);
      expect(ours?.idTokenClaims).toBeDefined();
    }
    expect(accountInfoOf(cache, 'no-such-account.tenant', emu.defaults.publicClientId)).toBeUndefined();
  });

  it('equals msal-node without ID tokens, and for another client id', async () => {
    const cache = JSON.parse((await backend.load())!.data) as CacheJson;
    delete cache['IdToken'];
    const data = JSON.stringify(cache);
    for (const clientId of [emu.defaults.publicClientId, '11111111-2222-3333-4444-555555555555']) {
      const listed = await msalAccounts(data, clientId);
      for (const info of listed) expect(accountInfoOf(cache, info.homeAccountId, clientId)).toEqual(info);
    }
  });
});
