import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signUp } from '../helpers/client.js';
import { DATABASES } from '../helpers/databases.js';
import { freePort } from '../helpers/process.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { SmtpSink } from '../helpers/smtp.js';
import { world } from '../helpers/world.js';

describe.each(DATABASES)('undelivered mail for org admins (%s)', (db) => {
  let sink: SmtpSink;
  let server: TestServer;
  beforeAll(async () => {
    sink = await SmtpSink.start();
    server = await startTestServer({ db, smtp: sink, retryDelaysMs: [10] });
  });
  afterAll(async () => {
    await server.close();
    await sink.close();
  });

  it('lists what did not leave with the reason in words, and "Retry now" sends it', async () => {
    const w = await world(server).org('acme', 'Ada').member('ann').org('globex', 'Gil').build();
    const admin = w.orgs.acme!.admin;
    const orgId = w.orgs.acme!.id;
    sink.failing = true;
    const invited = await admin.post(`/api/v1/orgs/${orgId}/invitations`, { emails: ['late@example.test'], role: 'member' });
    expect(invited.status).toBe(201);
    expect(invited.body.items[0].delivery).toBe('queued');
    await server.ctx.delivery.drain();

    const listed = await admin.get(`/api/v1/orgs/${orgId}/undelivered`);
    expect(listed.status).toBe(200);
    expect(listed.body.items).toEqual([
      expect.objectContaining({
        invitationId: invited.body.items[0].id,
        invitationKind: 'org',
        email: 'late@example.test',
        status: 'failed',
        attempts: 2,
        reason: 'the mail server refused the message',
        nextAttemptAt: null,
      }),
    ]);
    expect((await w.users.ann!.get(`/api/v1/orgs/${orgId}/undelivered`)).status).toBe(403);
    const invitation = (await admin.get(`/api/v1/orgs/${orgId}/invitations`)).body.items.find(
      (i: { id: string }) => i.id === invited.body.items[0].id,
    );
    expect(invitation).toMatchObject({ delivery: 'failed', lastError: 'the mail server refused the message' });
    // Not another organization's admin through their own organization, nor a member: the message stays as it is.
    const messageId = listed.body.items[0].id;
    const otherAdmin = w.orgs.globex!.admin;
    expect((await otherAdmin.post(`/api/v1/orgs/${w.orgs.globex!.id}/undelivered/${messageId}/retry`)).status).toBe(404);
    expect((await otherAdmin.post(`/api/v1/orgs/${orgId}/undelivered/${messageId}/retry`)).status).toBe(404);
    expect((await w.users.ann!.post(`/api/v1/orgs/${orgId}/undelivered/${messageId}/retry`)).status).toBe(403);
    expect((await admin.get(`/api/v1/orgs/${orgId}/undelivered`)).body.items).toEqual(listed.body.items);

    sink.failing = false;
    // Another instance sends it the moment the retry commits: the answer is still the message as made due.
    const db = server.ctx.db;
    const transaction = db.transaction;
    db.transaction = () => {
      db.transaction = transaction;
      const builder = transaction.call(db);
      return Object.assign(Object.create(builder), {
        execute: async <T>(work: (tx: never) => Promise<T>) => {
          const result = await builder.execute(work as never);
          await server.ctx.delivery.drain();
          return result;
        },
      });
    };
    const retried = await admin.post(`/api/v1/orgs/${orgId}/undelivered/${listed.body.items[0].id}/retry`);
    expect(db.transaction).toBe(transaction);
    expect(retried.status).toBe(200);
    expect(retried.body).toMatchObject({ email: 'late@example.test', status: 'queued', attempts: listed.body.items[0].attempts });
    // Due at once, queued anew (its day of retries starts again).
    expect(retried.body.nextAttemptAt).toBe(retried.body.queuedAt);
    expect(Date.parse(retried.body.queuedAt)).toBeGreaterThanOrEqual(Date.parse(listed.body.items[0].queuedAt));
    expect(sink.messages.some((m) => m.to.includes('late@example.test'))).toBe(true);
    const mail = await sink.waitFor((m) => m.to.includes('late@example.test'));
    expect(mail.raw).toContain(`Message-ID: <${listed.body.items[0].id}@tessera.test>`);
    expect((await admin.get(`/api/v1/orgs/${orgId}/undelivered`)).body.items).toEqual([]);
    const after = (await admin.get(`/api/v1/orgs/${orgId}/invitations`)).body.items.find(
      (i: { id: string }) => i.id === invited.body.items[0].id,
    );
    expect(after.delivery).toBe('sent');
    expect(after.lastError).toBeUndefined();
    // Delivered: nothing of it is left to retry.
    expect((await admin.post(`/api/v1/orgs/${orgId}/undelivered/${listed.body.items[0].id}/retry`)).status).toBe(404);
  });
});

describe('a mail server that cannot be reached', () => {
  it('is named in words; its address stays in the log', async () => {
    const port = await freePort();
    const server = await startTestServer({ db: 'sqlite', smtpUrl: `smtp://127.0.0.1:${port}`, retryDelaysMs: [] });
    try {
      // No world builder: it confirms addresses by mail, which cannot leave here.
      const admin = await signUp(server.app, 'acme-admin');
      const orgId = (await admin.post('/api/v1/orgs', { name: 'acme' })).body.id as string;
      await admin.post(`/api/v1/orgs/${orgId}/invitations`, { emails: ['nobody@example.test'], role: 'member' });
      await server.ctx.delivery.drain();
      const listed = await admin.get(`/api/v1/orgs/${orgId}/undelivered`);
      expect(listed.body.items[0].reason).toBe('the mail server could not be reached');
      const invitations = await admin.get(`/api/v1/orgs/${orgId}/invitations`);
      expect(invitations.body.items[0]).toMatchObject({ delivery: 'failed', lastError: 'the mail server could not be reached' });
      expect(JSON.stringify([listed.body, invitations.body])).not.toContain(String(port));
      expect(server.logLines.join('')).toContain(String(port));
    } finally {
      await server.close();
    }
  });
});
