import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DAY, HOUR } from '../../src/clock.js';
import { Delivery } from '../../src/mail/delivery.js';
import type { Mailer, MailMessage } from '../../src/mail/mailer.js';
import { DEFAULT_RETRY_POLICY } from '../../src/mail/retry.js';
import type { Store } from '../../src/store/database.js';
import { insertOutboxMessage } from '../../src/store/outbox.js';
import { TestClock } from '../helpers/clock.js';
import { DATABASES, openTestStore } from '../helpers/databases.js';

/** Refuses every message while `refusing`, like a mail server answering 451. */
class ScriptedMailer implements Mailer {
  refusing = true;
  readonly attempts: MailMessage[] = [];
  readonly delivered: MailMessage[] = [];
  async send(message: MailMessage): Promise<void> {
    this.attempts.push(message);
    if (this.refusing) throw Object.assign(new Error('451 Mailbox temporarily unavailable at mx.example.test:25'), { responseCode: 451 });
    this.delivered.push(message);
  }
  close(): void {}
}

const silent = pino({ level: 'silent' });

describe.each(DATABASES)('the mail outbox (%s)', (kind) => {
  let store: Store;
  let close: () => Promise<void>;
  beforeAll(async () => {
    ({ store, close } = await openTestStore(kind));
  });
  afterAll(() => close());

  async function queue(clock: TestClock, id: string, text = 'your link: http://tessera.test/reset#token=SECRET') {
    await insertOutboxMessage(store.db, {
      id,
      kind: 'mail',
      payload: JSON.stringify({ to: 'ann@example.test', subject: 'Hello', text, html: `<p>${text}</p>` }),
      recipient: 'ann@example.test',
      orgId: null,
      invitationId: null,
      now: clock.now(),
    });
  }

  it('retries with growing, jittered back-off for at least 24 hours before giving up', async () => {
    const clock = new TestClock();
    const mailer = new ScriptedMailer();
    const failed: string[] = [];
    let jitter = 0;
    const random = () => [0, 0.5, 0.999][jitter++ % 3]!;
    const delivery = new Delivery(store, mailer, silent, { clock, random, retry: DEFAULT_RETRY_POLICY, onFailed: (k) => failed.push(k) });
    const queuedAt = clock.now();
    await queue(clock, 'msg_backoff');

    const attemptTimes: number[] = [];
    for (let i = 0; i < 200; i += 1) {
      const row = await store.db.selectFrom('outbox').selectAll().where('id', '=', 'msg_backoff').executeTakeFirstOrThrow();
      if (row.status === 'failed') break;
      clock.set(Math.max(clock.now(), Number(row.next_attempt_at)));
      expect(await delivery.deliverDue()).toBe(1);
      attemptTimes.push(clock.now());
    }
    const row = await store.db.selectFrom('outbox').selectAll().where('id', '=', 'msg_backoff').executeTakeFirstOrThrow();
    expect(row.status).toBe('failed');
    expect(row.last_error).toBe('the mail server refused the message');
    expect(failed).toEqual(['mail']);
    // Every attempt was made, and the last one a day or more after the message was queued.
    expect(mailer.attempts).toHaveLength(attemptTimes.length);
    expect(attemptTimes.at(-1)! - queuedAt).toBeGreaterThanOrEqual(DAY);
    expect(attemptTimes.at(-1)! - queuedAt).toBeLessThan(DAY + 2 * HOUR);
    const gaps = attemptTimes.slice(1).map((t, i) => t - attemptTimes[i]!);
    // Between half and all of 5 s, 10 s, 20 s, … capped at an hour.
    gaps.forEach((gap, i) => {
      const base = Math.min(5_000 * 2 ** i, HOUR);
      expect(gap).toBeGreaterThanOrEqual(base / 2);
      expect(gap).toBeLessThanOrEqual(base);
    });
    expect(Math.max(...gaps)).toBeGreaterThan(HOUR / 2);
    // Always the same Message-ID, so a receiver can tell a repeat.
    expect(new Set(mailer.attempts.map((m) => m.messageId))).toEqual(new Set(['<msg_backoff@tessera.local>']));
  });

  it('forgets the body once sent, so no link secret stays at rest', async () => {
    const clock = new TestClock();
    const mailer = new ScriptedMailer();
    mailer.refusing = false;
    const delivery = new Delivery(store, mailer, silent, { clock });
    await queue(clock, 'msg_secret');
    await delivery.drain();
    const row = await store.db.selectFrom('outbox').selectAll().where('id', '=', 'msg_secret').executeTakeFirstOrThrow();
    expect(row).toMatchObject({ status: 'sent', payload: null, attempts: 1 });
    expect(JSON.stringify(await store.db.selectFrom('outbox').selectAll().where('status', '=', 'sent').execute())).not.toContain('SECRET');
    expect(mailer.delivered.map((m) => m.text)).toContain('your link: http://tessera.test/reset#token=SECRET');
  });

  it('takes back the message of a claimer that died mid-send once its lease runs out', async () => {
    const clock = new TestClock();
    const mailer = new ScriptedMailer();
    mailer.refusing = false;
    const dead = new Delivery(store, { send: () => new Promise(() => {}), close() {} }, silent, { clock, leaseMs: 60_000 });
    const alive = new Delivery(store, mailer, silent, { clock, leaseMs: 60_000 });
    await queue(clock, 'msg_orphan');
    void dead.deliverDue();
    await expect
      .poll(
        async () =>
          (await store.db.selectFrom('outbox').select('claimed_by').where('id', '=', 'msg_orphan').executeTakeFirst())?.claimed_by,
      )
      .toBe(dead.instanceId);
    expect(await alive.deliverDue()).toBe(0);
    clock.advance(60_001);
    expect(await alive.deliverDue()).toBe(1);
    expect(mailer.delivered.map((m) => m.messageId)).toEqual(['<msg_orphan@tessera.local>']);
  });
});
