import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Actor, logIn, PASSWORD, signUp, uniqueEmail } from '../helpers/client.js';
import { DATABASES } from '../helpers/databases.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { linkToken, SmtpSink } from '../helpers/smtp.js';
import { world } from '../helpers/world.js';

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
