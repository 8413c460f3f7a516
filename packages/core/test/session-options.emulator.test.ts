// python-o365's remaining Account options: defaultHeaders (merged into every Graph request, Prefer
// values joined) and requestsDelay (a minimum gap between request starts). The requests go to a
// loopback HTTP server standing as Graph that records their headers; tokens come from the emulator.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Account, MemoryTokenBackend, MSGraphProtocol, type AccountOptions } from '@o365/core';
import { startEmulator, type Emulator } from '@o365/emulator';

describe('defaultHeaders and requestsDelay', () => {
  let emu: Emulator;
  let graph: Server;
  let graphUrl: string;
  const seen: IncomingHttpHeaders[] = [];
  const accounts: Account[] = [];

  async function signedIn(extra: AccountOptions): Promise<Account> {
    const account = new Account([emu.defaults.publicClientId], {
      tenantId: emu.defaults.tenantId,
      authorityHost: emu.authorityHost,
      protocol: new MSGraphProtocol({ graphUrl }),
      tls: { ca: emu.ca },
      clock: { now: () => emu.clock.now() },
      tokenBackend: new MemoryTokenBackend(),
      authFlowType: 'password',
      username: emu.defaults.username,
      password: emu.defaults.password,
      ...extra,
    });
    accounts.push(account);
    await account.authenticate({ requestedScopes: ['User.Read'] });
    return account;
  }

  beforeAll(async () => {
    emu = await startEmulator();
    graph = createServer((req, res) => {
      seen.push(req.headers);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    });
    await new Promise<void>((resolve) => graph.listen(0, '127.0.0.1', resolve));
    graphUrl = `http://127.0.0.1:${(graph.address() as AddressInfo).port}/v1.0/`;
  });

  afterAll(async () => {
    await Promise.all(accounts.map((a) => a.close()));
    await new Promise((resolve) => graph.close(resolve));
    await emu?.stop();
  });

  it('defaultHeaders go with every request; a request\u2019s own header wins, Prefer values are joined', async () => {
    const account = await signedIn({ defaultHeaders: { Prefer: 'outlook.timezone="UTC", odata.maxpagesize=10', 'X-App-Name': 'demo' } });
    seen.length = 0;
    await account.connection.getSession().fetch('me');
    await account.connection.getSession().fetch('me/messages', { headers: { Prefer: 'odata.maxpagesize=50', 'X-App-Name': 'mine' } });
    expect(seen[0]).toMatchObject({ prefer: 'outlook.timezone="UTC", odata.maxpagesize=10', 'x-app-name': 'demo' });
    expect(seen[1]).toMatchObject({ prefer: 'odata.maxpagesize=50, outlook.timezone="UTC"', 'x-app-name': 'mine' });
    expect(seen[1]!.authorization).toMatch(/^Bearer /);
    expect(() => new Account(['x'], { defaultHeaders: { Authorization: 'Bearer x' } })).toThrow(/cannot set Authorization/);
    expect(() => new Account(['x'], { defaultHeaders: { Prefer: 1 as unknown as string } })).toThrow(TypeError);
  });

  it('requestsDelay spaces request starts, also of concurrent requests, in the order they asked', async () => {
    const waits: number[] = [];
    const account = await signedIn({ requestsDelay: 10_000, sleep: async (ms) => void waits.push(ms) });
    seen.length = 0;
    await account.connection.getSession().fetch('me');
    await Promise.all([account.connection.getSession().fetch('me'), account.directory().getUser('AdeleV@contoso.onmicrosoft.com').catch(() => undefined)]);
    expect(seen).toHaveLength(3);
    // The first request starts at once; the next two take the next two 10 s slots (the injected
    // sleep returns at once, so each wait is its slot minus the few ms that really passed).
    expect(waits).toHaveLength(2);
    expect(waits[0]).toBeGreaterThan(9_000);
    expect(waits[0]).toBeLessThanOrEqual(10_000);
    expect(waits[1]).toBeGreaterThan(19_000);
    expect(waits[1]).toBeLessThanOrEqual(20_000);
    expect(() => new Account(['x'], { requestsDelay: -1 })).toThrow(/requestsDelay/);
  });
});
