import { DAY, HOUR } from '../clock.js';

/**
 * When a failed message is tried again. Exponential back-off with jitter, for at least
 * `giveUpAfterMs` since it was queued; or, for test rigs, a fixed list of delays.
 */
export type RetryPolicy = { firstDelayMs: number; maxDelayMs: number; giveUpAfterMs: number } | { delaysMs: number[] };

/** 5 s, 10 s, 20 s, … doubling up to an hour between attempts, for a day: a mail server down overnight loses nothing. */
export const DEFAULT_RETRY_POLICY: RetryPolicy = { firstDelayMs: 5_000, maxDelayMs: HOUR, giveUpAfterMs: DAY };

/**
 * The time of the next attempt after attempt number `attempts` (1-based) failed at `now`, or
 * null when the message has failed for good. `random` is in [0, 1): the jitter keeps many
 * messages that failed together from all coming back at the same instant.
 */
export function nextAttemptAt(policy: RetryPolicy, attempts: number, queuedAt: number, now: number, random: () => number): number | null {
  if ('delaysMs' in policy) {
    const delay = policy.delaysMs[attempts - 1];
    return delay === undefined ? null : now + delay;
  }
  if (now - queuedAt >= policy.giveUpAfterMs) return null;
  const base = Math.min(policy.firstDelayMs * 2 ** Math.min(attempts - 1, 30), policy.maxDelayMs);
  // Equal jitter: between half and the whole of the back-off, so the wait still grows.
  return now + Math.round(base / 2 + (base / 2) * random());
}
