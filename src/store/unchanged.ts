import { Counter } from 'prom-client';
import { registry } from '../metrics.js';
import type { Db } from './database.js';
import { nextGrantExpiry } from './grants.js';
import { ACCESS_TRIGGERS } from './migrations/016-access-changes.js';
import { type Reader, readerOf } from './reader.js';

/** Kept per generation at most; a full generation starts afresh. */
const MAX_ENTRIES = 10_000;
/** Changes read at most after one commit; past this many, starting afresh costs less. */
const MAX_CHANGES = 1_000;
/** Characters of remembered values kept per generation at most (a dataset's description may be long). */
const MAX_CHARACTERS = 16_000_000;

/** What a remembered read depends on: a change to this user or this dataset forgets it. */
export interface DependsOn {
  userId: string | null;
  datasetId: string | null;
}

interface Remembered extends DependsOn {
  value: unknown;
  /** The length of the value as JSON: what it holds in memory, roughly. */
  characters: number;
  /** When it was read, and until when it holds by itself (a session's expiry, say). */
  at: number;
  until: number;
}

/**
 * What was read from `since` on, while the database was at `version` or at a later one whose
 * changes (up to `seq` in `access_changes`, migration 016) have been read and what they
 * concern forgotten. It holds until `until`, the next moment a grant leaves force, which no
 * commit announces.
 */
interface Generation {
  version: number;
  schema: number;
  seq: number;
  /** Counts the times changes were read; a read begun before one of them may predate what it forgot. */
  catchUps: number;
  /** False when a trigger of migration 016 is missing: changes may go unnoted, so nothing is remembered. */
  noted: boolean;
  characters: number;
  since: number;
  until: number;
  entries: Map<string, Remembered>;
  /** The keys of the entries that depend on each user, and on each dataset. */
  byUser: Map<string, Set<string>>;
  byDataset: Map<string, Set<string>>;
}

const generations = new WeakMap<Db, Generation>();

export const unchangedReads = new Counter({
  name: 'tessera_unchanged_reads_total',
  help: 'Reads of a caller and their check answered from memory because the database had not changed since',
  registers: [registry],
});

export const forgottenReads = new Counter({
  name: 'tessera_unchanged_reads_forgotten_total',
  help: 'Remembered reads forgotten because a commit changed the user or the dataset they depend on',
  registers: [registry],
});

/**
 * Reads remembered while nothing they depend on has changed: the caller and the check that
 * every request makes. A remembered answer is given only while
 *
 * - every commit since it was read (SQLite's `data_version` on the read connection says when
 *   there was one: this instance, another instance on the same file, the command line) has
 *   been read from `access_changes`, and none concerned its user or its dataset. Those are
 *   noted by triggers on every table a caller or a check reads (migration 016); a commit whose
 *   changes cannot all be read (pruned, too many, another schema) forgets everything;
 * - no grant has left force since it was read;
 * - the answer itself still holds (`until` of the value, for a session's or token's expiry).
 *
 * So a revocation, a logout or a deleted token is in force for the very next request on every
 * instance, as if nothing were remembered. On PostgreSQL, in a transaction or for an in-memory
 * database nothing is remembered: there is no cheap way there to know nothing has changed.
 *
 * `read` must read through the read connection (store/reader.ts), and its answer must depend on
 * nothing but the database rows of the user and the dataset `dependsOn` names (those the tables
 * of migration 016 note), `key` and `now`. A remembered value is shared, so it is frozen; one
 * that holds no longer than `now` (a refusal, say) is not remembered.
 */
export async function readUnchanged<T extends object>(
  db: Db,
  key: string,
  now: number,
  read: () => Promise<T>,
  holdsUntil: (value: T) => number,
  dependsOn: (value: T) => DependsOn,
): Promise<T> {
  const reader = await readerOf(db);
  if (!reader) return read();
  const generation = generationAt(db, reader, now);
  if (!generation.noted) return read();
  const remembered = generation.entries.get(key);
  if (remembered !== undefined && remembered.at <= now && now < remembered.until) {
    unchangedReads.inc();
    return remembered.value as T;
  }
  // Read after the version and the changes were: it saw this version or a later one, and the
  // changes of a later one are read by the next request, which forgets this read if they concern
  // it. Should another request read those changes first, while this read was under way, this
  // read may predate them: it is then given once and not remembered.
  const catchUps = generation.catchUps;
  const value = Object.freeze(await read());
  const until = holdsUntil(value);
  if (until > now && generations.get(db) === generation && generation.catchUps === catchUps) {
    const characters = JSON.stringify(value).length;
    if (generation.entries.size >= MAX_ENTRIES || generation.characters + characters > MAX_CHARACTERS) clear(generation);
    remember(generation, key, { value, characters, at: now, until, ...dependsOn(value) });
  }
  return value;
}

function generationAt(db: Db, reader: Reader, now: number): Generation {
  const version = reader.version();
  const current = generations.get(db);
  if (current !== undefined && current.since <= now && now < current.until) {
    if (current.version === version) return current;
    // The version is read before the changes: a commit after this read shows as another version next time.
    if (caughtUp(reader, current) && now < current.until) {
      current.version = version;
      current.catchUps += 1;
      return current;
    }
  }
  const schema = schemaOf(reader);
  const fresh: Generation = {
    version,
    schema,
    seq: lastChange(reader),
    catchUps: 0,
    noted: triggersPresent(reader, schema),
    characters: 0,
    since: now,
    until: nextGrantExpiry(reader, now) ?? Number.POSITIVE_INFINITY,
    entries: new Map(),
    byUser: new Map(),
    byDataset: new Map(),
  };
  generations.set(db, fresh);
  return fresh;
}

const CHANGES_SINCE = `select seq, user_id, dataset_id from access_changes where seq > ? order by seq limit ${MAX_CHANGES + 1}`;
// The counter AUTOINCREMENT keeps, not the last row: a change whose row is gone still counts.
const LAST_CHANGE = `select seq from sqlite_sequence where name = 'access_changes'`;

interface Change {
  seq: number;
  user_id: string | null;
  dataset_id: string | null;
}

/**
 * Reads the changes committed since `generation` last looked and forgets what they concern.
 * False when they cannot all be read: the schema changed, the log was pruned past them or
 * holds another history (a restored file), or there are too many.
 */
function caughtUp(reader: Reader, generation: Generation): boolean {
  if (schemaOf(reader) !== generation.schema) return false;
  const changes = reader.all<Change>(CHANGES_SINCE, [generation.seq]);
  if (changes.length > MAX_CHANGES) return false;
  if (changes.length === 0) {
    if (lastChange(reader) !== generation.seq) return false;
  } else if (changes[0]!.seq !== generation.seq + 1) {
    return false;
  }
  for (const change of changes) {
    if (change.user_id === null && change.dataset_id === null) return false;
    if (change.user_id !== null) forgetAll(generation, generation.byUser.get(change.user_id));
    if (change.dataset_id !== null) forgetAll(generation, generation.byDataset.get(change.dataset_id));
    generation.seq = change.seq;
  }
  // A grant given since may leave force before the generation would have ended: the first
  // expiry after its start bounds every read in it, whatever its request's clock.
  generation.until = Math.min(generation.until, nextGrantExpiry(reader, generation.since) ?? Number.POSITIVE_INFINITY);
  return true;
}

const TRIGGERS_PRESENT = `select count(*) as n from sqlite_master where type = 'trigger' and name in (select value from json_each(?))`;
/** Whether every trigger of migration 016 exists, read once per schema version. */
const triggersChecked = new WeakMap<Reader, { schema: number; present: boolean }>();

function triggersPresent(reader: Reader, schema: number): boolean {
  const checked = triggersChecked.get(reader);
  if (checked?.schema === schema) return checked.present;
  const present = reader.get<{ n: number }>(TRIGGERS_PRESENT, [JSON.stringify(ACCESS_TRIGGERS)])?.n === ACCESS_TRIGGERS.length;
  triggersChecked.set(reader, { schema, present });
  return present;
}

function schemaOf(reader: Reader): number {
  return reader.get<{ schema_version: number }>('pragma schema_version', [])?.schema_version ?? 0;
}

function lastChange(reader: Reader): number {
  return reader.get<{ seq: number | null }>(LAST_CHANGE, [])?.seq ?? 0;
}

function remember(generation: Generation, key: string, entry: Remembered): void {
  forget(generation, key);
  generation.entries.set(key, entry);
  generation.characters += entry.characters;
  if (entry.userId !== null) indexed(generation.byUser, entry.userId).add(key);
  if (entry.datasetId !== null) indexed(generation.byDataset, entry.datasetId).add(key);
}

function indexed(index: Map<string, Set<string>>, id: string): Set<string> {
  let keys = index.get(id);
  if (keys === undefined) {
    keys = new Set();
    index.set(id, keys);
  }
  return keys;
}

function forgetAll(generation: Generation, keys: Set<string> | undefined): void {
  if (keys === undefined) return;
  for (const key of [...keys]) {
    forget(generation, key);
    forgottenReads.inc();
  }
}

function forget(generation: Generation, key: string): void {
  const entry = generation.entries.get(key);
  if (entry === undefined) return;
  generation.entries.delete(key);
  generation.characters -= entry.characters;
  unindex(generation.byUser, entry.userId, key);
  unindex(generation.byDataset, entry.datasetId, key);
}

function unindex(index: Map<string, Set<string>>, id: string | null, key: string): void {
  if (id === null) return;
  const keys = index.get(id);
  keys?.delete(key);
  if (keys?.size === 0) index.delete(id);
}

function clear(generation: Generation): void {
  generation.entries.clear();
  generation.characters = 0;
  generation.byUser.clear();
  generation.byDataset.clear();
}
