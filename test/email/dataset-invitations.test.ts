import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { hashSecret } from '../../src/secrets.js';
import { Actor, signUp, uniqueEmail } from '../helpers/client.js';
import { TestClock } from '../helpers/clock.js';
import { DATABASES } from '../helpers/databases.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { linkToken, SmtpSink } from '../helpers/smtp.js';
import { world } from '../helpers/world.js';

const HOUR = 3_600_000;

describe.each(DATABASES)('sharing a dataset by e-mail, through a real SMTP server (%s)', (db) => {
  let sink: SmtpSink;
  let server: TestServer;
  const clock = new TestClock();
  beforeAll(async () => {
    sink = await SmtpSink.start();
    server = await startTestServer({ db, smtp: sink, clock, retryDelaysMs: [30, 60] });
  });
  afterAll(async () => {
    await server.close();
    await sink.close();
  });
  afterEach(() => {
    sink.failing = false;
    sink.refuseNext = 0;
  });

  async function sharedDataset(tier: 'external' | 'organization' | 'admins' = 'external') {
    const w = await world(server).org('acme', 'Ada').member('ann').dataset('Drone survey', { tier }).build();
    return { w, admin: w.orgs.acme!.admin, datasetId: w.datasets['Drone survey']!, url: `/api/v1/datasets/${w.datasets['Drone survey']}` };
  }

  async function invite(admin: Actor, url: string, emails: string[], level = 'annotate') {
    const res = await admin.post(`${url}/invitations`, { emails, level });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body.items as any[];
  }

  it('mails a good e-mail with a working link; the secret is stored only as its hash', async () => {
    const { admin, url, datasetId } = await sharedDataset();
    const partner = uniqueEmail('partner');
    const [invitation] = await invite(admin, url, [`  ${partner.toUpperCase()} `]);
    expect(invitation).toMatchObject({ kind: 'dataset', datasetId, email: partner, level: 'annotate', status: 'pending' });
    expect(Date.parse(invitation.expiresAt) - clock.now()).toBe(72 * HOUR);

    const mail = await sink.waitFor((m) => m.to.includes(partner));
    expect(mail.subject).toBe('Ada shared “Drone survey” with you');
    expect(mail.from).toContain('no-reply@tessera.test');
    expect(mail.text).toContain('annotate');
    expect(mail.text).toContain('acme');
    expect(mail.html).toContain('http://tessera.test/invite#token=');
    expect(mail.html).toContain('Accept invitation');
    const token = linkToken(mail);
    expect(token.length).toBeGreaterThanOrEqual(22);

    const rows = await server.ctx.db.selectFrom('invitations').select(['token_hash']).where('id', '=', invitation.id).execute();
    expect(rows).toEqual([{ token_hash: hashSecret(token) }]);
    const everything = JSON.stringify(await server.ctx.db.selectFrom('invitations').selectAll().execute());
    expect(everything).not.toContain(token);

    await server.ctx.delivery.drain();
    const sharing = await admin.get(`${url}/sharing`);
    expect(sharing.body.invitations.find((i: { id: string }) => i.id === invitation.id).delivery).toBe('sent');

    const lookup = await new Actor(server.app).get(`/api/v1/invitations/lookup?token=${token}`);
    expect(lookup.status).toBe(200);
    expect(lookup.body).toEqual({
      kind: 'dataset',
      email: partner,
      level: 'annotate',
      datasetName: 'Drone survey',
      orgName: 'acme',
      invitedBy: { name: 'Ada' },
      status: 'pending',
      expiresAt: invitation.expiresAt,
      accountExists: false,
    });
    expect((await new Actor(server.app).get('/api/v1/invitations/lookup?token=nope')).status).toBe(404);

    const joined = await signUp(server.app, 'Partner', partner, { inviteToken: token });
    // From now on the link leads with log-in: the address has an account.
    expect((await new Actor(server.app).get(`/api/v1/invitations/lookup?token=${token}`)).body.accountExists).toBe(true);
    const dataset = await joined.get(url);
    expect(dataset.status).toBe(200);
    expect(dataset.body.myLevel).toBe('annotate');
  });

  it('refuses the whole request for one malformed address or for outsiders on a closed tier, sending nothing', async () => {
    const { admin, url, w } = await sharedDataset('organization');
    const sentBefore = sink.messages.length;
    const bad = await admin.post(`${url}/invitations`, { emails: ['ok@example.test', 'not-an-address'], level: 'read' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain('not-an-address');
    const outsider = uniqueEmail('outsider');
    const closed = await admin.post(`${url}/invitations`, { emails: [w.users.ann!.user.email, outsider], level: 'read' });
    expect(closed.status).toBe(409);
    expect(closed.body.error.code).toBe('external_sharing_disabled');
    expect(closed.body.error.details.emails).toEqual([outsider]);
    const tooMany = await admin.post(`${url}/invitations`, {
      emails: Array.from({ length: 51 }, (_, i) => `p${i}@example.test`),
      level: 'read',
    });
    expect(tooMany.status).toBe(400);
    expect((await admin.get(`${url}/sharing`)).body.invitations).toEqual([]);
    await server.ctx.delivery.drain();
    expect(sink.messages.length).toBe(sentBefore);

    // A member may be invited at any tier.
    expect((await admin.post(`${url}/invitations`, { emails: [w.users.ann!.user.email], level: 'write' })).status).toBe(201);
    // A member who can read, but is no dataset admin, may not share it.
    expect((await w.users.ann!.post(`${url}/invitations`, { emails: ['x@example.test'], level: 'read' })).status).toBe(403);
  });

  it('expires 72 hours after sending, to the millisecond; extend revives the same link', async () => {
    const { admin, url } = await sharedDataset();
    const partner = uniqueEmail('late');
    const [invitation] = await invite(admin, url, [partner], 'read');
    const token = linkToken(await sink.waitFor((m) => m.to.includes(partner)));
    const user = await signUp(server.app, 'Late', partner);
    const sentAt = clock.now();

    clock.set(sentAt + 72 * HOUR + 1000);
    const late = await user.post('/api/v1/invitations/accept', { token });
    expect(late.status).toBe(410);
    expect(late.body.error.code).toBe('invitation_expired');
    expect((await new Actor(server.app).get(`/api/v1/invitations/lookup?token=${token}`)).body.status).toBe('expired');

    const extended = await admin.post(`/api/v1/invitations/${invitation.id}/extend`);
    expect(extended.status).toBe(200);
    expect(Date.parse(extended.body.expiresAt)).toBe(clock.now() + 72 * HOUR);
    // The invitee is told the new end date, in UTC; the notice carries no link (only its hash is kept).
    const notice = await sink.waitFor((m) => m.to.includes(partner) && /now ends on/.test(m.subject));
    const newEnd = `${new Date(clock.now() + 72 * HOUR).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
    expect(notice.subject).toContain(newEnd);
    expect(notice.text).toContain(`It now expires on ${newEnd}`);
    expect(notice.text).not.toContain('#token=');
    clock.advance(72 * HOUR - 1000);
    const accepted = await user.post('/api/v1/invitations/accept', { token });
    expect(accepted.status).toBe(200);
    expect(accepted.body).toMatchObject({ kind: 'dataset', level: 'read' });
    expect((await admin.post(`/api/v1/invitations/${invitation.id}/extend`)).body.error.code).toBe('invitation_not_pending');
    expect((await admin.delete(`/api/v1/invitations/${invitation.id}`)).status).toBe(409);
  });

  it('resend mails a new link and kills the old one; re-inviting replaces a pending invitation', async () => {
    const { admin, url } = await sharedDataset();
    const partner = uniqueEmail('resent');
    const [invitation] = await invite(admin, url, [partner], 'read');
    const first = linkToken(await sink.waitFor((m) => m.to.includes(partner)));
    const resent = await admin.post(`/api/v1/invitations/${invitation.id}/resend`);
    expect(resent.status).toBe(200);
    const second = linkToken(await sink.waitFor((m) => m.to.includes(partner) && !m.text.includes(first)));
    expect(second).not.toBe(first);
    expect((await new Actor(server.app).get(`/api/v1/invitations/lookup?token=${first}`)).status).toBe(404);

    const [again] = await invite(admin, url, [partner], 'write');
    expect(again.id).toBe(invitation.id);
    const third = linkToken(await sink.waitFor((m) => m.to.includes(partner) && !m.text.includes(first) && !m.text.includes(second)));
    expect((await new Actor(server.app).get(`/api/v1/invitations/lookup?token=${second}`)).status).toBe(404);
    const pending = (await admin.get(`${url}/sharing`)).body.invitations.filter((i: { email: string }) => i.email === partner);
    expect(pending).toHaveLength(1);
    expect(pending[0].level).toBe('write');

    const user = await signUp(server.app, 'Resent', partner);
    expect((await user.post('/api/v1/invitations/accept', { token: third })).body.level).toBe('write');
  });

  it('revoke, decline, mismatch and used links are refused with clear errors', async () => {
    const { admin, url } = await sharedDataset();
    const [a, b, c] = [uniqueEmail('a'), uniqueEmail('b'), uniqueEmail('c')];
    const items = await invite(admin, url, [a, b, c], 'read');
    await server.ctx.delivery.drain();
    const tokenOf = (email: string) =>
      linkToken(
        sink
          .to(email)
          .filter((m) => m.text.includes('/invite#token='))
          .at(-1)!,
      );
    const [userA, userB, userC] = [await signUp(server.app, 'A', a), await signUp(server.app, 'B', b), await signUp(server.app, 'C', c)];

    expect((await admin.delete(`/api/v1/invitations/${items[0].id}`)).status).toBe(204);
    expect((await userA.post('/api/v1/invitations/accept', { token: tokenOf(a) })).body.error.code).toBe('invitation_revoked');

    const mismatch = await userC.post('/api/v1/invitations/accept', { token: tokenOf(b) });
    expect(mismatch.status).toBe(403);
    expect(mismatch.body.error.code).toBe('invitation_email_mismatch');
    expect((await new Actor(server.app).post('/api/v1/invitations/accept', { token: tokenOf(b) })).status).toBe(401);

    expect((await new Actor(server.app).post('/api/v1/invitations/decline', { token: tokenOf(b) })).status).toBe(204);
    expect((await userB.post('/api/v1/invitations/accept', { token: tokenOf(b) })).status).toBe(410);
    const declined = (await admin.get(`${url}/sharing`)).body.invitations.find((i: { email: string }) => i.email === b);
    expect(declined.status).toBe('declined');

    // Accepting twice changes nothing; once the grant is revoked the link is used up.
    expect((await userC.post('/api/v1/invitations/accept', { token: tokenOf(c) })).status).toBe(200);
    expect((await userC.post('/api/v1/invitations/accept', { token: tokenOf(c) })).status).toBe(200);
    expect((await admin.delete(`${url}/sharing/users/${userC.id}`)).status).toBe(204);
    const reuse = await userC.post('/api/v1/invitations/accept', { token: tokenOf(c) });
    expect(reuse.status).toBe(410);
    expect(reuse.body.error.code).toBe('invitation_used');
    expect((await userC.get(url)).status).toBe(404);
  });

  it('refuses what an expired, ended or closed invitation would allow, creating and sending nothing', async () => {
    const { admin, url, w } = await sharedDataset();
    const [late, boxed, newcomer, outsider] = [uniqueEmail('late'), uniqueEmail('boxed'), uniqueEmail('newcomer'), uniqueEmail('outsider')];
    await invite(admin, url, [late]);
    const lateToken = linkToken(await sink.waitFor((m) => m.to.includes(late)));
    clock.advance(72 * HOUR);
    const declined = await new Actor(server.app).post('/api/v1/invitations/decline', { token: lateToken });
    expect(declined.status).toBe(410);
    expect(declined.body.error.code).toBe('invitation_expired');

    // A repeat accept is a no-op only while the grant it made is in force.
    await invite(admin, url, [boxed]);
    const boxedToken = linkToken(await sink.waitFor((m) => m.to.includes(boxed)));
    const user = await signUp(server.app, 'Boxed', boxed);
    expect((await user.post('/api/v1/invitations/accept', { token: boxedToken })).status).toBe(200);
    const until = new Date(clock.now() + HOUR).toISOString();
    expect((await admin.put(`${url}/sharing/users/${user.id}`, { level: 'annotate', expiresAt: until })).status).toBe(200);
    clock.advance(HOUR);
    const again = await user.post('/api/v1/invitations/accept', { token: boxedToken });
    expect(again.status).toBe(410);
    expect(again.body.error.code).toBe('invitation_used');
    expect((await user.get(url)).status).toBe(404);

    // Once the dataset is closed to outsiders: no account from its link, and no new link for an outsider.
    const [newcomerInvite] = await invite(admin, url, [newcomer]);
    const newcomerToken = linkToken(await sink.waitFor((m) => m.to.includes(newcomer)));
    const [outsiderInvite] = await invite(admin, url, [outsider]);
    await server.ctx.delivery.drain();
    expect((await w.orgs.acme!.admin.patch(url, { visibility: 'organization' })).status).toBe(200);
    const signup = await new Actor(server.app).post('/api/v1/auth/signup', {
      email: newcomer,
      password: 'a long enough password',
      name: 'Newcomer',
      inviteToken: newcomerToken,
    });
    expect(signup.status).toBe(409);
    expect(signup.body.error.code).toBe('external_sharing_disabled');
    expect(await server.ctx.db.selectFrom('users').select('id').where('email', '=', newcomer).executeTakeFirst()).toBeUndefined();
    expect((await admin.get(`${url}/sharing`)).body.invitations.find((i: { id: string }) => i.id === newcomerInvite.id).status).toBe(
      'pending',
    );

    const mailsBefore = sink.to(outsider).length;
    const resent = await admin.post(`/api/v1/invitations/${outsiderInvite.id}/resend`, {});
    expect(resent.status).toBe(409);
    expect(resent.body.error.code).toBe('external_sharing_disabled');
    const extended = await admin.post(`/api/v1/invitations/${outsiderInvite.id}/extend`, {});
    expect(extended.status).toBe(409);
    expect(extended.body.error.code).toBe('external_sharing_disabled');
    expect((await admin.get(`${url}/sharing`)).body.invitations.find((i: { id: string }) => i.id === outsiderInvite.id)).toMatchObject({
      expiresAt: outsiderInvite.expiresAt,
      status: 'pending',
    });
    await server.ctx.delivery.drain();
    expect(sink.to(outsider).length).toBe(mailsBefore);
  });

  it('racing accepts produce exactly one grant and one acceptance', async () => {
    const { admin, url, datasetId } = await sharedDataset();
    const partner = uniqueEmail('racer');
    await invite(admin, url, [partner], 'write');
    const token = linkToken(await sink.waitFor((m) => m.to.includes(partner)));
    const user = await signUp(server.app, 'Racer', partner);
    const results = await Promise.all(Array.from({ length: 6 }, () => user.post('/api/v1/invitations/accept', { token })));
    expect(results.map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 200]);
    const grants = await server.ctx.db
      .selectFrom('user_grants')
      .selectAll()
      .where('dataset_id', '=', datasetId)
      .where('user_id', '=', user.id)
      .execute();
    expect(grants).toHaveLength(1);
    const accepted = await server.ctx.db
      .selectFrom('audit_events')
      .select('id')
      .where('dataset_id', '=', datasetId)
      .where('action', '=', 'invitation.accepted')
      .execute();
    expect(accepted).toHaveLength(1);
  });

  it('keeps an external grant dormant while the tier is not external', async () => {
    const { admin, url } = await sharedDataset('external');
    const partner = uniqueEmail('external');
    await invite(admin, url, [partner], 'read');
    const token = linkToken(await sink.waitFor((m) => m.to.includes(partner)));
    const user = await signUp(server.app, 'External', partner, { inviteToken: token });
    expect((await user.get(url)).status).toBe(200);

    await admin.patch(url, { visibility: 'organization' });
    expect((await user.get(url)).status).toBe(404);
    const grant = (await admin.get(`${url}/sharing`)).body.users.find((u: { user: { id: string } }) => u.user.id === user.id);
    expect(grant).toMatchObject({ external: true, active: false, level: 'read' });

    await admin.patch(url, { visibility: 'external' });
    expect((await user.get(url)).body.myLevel).toBe('read');
  });

  it('never fails the inviter when SMTP fails: retries, shows the outcome, and delivers once SMTP is back', async () => {
    const { admin, url } = await sharedDataset();
    // The first attempt is refused: a retry delivers it.
    sink.refuseNext = 1;
    const partner = uniqueEmail('flaky');
    const [invitation] = await invite(admin, url, [partner], 'read');
    await sink.waitFor((m) => m.to.includes(partner));
    await server.ctx.delivery.drain();
    let listed = (await admin.get(`${url}/sharing`)).body.invitations.find((i: { id: string }) => i.id === invitation.id);
    expect(listed.delivery).toBe('sent');
    const sent = await server.ctx.db.selectFrom('outbox').select('attempts').where('recipient', '=', partner).executeTakeFirstOrThrow();
    expect(Number(sent.attempts)).toBe(2);

    sink.failing = true;
    const doomed = uniqueEmail('doomed');
    const [lost] = await invite(admin, url, [doomed], 'read');
    await server.ctx.delivery.drain();
    listed = (await admin.get(`${url}/sharing`)).body.invitations.find((i: { id: string }) => i.id === lost.id);
    expect(listed.delivery).toBe('failed');
    // In words: the server's reply, host and port stay in the log.
    expect(listed.lastError).toBe('the mail server refused the message');
    expect(JSON.stringify(listed)).not.toMatch(/451|127\.0\.0\.1|unavailable/i);
    sink.failing = false;
    expect((await admin.post(`/api/v1/invitations/${lost.id}/resend`)).status).toBe(200);
    await sink.waitFor((m) => m.to.includes(doomed));
  });

  it('tells a user given direct access by e-mail', async () => {
    const { admin, url, w } = await sharedDataset('admins');
    const ann = w.users.ann!;
    expect((await admin.put(`${url}/sharing/users/${ann.id}`, { level: 'write' })).status).toBe(200);
    const mail = await sink.waitFor((m) => m.to.includes(ann.user.email) && m.subject.includes('Drone survey'));
    expect(mail.subject).toBe('Ada gave you write access to “Drone survey”');
    expect(mail.text).toContain(`http://tessera.test/datasets/`);
  });
});
