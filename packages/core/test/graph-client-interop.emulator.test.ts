// Microsoft's Graph SDK (@microsoft/microsoft-graph-client) over the emulator, with an o365-ts
// Account as the TokenCredential of its TokenCredentialAuthenticationProvider: what the emulator
// README shows. Only the host (`baseUrl` + `customHosts`) and the trusted CA change.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Client } from '@microsoft/microsoft-graph-client';
import { TokenCredentialAuthenticationProvider } from '@microsoft/microsoft-graph-client/authProviders/azureTokenCredentials';
import { startEmulator, type Emulator } from '@o365/emulator';
import { Agent } from 'undici';
import { Account } from '../src/account.js';
import { MemoryTokenBackend } from '../src/backends/memory-backend.js';
import { MSGraphProtocol } from '../src/protocol.js';

describe('@microsoft/microsoft-graph-client with an Account as its credential', () => {
  let emu: Emulator;
  let agent: Agent;
  let account: Account;

  beforeAll(async () => {
    emu = await startEmulator();
    agent = new Agent({ connect: { ca: emu.ca } });
    account = new Account([emu.defaults.publicClientId], {
      authFlowType: 'password',
      tenantId: emu.defaults.tenantId,
      authorityHost: emu.authorityHost,
      protocol: new MSGraphProtocol({ graphUrl: emu.graphUrl }),
      tls: { ca: emu.ca },
      username: emu.defaults.username,
      password: emu.defaults.password,
      tokenBackend: new MemoryTokenBackend(),
    });
    await account.authenticate({ requestedScopes: ['basic', 'users'] });
  });
  afterAll(async () => {
    await account.close();
    await agent.close();
    await emu.stop();
  });

  const client = (): Client =>
    Client.initWithMiddleware({
      authProvider: new TokenCredentialAuthenticationProvider(account, { scopes: ['https://graph.microsoft.com/User.Read'] }),
      baseUrl: emu.graphUrl.replace(/\/$/, ''),
      customHosts: new Set([new URL(emu.graphUrl).hostname]),
      // Node's fetch takes an undici dispatcher: the one place the emulator's CA is trusted.
      fetchOptions: { dispatcher: agent } as unknown as RequestInit,
    });

  it('GET /me and a paged /users go through, with the token from the Account cache', async () => {
    const before = emu.requests().filter((r) => r.path.includes('/token')).length;
    const me = (await client().api('/me').get()) as { userPrincipalName: string };
    expect(me.userPrincipalName).toBe(emu.defaults.username);
    const page = (await client().api('/users').top(3).select('displayName').get()) as { value: unknown[]; '@odata.nextLink'?: string };
    expect(page.value).toHaveLength(3);
    expect(page['@odata.nextLink']).toContain(new URL(emu.graphUrl).host);
    // The token came from the Account's cache: no token request for these calls.
    expect(emu.requests().filter((r) => r.path.includes('/token')).length).toBe(before);
  });

  it('a Graph error reaches the SDK as its GraphError with the status', async () => {
    await expect(client().api('/users/nobody@contoso.onmicrosoft.com').get()).rejects.toMatchObject({ statusCode: 404 });
  });
});
