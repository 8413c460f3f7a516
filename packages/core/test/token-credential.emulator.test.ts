import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { TokenCredential as AzureTokenCredential } from '@azure/core-auth';
import { startEmulator, type Emulator } from '@o365/emulator';
import { Account } from '../src/account.js';
import { MemoryTokenBackend } from '../src/backends/memory-backend.js';
import type { Connection } from '../src/connection.js';
import { MSGraphProtocol } from '../src/protocol.js';

// Compile-time: Account and Connection are @azure/core-auth TokenCredentials (checked by `tsc --noEmit`).
const asAzureCredential = (value: Account | Connection): AzureTokenCredential => value;

describe('TokenCredential (@azure/core-auth)', () => {
  let emu: Emulator;
  let account: Account;

  beforeAll(async () => {
    emu = await startEmulator();
    account = new Account([emu.defaults.clientId, emu.defaults.clientSecret], {
      authFlowType: 'credentials',
      tenantId: emu.defaults.tenantId,
      authorityHost: emu.authorityHost,
      protocol: new MSGraphProtocol({ graphUrl: emu.graphUrl }),
      tls: { ca: emu.ca },
      clock: { now: () => emu.clock.now() },
      tokenBackend: new MemoryTokenBackend(),
    });
  });

  afterAll(async () => {
    await account?.close();
    await emu?.stop();
  });

  it('getToken returns { token, expiresOnTimestamp } and serves repeated calls from memory', async () => {
    const credential = asAzureCredential(account);
    const before = emu.requests().filter((r) => r.grantType === 'client_credentials').length;
    const first = await credential.getToken('https://graph.microsoft.com/.default');
    expect(first).not.toBeNull();
    expect(first!.token.split('.')).toHaveLength(3);
    expect(first!.expiresOnTimestamp).toBeGreaterThan(emu.clock.now() + 30 * 60_000);
    const again = await asAzureCredential(account.connection).getToken(['https://graph.microsoft.com/.default']);
    expect(again!.token).toBe(first!.token);
    expect(emu.requests().filter((r) => r.grantType === 'client_credentials').length).toBe(before + 1);

    // The token works against Graph as a bearer token.
    const res = await account.connection.httpClient.fetch(`${emu.graphUrl}v1.0/users?$top=1`, {
      headers: { authorization: `Bearer ${first!.token}` },
    });
    expect(res.status).toBe(200);
    await res.text();
  });

  it('an aborted signal rejects before any request', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(account.getToken('https://graph.microsoft.com/.default', { abortSignal: controller.signal })).rejects.toThrow(/aborted/);
  });
});
