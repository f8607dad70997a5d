import { Counter } from 'prom-client';
import { registry } from '../metrics.js';
import type { Db } from './database.js';
import { nextGrantExpiry, nextGrantExpirySql } from './grants.js';
import { ACCESS_TRIGGERS } from './migrations/016-access-changes.js';
import { POSTGRES_ACCESS_TABLES, POSTGRES_ACCESS_TRIGGERS } from './migrations/020-access-changes-postgres.js';
import { dialectOf, type Reader, readerOf, readSql } from './reader.js';

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
  /** SQLite: `data_version`, `schema_version` and the last change read. */
  version: number;
  schema: number;
  seq: number;
  /** PostgreSQL: the snapshot of the last look at the change log (`pg_current_snapshot()`). */
  snapshot: string | undefined;
  /** PostgreSQL: the triggers and tables of the change log as the generation began (`LOOK`). */
  catalog: string | undefined;
  /** PostgreSQL: the log's horizon at the last look. */
  below: string | undefined;
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
 * - every commit since it was read has been read from `access_changes`, and none concerned its
 *   user or its dataset. Those are noted by triggers on every table a caller or a check reads
 *   (migration 016 on SQLite, 020 on PostgreSQL); a commit whose changes cannot all be read
 *   (pruned, too many, another schema, a trigger missing) forgets everything. On SQLite the read
 *   connection's `data_version` says when there was a commit: this instance, another instance
 *   on the same file, the command line. On PostgreSQL each read waits for a look at the change
 *   log that began after it was asked for (`lookedAfter`), one statement shared by the reads
 *   that came meanwhile;
 * - no grant has left force since it was read;
 * - the answer itself still holds (`until` of the value, for a session's or token's expiry).
 *
 * So a revocation, a logout or a deleted token is in force for the very next request on every
 * instance, as if nothing were remembered. In a transaction or for an in-memory database nothing
 * is remembered.
 *
 * `read` must read through the read connection on SQLite (store/reader.ts), and its answer must
 * depend on nothing but the database rows of the user and the dataset `dependsOn` names (those
 * the tables of migrations 016 and 020 note), `key` and `now`. A remembered value is shared, so
 * it is frozen; one that holds no longer than `now` (a refusal, say) is not remembered.
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
  let generation: Generation | undefined;
  if (reader) {
    generation = generationAt(db, reader, now, await versionAfter(reader));
  } else if (!db.isTransaction && dialectOf(db) === 'postgres') {
    // A look fails as the read would: the read then says so, with nothing remembered.
    generation = await lookedAfter(db, now).catch(() => undefined);
  }
  if (generation === undefined || !generation.noted || now < generation.since || now >= generation.until) return read();
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

/** SQLite: the `data_version` that the reads asking now will share, read once they have all asked. */
const versions = new WeakMap<Reader, Promise<number>>();

/**
 * SQLite: the read connection's `data_version`, read after this call, once for every read that
 * asks before it is read (in the same turn of the event loop). It sees every commit made before
 * any of them asked, as if each had read it alone. Reading it begins and ends a read transaction
 * (two locks, each a system call): a fifth of a remembered request's time when each read it,
 * the authorized GET 22 200–22 700 requests a second against 28 300–29 400 shared.
 */
function versionAfter(reader: Reader): Promise<number> {
  let pending = versions.get(reader);
  if (pending === undefined) {
    pending = new Promise((resolve, reject) =>
      setImmediate(() => {
        versions.delete(reader);
        try {
          resolve(reader.version());
        } catch (error) {
          reject(error);
        }
      }),
    );
    versions.set(reader, pending);
  }
  return pending;
}

function generationAt(db: Db, reader: Reader, now: number, version: number): Generation {
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
  return startGeneration(db, {
    version,
    schema,
    seq: lastChange(reader),
    snapshot: undefined,
    catalog: undefined,
    below: undefined,
    noted: triggersPresent(reader, schema),
    since: now,
    until: nextGrantExpiry(reader, now) ?? Number.POSITIVE_INFINITY,
  });
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

/**
 * PostgreSQL: one look at the change log (migration 020), in one snapshot: that snapshot; the
 * changes it sees that the last look's snapshot (`$1`, null for none) did not, of transactions
 * that were under way then or began after; the horizon below which changes were removed (null
 * unless it is one row); how many of the triggers that note them are there and enabled, and every
 * trigger of those tables (but the foreign keys' own), its function and the tables as the catalog
 * has them now (a trigger dropped and made again, a function replaced, a table rewritten, each
 * since the last look, shows only there); and the first moment after `$2` a grant leaves force.
 */
const LOOK = `with watched as (select w.tab::regclass as rel, w.name from unnest($3::text[], $4::text[]) as w(tab, name)),
       tables as (select c.oid, c.relfilenode, c.xmin from pg_class c where c.oid = any($5::regclass[])),
       triggers as (select t.oid, t.xmin, t.tgenabled, t.tgfoid from pg_trigger t
                     where t.tgrelid = any($5::regclass[]) and not t.tgisinternal)
  select pg_current_snapshot()::text as snapshot,
    (select case when count(*) = 1 then min(below)::text end from access_changes_horizon) as below,
    (select count(*) from watched w join pg_trigger t on t.tgrelid = w.rel and t.tgname = w.name
      where t.tgenabled in ('O', 'A'))::int as triggers,
    (select string_agg(t.oid::text || ':' || t.xmin::text || ':' || t.tgenabled::text, ',' order by t.oid) from triggers t)
    || ' ' || (select string_agg(p.oid::text || ':' || p.xmin::text, ',' order by p.oid) from pg_proc p
                where p.oid = any(array(select distinct tgfoid from triggers)))
    || ' ' || (select string_agg(c.oid::text || ':' || c.relfilenode::text || ':' || c.xmin::text, ',' order by c.oid) from tables c)
    as catalog,
    case when $1::text is null then null else
      (select coalesce(json_agg(json_build_array(c.user_id, c.dataset_id)), '[]')::text
         from (select user_id, dataset_id from access_changes
                where (xid >= pg_snapshot_xmax($1::text::pg_snapshot)::text::bigint
                       or xid in (select x::text::bigint from pg_snapshot_xip($1::text::pg_snapshot) x))
                  and not pg_visible_in_snapshot(xid::text::xid8, $1::text::pg_snapshot)
                limit ${MAX_CHANGES + 1}) c)
    end as changes,
    (${nextGrantExpirySql('$2')}) as next_expiry`;

const LOOK_TRIGGERS = [POSTGRES_ACCESS_TRIGGERS.map((t) => t.table), POSTGRES_ACCESS_TRIGGERS.map((t) => t.name), POSTGRES_ACCESS_TABLES];

/**
 * How long a look may take before the reads waiting for it read alone instead (nothing is
 * remembered): a look held up by a lock on the change log must not hold up every request. While
 * it is still under way no other look is sent (it would wait for the same lock, on another of the
 * pool's connections), and reads read alone. When it answers, it brings the generation up to its
 * own snapshot, as any look does; no read is waiting for it by then.
 */
const LOOK_DEADLINE_MS = 2_000;

interface LookRow {
  snapshot: string;
  below: string | null;
  triggers: number;
  catalog: string | null;
  changes: string | null;
  next_expiry: string | number | null;
}

/**
 * PostgreSQL: the look that reads wait for, not sent yet, with their clocks; the one under way;
 * and how many have been sent (a look changes the generation only while it is the last one sent).
 */
interface Looks {
  next: Promise<Generation> | null;
  nows: number[];
  running: Promise<unknown>;
  sent: number;
  /** Whether the last look sent is still under way, its deadline past or not. */
  underWay: boolean;
}

const looks = new WeakMap<Db, Looks>();

/**
 * PostgreSQL: the generation after a look at the change log sent after this call, shared by every
 * read that asks before it is sent. One look is under way at a time; the reads that come
 * meanwhile wait for the next, so a busy instance looks once per round trip, not once per read.
 * A read that joined a look sees every commit made before it asked, as if it had read alone.
 */
function lookedAfter(db: Db, now: number): Promise<Generation> {
  let state = looks.get(db);
  if (state === undefined) {
    state = { next: null, nows: [], running: Promise.resolve(), sent: 0, underWay: false };
    looks.set(db, state);
  }
  const current = state;
  if (current.next === null) {
    const nows: number[] = [];
    const next: Promise<Generation> = current.running
      .then(() => new Promise<void>((resolve) => setImmediate(resolve)))
      .then(() => {
        // Sent: a read that asks from now on waits for the next look.
        current.next = null;
        if (current.underWay) throw new Error('A look at the change log past its deadline is still under way');
        current.sent += 1;
        const ticket = current.sent;
        current.underWay = true;
        const under = look(db, nows, () => current.sent === ticket);
        void under.then(
          () => (current.underWay = false),
          () => (current.underWay = false),
        );
        const sent = withDeadline(under, LOOK_DEADLINE_MS);
        current.running = sent.catch(() => undefined);
        return sent;
      });
    current.next = next;
    current.nows = nows;
  }
  current.nows.push(now);
  return current.next;
}

/** `work`, or a failure once `ms` have passed without its answer. */
function withDeadline<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`A look at the change log took more than ${ms} ms`)), ms);
    timer.unref();
  });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}

/**
 * One look: the changes since the generation's snapshot forget what they concern, and the
 * generation goes on from the new snapshot. A new generation starts instead when there is none,
 * when a clock of the reads waiting is outside the generation's time, when a trigger is missing
 * or the triggers or tables have changed, or when the changes cannot all be read (too many, or
 * removed past the last snapshot). `last` says whether this is still the last look sent: one that
 * answers after its deadline, once another was sent, changes nothing.
 */
async function look(db: Db, nows: number[], last: () => boolean): Promise<Generation> {
  const current = generations.get(db);
  let earliest = Number.POSITIVE_INFINITY;
  let latest = Number.NEGATIVE_INFINITY;
  for (const now of nows) {
    earliest = Math.min(earliest, now);
    latest = Math.max(latest, now);
  }
  const going = current?.snapshot !== undefined && current.since <= earliest && latest < current.until ? current : undefined;
  const since = going ? going.since : earliest;
  const [row] = await readSql<LookRow>(db, LOOK, [going?.snapshot ?? null, since, ...LOOK_TRIGGERS], { prepare: true });
  if (!row) throw new Error('A look at the change log answered no row');
  if (!last()) throw new Error('A look at the change log answered after its deadline');
  const noted = row.triggers === POSTGRES_ACCESS_TRIGGERS.length && row.catalog !== null && row.below !== null;
  const nextExpiry = row.next_expiry === null ? Number.POSITIVE_INFINITY : Number(row.next_expiry);
  if (going?.noted && noted && going.catalog === row.catalog && generations.get(db) === going && lookedOver(going, row)) {
    going.snapshot = row.snapshot;
    // A grant given since may leave force before the generation would have ended.
    going.until = Math.min(going.until, nextExpiry);
    return going;
  }
  return startGeneration(db, {
    version: 0,
    schema: 0,
    seq: 0,
    snapshot: row.snapshot,
    catalog: row.catalog ?? undefined,
    below: row.below ?? undefined,
    noted,
    since,
    until: nextExpiry,
  });
}

/** A new generation of `db`, from where it stands in the database on; nothing remembered yet. */
function startGeneration(db: Db, start: Omit<Generation, 'catchUps' | 'characters' | 'entries' | 'byUser' | 'byDataset'>): Generation {
  const generation: Generation = { ...start, catchUps: 0, characters: 0, entries: new Map(), byUser: new Map(), byDataset: new Map() };
  generations.set(db, generation);
  return generation;
}

/** PostgreSQL: forgets what a look's changes concern; false when they cannot all be read. */
function lookedOver(generation: Generation, row: LookRow): boolean {
  if (row.changes === null || row.below === null || generation.snapshot === undefined || generation.below === undefined) return false;
  // A change removed from the log may be one the last snapshot did not see: its transaction id
  // is at or above that snapshot's oldest one under way. A horizon that went down was set by hand.
  const oldest = BigInt(generation.snapshot.split(':')[0]!);
  const below = BigInt(row.below);
  if (below >= oldest || below < BigInt(generation.below)) return false;
  generation.below = row.below;
  const changes = JSON.parse(row.changes) as [string | null, string | null][];
  if (changes.length > MAX_CHANGES) return false;
  for (const [userId, datasetId] of changes) {
    if (userId === null && datasetId === null) return false;
    if (userId !== null) forgetAll(generation, generation.byUser.get(userId));
    if (datasetId !== null) forgetAll(generation, generation.byDataset.get(datasetId));
  }
  // A read under way may predate what was forgotten: it is given once, not remembered.
  if (changes.length > 0) generation.catchUps += 1;
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
