// Benchmarks of @o365/core against raw msal-node, both talking to an in-process emulator over
// HTTPS on 127.0.0.1 (no other traffic). Prints one table per section and the claims each
// section checks; exits 1 when a counted claim (backend reads, token or metadata requests) does
// not hold. Timings are reported as ratios against a baseline measured in the same run, never
// asserted.
//
//   pnpm bench                      (from the root: builds, then every package's bench)
//   pnpm --filter @o365/core bench  (this package only)
//   tsx bench/run.ts hot storm      (some sections: require, hot, cold, storm, graph401, graphget, graphclient, tls, users, partitions)
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { version as msalVersion } from '@azure/msal-node';
import { coldStart } from './cold-start.bench.js';
import { graph401Storm } from './graph-401-storm.bench.js';
import { graphClient } from './graph-client.bench.js';
import { graphGet } from './graph-get.bench.js';
import type { SectionResult } from './harness.js';
import { hotPath } from './hot-path.bench.js';
import { manyUsers } from './many-users.bench.js';
import { partitionedUsers } from './partitioned-users.bench.js';
import { refreshStorm } from './refresh-storm.bench.js';
import { requireTime } from './require-time.bench.js';
import { tlsConnect } from './tls-connect.bench.js';

/** The whole run stops starting new sections past this, and is killed past the hard limit. */
const SOFT_BUDGET_MS = 115_000;
const HARD_LIMIT_MS = 170_000;

const sections: { name: string; run: () => Promise<SectionResult> }[] = [
  { name: 'require', run: () => requireTime({ runs: 9 }) },
  { name: 'hot', run: () => hotPath({ roundMs: 300, rounds: 3 }) },
  { name: 'cold', run: () => coldStart({ concurrency: 50, trials: 3 }) },
  { name: 'storm', run: () => refreshStorm({ concurrency: 1_000 }) },
  { name: 'graph401', run: () => graph401Storm({ concurrency: 50 }) },
  { name: 'graphget', run: () => graphGet({ roundMs: 250, rounds: 12 }) },
  { name: 'graphclient', run: () => graphClient({ roundMs: 300, rounds: 5, providerRoundMs: 200 }) },
  { name: 'tls', run: () => tlsConnect({ connections: 20, waves: 3 }) },
  { name: 'users', run: () => manyUsers({ sizes: [1, 100, 1_000], warmRefreshes: 5 }) },
  { name: 'partitions', run: () => partitionedUsers({ sizes: [1, 1_000, 100_000], realUsers: 6, heapAccounts: 500 }) },
];

const wanted = process.argv.slice(2);
const unknown = wanted.filter((w) => !sections.some((s) => s.name === w));
if (unknown.length > 0) {
  console.error(`unknown section(s): ${unknown.join(', ')}; choose from ${sections.map((s) => s.name).join(', ')}`);
  process.exit(2);
}
const selected = wanted.length > 0 ? sections.filter((s) => wanted.includes(s.name)) : sections;

const started = performance.now();
const hardStop = setTimeout(() => {
  console.error(`\nbench: stopped after ${HARD_LIMIT_MS / 1000} s (hard limit)`);
  process.exit(2);
}, HARD_LIMIT_MS);
hardStop.unref();

console.log(
  `@o365/core benchmarks: node ${process.version}, ${os.cpus().length} CPU(s), @azure/msal-node ${msalVersion}, emulator in-process on 127.0.0.1 (HTTPS)\n`,
);

let failedClaims = 0;
let sectionErrors = 0;
for (const section of selected) {
  const elapsed = performance.now() - started;
  if (elapsed > SOFT_BUDGET_MS) {
    console.log(`(${section.name}: skipped, ${Math.round(elapsed / 1000)} s already spent)\n`);
    continue;
  }
  const t0 = performance.now();
  try {
    const result = await section.run();
    console.log(result.title);
    console.log(result.table);
    for (const note of result.notes) console.log(`  note: ${note}`);
    for (const check of result.checks) {
      if (!check.ok) failedClaims++;
      console.log(`  ${check.ok ? 'ok  ' : 'FAIL'} ${check.claim}: ${check.detail}`);
    }
    console.log(`  (section took ${((performance.now() - t0) / 1000).toFixed(1)} s)\n`);
  } catch (error) {
    sectionErrors++;
    console.log(`${section.name}: ERROR ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  }
}

const total = (performance.now() - started) / 1000;
console.log(
  `bench: ${total.toFixed(1)} s, ${failedClaims} claim(s) not shown by the numbers, ${sectionErrors} section error(s)`,
);
// Keep-alive sockets of msal-node's and core's HTTP clients must not hold the process open.
process.exit(failedClaims + sectionErrors > 0 ? 1 : 0);
