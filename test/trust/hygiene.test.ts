import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Actor, logIn, PASSWORD, signUp, uniqueEmail } from '../helpers/client.js';
import { DATABASES } from '../helpers/databases.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { linkToken, SmtpSink } from '../helpers/smtp.js';
import { mailedToken, world } from '../helpers/world.js';

describe.each(DATABASES)('no secret ever reaches the log (%s)', (db) => {
  let sink: SmtpSink;
  let server: TestServer;
  beforeAll(async () => {
    sink = await SmtpSink.start();
    server = await startTestServer({ db, smtp: sink });
  });
  afterAll(async () => {
    await server.close();
    await sink.close();
  });

  it('logs requests of a full run without passwords, session ids, tokens or link secrets', async () => {
    const secrets: string[] = [PASSWORD];
    const w = await world(server).org('acme').dataset('cams', { tier: 'external' }).build();
    const admin = w.orgs.acme!.admin;
    secrets.push(admin.auth.cookie!);
    const again = await logIn(server.app, admin.user.email);
    secrets.push(again.auth.cookie!);
    await new Actor(server.app).post('/api/v1/auth/login', { email: admin.user.email, password: 'a wrong password 1' });
    secrets.push('a wrong password 1');

    const token = (await admin.post('/api/v1/me/tokens', { name: 'script' })).body.token as string;
    secrets.push(token);
    expect((await new Actor(server.app, { bearer: token }).get('/api/v1/me')).status).toBe(200);
    await new Actor(server.app, { bearer: `${token}x` }).get('/api/v1/me');

    const partner = uniqueEmail('partner');
    await admin.post(`/api/v1/datasets/${w.datasets.cams}/invitations`, { emails: [partner], level: 'read' });
    const invite = linkToken(await sink.waitFor((m) => m.to.includes(partner)));
    secrets.push(invite);
    await new Actor(server.app).get(`/api/v1/invitations/lookup?token=${invite}`);
    const newcomer = await signUp(server.app, 'Partner', partner, { inviteToken: invite });
    secrets.push(newcomer.auth.cookie!);
    await newcomer.post('/api/v1/invitations/accept', { token: invite });

    await new Actor(server.app).post('/api/v1/auth/password-reset', { email: partner });
    const reset = linkToken(await sink.waitFor((m) => m.to.includes(partner) && m.subject.includes('Reset')), 'reset');
    secrets.push(reset, 'the replacement password');
    await new Actor(server.app).post('/api/v1/auth/password-reset/confirm', { token: reset, password: 'the replacement password' });
    await server.ctx.delivery.drain();

    const log = server.logLines.join('');
    expect(log).toContain('incoming request');
    expect(log).toContain('/api/v1/invitations/lookup?token=[redacted]');
    for (const secret of secrets) expect(log.includes(secret), `the log contains a secret (${secret.slice(0, 4)}…)`).toBe(false);
  });
});

describe.each(DATABASES)('no link or token reaches the log in any mail mode (%s)', (db) => {
  async function identityFlows(server: TestServer, linkOf: (email: string, kind: 'verify' | 'reset' | 'invite') => Promise<string>) {
    const w = await world(server).org('acme').dataset('cams', { tier: 'external' }).build();
    const admin = w.orgs.acme!.admin;
    const ann = await signUp(server.app, 'Ann');
    // The sign-up's mail leaves first, so the newest mail is the resend's link (the older one is dead).
    await server.ctx.delivery.drain();
    await ann.post('/api/v1/auth/verify-email/resend');
    await ann.post('/api/v1/auth/verify-email', { token: await linkOf(ann.user.email, 'verify') });
    const token = (await ann.post('/api/v1/me/tokens', { name: 'ci', scope: 'read' })).body.token as string;
    await new Actor(server.app, { bearer: token }).post('/api/v1/orgs', { name: 'refused' });
    await ann.post('/api/v1/me/password', { currentPassword: PASSWORD, newPassword: 'amber walrus quietly 88' });
    const other = await logIn(server.app, ann.user.email, 'amber walrus quietly 88');
    const sessions = (await ann.get('/api/v1/me/sessions')).body.items as { id: string; current: boolean }[];
    for (const s of sessions.filter((s) => !s.current)) await ann.delete(`/api/v1/me/sessions/${s.id}`);
    await other.get('/api/v1/me');
    await new Actor(server.app).from('10.1.2.3').post('/api/v1/auth/login', { email: ann.user.email, password: 'not it at all' });
    await other.post('/api/v1/auth/logout');
    await new Actor(server.app).post('/api/v1/auth/password-reset', { email: ann.user.email });
    await new Actor(server.app).post('/api/v1/auth/password-reset/confirm', {
      token: await linkOf(ann.user.email, 'reset'),
      password: 'copper lantern drifts 19',
    });
    const partner = uniqueEmail('partner');
    await admin.post(`/api/v1/datasets/${w.datasets.cams}/invitations`, { emails: [partner], level: 'read' });
    await signUp(server.app, 'Partner', partner, { inviteToken: await linkOf(partner, 'invite') });
    await server.ctx.delivery.drain();
    const log = server.logLines.join('');
    const events = server.logLines.map((line) => JSON.parse(line)).filter((entry) => entry.auth);
    const logged = (auth: string) => events.filter((e) => e.auth === auth).map((e) => ({ userId: e.userId, outcome: e.outcome, ip: e.ip }));
    expect(logged('login.failed')).toContainEqual({ userId: ann.id, outcome: 'wrong_password', ip: '10.1.2.3' });
    expect(logged('email.verify')).toContainEqual({ userId: ann.id, outcome: 'verified', ip: '127.0.0.1' });
    expect(logged('password.changed')).toContainEqual({ userId: ann.id, outcome: 'ok', ip: '127.0.0.1' });
    expect(logged('session.ended')).toContainEqual({ userId: ann.id, outcome: 'ok', ip: '127.0.0.1' });
    for (const auth of ['signup', 'login', 'logout', 'password_reset.requested', 'token.created'])
      expect(logged(auth).length).toBeGreaterThan(0);
    expect(log).toContain('"auth":"password_reset.completed"');
    expect(log).toContain('"auth":"token.created"');
    expect(log).not.toContain('#token=');
    expect(log).not.toContain('tsr_');
    expect(log).not.toContain(token.slice(4));
    return log;
  }

  it('through SMTP', async () => {
    const sink = await SmtpSink.start();
    const server = await startTestServer({ db, smtp: sink });
    try {
      await identityFlows(server, (email, kind) => mailedToken(server, email, kind));
    } finally {
      await server.close();
      await sink.close();
    }
  });

  it('through the dev outbox, which logs the file path instead of the links', async () => {
    const server = await startTestServer({ db, outbox: true });
    try {
      const log = await identityFlows(server, (email, kind) => mailedToken(server, email, kind));
      expect(log).toMatch(/"file":"[^"]*outbox[^"]*\.eml"/);
    } finally {
      await server.close();
    }
  });
});
