// Issue 11's correctness bug: one Account serving many users at once must hand every call its own
// user's token. 50 seeded users signed in to one cache, then 1,000 interleaved calls, every token
// decoded and its upn/oid checked against the user the call was for.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Account, MemoryTokenBackend, type AccountOptions } from '@o365/core';
import { startEmulator, type Emulator, type SeedUser } from '@o365/emulator';
import { emulatorAccountOptions } from './support/emulator-account-options.js';
import { seedWithUsers, tokenClaims as claims } from './support/many-users-seed.js';

const USERS = 50;
const CALLS = 1_000;

/** A small deterministic generator, so a failure can be replayed. */
function prng(seed: number): () => number {
  let x = seed;
  return () => {
    x = (x * 1_103_515_245 + 12_345) % 2 ** 31;
    return x / 2 ** 31;
  };
}

describe('many users on one Account', () => {
  let emu: Emulator;
  let users: SeedUser[];
  const backend = new MemoryTokenBackend();
  const accounts: Account[] = [];
  const options = (extra: AccountOptions = {}): AccountOptions => emulatorAccountOptions(emu, backend, extra);
  const track = (account: Account): Account => {
    accounts.push(account);
    return account;
  };
  const byName = (username: string): SeedUser => {
    const user = users.find((u) => u.userPrincipalName.toLowerCase() === username.toLowerCase());
    if (!user) throw new Error(`no seeded user ${username}`);
    return user;
  };
  const expectTokenOf = (token: string, username: string): void => {
    const user = byName(username);
    const c = claims(token);
    expect({ upn: c.upn?.toLowerCase(), oid: c.oid }).toEqual({ upn: user.userPrincipalName.toLowerCase(), oid: user.id });
  };

  beforeAll(async () => {
    const seeded = seedWithUsers(USERS);
    emu = await startEmulator({ seed: seeded.seed });
    users = seeded.users;
    // Sign every user in to the one shared cache, one after the other.
    for (const user of users) {
      const signIn = track(
        new Account([emu.defaults.publicClientId], {
          ...options(),
          authFlowType: 'password',
          username: user.userPrincipalName,
          password: user.password,
        }),
      );
      expect(await signIn.authenticate({ requestedScopes: ['User.Read'] })).toBe(true);
    }
  }, 120_000);

  afterAll(async () => {
    await Promise.all(accounts.map((a) => a.close()));
    await emu?.stop();
  });

  it('two overlapping calls after a username switch get their own users (fresh and warm Account)', async () => {
    const [adele, alex] = [users[0]!.userPrincipalName, users[1]!.userPrincipalName];
    for (const round of ['fresh', 'warm']) {
      const account = round === 'fresh' ? track(new Account([emu.defaults.publicClientId], options())) : accounts[accounts.length - 1]!;
      account.username = adele;
      const a = account.connection.getAccessToken();
      account.username = alex;
      const b = account.connection.getAccessToken();
      const [tokenA, tokenB] = await Promise.all([a, b]);
      expectTokenOf(tokenA, adele);
      expectTokenOf(tokenB, alex);
    }
  });

  it(`${CALLS} interleaved calls over ${USERS} users: every token carries its caller's upn and oid`, async () => {
    const account = track(new Account([emu.defaults.publicClientId], options()));
    const random = prng(11);
    const calls: Array<{ username: string; token: Promise<string> }> = [];
    for (let i = 0; i < CALLS; i++) {
      const username = users[Math.floor(random() * users.length)]!.userPrincipalName;
      let token: Promise<string>;
      switch (i % 4) {
        case 0:
          // The pattern of the bug report: switch the shared username, then call.
          account.username = username;
          token = account.connection.getAccessToken();
          break;
        case 1:
          token = account.forUser(username).getAccessToken();
          break;
        case 2:
          token = account.connection.getAccessToken({ username });
          break;
        default:
          token = account
            .forUser(username)
            .getToken('https://graph.microsoft.com/User.Read')
            .then((t) => t.token);
      }
      calls.push({ username, token });
      // Let some calls start their I/O before the next switch, so fresh and warm paths interleave.
      if (i % 7 === 0) await Promise.resolve();
    }
    const tokens = await Promise.all(calls.map((c) => c.token));
    const wrong = calls.filter((c, i) => claims(tokens[i]!).oid !== byName(c.username).id).length;
    expect(wrong).toBe(0);
    calls.forEach((c, i) => expectTokenOf(tokens[i]!, c.username));
    expect(new Set(calls.map((c) => c.username)).size).toBeGreaterThan(USERS - 5);
  });

  it('Graph session requests are each for the user named when they were made', async () => {
    const account = track(new Account([emu.defaults.publicClientId], options()));
    const picked = users.slice(0, 10).map((u) => u.userPrincipalName);
    const shared = account.connection.getSession();
    const requests = picked.flatMap((username) => {
      account.username = username;
      const viaShared = shared.fetch('me').then(async (res) => ({ username, upn: ((await res.json()) as { userPrincipalName: string }).userPrincipalName }));
      const viaView = account
        .forUser(username)
        .getCurrentUser()
        .then((user) => ({ username, upn: user.userPrincipalName ?? '' }));
      return [viaShared, viaView];
    });
    for (const { username, upn } of await Promise.all(requests)) expect(upn.toLowerCase()).toBe(username.toLowerCase());
  });

  it('logout removes the user selected when it was called, not the one selected after', async () => {
    const account = track(new Account([emu.defaults.publicClientId], options()));
    const [gone, stays] = [users[USERS - 1]!.userPrincipalName, users[USERS - 2]!.userPrincipalName];
    account.username = gone;
    const logout = account.logout();
    account.username = stays;
    expect(await logout).toBe(true);
    const names = (await account.getAuthenticatedUsernames()).map((n) => n.toLowerCase());
    expect(names).not.toContain(gone.toLowerCase());
    expect(names).toContain(stays.toLowerCase());
    expect(await account.forUser(gone).isAuthenticated()).toBe(false);
    expectTokenOf(await account.connection.getAccessToken(), stays);
  });
});
