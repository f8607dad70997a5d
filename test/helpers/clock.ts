import type { Clock } from '../../src/clock.js';

/** A clock the test moves by hand, so expiry is tested at the exact instant without waiting. */
export class TestClock implements Clock {
  constructor(private current = Date.parse('2026-01-05T09:00:00.000Z')) {}
  now(): number {
    return this.current;
  }
  set(ms: number): void {
    this.current = ms;
  }
  advance(ms: number): void {
    this.current += ms;
  }
}
