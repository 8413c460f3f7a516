// authFlowType 'external': an Account over an access token obtained elsewhere (python-o365 #983,
// #987). Used as given against Graph; never refreshed; expiry and refusal are clear errors.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Account, InvalidArgumentError, MemoryTokenBackend, MSGraphProtocol, TokenExpiredError, type AccountOptions } from '@o365/core';
import { startEmulator, type Emulator } from '@o365/emulator';

describe("authFlowType 'external' (a token obtained elsewhere)", () => {
  let emu: Emulator;
  let issuer: Account;
  const accounts: Account[] = [];
  const options = (extra: AccountOptions = {}): AccountOptions => ({
    tenantId: emu.defaults.tenantId,
    authorityHost: emu.authorityHost,
    protocol: new MSGraphProtocol({ graphUrl: emu.graphUrl }),
    tls: { ca: emu.ca },
    clock: { now: () => emu.clock.now() },
    ...extra,
  });
  const track = (account: Account): Account => {
    accounts.push(account);
    return account;
  };
  /** "Another library": an ordinary sign-in whose token the external Account is handed. */
  const elsewhere = async (): Promise<string> => issuer.connection.getAccessToken({ scopes: ['https://graph.microsoft.com/User.Read'] });

  beforeAll(async () => {
    emu = await startEmulator();
    issuer = track(
      new Account([emu.defaults.publicClientId], {
        ...options({ tokenBackend: new MemoryTokenBackend() }),
        authFlowType: 'password',
        username: emu.defaults.username,
        password: emu.defaults.password,
      }),
    );
    await issuer.authenticate({ requestedScopes: ['User.Read'] });
  });

  afterAll(async () => {
    await Promise.all(accounts.map((a) => a.close()));
    await emu?.stop();
  });

  it('a token string: Graph calls carry it, no token request, nothing stored', async () => {
    const token = await elsewhere();
    const account = track(new Account([], { ...options(), authFlowType: 'external', accessToken: token }));
    emu.clearRequests();
    expect(await account.authenticate()).toBe(true);
    expect(await account.connection.getAccessToken()).toBe(token);
    const me = await account.getCurrentUser();
    expect(me.userPrincipalName?.toLowerCase()).toBe(emu.defaults.username.toLowerCase());
    expect(emu.requests().filter((r) => r.grantType !== undefined)).toHaveLength(0);
  });

  it('an expired token string is TokenExpiredError (not refreshed), and isAuthenticated() is false', async () => {
    const token = await elsewhere();
    const account = track(new Account([], { ...options(), authFlowType: 'external', accessToken: token }));
    emu.clock.advance(3_700);
    await expect(account.connection.getAccessToken()).rejects.toBeInstanceOf(TokenExpiredError);
    await expect(account.connection.getAccessToken()).rejects.toThrow(/does not refresh a token obtained elsewhere/);
    expect(await account.isAuthenticated()).toBe(false);
  });

  it('a function: asked again after Graph refused a token (here a CAE revocation); handing back the same token is TokenExpiredError', async () => {
    const capable = track(
      new Account([emu.defaults.publicClientId], {
        ...options({ tokenBackend: new MemoryTokenBackend() }),
        authFlowType: 'password',
        username: emu.defaults.username,
        password: emu.defaults.password,
        clientCapabilities: ['cp1'],
      }),
    );
    await capable.authenticate({ requestedScopes: ['User.Read'] });
    let current = await capable.connection.getAccessToken();
    const asked: string[] = [];
    const account = track(
      new Account([], {
        ...options(),
        authFlowType: 'external',
        accessToken: async ({ refused }) => {
          asked.push(refused === undefined ? 'first' : 'refused');
          if (refused !== undefined) current = await capable.connection.getAccessToken({ claims: '{"access_token":{"nbf":{"essential":true,"value":"1"}}}' });
          return current;
        },
      }),
    );
    expect((await account.connection.getSession().fetch('me')).status).toBe(200);
    emu.clock.advance(60);
    emu.raiseCaeEvent(emu.defaults.username);
    emu.clock.advance(1);
    expect((await account.connection.getSession().fetch('me')).status).toBe(200);
    expect(asked).toEqual(['first', 'first', 'refused']);

    const before = current;
    emu.clock.advance(60);
    emu.raiseCaeEvent(emu.defaults.username);
    const stuck = track(new Account([], { ...options(), authFlowType: 'external', accessToken: () => before }));
    await expect(stuck.connection.getSession().fetch('me')).rejects.toBeInstanceOf(TokenExpiredError);
  });

  it('misuse is refused at construction', () => {
    expect(() => new Account([], { authFlowType: 'external' })).toThrow(InvalidArgumentError);
    expect(() => new Account([], { authFlowType: 'external', accessToken: 'x.y.z', tokenBackend: new MemoryTokenBackend() })).toThrow(/in memory only/);
    expect(() => new Account(['client-id'], { accessToken: 'x.y.z' })).toThrow(/needs authFlowType: 'external'/);
  });
});
