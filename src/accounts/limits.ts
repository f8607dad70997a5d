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

/** Per caller address: requests of any outcome (off with IP_LIMITS=off). */
export const ADDRESS_LIMITS = {
  signup: { name: 'sign-ups', max: 20, windowMs: HOUR },
  login: { name: 'log-in attempts', max: 60, windowMs: 15 * MINUTE },
  passwordReset: { name: 'password reset requests', max: 10, windowMs: HOUR },
  verificationResend: { name: 'verification e-mails', max: 10, windowMs: HOUR },
} satisfies Record<string, Limit>;

/**
 * Failed logins, whatever IP_LIMITS says: 5 per account and caller address, so a stranger
 * guessing from one address never locks the owner out of another; and a higher cap per
 * account, so guessing from many addresses is slowed too.
 */
export const FAILED_LOGINS_FROM_ADDRESS: Limit = { name: 'failed logins', max: 5, windowMs: 15 * MINUTE };
export const FAILED_LOGINS_OF_ACCOUNT: Limit = { name: 'failed logins', max: 50, windowMs: 15 * MINUTE };

/** Each account may ask for a few verification mails an hour, from any address. */
export const VERIFICATION_MAILS_OF_ACCOUNT: Limit = { name: 'verification e-mails', max: 5, windowMs: HOUR };

/** No limit counts over a longer window: a counter whose window opened longer ago has closed, whatever its limit. */
export const LONGEST_WINDOW_MS = HOUR;

/**
 * Counters live in the database, so a limit holds across every instance. A window opens at
 * the first hit and closes `windowMs` later; the increment is one upsert, so racing requests
 * on several instances all count. Each window that opens removes the counters whose windows
 * have all closed (an index finds them), so the table holds the callers of the last hour, not
 * every address that ever called: a closed counter limits nothing, and the next hit on its key
 * would open a window afresh anyway.
 */
export async function countHit(ctx: Context, key: string, limit: Limit): Promise<number> {
  if (limit.windowMs > LONGEST_WINDOW_MS) throw new Error(`The limit on ${limit.name} counts over more than LONGEST_WINDOW_MS.`);
  const now = ctx.clock.now();
  const hits = await countRateHit(ctx.db, key, now, limit.windowMs);
  if (hits === 1) await deleteRateCountersOpenedBy(ctx.db, now - LONGEST_WINDOW_MS);
  return hits;
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
