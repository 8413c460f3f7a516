// Many users, each in their own partition: PartitionedAccounts over PartitionedFileSystemTokenBackend.
// A call reads, locks and writes only its partition's file; every partition shares one HTTP client
// and one authority discovery.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { inspect } from 'node:util';
import {
  Account,
  MSGraphProtocol,
  PartitionedAccounts,
  PartitionedFileSystemTokenBackend,
  TokenBackendError,
  type AccountOptions,
} from '@o365/core';
import { startEmulator, type Emulator, type SeedUser } from '@o365/emulator';
import { seedWithUsers, tokenClaims } from './support/many-users-seed.js';

const USERS = 20;

describe('PartitionedAccounts: one partition per user', () => {
  let emu: Emulator;
  let users: SeedUser[];
  let folder: string;
  let store: PartitionedFileSystemTokenBackend;
  let accounts: PartitionedAccounts;
  const options = (): Omit<AccountOptions, 'tokenBackend'> => ({
    tenantId: emu.defaults.tenantId,
    authorityHost: emu.authorityHost,
    protocol: new MSGraphProtocol({ graphUrl: emu.graphUrl }),
    tls: { ca: emu.ca },
    clock: { now: () => emu.clock.now() },
  });
  const fileHashes = (): Map<string, string> =>
    new Map(readdirSync(folder).filter((f) => f.endsWith('.json')).map((f) => [f, createHash('sha256').update(readFileSync(path.join(folder, f))).digest('hex')]));

  beforeAll(async () => {
    const seeded = seedWithUsers(USERS);
    emu = await startEmulator({ seed: seeded.seed });
    users = seeded.users;
    folder = mkdtempSync(path.join(os.tmpdir(), 'o365-partitions-'));
    store = new PartitionedFileSystemTokenBackend({ folder });
    // Each user signs in once, into the partition named by their object id.
    for (const user of users) {
      const signIn = new Account([emu.defaults.publicClientId], {
        ...options(),
        authFlowType: 'password',
        username: user.userPrincipalName,
        password: user.password,
        tokenBackend: store.partition(user.id),
      });
      expect(await signIn.authenticate({ requestedScopes: ['User.Read'] })).toBe(true);
      await signIn.close();
    }
    accounts = new PartitionedAccounts([emu.defaults.publicClientId], { ...options(), authFlowType: 'public', tokenBackend: store });
  }, 120_000);

  afterAll(async () => {
    await accounts?.close();
    await emu?.stop();
    rmSync(folder, { recursive: true, force: true });
  });

  it('one file per partition, each holding only its own user', async () => {
    expect(fileHashes().size).toBe(USERS);
    for (const user of users) {
      expect(await accounts.get(user.id).getAuthenticatedUsernames()).toEqual([user.userPrincipalName]);
    }
  });

  it('interleaved calls over every partition each get their own user, served from their files', async () => {
    emu.clearRequests();
    const fresh = new PartitionedAccounts([emu.defaults.publicClientId], { ...options(), authFlowType: 'public', tokenBackend: store });
    try {
      const order = Array.from({ length: 400 }, (_, i) => users[(i * 7) % USERS]!);
      const tokens = await Promise.all(order.map((user) => fresh.get(user.id).connection.getAccessToken()));
      tokens.forEach((token, i) => {
        const c = tokenClaims(token);
        expect({ upn: c.upn?.toLowerCase(), oid: c.oid }).toEqual({ upn: order[i]!.userPrincipalName.toLowerCase(), oid: order[i]!.id });
      });
      // Valid tokens come from each partition's file: nothing is asked of the identity platform.
      expect(emu.requests()).toHaveLength(0);
    } finally {
      await fresh.close();
    }
  });

  it("refreshes make one token request each, one authority discovery in all, and rewrite only those users' files", async () => {
    const targets = [users[3]!, users[8]!, users[15]!];
    const fresh = new PartitionedAccounts([emu.defaults.publicClientId], { ...options(), authFlowType: 'public', tokenBackend: store });
    try {
      emu.clock.advance(2 * 3600);
      const before = fileHashes();
      emu.clearRequests();
      const tokens = await Promise.all(targets.map((user) => fresh.get(user.id).connection.getAccessToken()));
      expect(tokens.map((token) => tokenClaims(token).oid)).toEqual(targets.map((user) => user.id));
      expect(emu.requests().filter((r) => r.grantType === 'refresh_token')).toHaveLength(targets.length);
      expect(emu.requests().filter((r) => r.path.endsWith('/.well-known/openid-configuration'))).toHaveLength(1);
      const after = fileHashes();
      const changed = [...after].filter(([file, hash]) => before.get(file) !== hash).map(([file]) => file);
      expect(changed.sort()).toEqual(targets.map((user) => path.basename(store.partition(user.id).filePath)).sort());
    } finally {
      await fresh.close();
    }
  });

  it('keeps at most maxOpenAccounts open; a dropped partition reads its file again and still works', async () => {
    const small = new PartitionedAccounts([emu.defaults.publicClientId], { ...options(), authFlowType: 'public', tokenBackend: store, maxOpenAccounts: 5 });
    try {
      const first = small.get(users[0]!.id);
      for (const user of users.slice(1, 10)) await small.get(user.id).connection.getAccessToken();
      expect(small.openAccounts).toBe(5);
      const again = small.get(users[0]!.id);
      expect(again).not.toBe(first);
      expect(tokenClaims(await again.connection.getAccessToken()).oid).toBe(users[0]!.id);
      expect(small.get(users[0]!.id)).toBe(again);
    } finally {
      await small.close();
    }
  });

  it('a partition that holds nobody is not signed in; a bad key is a TokenBackendError', async () => {
    expect(await accounts.get('nobody-here').isAuthenticated()).toBe(false);
    expect(() => accounts.get('')).toThrow(TokenBackendError);
    expect(() => new PartitionedAccounts([emu.defaults.publicClientId], { ...options(), tokenBackend: new (class {})() as never })).toThrow(TypeError);
    expect(inspect(accounts)).toContain('PartitionedAccounts');
    expect(inspect(accounts)).not.toMatch(/eyJ/);
  });
});
