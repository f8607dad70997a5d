import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signUpWithInvitation } from '../../src/accounts/accounts.js';
import { findUserByEmail } from '../../src/accounts/users.js';
import type { Clock } from '../../src/clock.js';
import { DomainError } from '../../src/errors.js';
import { PASSWORD, uniqueEmail } from '../helpers/client.js';
import { TestClock } from '../helpers/clock.js';
import { DATABASES } from '../helpers/databases.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { linkToken, SmtpSink } from '../helpers/smtp.js';
import { world } from '../helpers/world.js';

const HOUR = 3_600_000;
const CALLER = { ip: '203.0.113.9', userAgent: 'test' };

describe.each(DATABASES)('sign-up from an invitation is one use case in one transaction (%s)', (db) => {
  let sink: SmtpSink;
  let server: TestServer;
  const clock = new TestClock();
  beforeAll(async () => {
    sink = await SmtpSink.start();
    server = await startTestServer({ db, smtp: sink, clock });
  });
  afterAll(async () => {
    await server.close();
    await sink.close();
  });

  async function invitation() {
    const w = await world(server).org('acme', 'Ada').dataset('Drone survey', { tier: 'external' }).build();
    const url = `/api/v1/datasets/${w.datasets['Drone survey']}`;
    const email = uniqueEmail('newcomer');
    expect((await w.orgs.acme!.admin.post(`${url}/invitations`, { emails: [email], level: 'read' })).status).toBe(201);
    const token = linkToken(await sink.waitFor((m) => m.to.includes(email)));
    return { email, token, url, admin: w.orgs.acme!.admin };
  }

  it('leaves no account behind when the accept fails after the link was checked', async () => {
    const { email, token } = await invitation();
    // The link expires while the account is being made: every look at the clock after the
    // first (the check before anything is made) is past the invitation's 72 hours.
    const start = clock.now();
    let looks = 0;
    const expiring: Clock = { now: () => (looks++ === 0 ? start : start + 73 * HOUR) };
    const refused = await signUpWithInvitation(
      { ...server.ctx, clock: expiring },
      { email, password: PASSWORD, name: 'Newcomer' },
      token,
      CALLER,
    ).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(DomainError);
    expect((refused as DomainError).code).toBe('invitation_expired');
    expect(looks).toBeGreaterThan(1);
    expect(await findUserByEmail(server.ctx.db, email)).toBeNull();
    const sessions = await server.ctx.db
      .selectFrom('sessions as s')
      .innerJoin('users as u', 'u.id', 's.user_id')
      .select('s.id')
      .where('u.email', '=', email)
      .execute();
    expect(sessions).toEqual([]);

    // The invitation is untouched, and a sign-up in time still works through the API.
    const joined = await server.app.inject({
      method: 'POST',
      url: '/api/v1/auth/signup',
      payload: { email, password: PASSWORD, name: 'Newcomer', inviteToken: token },
    });
    expect(joined.statusCode, joined.body).toBe(201);
    expect(JSON.parse(joined.body).user).toMatchObject({ email, emailVerified: true });
  });

  it('makes the account, its session and the grant together', async () => {
    const { email, token, url, admin } = await invitation();
    const { user, accepted } = await signUpWithInvitation(server.ctx, { email, password: PASSWORD, name: 'Newcomer' }, token, CALLER);
    expect(accepted).toMatchObject({ kind: 'dataset', level: 'read' });
    const sharing = await admin.get(`${url}/sharing`);
    expect(sharing.body.users).toEqual(
      expect.arrayContaining([expect.objectContaining({ user: expect.objectContaining({ id: user.id }), level: 'read' })]),
    );
  });
});
