// Graph GET through core's session against raw undici.fetch with the same token: what the
// session adds per request (token lookup, client-request-id, timeout, retry bookkeeping).
// Sequential GET /v1.0/me on one keep-alive connection each, interleaved rounds.
import { startEmulator } from '@o365/emulator';
import { fetch as undiciFetch } from 'undici';
import { Account, MemoryTokenBackend } from '../src/index.js';
import { accountOptions, fmtInt, fmtRatio, median, sequentialRate, table, trustingAgent, withTimeout, type SectionResult } from './harness.js';

export interface GraphGetOptions {
  roundMs: number;
  rounds: number;
}

export async function graphGet(options: GraphGetOptions): Promise<SectionResult> {
  const emu = await startEmulator({ port: 0 });
  const agent = trustingAgent(emu, 1);
  const { publicClientId, username, password } = emu.defaults;
  const account = new Account([publicClientId], { ...accountOptions(emu, new MemoryTokenBackend()), authFlowType: 'password', username, password });
  try {
    await withTimeout(account.authenticate({ requestedScopes: ['User.Read'] }), 15_000, 'sign-in');
    const token = await account.connection.getAccessToken();
    const session = account.connection.getSession();
    const url = `${emu.graphUrl}v1.0/me`;
    const subjects = [
      {
        label: 'raw undici.fetch(url, { headers: { authorization }, dispatcher })  (baseline)',
        call: async () => {
          const res = await undiciFetch(url, { headers: { authorization: `Bearer ${token}`, accept: 'application/json' }, dispatcher: agent });
          await res.arrayBuffer();
          return res.status;
        },
        rates: [] as number[],
      },
      {
        label: "core  account.connection.getSession().fetch('me')",
        call: async () => {
          const res = await session.fetch('me');
          await res.arrayBuffer();
          return res.status;
        },
        rates: [] as number[],
      },
    ];
    for (const s of subjects) for (let i = 0; i < 200; i++) if ((await s.call()) !== 200) throw new Error(`${s.label} did not get 200`);
    for (let round = 0; round < options.rounds; round++) {
      for (const s of subjects) {
        const { calls, ms } = await sequentialRate(async () => s.call(), options.roundMs);
        s.rates.push((calls / ms) * 1000);
      }
    }
    const base = median(subjects[0]!.rates);
    return {
      title: `Graph GET /v1.0/me, sequential, one keep-alive connection (median of ${options.rounds} rounds x ${options.roundMs} ms, interleaved)`,
      table: table(
        ['subject', 'requests/s', 'cost vs raw'],
        subjects.map((s) => [s.label, fmtInt(median(s.rates)), fmtRatio(base / median(s.rates))]),
      ),
      notes: [
        'cost vs raw = raw requests/s divided by the subject\u2019s: 1.00x means the session adds nothing measurable',
        'the emulator answers in the same process: its time is in both rows, so the ratio understates what the session adds against a remote Graph only by the emulator\u2019s share',
      ],
      checks: [],
    };
  } finally {
    await account.close();
    await agent.close();
    await emu.stop();
  }
}
