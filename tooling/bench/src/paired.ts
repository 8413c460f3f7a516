// Paired, interleaved timing of a backend operation against its raw-SDK baseline: both run in the
// same process, on the same client and server, alternating which goes first each round, so drift
// (GC, server-side disk caches, the other core being busy) hits both sides alike and the ratio
// between them is what carries over, not the absolute milliseconds.
import { performance } from 'node:perf_hooks';

/** Samples of one row: the backend's and the baseline's, in milliseconds. */
export interface PairedSamples {
  backend: number[];
  baseline: number[];
}

export function pairedSamples(): PairedSamples {
  return { backend: [], baseline: [] };
}

async function time(fn: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

/**
 * Runs one backend operation and one baseline operation, the backend first on even rounds and the
 * baseline first on odd ones, and records both (unless `record` is false: warm-up rounds).
 */
export async function timePair(
  round: number,
  into: PairedSamples,
  backendOp: () => Promise<unknown>,
  baselineOp: () => Promise<unknown>,
  record = true,
): Promise<void> {
  let backendMs: number;
  let baselineMs: number;
  if (round % 2 === 0) {
    backendMs = await time(backendOp);
    baselineMs = await time(baselineOp);
  } else {
    baselineMs = await time(baselineOp);
    backendMs = await time(backendOp);
  }
  if (record) {
    into.backend.push(backendMs);
    into.baseline.push(baselineMs);
  }
}

/** Nearest-rank quantile (`q` in 0..1) of unsorted samples. */
export function quantile(samples: readonly number[], q: number): number {
  if (samples.length === 0) return NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

/** One table line: the backend's p50/p95, the baseline's, backend/baseline for each, and `suffix`. */
export function formatRow(label: string, samples: PairedSamples, labelWidth: number, suffix = ''): string {
  const b50 = quantile(samples.backend, 0.5);
  const b95 = quantile(samples.backend, 0.95);
  const r50 = quantile(samples.baseline, 0.5);
  const r95 = quantile(samples.baseline, 0.95);
  const ms = (v: number) => v.toFixed(2).padStart(7);
  const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}x`.padStart(6);
  return (
    `${label.padEnd(labelWidth)} ${ms(b50)} ${ms(b95)}   ${ms(r50)} ${ms(r95)}   ` +
    `${ratio(b50, r50)} ${ratio(b95, r95)}  ${String(samples.backend.length).padStart(4)}${suffix}`
  );
}

export function formatHeader(labelWidth: number, suffix = ''): string {
  return (
    `${''.padEnd(labelWidth)} ${'backend (ms)'.padStart(15)}   ${'baseline (ms)'.padStart(15)}   ${'backend/baseline'.padStart(13)}\n` +
    `${'operation'.padEnd(labelWidth)} ${'p50'.padStart(7)} ${'p95'.padStart(7)}   ${'p50'.padStart(7)} ${'p95'.padStart(7)}   ` +
    `${'p50'.padStart(6)} ${'p95'.padStart(6)}  ${'n'.padStart(4)}${suffix}`
  );
}
