import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import { newId } from '../secrets.js';
import type { Store } from '../store/database.js';
import {
  claimDueMessages,
  nextDueAt,
  type OutboxKind,
  type OutboxRow,
  releaseClaims,
  renewClaims,
  undeliveredCount,
} from '../store/outbox.js';
import { Wakeup } from './wakeup.js';

const BATCH = 5;

/** What one kind of outbox message brings to the worker: how to deliver a row, and its wording in the log. */
export interface OutboxWorkerOptions {
  kind: OutboxKind;
  /** Who claims rows: an id from the app instance's random source (one of its own when not given). */
  instanceId?: string | undefined;
  /** The LISTEN/NOTIFY channel that announces new rows of this kind. */
  channel: string;
  clock: Clock;
  logger: Logger;
  /** How long a claim holds without a heartbeat: the time after which a dead claimer's rows go again. */
  leaseMs: number;
  /** The slow poll behind LISTEN/NOTIFY, and the longest sleep on SQLite. */
  pollMs: number;
  /** Delivers one claimed row and records its outcome (sent, or failed with a next attempt); never throws. */
  deliver: (row: OutboxRow) => Promise<void>;
  /** Without LISTEN (SQLite): how the worker is told of new rows in this process; returns how to stop. */
  registerLocal?: (worker: { wake(): void }) => () => void;
  /** Log messages: the outbox could not be read; claims could not be released on stop. */
  readError: string;
  releaseError: string;
}

/**
 * The claiming loop shared by every outbox kind: whichever instance is alive claims due rows for a
 * lease (`FOR UPDATE SKIP LOCKED` on PostgreSQL), renews the lease while deliveries are under way,
 * sleeps until the next row is due or it is woken (NOTIFY, or this process on SQLite), and on stop
 * releases what it still holds for whichever instance is alive.
 */
export class OutboxWorker {
  readonly instanceId: string;
  private readonly inFlight = new Set<Promise<void>>();
  private running = false;
  private loop: Promise<void> | null = null;
  private readonly wakeup = new Wakeup();
  private unlisten: (() => Promise<void>) | null = null;
  private unregister: (() => void) | null = null;
  private heartbeat: NodeJS.Timeout | null = null;

  constructor(
    private readonly store: Store,
    private readonly options: OutboxWorkerOptions,
  ) {
    this.instanceId = options.instanceId ?? newId('inst');
  }

  now(): number {
    return this.options.clock.now();
  }

  wake(): void {
    this.wakeup.wake();
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    if (this.store.listen) this.unlisten = await this.store.listen(this.options.channel, () => this.wake());
    else if (this.options.registerLocal) this.unregister = this.options.registerLocal(this);
    this.loop = this.run();
  }

  private async run(): Promise<void> {
    while (this.running) {
      this.wakeup.reset();
      let claimed = 0;
      try {
        claimed = await this.deliverDue();
      } catch (error) {
        this.options.logger.error({ err: error }, this.options.readError);
      }
      if (!this.running) break;
      if (claimed > 0 || this.wakeup.woken) continue;
      await this.wakeup.sleep(await this.sleepMs());
    }
  }

  private async sleepMs(): Promise<number> {
    const due = await nextDueAt(this.store.db, this.options.kind).catch(() => null);
    if (due === null) return this.options.pollMs;
    return Math.max(0, Math.min(this.options.pollMs, due - this.now()));
  }

  /** Claims one batch of due rows and delivers them; resolves to how many it claimed. */
  async deliverDue(): Promise<number> {
    const now = this.now();
    const rows = await claimDueMessages(this.store, {
      kind: this.options.kind,
      claimer: this.instanceId,
      now,
      leaseUntil: now + this.options.leaseMs,
      limit: BATCH,
    });
    await Promise.all(rows.map((row) => this.track(this.options.deliver(row))));
    return rows.length;
  }

  /** While deliveries are under way, their claims are renewed, so a slow receiver never loses them to another instance. */
  private track(work: Promise<void>): Promise<void> {
    const tracked = work.finally(() => {
      this.inFlight.delete(tracked);
      if (this.inFlight.size === 0 && this.heartbeat) {
        clearInterval(this.heartbeat);
        this.heartbeat = null;
      }
    });
    this.inFlight.add(tracked);
    this.heartbeat ??= setInterval(() => {
      renewClaims(this.store.db, this.instanceId, this.now() + this.options.leaseMs).catch(() => undefined);
    }, this.options.leaseMs / 3).unref();
    return tracked;
  }

  /** Resolves once no row of this kind is waiting or under way (tests): every one is sent or failed for good. */
  async drain(): Promise<void> {
    while ((await undeliveredCount(this.store.db, this.options.kind)) > 0) {
      if ((await this.deliverDue()) === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  /**
   * Stops claiming; deliveries under way get up to `graceMs` to finish. What is left stays queued and
   * is released, due at once, for whichever instance is alive (or this one after a restart).
   */
  async stop(graceMs: number): Promise<void> {
    this.running = false;
    this.wakeup.interrupt();
    this.unregister?.();
    await this.unlisten?.();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([this.loop, ...this.inFlight]),
      new Promise((resolve) => {
        timer = setTimeout(resolve, graceMs);
      }),
    ]);
    clearTimeout(timer);
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = null;
    await releaseClaims(this.store.db, this.instanceId, this.now()).catch((error: unknown) =>
      this.options.logger.error({ err: error }, this.options.releaseError),
    );
  }
}
