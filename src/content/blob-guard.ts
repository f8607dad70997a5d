import { randomBytes } from 'node:crypto';
import { deleteHold, heldAnywhere, insertHold, lockBlob } from '../store/blob-holds.js';
import type { Db } from '../store/database.js';

/**
 * Who may keep or remove a blob. A blob is *held* from the moment it is put (or `hold` succeeds)
 * until `release`: while held it is never removed, so an item row about to point to it can be
 * committed safely even while another request removes the blobs a deleted dataset no longer uses.
 */
export interface BlobGuard {
  /** Runs `place` while no removal of the blob can decide; holds the blob when `place` says it is there. */
  hold(sha256: string, place: () => Promise<boolean>): Promise<boolean>;
  release(sha256: string): Promise<void>;
  /** Runs `remove` unless the blob is held, while no hold of it can begin. */
  unlessHeld(sha256: string, remove: () => Promise<void>): Promise<void>;
}

/** One at a time per blob, in this process; and how many holds of each blob this process has. */
class BlobLocks {
  private readonly tails = new Map<string, Promise<void>>();
  private readonly holds = new Map<string, number>();

  async exclusive<T>(sha256: string, work: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(sha256) ?? Promise.resolve();
    let finish!: () => void;
    const done = new Promise<void>((resolve) => {
      finish = resolve;
    });
    const tail = previous.then(() => done);
    this.tails.set(sha256, tail);
    await previous;
    try {
      return await work();
    } finally {
      finish();
      if (this.tails.get(sha256) === tail) this.tails.delete(sha256);
    }
  }

  hold(sha256: string): void {
    this.holds.set(sha256, (this.holds.get(sha256) ?? 0) + 1);
  }

  release(sha256: string): void {
    const left = (this.holds.get(sha256) ?? 0) - 1;
    if (left > 0) this.holds.set(sha256, left);
    else this.holds.delete(sha256);
  }

  isHeld(sha256: string): boolean {
    return this.holds.has(sha256);
  }
}

/** Holds kept in this process: right for one instance (SQLite, or a single server). */
export class ProcessBlobGuard implements BlobGuard {
  private readonly locks = new BlobLocks();

  hold(sha256: string, place: () => Promise<boolean>): Promise<boolean> {
    return this.locks.exclusive(sha256, async () => {
      const there = await place();
      if (there) this.locks.hold(sha256);
      return there;
    });
  }

  async release(sha256: string): Promise<void> {
    this.locks.release(sha256);
  }

  unlessHeld(sha256: string, remove: () => Promise<void>): Promise<void> {
    return this.locks.exclusive(sha256, async () => {
      if (!this.locks.isHeld(sha256)) await remove();
    });
  }
}

/** A hold left by an instance that died is ignored after this long (its blob is then only kept, never lost). */
const STALE_HOLD_MS = 24 * 60 * 60 * 1000;
/** Decisions under way at once, each keeping a database connection: the pool must keep room for the rest. */
const DECISIONS_AT_ONCE = 4;

/**
 * Holds shared by every instance on one PostgreSQL database, for a blob store they share: a hold
 * is a row, and deciding about a blob takes a transaction-scoped advisory lock on it. So an
 * upload on one instance never lands while a removal on another decides, and a removal never
 * takes a blob that another instance holds.
 */
export class DatabaseBlobGuard implements BlobGuard {
  private readonly locks = new BlobLocks();
  private readonly holder = randomBytes(8).toString('hex');
  private readonly gate = new Gate(DECISIONS_AT_ONCE);

  constructor(
    private readonly db: Db,
    private readonly now: () => number,
  ) {}

  private decide<T>(sha256: string, work: (tx: Db) => Promise<T>): Promise<T> {
    return this.gate.run(() =>
      this.db.transaction().execute(async (tx) => {
        await lockBlob(tx, sha256);
        return work(tx);
      }),
    );
  }

  hold(sha256: string, place: () => Promise<boolean>): Promise<boolean> {
    return this.locks.exclusive(sha256, async () => {
      // This process's row already stands: no removal anywhere can take the blob.
      const there = this.locks.isHeld(sha256)
        ? await place()
        : await this.decide(sha256, async (tx) => {
            if (!(await place())) return false;
            await insertHold(tx, sha256, this.holder, this.now());
            return true;
          });
      if (there) this.locks.hold(sha256);
      return there;
    });
  }

  release(sha256: string): Promise<void> {
    return this.locks.exclusive(sha256, async () => {
      this.locks.release(sha256);
      if (this.locks.isHeld(sha256)) return;
      // A row left behind keeps the blob until it is stale; never worth failing a committed upload for.
      await deleteHold(this.db, sha256, this.holder).catch(() => {});
    });
  }

  unlessHeld(sha256: string, remove: () => Promise<void>): Promise<void> {
    return this.locks.exclusive(sha256, async () => {
      if (this.locks.isHeld(sha256)) return;
      await this.decide(sha256, async (tx) => {
        if (!(await heldAnywhere(tx, sha256, this.now() - STALE_HOLD_MS))) await remove();
      });
    });
  }
}

/** At most `size` pieces of work at once; the others wait their turn. */
class Gate {
  private readonly waiting: (() => void)[] = [];

  constructor(private free: number) {}

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.free > 0) this.free -= 1;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    try {
      return await work();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.free += 1;
    }
  }
}
