// Cold start: the time `require()` of a module takes in a new node process, for core's built
// CommonJS entry and for msal-node and undici alone. Each run is a fresh `node -e` that times its
// own require (so node's own start-up is left out), runs interleaved across modules. Also checks
// that requiring core leaves undici unloaded (it is loaded on the first request). Needs core's
// build (dist/), unlike the other sections.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { fmtRatio, median, table, type SectionResult } from './harness.js';

export interface RequireTimeOptions {
  /** New processes per module. */
  runs: number;
}

interface Probe {
  ms: number;
  undiciLoaded: boolean;
}

const here = path.dirname(fileURLToPath(import.meta.url));
const coreEntry = path.resolve(here, '../dist/index.cjs');
// Resolved from core's own folder: the versions core depends on.
const requireFromCore = createRequire(path.resolve(here, '../package.json'));

// The child times the require only, and lists what ended up in the module cache.
const PROBE = `
const { performance } = require('node:perf_hooks');
const start = performance.now();
require(process.argv[1]);
const ms = performance.now() - start;
const undiciLoaded = Object.keys(require.cache).some((f) => /[\\\\/]node_modules[\\\\/]undici[\\\\/]/.test(f));
process.stdout.write(JSON.stringify({ ms, undiciLoaded }));
`;

function probe(file: string): Probe {
  const child = spawnSync(process.execPath, ['-e', PROBE, file], { encoding: 'utf8', timeout: 30_000 });
  if (child.status !== 0) throw new Error(`require(${file}) failed: ${child.stderr.slice(0, 2000)}`);
  return JSON.parse(child.stdout) as Probe;
}

export function requireTime(options: RequireTimeOptions): Promise<SectionResult> {
  if (!existsSync(coreEntry)) {
    return Promise.reject(new Error(`${coreEntry} is missing: build core first (pnpm exec turbo run build --filter=@o365/core)`));
  }
  const subjects = [
    { label: '@azure/msal-node  (baseline)', file: requireFromCore.resolve('@azure/msal-node'), probes: [] as Probe[] },
    { label: '@o365/core (dist/index.cjs)', file: coreEntry, probes: [] as Probe[] },
    { label: 'undici alone', file: requireFromCore.resolve('undici'), probes: [] as Probe[] },
  ];
  // Another build of core (an older commit's dist/index.cjs) measured in the same run, for a
  // before/after figure: O365_BENCH_OTHER_CORE=/path/to/other/packages/core/dist/index.cjs
  const other = process.env.O365_BENCH_OTHER_CORE;
  if (other !== undefined && other !== '') subjects.push({ label: `other build: ${other}`, file: path.resolve(other), probes: [] });
  // One warm-up each so the first measured run does not pay for a cold file-system cache.
  for (const s of subjects) probe(s.file);
  for (let run = 0; run < options.runs; run++) for (const s of subjects) s.probes.push(probe(s.file));

  const ms = (s: (typeof subjects)[number]): number[] => s.probes.map((p) => p.ms);
  const base = median(ms(subjects[0]!));
  const core = subjects[1]!;
  return Promise.resolve({
    title: `Cold start: require() in a new node process (${options.runs} runs each, interleaved; median, min-max)`,
    table: table(
      ['module', 'ms (median)', 'ms (min-max)', 'vs msal-node'],
      subjects.map((s) => [
        s.label,
        median(ms(s)).toFixed(1),
        `${Math.min(...ms(s)).toFixed(1)}-${Math.max(...ms(s)).toFixed(1)}`,
        fmtRatio(median(ms(s)) / base),
      ]),
    ),
    notes: ['the time of the require call alone, measured inside the child (node start-up excluded)'],
    checks: [
      {
        claim: 'requiring @o365/core does not load undici',
        ok: core.probes.every((p) => !p.undiciLoaded),
        detail: `undici in require.cache after ${core.probes.filter((p) => p.undiciLoaded).length} of ${core.probes.length} runs`,
      },
    ],
  });
}
