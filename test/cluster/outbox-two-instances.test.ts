import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Actor } from '../helpers/client.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { SmtpSink } from '../helpers/smtp.js';
import { world } from '../helpers/world.js';

describe('two instances on one PostgreSQL deliver one outbox', () => {
  let sink: SmtpSink;
  let a: TestServer;
  let b: TestServer;
  beforeAll(async () => {
    sink = await SmtpSink.start();
    a = await startTestServer({ db: 'postgres', smtp: sink });
    b = await startTestServer({ db: 'postgres', smtp: sink, database: a.database, clock: a.clock });
  });
  afterAll(async () => {
    await b.close();
    await a.close();
    await sink.close();
  });

  it('sends each of 100 invitations exactly once, whichever instance queued it', async () => {
    const w = await world(a).org('acme').build();
    const admin = w.orgs.acme!.admin;
    const adminOnB = new Actor(b.app, admin.auth, admin.user);
    const orgId = w.orgs.acme!.id;
    const emails = Array.from({ length: 100 }, (_, i) => `invitee-${String(i).padStart(3, '0')}@example.test`);
    // A slow mail server keeps both instances busy at once.
    sink.delayMs = 20;
    const sent = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        (i % 2 === 0 ? admin : adminOnB).post(`/api/v1/orgs/${orgId}/invitations`, {
          emails: emails.slice(i * 10, i * 10 + 10),
          role: 'member',
        }),
      ),
    );
    expect(sent.map((r) => r.status)).toEqual(sent.map(() => 201));
    await Promise.all([a.ctx.delivery.drain(), b.ctx.delivery.drain()]);

    const received = sink.messages.filter((m) => m.to.includes('invitee-')).map((m) => m.to);
    expect(received.sort()).toEqual(emails);
    const listed = (await admin.get(`/api/v1/orgs/${orgId}/invitations?limit=200`)).body.items;
    expect(listed.map((i: { delivery: string }) => i.delivery)).toEqual(emails.map(() => 'sent'));
    // Both instances took part.
    const claimers = await a.ctx.db.selectFrom('outbox').select('claimed_by').distinct().execute();
    expect(new Set(claimers.map((c) => c.claimed_by))).toEqual(new Set([a.ctx.delivery.instanceId, b.ctx.delivery.instanceId]));
  });
});
