import { Counter } from 'prom-client';
import { registry } from '../metrics.js';
import type { Db } from './database.js';
import { nextGrantExpiry } from './grants.js';
import { type Reader, readerOf } from './reader.js';

/** Kept per generation at most; a full generation starts afresh. */
const MAX_ENTRIES = 10_000;

interface Remembered {
  value: unknown;
  /** When it was read, and until when it holds by itself (a session's expiry, say). */
  at: number;
  until: number;
}

/**
 * What was read while the database stood at one `data_version`, from `since` on. It holds
 * until `until`, the next moment a grant leaves force, which no commit announces.
 */
interface Generation {
  version: number;
  since: number;
  until: number;
  entries: Map<string, Remembered>;
}

const generations = new WeakMap<Db, Generation>();

export const unchangedReads = new Counter({
  name: 'tessera_unchanged_reads_total',
  help: 'Reads of a caller and their check answered from memory because the database had not changed since',
  registers: [registry],
});

/**
 * Reads remembered while the database is unchanged: the caller and the check that every request
 * makes. A remembered answer is given only while SQLite's `data_version` shows that no
 * connection has committed since it was read (this instance, another instance on the same
 * file, the command line), no grant has left force since, and the answer itself still holds
 * (`until` of the value, for a session's or token's expiry). Any commit forgets everything, so a
 * revocation, a logout or a deleted token is in force for the very next request on every
 * instance, as if nothing were remembered. On PostgreSQL, in a transaction or for an in-memory
 * database nothing is remembered: there is no cheap way there to know nothing has changed.
 *
 * `read` must read through the read connection (store/reader.ts) and its answer must depend on
 * nothing but the database, `key` and `now`. A remembered value is shared, so it is frozen; one
 * that holds no longer than `now` (a refusal, say) is not remembered.
 */
export async function readUnchanged<T extends object>(
  db: Db,
  key: string,
  now: number,
  read: () => Promise<T>,
  holdsUntil: (value: T) => number,
): Promise<T> {
  const reader = await readerOf(db);
  if (!reader) return read();
  const generation = generationAt(db, reader, now);
  const remembered = generation.entries.get(key);
  if (remembered !== undefined && remembered.at <= now && now < remembered.until) {
    unchangedReads.inc();
    return remembered.value as T;
  }
  // Read after the version was: it saw this version or a later one, and a later one is seen
  // by the next request, which then starts a new generation.
  const value = Object.freeze(await read());
  const until = holdsUntil(value);
  if (until > now && generations.get(db) === generation) {
    if (generation.entries.size >= MAX_ENTRIES) generation.entries.clear();
    generation.entries.set(key, { value, at: now, until });
  }
  return value;
}

function generationAt(db: Db, reader: Reader, now: number): Generation {
  const version = reader.version();
  const generation = generations.get(db);
  if (generation !== undefined && generation.version === version && generation.since <= now && now < generation.until) return generation;
  const fresh: Generation = { version, since: now, until: nextGrantExpiry(reader, now) ?? Number.POSITIVE_INFINITY, entries: new Map() };
  generations.set(db, fresh);
  return fresh;
}
