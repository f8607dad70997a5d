/**
 * Every date and time the UI shows, in one style: "Dec 2, 2026" for days and
 * "Dec 2, 2026, 14:05 UTC" for moments, with the zone named (UTC, or the browser's own zone),
 * so that a time on a page and the same time in an e-mail (always UTC) can be compared.
 */

const browserZone = (): string => Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
const isUtc = (zone: string) => zone === 'UTC' || zone === 'Etc/UTC' || zone === 'Etc/GMT';

/** The zone times are shown in, as it is named after them. */
export function zoneName(zone = browserZone()): string {
  return isUtc(zone) ? 'UTC' : zone.replace(/_/g, ' ');
}

const DAY: Intl.DateTimeFormatOptions = { year: 'numeric', month: 'short', day: 'numeric' };
const CLOCK: Intl.DateTimeFormatOptions = { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' };

/** A day: "Dec 2, 2026" (in the browser's zone). */
export function formatDay(iso: string, zone = browserZone()): string {
  return new Date(iso).toLocaleDateString(undefined, { ...DAY, timeZone: zone });
}

/** A moment: "Dec 2, 2026, 14:05 UTC", or "Dec 2, 2026, 15:05 Europe/Berlin". */
export function formatDate(iso: string, zone = browserZone()): string {
  const date = new Date(iso);
  const day = date.toLocaleDateString(undefined, { ...DAY, timeZone: zone });
  const clock = date.toLocaleTimeString(undefined, { ...CLOCK, timeZone: zone });
  return `${day}, ${clock} ${zoneName(zone)}`;
}

/** A time of day today: "14:05 UTC". */
export function formatClock(iso: string, zone = browserZone()): string {
  return `${new Date(iso).toLocaleTimeString(undefined, { ...CLOCK, timeZone: zone })} ${zoneName(zone)}`;
}

/** How long until `iso`: "2 d 23 h left", "5 h left", "12 min left" or "expired". */
export function timeLeft(iso: string, now = Date.now()): string {
  const ms = Date.parse(iso) - now;
  if (ms <= 0) return 'expired';
  const hours = Math.floor(ms / 3_600_000);
  if (hours >= 24) return `${Math.floor(hours / 24)} d ${hours % 24} h left`;
  if (hours >= 1) return `${hours} h left`;
  return `${Math.max(1, Math.floor(ms / 60_000))} min left`;
}

/** An end, with both the date and what is left of it: "until Dec 5, 2026, 14:05 UTC · 2 d 23 h left". */
export function until(iso: string, now = Date.now()): string {
  const left = timeLeft(iso, now);
  return left === 'expired' ? `ended ${formatDate(iso)}` : `until ${formatDate(iso)} · ${left}`;
}

/** Something on its way out (an e-mail, a webhook delivery): being sent now, or due at a time. */
export interface Outgoing {
  sending: boolean;
  dueAt: string | null;
}

/** The longest wait a timer takes (about 24 days). */
const LONGEST_WAIT_MS = 2_147_483_647;

/**
 * When a list of things on their way out is looked at again, in milliseconds, or never: every
 * `everyMs` while one is being sent or is due within a minute either way (a retried one is due
 * at once), else half a minute before the next one is due, so that a long back-off is not
 * watched. Never for one long overdue, which would keep a page with a clock far from the
 * server's asking for good.
 */
export function lookAgainIn(items: Outgoing[], everyMs: number, now = Date.now()): number | false {
  let next = Number.POSITIVE_INFINITY;
  for (const item of items) {
    if (item.sending) return everyMs;
    if (item.dueAt === null) continue;
    const until = Date.parse(item.dueAt) - now;
    if (Math.abs(until) < 60_000) return everyMs;
    if (until > 0) next = Math.min(next, until - 30_000);
  }
  return next === Number.POSITIVE_INFINITY ? false : Math.min(next, LONGEST_WAIT_MS);
}
