// undici is loaded on the first request only: importing @o365/core, and serving a token from the
// store, leave it unloaded (it costs as much start-up time as the rest of core). Each case runs in
// a fresh node process, which is the only place "not loaded yet" can be observed.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startEmulator, type Emulator } from '@o365/emulator';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runJsonChild } from '../support/json-child.js';
import { Account } from '../../src/account.js';
import { FileSystemTokenBackend } from '../../src/backends/file-system-backend.js';
import { MSGraphProtocol } from '../../src/protocol.js';

interface ChildResult {
  ok: boolean;
  steps?: Record<string, boolean>;
  error?: string;
}

function runChild(env: Record<string, string>): Promise<ChildResult> {
  return runJsonChild<ChildResult>(join(__dirname, '..', 'support', 'undici-load-child.ts'), env);
}

describe('undici is loaded on the first request, not on import', () => {
  let emu: Emulator;
  let dir: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    emu = await startEmulator();
    dir = await mkdtemp(join(tmpdir(), 'o365-lazy-undici-'));
    const tokenPath = join(dir, 'token');
    const caFile = join(dir, 'ca.pem');
    await writeFile(caFile, emu.ca);
    // A signed-in user in a token file, as a service finds it when it starts.
    const account = new Account([emu.defaults.publicClientId], {
      authFlowType: 'password',
      username: emu.defaults.username,
      password: emu.defaults.password,
      tenantId: emu.defaults.tenantId,
      authorityHost: emu.authorityHost,
      protocol: new MSGraphProtocol({ graphUrl: emu.graphUrl }),
      tls: { ca: emu.ca },
      tokenBackend: new FileSystemTokenBackend({ tokenPath }),
    });
    try {
      expect(await account.authenticate()).toBe(true);
    } finally {
      await account.close();
    }
    env = {
      CHILD_CLIENT_ID: emu.defaults.publicClientId,
      CHILD_USERNAME: emu.defaults.username,
      CHILD_TENANT_ID: emu.defaults.tenantId,
      CHILD_AUTHORITY_HOST: emu.authorityHost,
      CHILD_GRAPH_URL: emu.graphUrl,
      CHILD_CA_FILE: caFile,
      CHILD_TOKEN_DIR: tokenPath,
    };
  });

  afterAll(async () => {
    await emu?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('importing @o365/core does not load undici', async () => {
    expect(await runChild({ CHILD_MODE: 'import' })).toEqual({ ok: true, steps: { afterImport: false } });
  });

  it('a token served from the store, and closing the account, do not load it either', async () => {
    const before = emu.requests().length;
    const result = await runChild({ ...env, CHILD_MODE: 'store' });
    expect(result).toEqual({ ok: true, steps: { afterImport: false, gotToken: true, afterStoredToken: false, afterClose: false } });
    // Nothing was sent: the token came from the file.
    expect(emu.requests().length).toBe(before);
  });

  it('the first request loads it (what the probe above would have seen)', async () => {
    const result = await runChild({ ...env, CHILD_MODE: 'request' });
    expect(result).toEqual({
      ok: true,
      steps: { afterImport: false, gotToken: true, afterStoredToken: false, gotUser: true, afterRequest: true, afterClose: true },
    });
  });
});
