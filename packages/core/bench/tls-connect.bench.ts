// New HTTPS connections: what one connection costs through core's dispatcher (createDispatcher,
// used for Graph calls and token requests) compared with a plain undici Agent trusting only the
// emulator's CA, and with one SecureContext built once from the same CA list core uses (the
// emulator's CA plus Node's roots). Each wave opens `connections` new connections at once (a
// fresh dispatcher per wave) and GETs the OpenID configuration over each.
import { createSecureContext, rootCertificates } from 'node:tls';
import { performance } from 'node:perf_hooks';
import { startEmulator } from '@o365/emulator';
import { Agent, fetch, type Dispatcher } from 'undici';
import { createDispatcher } from '../src/index.js';
import { fmtMs, fmtRatio, median, settleAll, table, withTimeout, type SectionResult } from './harness.js';

export interface TlsConnectOptions {
  /** New connections opened at once per wave. */
  connections: number;
  /** Waves per subject (interleaved); medians are reported. */
  waves: number;
}

interface Subject {
  label: string;
  /** Awaited before the clock starts: core's createDispatcher loads undici on first use. */
  make: () => Dispatcher | Promise<Dispatcher>;
  cpuPerConnection: number[];
  wallMs: number[];
  failed: number;
}

export async function tlsConnect(options: TlsConnectOptions): Promise<SectionResult> {
  const emu = await startEmulator({ port: 0 });
  const url = `${emu.authorityHost}/${emu.defaults.tenantId}/v2.0/.well-known/openid-configuration`;
  const n = options.connections;
  try {
    const subjects: Subject[] = [
      {
        label: 'core  createDispatcher({ tls: { ca } })',
        make: () => createDispatcher({ tls: { ca: emu.ca } }),
      },
      {
        label: 'undici Agent, connect.ca = emulator CA only  (baseline)',
        make: () => new Agent({ connect: { ca: emu.ca } }),
      },
      {
        label: 'undici Agent, one SecureContext (emulator CA + Node roots)',
        make: () => new Agent({ connect: { secureContext: createSecureContext({ ca: [emu.ca, ...rootCertificates] }) } }),
      },
    ].map((s) => ({ ...s, cpuPerConnection: [], wallMs: [], failed: 0 }));

    for (let wave = 0; wave < options.waves; wave++) {
      for (const s of subjects) {
        const dispatcher = await s.make();
        try {
          const start = performance.now();
          const cpu = process.cpuUsage();
          const result = await withTimeout(
            settleAll(Array.from({ length: n }, async () => (await fetch(url, { dispatcher })).text())),
            30_000,
            `${s.label}: ${n} connections`,
          );
          const used = process.cpuUsage(cpu);
          s.wallMs.push(performance.now() - start);
          s.cpuPerConnection.push((used.user + used.system) / 1000 / n);
          s.failed += result.failed;
        } finally {
          await dispatcher.close();
        }
      }
    }

    const baseline = median(subjects[1]!.cpuPerConnection);
    const rows = subjects.map((s) => [
      s.label,
      fmtMs(median(s.cpuPerConnection)),
      fmtRatio(median(s.cpuPerConnection) / baseline),
      fmtMs(median(s.wallMs)),
      String(s.failed),
    ]);
    const core = median(subjects[0]!.cpuPerConnection);
    const shared = median(subjects[2]!.cpuPerConnection);
    return {
      title: `5. New HTTPS connections: ${n} opened at once per wave (median of ${options.waves} waves, interleaved)`,
      table: table(['dispatcher', 'CPU ms per connection', 'vs baseline', `wall ms for ${n}`, 'failed'], rows),
      notes: [
        'CPU is this process\'s (client and in-process emulator together): the emulator\'s share is the same in every row, so differences are the client\'s.',
        `core builds one SecureContext from its CA list (emulator CA + ${rootCertificates.length} Node roots) and shares it across connections; core vs a shared context built by hand: ${fmtRatio(core / shared)} (1.00x = no overhead).`,
      ],
      checks: [],
    };
  } finally {
    await emu.stop();
  }
}
