import { setImmediate as nextTurn } from 'node:timers/promises';
import { CompiledQuery } from 'kysely';
import type { Logger } from 'pino';
import { HOUR } from '../clock.js';
import type { Db } from '../store/database.js';
import { dialectOf, Parameters } from '../store/reader.js';
import type { AccessFacts } from './rule.js';

// Usage is kept to the hour: enough for the access review's 90-day question.
const RESOLUTION_MS = HOUR;
const MINUTE = 60_000;
const FLUSH_EVERY_MS = 5_000;
/** Pending uses before a flush starts early; beyond twice this, uses wait for the next flush. */
const FLUSH_AT = 20_000;
/** Rows per statement of a flush. */
const BATCH = 200;

interface Use {
  userId: string;
  datasetId: string;
  direct: boolean;
  team: boolean;
  at: number;
}

export interface UsageRecorderOptions {
  /** How often pending uses are written; 0 writes only on `flush()` and `stop()` (tests). */
  flushEveryMs?: number;
}

/**
 * Which grants were used to read which dataset, for the access review. A read only notes the
 * use in memory; a flush every few seconds writes every pending use, a transaction per batch
 * with requests served between them, and stopping the instance flushes what is left. The
 * request that read the dataset never writes. Never decides access, and a failed flush never
 * fails a read.
 */
export class UsageRecorder {
  private pending = new Map<string, Use>();
  private touched = new Map<string, { table: 'sessions' | 'access_tokens'; tokenHash: string; at: number }>();
  /**
   * When each session or token was last noted as used: a remembered caller (store/unchanged.ts)
   * carries the last use it was read with, which the write of a later one does not change.
   */
  private touchedAt = new Map<string, number>();
  /** The last hour noted for each (user, dataset), so a busy dataset is noted once an hour. */
  private noted = new Map<string, number>();
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    private readonly db: Db,
    private readonly logger: Logger,
    private readonly options: UsageRecorderOptions = {},
  ) {}

  start(): void {
    const every = this.options.flushEveryMs ?? FLUSH_EVERY_MS;
    if (every <= 0 || this.timer) return;
    this.timer = setInterval(() => void this.flush(), every);
    this.timer.unref();
  }

  /** Notes that the user read the dataset through their grants at `now`; no I/O. */
  record(userId: string, datasetId: string, facts: AccessFacts, now: number): void {
    if (facts.directRank === null && facts.teamRank === null) return;
    const key = usedKey(userId, datasetId);
    const last = this.noted.get(key);
    if (last !== undefined && last > now - RESOLUTION_MS) return;
    if (this.pending.size >= 2 * FLUSH_AT) return;
    if (this.noted.size > 100_000) this.noted.clear();
    this.noted.set(key, now);
    this.pending.set(key, { userId, datasetId, direct: facts.directRank !== null, team: facts.teamRank !== null, at: now });
    if (this.pending.size >= FLUSH_AT) void this.flush();
  }

  /**
   * Notes that a session or an access token (by the hash of its secret) was used at `now`, for
   * the owner's list of them; kept to the minute, written with the grant usage.
   */
  touch(table: 'sessions' | 'access_tokens', tokenHash: string, lastUsedAt: number | null, now: number): void {
    if (lastUsedAt !== null && lastUsedAt >= now - MINUTE) return;
    const key = `${table}\u0000${tokenHash}`;
    const noted = this.touchedAt.get(key);
    if (noted !== undefined && noted >= now - MINUTE && noted <= now) return;
    if (this.touched.size >= 2 * FLUSH_AT) return;
    if (this.touchedAt.size > 100_000) this.touchedAt.clear();
    this.touchedAt.set(key, now);
    this.touched.set(key, { table, tokenHash, at: now });
  }

  /** Uses noted and not yet written. */
  get pendingCount(): number {
    return this.pending.size + this.touched.size;
  }

  /** Writes every pending use; resolves once they are written (or the attempt failed and was logged). */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(() => this.write());
    return this.flushing;
  }

  /** Stops the timer and writes what is pending. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.flush();
  }

  private async write(): Promise<void> {
    if (this.pending.size === 0 && this.touched.size === 0) return;
    // In one order everywhere, so two instances writing the same rows wait for each other
    // instead of deadlocking.
    const uses = [...this.pending.values()].sort((a, b) => order(a.datasetId, b.datasetId) || order(a.userId, b.userId));
    const touched = [...this.touched.values()].sort((a, b) => order(a.table, b.table) || order(a.tokenHash, b.tokenHash));
    this.pending = new Map();
    this.touched = new Map();
    // A transaction per batch, and a turn of the event loop before each: on SQLite a statement
    // holds the process while it runs, and 10 000 uses written in one go held it for 58 ms,
    // every request waiting (docs/performance.md). A batch holds it for a few milliseconds.
    const batches: { uses: Use[]; write: (tx: Db) => Promise<void> }[] = [];
    for (let i = 0; i < touched.length; i += BATCH) {
      const batch = touched.slice(i, i + BATCH);
      batches.push({
        uses: [],
        write: async (tx) => {
          for (const t of batch) {
            await tx
              .updateTable(t.table)
              .set({ last_used_at: t.at })
              .where('token_hash', '=', t.tokenHash)
              .where((eb) => eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<', t.at)]))
              .execute();
          }
        },
      });
    }
    for (let i = 0; i < uses.length; i += BATCH) {
      const batch = uses.slice(i, i + BATCH);
      const direct = batch.filter((u) => u.direct);
      const team = batch.filter((u) => u.team);
      batches.push({
        uses: batch,
        write: async (tx) => {
          if (direct.length > 0) await tx.executeQuery(usageUpdate(tx, 'user_grants', direct));
          if (team.length > 0) await tx.executeQuery(usageUpdate(tx, 'team_grants', team));
        },
      });
    }
    // After a batch fails for good the rest are not tried: the database is most likely gone.
    let failure: unknown;
    let lost = 0;
    for (const batch of batches) {
      failure ??= await this.writeBatch(batch.write);
      if (failure === undefined) continue;
      // Usage is advisory: uses not written are lost, and noted again by their next read.
      lost += batch.uses.length;
      for (const use of batch.uses) this.noted.delete(usedKey(use.userId, use.datasetId));
    }
    if (failure !== undefined) this.logger.warn({ err: failure, uses: lost }, 'grant usage could not be written');
  }

  /** One batch in a transaction of its own, tried again on a deadlock or a busy database; the error when it could not be written. */
  private async writeBatch(write: (tx: Db) => Promise<void>): Promise<unknown> {
    for (let attempt = 1; ; attempt += 1) {
      await nextTurn();
      try {
        await this.db.transaction().execute(write);
        return undefined;
      } catch (error) {
        if (attempt >= 3 || !isTransient(error)) return error ?? new Error('The usage batch failed without an error');
      }
    }
  }
}

/** The key a use of `userId`'s grants on `datasetId` is noted and kept pending under. */
const usedKey = (userId: string, datasetId: string) => `${userId}\u0000${datasetId}`;

const order = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** A deadlock or a serialization failure (PostgreSQL), or a busy database (SQLite): worth another try. */
function isTransient(error: unknown): boolean {
  const code = (error as { code?: string }).code;
  return code === '40P01' || code === '40001' || code === 'SQLITE_BUSY';
}

/**
 * One UPDATE … FROM (VALUES …) for a batch: each grant's last use moves forward when it is
 * older than the resolution. A team grant counts for a use by any member of the team.
 */
function usageUpdate(db: Db, table: 'user_grants' | 'team_grants', uses: Use[]) {
  const dialect = dialectOf(db);
  const p = new Parameters(dialect);
  const cast = (value: string, type: string) => (dialect === 'postgres' ? `${value}::${type}` : value);
  const rows = uses
    .map((u) => `(${cast(p.add(u.userId), 'text')}, ${cast(p.add(u.datasetId), 'text')}, ${cast(p.add(u.at), 'bigint')})`)
    .join(', ');
  const stale = `(g.last_used_at is null or g.last_used_at < v.at - ${RESOLUTION_MS})`;
  // SQLite names a VALUES list's columns column1, column2…; PostgreSQL takes an alias list.
  const used =
    dialect === 'postgres'
      ? `(values ${rows}) as v(user_id, dataset_id, at)`
      : `(select column1 as user_id, column2 as dataset_id, column3 as at from (values ${rows}))`;
  const text =
    table === 'user_grants'
      ? `update user_grants as g set last_used_at = v.at from ${used}${dialect === 'postgres' ? '' : ' as v'}
          where g.dataset_id = v.dataset_id and g.user_id = v.user_id and ${stale}`
      : `update team_grants as g set last_used_at = v.at from ${used}${dialect === 'postgres' ? '' : ' as v'}
          join team_members tm on tm.user_id = v.user_id
          where g.dataset_id = v.dataset_id and g.team_id = tm.team_id and ${stale}`;
  return CompiledQuery.raw(text, p.values);
}

const recorders = new WeakMap<Db, UsageRecorder>();

/** Routes the uses read through `db` (not a transaction of it) to the instance's recorder. */
export function attachUsageRecorder(db: Db, recorder: UsageRecorder): void {
  recorders.set(db, recorder);
}

/**
 * Notes a use of the user's grants for the instance that owns `db` (or the transaction
 * `inTransaction` opened on it). On a database no instance records for, nothing is noted.
 */
export function recordGrantUse(db: Db, userId: string, datasetId: string, facts: AccessFacts, now: number): void {
  recorders.get(db)?.record(userId, datasetId, facts, now);
}
