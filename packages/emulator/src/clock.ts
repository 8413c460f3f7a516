import { performance } from 'node:perf_hooks';

/**
 * The emulator's time. It runs with real time from a monotonic source (so a test that fakes
 * `Date` for its client does not move the server) and can be pushed forward with `advance`.
 *
 * @example
 * ```ts
 * emu.clock.advance(3600); // every access token issued before now has expired
 * ```
 */
export interface EmulatorClock {
  /** Milliseconds since the epoch, emulator time. */
  now(): number;
  /** Moves emulator time forward by `seconds` (fractions allowed; negative values are refused). */
  advance(seconds: number): void;
}

/**
 * Thrown when the clock is asked to move backwards or by a non-finite amount.
 *
 * @example
 * ```ts
 * expect(() => emu.clock.advance(-1)).toThrow(ClockError);
 * ```
 */
export class ClockError extends Error {
  readonly code = 'EMULATOR_CLOCK_INVALID';
  constructor(message: string) {
    super(message);
    this.name = 'ClockError';
  }
}

/** Real wall time that ignores `Date` fakes: `performance.timeOrigin` is fixed at process start. */
export function realNow(): number {
  return performance.timeOrigin + performance.now();
}

/** Creates a clock that starts at real time. */
export function createClock(): EmulatorClock {
  let offsetMs = 0;
  return {
    now: () => Math.floor(realNow() + offsetMs),
    advance(seconds: number) {
      if (!Number.isFinite(seconds) || seconds < 0) {
        throw new ClockError(`clock.advance expects a finite, non-negative number of seconds, got ${String(seconds)}`);
      }
      offsetMs += seconds * 1000;
    },
  };
}
