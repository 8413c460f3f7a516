// 401 storm: the server expires the token before the client expects it (revocation, clock skew),
// so N concurrent Graph calls all get 401. core's session retries each once with a new token,
// and the refresh is shared by all of them. Here the client keeps the real clock while the
// emulator's clock is advanced past the token's lifetime. There is no raw msal-node counterpart
// (msal-node has no Graph session), so this section reports core's counts only.
import { startEmulator } from '@o365/emulator';
import { Account, FileSystemTokenBackend } from '../src/index.js';
import {
  accountOptions,
  countRequests,
  CountingBackend,
  fmtInt,
  fmtMs,
  settleAll,
  table,
  tempDir,
  timed,
  withTimeout,
  type SectionResult,
} from './harness.js';

export interface Graph401StormOptions {
  /** Concurrent Graph calls that get 401. */
  concurrency: number;
}

const STORM_TIMEOUT_MS = 30_000;
const EXPIRE_SECONDS = 3_700;

export async function graph401Storm(options: Graph401StormOptions): Promise<SectionResult> {
  const n = options.concurrency;
  const emu = await startEmulator({ port: 0 });
  const dir = await tempDir('graph-401');
  const backend = new CountingBackend(new FileSystemTokenBackend({ tokenPath: dir.dir }));
  const { publicClientId, username, password } = emu.defaults;
  // The client's clock is the real one: it does not know the server moved on.
  const account = new Account([publicClientId], {
    ...accountOptions(emu, backend),
    clock: { now: () => Date.now() },
    authFlowType: 'password',
    username,
    password,
  });
  try {
    await withTimeout(account.authenticate({ requestedScopes: ['User.Read'] }), STORM_TIMEOUT_MS, 'core sign-in');
    const session = account.connection.getSession();
    const warm = await session.fetch('me');
    await warm.text();
    if (warm.status !== 200) throw new Error(`GET /me answered ${warm.status} before the storm`);
    emu.clock.advance(EXPIRE_SECONDS);
    backend.reset();
    emu.clearRequests();
    const { ms, value } = await timed(() =>
      withTimeout(
        settleAll(
          Array.from({ length: n }, async () => {
            const res = await session.fetch('me');
            await res.text();
            return res.status;
          }),
        ),
        STORM_TIMEOUT_MS,
        'Graph 401 storm',
      ),
    );
    const requests = emu.requests();
    const counts = countRequests(requests);
    const graph401 = requests.filter((r) => !r.path.includes('/oauth2/') && r.status === 401).length;
    const graph200 = requests.filter((r) => !r.path.includes('/oauth2/') && r.status === 200).length;
    const ok = value.values.filter((s) => s === 200).length;
    const refreshes = counts.grants['refresh_token'] ?? 0;
    return {
      title: `4. Graph 401 storm: ${fmtInt(n)} concurrent GET /me whose token the server already considers expired (core only)`,
      table: table(
        ['subject', 'elapsed ms', 'calls ok', 'failed', 'Graph 401s', 'Graph 200s', 'token reqs', 'backend reads', 'locks'],
        [
          [
            'core  getSession().fetch("me")',
            fmtMs(ms),
            fmtInt(ok),
            fmtInt(value.failed + (value.values.length - ok)),
            fmtInt(graph401),
            fmtInt(graph200),
            fmtInt(counts.token),
            fmtInt(backend.loads),
            fmtInt(backend.locks),
          ],
        ],
      ),
      notes: [
        `Emulator clock advanced ${EXPIRE_SECONDS} s; the Account keeps real time, so every first attempt is sent with the old token.`,
        `Elapsed time includes opening about ${fmtInt(n)} TLS connections (core's HTTP client opens one per concurrent request; it has no per-origin socket cap), client and emulator sharing this process.`,
        ...(value.firstError ? [`first failure: ${value.firstError}`] : []),
      ],
      checks: [
        {
          claim: `${fmtInt(n)} concurrent 401s share one refresh, and each call is retried once`,
          ok: refreshes === 1 && counts.token === 1 && ok === n && graph401 === n && graph200 === n,
          detail: `${refreshes} refresh(es), ${graph401} x 401 then ${graph200} x 200, ${ok}/${n} calls ok`,
        },
      ],
    };
  } finally {
    await account.close();
    await emu.stop();
    await dir.cleanup();
  }
}
