import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INVITATIONS_PER_HOUR } from '../../src/invitations/send.js';
import { Actor, logIn, PASSWORD, signUp, uniqueEmail } from '../helpers/client.js';
import { TestClock } from '../helpers/clock.js';
import { DATABASES } from '../helpers/databases.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { linkToken, SmtpSink } from '../helpers/smtp.js';
import { world } from '../helpers/world.js';

const HOUR = 3_600_000;

describe.each(DATABASES)('org invitations, sign-up from a link and password reset, through SMTP (%s)', (db) => {
  let sink: SmtpSink;
  let server: TestServer;
  const clock = new TestClock();
  const anonymous = () => new Actor(server.app);
  beforeAll(async () => {
    sink = await SmtpSink.start();
    server = await startTestServer({ db, smtp: sink, clock });
  });
  afterAll(async () => {
    await server.close();
    await sink.close();
  });

  it('invites new members by e-mail; accepting joins with the invited role', async () => {
    const w = await world(server).org('acme', 'Ada').member('ann').build();
    const admin = w.orgs.acme!.admin;
    const orgId = w.orgs.acme!.id;
    const newcomer = uniqueEmail('newcomer');
    const res = await admin.post(`/api/v1/orgs/${orgId}/invitations`, { emails: [newcomer], role: 'admin' });
    expect(res.status).toBe(201);
    expect(res.body.items[0]).toMatchObject({ kind: 'org', orgId, email: newcomer, role: 'admin', status: 'pending' });
    const mail = await sink.waitFor((m) => m.to.includes(newcomer));
    expect(mail.subject).toBe('Ada invited you to join acme on Tessera');
    const token = linkToken(mail);
    expect((await anonymous().get(`/api/v1/invitations/lookup?token=${token}`)).body).toMatchObject({
      kind: 'org',
      role: 'admin',
      orgName: 'acme',
    });

    const user = await signUp(server.app, 'Newcomer', newcomer);
    expect((await user.post('/api/v1/invitations/accept', { token })).body).toEqual({ kind: 'org', orgId, role: 'admin' });
    expect((await user.get(`/api/v1/orgs/${orgId}`)).body.role).toBe('admin');

    const again = await admin.post(`/api/v1/orgs/${orgId}/invitations`, { emails: [newcomer, w.users.ann!.user.email], role: 'member' });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('already_member');
    expect((await w.users.ann!.post(`/api/v1/orgs/${orgId}/invitations`, { emails: [uniqueEmail('x')], role: 'member' })).status).toBe(403);
    expect(
      (
        await (
          await signUp(server.app, 'stranger')
        ).post(`/api/v1/orgs/${orgId}/invitations`, { emails: [uniqueEmail('x')], role: 'member' })
      ).status,
    ).toBe(404);
  });

  it('signs up from a link only with the invited address, creating no account otherwise', async () => {
    const w = await world(server).org('acme').dataset('cams', { tier: 'external' }).build();
    const admin = w.orgs.acme!.admin;
    const invited = uniqueEmail('invited');
    await admin.post(`/api/v1/datasets/${w.datasets.cams}/invitations`, { emails: [invited], level: 'write' });
    const token = linkToken(await sink.waitFor((m) => m.to.includes(invited)));
    const other = uniqueEmail('other');
    const wrong = await anonymous().post('/api/v1/auth/signup', { email: other, password: PASSWORD, name: 'Other', inviteToken: token });
    expect(wrong.status).toBe(403);
    expect(wrong.body.error.code).toBe('invitation_email_mismatch');
    expect((await anonymous().post('/api/v1/auth/login', { email: other, password: PASSWORD })).status).toBe(401);
    const unknown = await anonymous().post('/api/v1/auth/signup', {
      email: invited,
      password: PASSWORD,
      name: 'X',
      inviteToken: 'not-a-token',
    });
    expect(unknown.status).toBe(404);

    const user = await signUp(server.app, 'Invited', invited, { inviteToken: token });
    expect((await user.get(`/api/v1/datasets/${w.datasets.cams}`)).body.myLevel).toBe('write');
  });

  it('resets a password once, within the hour, and ends every session', async () => {
    const email = uniqueEmail('forgetful');
    const user = await signUp(server.app, 'Forgetful', email);
    await server.ctx.delivery.drain();
    const before = sink.messages.length;
    expect((await anonymous().post('/api/v1/auth/password-reset', { email: uniqueEmail('nobody') })).status).toBe(202);
    await server.ctx.delivery.drain();
    expect(sink.messages.length).toBe(before);

    expect((await anonymous().post('/api/v1/auth/password-reset', { email: email.toUpperCase() })).status).toBe(202);
    const mail = await sink.waitFor((m) => m.to.includes(email) && m.subject.includes('Reset'));
    const token = linkToken(mail, 'reset');
    expect(mail.text).toContain('http://tessera.test/reset#token=');

    const newPassword = 'a brand new passphrase';
    expect((await anonymous().post('/api/v1/auth/password-reset/confirm', { token, password: 'short' })).status).toBe(400);
    expect((await anonymous().post('/api/v1/auth/password-reset/confirm', { token, password: newPassword })).status).toBe(204);
    expect((await user.get('/api/v1/me')).status).toBe(401);
    const reused = await anonymous().post('/api/v1/auth/password-reset/confirm', { token, password: 'yet another passphrase' });
    expect(reused.status).toBe(410);
    expect(reused.body.error.code).toBe('reset_token_invalid');
    expect((await anonymous().post('/api/v1/auth/login', { email, password: PASSWORD })).status).toBe(401);
    expect((await logIn(server.app, email, newPassword)).user.email).toBe(email);

    await anonymous().post('/api/v1/auth/password-reset', { email });
    const late = linkToken(
      await sink.waitFor((m) => m.to.includes(email) && m.text.includes('/reset#token=') && !m.text.includes(token)),
      'reset',
    );
    clock.advance(HOUR);
    expect((await anonymous().post('/api/v1/auth/password-reset/confirm', { token: late, password: newPassword })).status).toBe(410);
  });

  it('limits how many invitations one person sends in an hour', async () => {
    const w = await world(server).org('acme').dataset('cams', { tier: 'external' }).build();
    const admin = w.orgs.acme!.admin;
    const url = `/api/v1/datasets/${w.datasets.cams}/invitations`;
    let first = '';
    for (let sent = 0; sent < INVITATIONS_PER_HOUR; sent += 50) {
      const batch = Array.from({ length: 50 }, (_, i) => `bulk${sent + i}.${db}@example.test`);
      const res = await admin.post(url, { emails: batch, level: 'read' });
      expect(res.status).toBe(201);
      first ||= res.body.items[0].id;
    }
    const limited = await admin.post(url, { emails: ['one-more@example.test'], level: 'read' });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    // A resend mails a link too: it counts, and is refused the same way.
    const resent = await admin.post(`/api/v1/invitations/${first}/resend`, {});
    expect(resent.status).toBe(429);
    expect(Number(resent.headers['retry-after'])).toBeGreaterThan(0);
    clock.advance(HOUR + 1000);
    expect((await admin.post(url, { emails: ['one-more@example.test'], level: 'read' })).status).toBe(201);
    await server.ctx.delivery.drain();
  });
});
