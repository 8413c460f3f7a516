// msal-node is shown one account's entries for a refresh or a sign-out (auth/token-cache.ts):
// what it gives back must replace that account's entries only, and a sign-in running at the same
// time (msal-node's other application, shown the whole cache) must lose nothing of either.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Account, MemoryTokenBackend, type AccountOptions } from '@o365/core';
import { startEmulator, type Emulator, type SeedUser } from '@o365/emulator';
import { emulatorAccountOptions } from './support/emulator-account-options.js';
import { seedWithUsers, tokenClaims } from './support/many-users-seed.js';

type Cache = Record<string, Record<string, Record<string, unknown>>>;
const ACCOUNT_SECTIONS = ['Account', 'IdToken', 'AccessToken', 'RefreshToken'] as const;

/** Each account's stored entries, as JSON text by key, section by section. */
function entriesByAccount(cache: Cache): Map<string, string> {
  const byAccount = new Map<string, Record<string, string>>();
  for (const section of ACCOUNT_SECTIONS) {
    for (const [key, entry] of Object.entries(cache[section] ?? {})) {
      const owner = String(entry['home_account_id'] ?? '');
      const entries = byAccount.get(owner) ?? {};
      entries[`${section}/${key}`] = JSON.stringify(entry);
      byAccount.set(owner, entries);
    }
  }
  return new Map([...byAccount].map(([owner, entries]) => [owner, JSON.stringify(Object.entries(entries).sort())]));
}

describe("the token cache shows msal-node one account's entries", () => {
  let emu: Emulator;
  let users: SeedUser[];
  const accounts: Account[] = [];
  const options = (backend: MemoryTokenBackend, extra: AccountOptions = {}): AccountOptions =>
    emulatorAccountOptions(emu, backend, extra);
  const track = (account: Account): Account => {
    accounts.push(account);
    return account;
  };
  const homeId = (user: SeedUser): string => `${user.id}.${emu.defaults.tenantId}`;
  const stored = async (backend: MemoryTokenBackend): Promise<Cache> => JSON.parse((await backend.load())!.data) as Cache;

  /** A backend holding the first `count` users, signed in one after the other. */
  async function signedIn(count: number): Promise<MemoryTokenBackend> {
    const backend = new MemoryTokenBackend();
    for (const user of users.slice(0, count)) {
      const account = track(
        new Account([emu.defaults.publicClientId], {
          ...options(backend),
          authFlowType: 'password',
          username: user.userPrincipalName,
          password: user.password,
        }),
      );
      expect(await account.authenticate({ requestedScopes: ['User.Read'] })).toBe(true);
    }
    return backend;
  }

  beforeAll(async () => {
    const seeded = seedWithUsers(16);
    emu = await startEmulator({ seed: seeded.seed });
    users = seeded.users;
  }, 60_000);

  afterAll(async () => {
    await Promise.all(accounts.map((a) => a.close()));
    await emu?.stop();
  });

  it("a refresh replaces the refreshed user's entries and leaves every other user's byte for byte", async () => {
    const backend = await signedIn(8);
    emu.clock.advance(3_700);
    const before = entriesByAccount(await stored(backend));
    const account = track(new Account([emu.defaults.publicClientId], options(backend)));
    const target = users[3]!;
    const token = await account.connection.forUser(target.userPrincipalName).getAccessToken({ scopes: ['User.Read'] });
    expect(tokenClaims(token).oid).toBe(target.id);

    const after = entriesByAccount(await stored(backend));
    expect([...after.keys()].sort()).toEqual([...before.keys()].sort());
    for (const user of users.slice(0, 8)) {
      if (user === target) expect(after.get(homeId(user))).not.toBe(before.get(homeId(user)));
      else expect(after.get(homeId(user))).toBe(before.get(homeId(user)));
    }
    // The refreshed user's new token is what a new process reads from the store.
    const next = track(new Account([emu.defaults.publicClientId], options(backend)));
    const before2 = emu.requests().length;
    expect(await next.connection.forUser(target.userPrincipalName).getAccessToken({ scopes: ['User.Read'] })).toBe(token);
    expect(emu.requests().slice(before2).filter((r) => r.path.endsWith('/token'))).toHaveLength(0);
  });

  it('sign-ins running while users are refreshed on the same Account lose nothing of either', async () => {
    const backend = await signedIn(8);
    emu.clock.advance(3_700);
    const account = track(new Account([emu.defaults.publicClientId], options(backend, { authFlowType: 'password' })));
    const refreshed = users.slice(0, 6);
    const newcomers = users.slice(8, 12);
    const results = await Promise.all([
      ...refreshed.map((u) => account.connection.forUser(u.userPrincipalName).getAccessToken({ scopes: ['User.Read'] })),
      ...newcomers.map((u) =>
        account.connection
          .acquireWithPassword(['User.Read'], { username: u.userPrincipalName, password: u.password })
          .then(() => 'signed in'),
      ),
    ]);
    refreshed.forEach((user, i) => expect(tokenClaims(results[i]!).oid).toBe(user.id));

    // A new process over the same store: all 12 users, every refreshed token served from it.
    const next = track(new Account([emu.defaults.publicClientId], options(backend)));
    expect((await next.getAuthenticatedUsernames()).map((n) => n.toLowerCase()).sort()).toEqual(
      users
        .slice(0, 12)
        .map((u) => u.userPrincipalName.toLowerCase())
        .sort(),
    );
    const before = emu.requests().length;
    for (const [i, user] of refreshed.entries()) {
      expect(await next.connection.forUser(user.userPrincipalName).getAccessToken({ scopes: ['User.Read'] })).toBe(results[i]);
    }
    for (const user of newcomers) {
      expect(tokenClaims(await next.connection.forUser(user.userPrincipalName).getAccessToken({ scopes: ['User.Read'] })).oid).toBe(user.id);
    }
    expect(emu.requests().slice(before).filter((r) => r.path.endsWith('/token'))).toHaveLength(0);
  });

  it("a sign-out removes that user's entries only", async () => {
    const backend = await signedIn(6);
    const before = entriesByAccount(await stored(backend));
    const account = track(new Account([emu.defaults.publicClientId], options(backend)));
    const leaving = users[2]!;
    expect(await account.logout(leaving.userPrincipalName)).toBe(true);

    const after = entriesByAccount(await stored(backend));
    expect(after.has(homeId(leaving))).toBe(false);
    for (const user of users.slice(0, 6)) {
      if (user !== leaving) expect(after.get(homeId(user))).toBe(before.get(homeId(user)));
    }
  });
});
