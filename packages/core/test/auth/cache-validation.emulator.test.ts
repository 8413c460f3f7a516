// Issue 12: a token cache that is not well-formed is reported where it is read, as a storage
// problem naming the entry and the location, with the stored copy untouched; never a raw
// TypeError from inside core, and never advice about the password.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startEmulator, type Emulator } from '@o365/emulator';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { Account, type AccountOptions } from '../../src/account.js';
import { FileSystemTokenBackend } from '../../src/backends/file-system-backend.js';
import { TokenBackendError } from '../../src/errors.js';
import { MSGraphProtocol } from '../../src/protocol.js';

describe('a malformed token cache read through an Account', () => {
  let emu: Emulator;
  let dir: string;
  let signedIn: Record<string, Record<string, Record<string, unknown>>>;
  const opened: Account[] = [];
  /** An Account on its own token file `<folder>/o365_token.txt`; returns it with the file's path. */
  const account = (file: string, extra: AccountOptions = {}): Account => {
    const a = new Account([emu.defaults.publicClientId], {
      authFlowType: 'password',
      username: emu.defaults.username,
      password: emu.defaults.password,
      tenantId: emu.defaults.tenantId,
      authorityHost: emu.authorityHost,
      protocol: new MSGraphProtocol({ graphUrl: emu.graphUrl }),
      tls: { ca: emu.ca },
      clock: { now: () => emu.clock.now() },
      tokenBackend: new FileSystemTokenBackend({ tokenPath: dirname(file), tokenFilename: basename(file) }),
      ...extra,
    });
    opened.push(a);
    return a;
  };

  beforeAll(async () => {
    emu = await startEmulator();
    dir = await mkdtemp(join(tmpdir(), 'o365-cache-validation-'));
    const path = join(dir, 'good.json');
    expect(await account(path).authenticate({ requestedScopes: ['User.Read'] })).toBe(true);
    signedIn = JSON.parse(await readFile(path, 'utf8')) as typeof signedIn;
  });

  afterAll(async () => {
    await Promise.all(opened.map((a) => a.close()));
    await emu?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const firstKey = (section: string): string => Object.keys(signedIn[section] ?? {})[0]!;
  const corruptions: Array<[string, (cache: Record<string, unknown>) => void, RegExp]> = [
    ['an entry that is null', (c) => ((c.Account as Record<string, unknown>)[firstKey('Account')] = null), /"Account" entry/],
    ['an entry field of the wrong type', (c) => ((c.RefreshToken as Record<string, Record<string, unknown>>)[firstKey('RefreshToken')]!.secret = 42), /"RefreshToken" entry/],
    ['a section that is a string', (c) => (c.AccessToken = 'nope'), /"AccessToken" section/],
    ['a section nested too deep', (c) => {
      let deep: Record<string, unknown> = {};
      const root = deep;
      for (let i = 0; i < 200; i++) deep = (deep.x = {}) as Record<string, unknown>;
      c.AppMetadata = root;
    }, /nested deeper/],
  ];

  it.each(corruptions)('%s: TokenBackendError naming it and the file, the file untouched, on every call', async (_name, corrupt, names) => {
    const cache = structuredClone(signedIn) as Record<string, unknown>;
    corrupt(cache);
    const path = join(dir, `bad-${Math.random().toString(36).slice(2)}.json`);
    const text = JSON.stringify(cache);
    await writeFile(path, text, { mode: 0o600 });
    const a = account(path);
    for (const call of [() => a.connection.getAccessToken(), () => a.authenticate({ requestedScopes: ['User.Read'] }), () => a.getAuthenticatedUsernames()]) {
      const error = await call().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(TokenBackendError);
      expect((error as Error).message).toMatch(names);
      expect((error as Error).message).toContain(path);
      expect((error as Error).message).not.toMatch(/password/i);
    }
    expect(await readFile(path, 'utf8')).toBe(text);
  });

  it('well-formed entries core does not know are kept through a refresh', async () => {
    const cache = structuredClone(signedIn) as Record<string, unknown>;
    cache.AppMetadata = { 'appmetadata-x': { client_id: 'x', environment: 'e', family_id: '1' } };
    cache.FutureSection = { anything: [1, 2, { deep: true }] };
    const path = join(dir, 'unknown-entries.json');
    await writeFile(path, JSON.stringify(cache), { mode: 0o600 });
    const a = account(path);
    expect(await a.connection.refreshToken()).toBe(true);
    const after = JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
    expect(after.FutureSection).toEqual(cache.FutureSection);
    expect((after.AppMetadata as Record<string, unknown>)['appmetadata-x']).toEqual({ client_id: 'x', environment: 'e', family_id: '1' });
  });
});
