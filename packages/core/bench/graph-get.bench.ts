// Graph GET through core's session against raw undici.fetch with the same token: what the
// session adds per request (token lookup, URL resolution, headers, client-request-id, retry
// bookkeeping). Sequential GET /v1.0/me on one keep-alive connection each, interleaved rounds
// whose order alternates; the ratio is the median of each round's own ratio against the baseline
// measured next to it, so a machine that slows down between rounds moves both sides.
// Unlike the other sections, the emulator runs in a child process (its own CLI): this process's
// CPU time per request is then the client's alone, which is what the session adds to, and it
// moves much less than elapsed time when other jobs share the machine.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Agent, fetch as undiciFetch } from 'undici';
import { Account, MemoryTokenBackend, MSGraphProtocol } from '../src/index.js';
import { fmtInt, fmtRatio, median, sequentialRate, table, withTimeout, type SectionResult } from './harness.js';

interface EmulatorFacts {
  authorityHost: string;
  graphUrl: string;
  caFile: string;
  tenantId: string;
  publicClientId: string;
  username: string;
  password: string;
}

/** Starts `o365-emulator` (from its sources, through tsx) in a child process and reads its facts. */
async function emulatorProcess(): Promise<{ facts: EmulatorFacts; child: ChildProcess }> {
  const here = path.dirname(fileURLToPath(import.meta.url));
  // The emulator's package folder, found the way core's tests find the package (its dist entry).
  const emulatorDir = path.resolve(path.dirname(createRequire(import.meta.url).resolve('@o365/emulator')), '..');
  const cli = path.join(emulatorDir, 'src', 'cli.ts');
  const child = spawn(process.execPath, ['--import', 'tsx', cli, '--port', '0'], { cwd: here, stdio: ['ignore', 'pipe', 'inherit'] });
  // run.ts ends the process with process.exit() at its hard limit: the emulator must not outlive it.
  const killChild = (): void => {
    child.kill('SIGTERM');
  };
  process.once('exit', killChild);
  child.once('exit', () => process.off('exit', killChild));
  let out = '';
  const facts = await withTimeout(
    new Promise<EmulatorFacts>((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (code) => reject(new Error(`o365-emulator exited with ${String(code)}`)));
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        try {
          resolve(JSON.parse(out) as EmulatorFacts);
        } catch {
          // Not the whole JSON document yet.
        }
      });
    }),
    30_000,
    'o365-emulator start',
  );
  return { facts, child };
}

export interface GraphGetOptions {
  roundMs: number;
  rounds: number;
}

interface Subject {
  label: string;
  call: () => Promise<number>;
  rates: number[];
  /** CPU µs of this process (the client; the emulator is another process) per request, per round. */
  cpu: number[];
  /** Per round: baseline requests/s over this subject's, measured next to each other. */
  ratios: number[];
}

export async function graphGet(options: GraphGetOptions): Promise<SectionResult> {
  const { facts: emu, child } = await emulatorProcess();
  const ca = readFileSync(emu.caFile, 'utf8');
  const agent = new Agent({ connect: { ca }, connections: 1 });
  const account = new Account([emu.publicClientId], {
    tenantId: emu.tenantId,
    authorityHost: emu.authorityHost,
    protocol: new MSGraphProtocol({ graphUrl: emu.graphUrl }),
    tls: { ca },
    tokenBackend: new MemoryTokenBackend(),
    authFlowType: 'password',
    username: emu.username,
    password: emu.password,
  });
  try {
    await withTimeout(account.authenticate({ requestedScopes: ['User.Read'] }), 15_000, 'sign-in');
    const token = await account.connection.getAccessToken();
    const session = account.connection.getSession();
    const http = account.connection.httpClient;
    const url = `${emu.graphUrl}v1.0/me`;
    const subject = (label: string, send: () => Promise<{ status: number; arrayBuffer(): Promise<ArrayBuffer> }>): Subject => ({
      label,
      call: async () => {
        const res = await send();
        await res.arrayBuffer();
        return res.status;
      },
      rates: [],
      cpu: [],
      ratios: [],
    });
    const subjects = [
      subject('raw undici.fetch(url, { headers: { authorization, accept }, dispatcher })  (baseline)', () =>
        undiciFetch(url, { headers: { authorization: `Bearer ${token}`, accept: 'application/json' }, dispatcher: agent }),
      ),
      // What the session sends on top of the baseline's headers: its share is the emulator's and
      // the wire's, not the session's code.
      subject('raw undici.fetch + client-request-id: randomUUID()  (probe)', () =>
        undiciFetch(url, {
          headers: { authorization: `Bearer ${token}`, accept: 'application/json', 'client-request-id': randomUUID() },
          dispatcher: agent,
        }),
      ),
      subject('core  connection.httpClient.fetch(url, { headers })  (probe: the HTTP client alone)', () =>
        http.fetch(url, { headers: { authorization: `Bearer ${token}`, accept: 'application/json' } }),
      ),
      subject("core  account.connection.getSession().fetch('me')", () => session.fetch('me')),
    ];
    for (const s of subjects) for (let i = 0; i < 200; i++) if ((await s.call()) !== 200) throw new Error(`${s.label} did not get 200`);
    const base = subjects[0]!;
    for (let round = 0; round < options.rounds; round++) {
      const order = round % 2 === 0 ? subjects : [...subjects].reverse();
      const rate = new Map<Subject, number>();
      for (const s of order) {
        const cpuStart = process.cpuUsage();
        const { calls, ms } = await sequentialRate(async () => s.call(), options.roundMs);
        const cpu = process.cpuUsage(cpuStart);
        rate.set(s, (calls / ms) * 1000);
        s.rates.push((calls / ms) * 1000);
        s.cpu.push((cpu.user + cpu.system) / calls);
      }
      for (const s of subjects) s.ratios.push(rate.get(base)! / rate.get(s)!);
    }
    const baseCpu = median(base.cpu);
    return {
      title: `Graph GET /v1.0/me, sequential, one keep-alive connection (${options.rounds} rounds x ${options.roundMs} ms, interleaved, order alternating)`,
      table: table(
        ['subject', 'requests/s', 'cost vs raw', 'CPU µs/request', 'CPU vs raw'],
        subjects.map((s) => [s.label, fmtInt(median(s.rates)), fmtRatio(median(s.ratios)), fmtInt(median(s.cpu)), fmtRatio(median(s.cpu) / baseCpu)]),
      ),
      notes: [
        'cost vs raw = the median over rounds of raw requests/s divided by the subject\u2019s in the same round: 1.00x means the session adds nothing measurable',
        'CPU µs/request = CPU time of the client process per request (the emulator runs in a child process): what the session adds, steadier than elapsed time when other jobs share the machine',
        'the emulator\u2019s answer time is in every row\u2019s elapsed time (not in its CPU), so the requests/s ratio understates what the session costs the client',
      ],
      checks: [],
    };
  } finally {
    await account.close();
    await agent.close();
    child.kill('SIGTERM');
  }
}
