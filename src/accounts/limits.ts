import { HOUR } from '../clock.js';
import type { Context } from '../context.js';
import { RateLimited } from '../errors.js';
import { countRateHit, deleteRateCounter, deleteRateCountersOpenedBy, findRateCounter } from '../store/rate-limits.js';
import { authEvent } from './events.js';

export interface Limit {
  /** Names the counter in messages and logs. */
  name: string;
  max: number;
  windowMs: number;
}

const MINUTE = 60_000;

/** No limit counts over a longer window: a counter whose window opened longer ago has closed, whatever its limit. */
export const LONGEST_WINDOW_MS = HOUR;

/** At most `max` in each window of `windowMs`, which may not be longer than LONGEST_WINDOW_MS (checked as the module loads). */
export function limitOf(name: string, max: number, windowMs: number): Limit {
  if (windowMs > LONGEST_WINDOW_MS) throw new Error(`The limit on ${name} counts over more than LONGEST_WINDOW_MS.`);
  return { name, max, windowMs };
}

/** Per caller address: requests of any outcome (off with IP_LIMITS=off). */
export const ADDRESS_LIMITS = {
  signup: limitOf('sign-ups', 20, HOUR),
  login: limitOf('log-in attempts', 60, 15 * MINUTE),
  passwordReset: limitOf('password reset requests', 10, HOUR),
  verificationResend: limitOf('verification e-mails', 10, HOUR),
};

/**
 * Failed logins, whatever IP_LIMITS says: 5 per account and caller address, so a stranger
 * guessing from one address never locks the owner out of another; and a higher cap per
 * account, so guessing from many addresses is slowed too.
 */
export const FAILED_LOGINS_FROM_ADDRESS = limitOf('failed logins', 5, 15 * MINUTE);
export const FAILED_LOGINS_OF_ACCOUNT = limitOf('failed logins', 50, 15 * MINUTE);

/** Each account may ask for a few verification mails an hour, from any address. */
export const VERIFICATION_MAILS_OF_ACCOUNT = limitOf('verification e-mails', 5, HOUR);

/**
 * A counter is removed a minute after even the longest window has closed, so that an instance
 * whose clock runs a little ahead removes none that another instance still counts.
 */
const REMOVED_AFTER_MS = LONGEST_WINDOW_MS + MINUTE;

/**
 * Counters live in the database, so a limit holds across every instance. A window opens at
 * the first hit and closes `windowMs` later; the increment is one upsert, so racing requests
 * on several instances all count. Each window that opens removes counters whose windows have
 * all closed, so the table holds the callers of the last hour, not every address that ever
 * called: a closed counter limits nothing, and the next hit on its key would open a window
 * afresh anyway.
 */
export async function countHit(ctx: Context, key: string, limit: Limit): Promise<number> {
  const now = ctx.clock.now();
  const hits = await countRateHit(ctx.db, key, now, limit.windowMs);
  if (hits === 1) await removeClosedCounters(ctx, now);
  return hits;
}

/** A few hundred at a time, and a failure is only logged: the hit has counted, and the next window tries again. */
async function removeClosedCounters(ctx: Context, now: number): Promise<void> {
  try {
    await deleteRateCountersOpenedBy(ctx.db, now - REMOVED_AFTER_MS, 500);
  } catch (error) {
    ctx.logger.warn({ err: error }, 'closed rate limit counters could not be removed');
  }
}

/** Refuses with 429 while the counter is at its limit, without counting. */
export async function assertUnderLimit(ctx: Context, key: string, limit: Limit, ip: string): Promise<void> {
  const row = await findRateCounter(ctx.db, key);
  const now = ctx.clock.now();
  const closesAt = row ? Number(row.window_start) + limit.windowMs : 0;
  if (row && Number(row.hits) >= limit.max && closesAt > now) {
    authEvent(ctx, 'rate_limited', { outcome: limit.name, ip });
    throw new RateLimited(`Too many ${limit.name}. Try again later.`, Math.max(1, Math.ceil((closesAt - now) / 1000)));
  }
}

/** Counts one request and refuses it with 429 once over the limit. */
export async function spend(ctx: Context, key: string, limit: Limit, ip: string): Promise<void> {
  await assertUnderLimit(ctx, key, limit, ip);
  await countHit(ctx, key, limit);
}

export async function clearCounter(ctx: Context, key: string): Promise<void> {
  await deleteRateCounter(ctx.db, key);
}

/** A limit per caller address, unless the deployment turned them off (IP_LIMITS=off). */
export async function spendForAddress(ctx: Context, limit: keyof typeof ADDRESS_LIMITS, ip: string): Promise<void> {
  if (!ctx.ipLimits) return;
  await spend(ctx, `ip:${limit}:${ip}`, ADDRESS_LIMITS[limit], ip);
}
