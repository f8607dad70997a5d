import { describe, expect, it } from 'vitest';
import { lookAgainIn } from '../../web/src/time.js';

const NOW = Date.parse('2026-12-06T12:00:00Z');
const at = (ms: number) => new Date(NOW + ms).toISOString();

describe('when the web UI looks again at things on their way out (lookAgainIn)', () => {
  it('every few seconds while one is being sent or is due within a minute either way', () => {
    expect(lookAgainIn([{ sending: true, dueAt: null }], 3_000, NOW)).toBe(3_000);
    expect(lookAgainIn([{ sending: false, dueAt: at(59_000) }], 3_000, NOW)).toBe(3_000);
    // A retried one is due at once, or was due a little while ago on the server's clock.
    expect(lookAgainIn([{ sending: false, dueAt: at(-59_000) }], 2_000, NOW)).toBe(2_000);
    expect(
      lookAgainIn(
        [
          { sending: false, dueAt: at(5 * 60_000) },
          { sending: true, dueAt: null },
        ],
        3_000,
        NOW,
      ),
    ).toBe(3_000);
  });

  it('half a minute before the next one is due, through a long back-off', () => {
    expect(lookAgainIn([{ sending: false, dueAt: at(60 * 60_000) }], 3_000, NOW)).toBe(60 * 60_000 - 30_000);
    const two = [
      { sending: false, dueAt: at(3 * 60 * 60_000) },
      { sending: false, dueAt: at(10 * 60_000) },
    ];
    expect(lookAgainIn(two, 3_000, NOW)).toBe(10 * 60_000 - 30_000);
    // Beyond what a timer can wait: as long as it can.
    expect(lookAgainIn([{ sending: false, dueAt: at(40 * 24 * 60 * 60_000) }], 3_000, NOW)).toBe(2_147_483_647);
  });

  it('never when nothing is on its way, or what is is long overdue (a clock far from the server’s)', () => {
    expect(lookAgainIn([], 3_000, NOW)).toBe(false);
    expect(lookAgainIn([{ sending: false, dueAt: null }], 3_000, NOW)).toBe(false);
    expect(lookAgainIn([{ sending: false, dueAt: at(-2 * 60 * 60_000) }], 3_000, NOW)).toBe(false);
  });
});
