import { describe, expect, it, jest } from '@jest/globals';
import { ClockError, createClock } from './clock.js';

describe('emulator clock', () => {
  it('moves forward by advance() and refuses to go back', () => {
    const clock = createClock();
    const before = clock.now();
    clock.advance(3600);
    expect(clock.now() - before).toBeGreaterThanOrEqual(3600 * 1000);
    expect(() => clock.advance(-1)).toThrow(ClockError);
    expect(() => clock.advance(Number.NaN)).toThrow(ClockError);
  });

  it('is not moved by a faked Date', () => {
    const clock = createClock();
    jest.useFakeTimers({ now: Date.now() + 10 * 24 * 3600 * 1000, doNotFake: ['performance', 'hrtime', 'nextTick', 'setImmediate', 'setTimeout'] });
    try {
      expect(Math.abs(clock.now() - (Date.now() - 10 * 24 * 3600 * 1000))).toBeLessThan(60_000);
    } finally {
      jest.useRealTimers();
    }
  });
});
