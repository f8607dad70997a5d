import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { iso } from '../../src/clock.js';

describe('iso', () => {
  it('writes every instant exactly as Date#toISOString does', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          // Years 1970–9999, which iso writes itself, and every instant a Date can hold.
          { arbitrary: fc.integer({ min: 0, max: 253_402_300_799_999 }), weight: 4 },
          { arbitrary: fc.integer({ min: -8_640_000_000_000_000, max: 8_640_000_000_000_000 }), weight: 1 },
        ),
        (ms) => {
          expect(iso(ms)).toBe(new Date(ms).toISOString());
        },
      ),
      { numRuns: 20_000 },
    );
  });

  it('agrees at the edges: the epoch, day and year boundaries, leap days, year 9999 and beyond, fractions', () => {
    const edges = [
      0,
      1,
      999,
      86_399_999,
      86_400_000,
      Date.UTC(2024, 1, 29, 23, 59, 59, 999),
      Date.UTC(2026, 11, 31, 23, 59, 59, 999),
      Date.UTC(2027, 0, 1),
      Date.UTC(9999, 11, 31, 23, 59, 59, 999),
      Date.UTC(10000, 0, 1),
      -1,
      1.5,
      Date.UTC(1969, 11, 31, 12),
    ];
    for (const ms of edges) expect(iso(ms), String(ms)).toBe(new Date(ms).toISOString());
    // Many instants of one day: the cached prefix of the day serves them all.
    for (let ms = Date.UTC(2026, 2, 1); ms < Date.UTC(2026, 2, 2); ms += 997_003) expect(iso(ms)).toBe(new Date(ms).toISOString());
    expect(iso(null)).toBeNull();
  });

  it('refuses what Date refuses', () => {
    expect(() => iso(Number.NaN)).toThrow(RangeError);
  });
});
