// On-behalf-of: a web API (the default seed's, confidential) receives its caller's token and calls
// Graph as that user through core, against the emulator.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  Account,
  InteractionRequiredError,
  InvalidArgumentError,
  InvalidUserAssertionError,
  MemoryTokenBackend,
  MSGraphProtocol,
  type AccountOptions,
} from '@o365/core';
import { DEFAULT_IDS, startEmulator, type Emulator } from '@o365/emulator';
import { seedWithUsers, tokenClaims } from './support/many-users-seed.js';

const UNCONSENTED_API_ID = 'd4d4d4d4-0000-4000-8000-000000000004';

describe('on-behalf-of', () => {
  let emu: Emulator;
  const accounts: Account[] = [];
  const oboRequests = (): number => emu.requests().filter((r) => r.grantType === 'urn:ietf:params:oauth:grant-type:jwt-bearer').length;
  const options = (extra: AccountOptions = {}): AccountOptions => ({
    tenantId: emu.defaults.tenantId,
    authorityHost: emu.authorityHost,
    protocol: new MSGraphProtocol({ graphUrl: emu.graphUrl }),
    tls: { ca: emu.ca },
    clock: { now: () => emu.clock.now() },
    tokenBackend: new MemoryTokenBackend(),
    ...extra,
  });
  const track = (account: Account): Account => {
    accounts.push(account);
    return account;
  };
  /** What a client app sends to the web API: a user token for `api://{webApiClientId}/access_as_user`. */
  async function callerToken(username: string, password: string, api: string = DEFAULT_IDS.webApiClientId): Promise<string> {
    const client = track(new Account([emu.defaults.publicClientId], { ...options(), authFlowType: 'password', username, password }));
    expect(await client.authenticate({ requestedScopes: [`api://${api}/access_as_user`] })).toBe(true);
    return client.connection.getAccessToken({ scopes: [`api://${api}/access_as_user`] });
  }
  const webApi = (backend = new MemoryTokenBackend(), id: string = DEFAULT_IDS.webApiClientId, secret: string = DEFAULT_IDS.webApiClientSecret): Account =>
    track(new Account([id, secret], { ...options({ tokenBackend: backend }), authFlowType: 'credentials' }));

  beforeAll(async () => {
    const { seed } = seedWithUsers(10);
    const apps = seed.tenants[0]!.apps;
    apps.push({ clientId: UNCONSENTED_API_ID, displayName: 'unconsented API', secrets: ['unconsented-secret'], api: { scopes: ['access_as_user'] } });
    apps.find((a) => a.clientId === DEFAULT_IDS.publicClientId)!.delegatedConsents!.push({ scopes: [`api://${UNCONSENTED_API_ID}/access_as_user`], users: '*' });
    emu = await startEmulator({ seed });
  }, 60_000);

  afterAll(async () => {
    await Promise.all(accounts.map((a) => a.close()));
    await emu?.stop();
  });

  it("a Graph token for the caller's user; served from memory afterwards; concurrent requests share one exchange", async () => {
    const caller = await callerToken(emu.defaults.username, emu.defaults.password);
    const api = webApi();
    emu.clearRequests();
    const tokens = await Promise.all(Array.from({ length: 10 }, () => api.connection.acquireOnBehalfOf(caller, ['User.Read'])));
    expect(new Set(tokens).size).toBe(1);
    expect(tokenClaims(tokens[0]!)).toMatchObject({ oid: tokenClaims(caller).oid });
    expect(await api.connection.acquireOnBehalfOf(caller, ['User.Read'])).toBe(tokens[0]);
    expect(oboRequests()).toBe(1);
  });

  it('each caller gets their own user (20 interleaved calls over 5 users), and the Graph session calls /me as them', async () => {
    const seeded = seedWithUsers(10).users.slice(0, 5);
    const callers = await Promise.all(seeded.map((u) => callerToken(u.userPrincipalName, u.password)));
    const api = webApi();
    const order = Array.from({ length: 20 }, (_, i) => i % callers.length);
    const results = await Promise.all(order.map((i) => api.connection.onBehalfOf(callers[i]!).getAccessToken()));
    results.forEach((token, n) => expect(tokenClaims(token).oid).toBe(seeded[order[n]!]!.id));
    const me = await (await api.connection.onBehalfOf(callers[2]!).getSession().fetch('me')).json() as { id: string };
    expect(me.id).toBe(seeded[2]!.id);
  });

  it("the tokens are saved through the backend: a new instance of the web API uses msal-node's cached token", async () => {
    const caller = await callerToken(emu.defaults.username, emu.defaults.password);
    const backend = new MemoryTokenBackend();
    const first = await webApi(backend).connection.acquireOnBehalfOf(caller);
    expect((await backend.load())?.data).toContain('"userAssertionHash"');
    emu.clearRequests();
    expect(await webApi(backend).connection.acquireOnBehalfOf(caller)).toBe(first);
    expect(oboRequests()).toBe(0);
  });

  it('a due token is exchanged again', async () => {
    const caller = await callerToken(emu.defaults.username, emu.defaults.password);
    const api = webApi();
    const first = await api.connection.acquireOnBehalfOf(caller);
    emu.clock.advance(3_400);
    emu.clearRequests();
    const second = await api.connection.acquireOnBehalfOf(caller);
    expect(second).not.toBe(first);
    expect(oboRequests()).toBe(1);
  });

  it('refusals: a caller token for another audience or expired is InvalidUserAssertionError, no consent InteractionRequiredError, no JWT InvalidArgumentError', async () => {
    const graphToken = await track(
      new Account([emu.defaults.publicClientId], { ...options(), authFlowType: 'password', username: emu.defaults.username, password: emu.defaults.password }),
    ).authenticate({ requestedScopes: ['User.Read'] }).then(() => accounts.at(-1)!.connection.getAccessToken());
    await expect(webApi().connection.acquireOnBehalfOf(graphToken)).rejects.toBeInstanceOf(InvalidUserAssertionError);
    const caller = await callerToken(emu.defaults.username, emu.defaults.password);
    emu.clock.advance(3_700);
    await expect(webApi().connection.acquireOnBehalfOf(caller)).rejects.toMatchObject({ code: 'INVALID_USER_ASSERTION', errorCodes: [500133] });
    const toUnconsented = await callerToken(emu.defaults.username, emu.defaults.password, UNCONSENTED_API_ID);
    const error = await webApi(new MemoryTokenBackend(), UNCONSENTED_API_ID, 'unconsented-secret').connection.acquireOnBehalfOf(toUnconsented).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InteractionRequiredError);
    expect((error as Error).message).toMatch(/knownClientApplications/);
    await expect(webApi().connection.acquireOnBehalfOf('Bearer abc')).rejects.toBeInstanceOf(InvalidArgumentError);
    const publicApp = track(new Account([emu.defaults.publicClientId], options()));
    await expect(publicApp.connection.acquireOnBehalfOf(caller)).rejects.toThrow(/confidential client/);
    expect(String(error)).not.toContain(toUnconsented);
  });
});
