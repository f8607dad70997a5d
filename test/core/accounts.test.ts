import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Actor, logIn, PASSWORD, sessionCookieOf, signUp, uniqueEmail } from '../helpers/client.js';
import { DATABASES } from '../helpers/databases.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { verifyEmail, world } from '../helpers/world.js';

describe.each(DATABASES)('accounts, sessions and personal access tokens (%s)', (db) => {
  let server: TestServer;
  const anonymous = () => new Actor(server.app);
  beforeAll(async () => {
    server = await startTestServer({ db });
  });
  afterAll(async () => {
    await server.close();
  });

  it('signs up with a hashed password and an HttpOnly, SameSite=Lax session cookie', async () => {
    const email = uniqueEmail('Ada');
    const res = await anonymous().post('/api/v1/auth/signup', { email: ` ${email.toUpperCase()} `, password: PASSWORD, name: 'Ada' });
    expect(res.status).toBe(201);
    expect(res.body.user).toMatchObject({ email, name: 'Ada' });
    const cookie = String(res.headers['set-cookie']);
    expect(cookie).toMatch(/tessera_session=[A-Za-z0-9_-]{40,}/);
    expect(cookie).toContain('HttpOnly');
    expect(cookie).toContain('SameSite=Lax');
    expect(cookie).not.toContain('Secure');
    const row = await server.ctx.db.selectFrom('users').select('password_hash').where('email', '=', email).executeTakeFirstOrThrow();
    expect(row.password_hash).toMatch(/^scrypt\$/);
    expect(row.password_hash).not.toContain(PASSWORD);
    const sessions = await server.ctx.db.selectFrom('sessions').select('token_hash').where('user_id', '=', res.body.user.id).execute();
    expect(sessions.map((s) => s.token_hash)).not.toContain(sessionCookieOf(res));

    const taken = await anonymous().post('/api/v1/auth/signup', { email: email.toUpperCase(), password: PASSWORD, name: 'Twin' });
    expect(taken.status).toBe(409);
    expect(taken.body.error.code).toBe('email_taken');
    const short = await anonymous().post('/api/v1/auth/signup', { email: uniqueEmail('x'), password: 'nine char', name: 'X' });
    expect(short.status).toBe(400);
    expect(short.body.error.code).toBe('invalid_request');
    expect((await anonymous().post('/api/v1/auth/signup', { email: 'not-an-email', password: PASSWORD, name: 'X' })).status).toBe(400);
    expect((await anonymous().post('/api/v1/auth/signup', { email: uniqueEmail('x'), password: PASSWORD, name: '   ' })).status).toBe(400);
  });

  it('logs in with the same answer for an unknown e-mail and a wrong password, and shows me my orgs', async () => {
    const w = await world(server).org('acme').build();
    const admin = w.orgs.acme!.admin;
    const wrong = await anonymous().post('/api/v1/auth/login', { email: admin.user.email, password: 'wrong password!' });
    const unknown = await anonymous().post('/api/v1/auth/login', { email: uniqueEmail('ghost'), password: 'wrong password!' });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(wrong.body).toEqual(unknown.body);
    expect(wrong.body.error.code).toBe('invalid_credentials');

    const again = await logIn(server.app, admin.user.email.toUpperCase());
    const me = await again.get('/api/v1/me');
    expect(me.status).toBe(200);
    expect(me.body).toEqual({
      user: admin.user,
      organizations: [
        {
          id: w.orgs.acme!.id,
          name: 'acme',
          role: 'admin',
          processDatasets: true,
          allowedActions: expect.arrayContaining(['org.manageMembers']),
        },
      ],
    });
    expect((await anonymous().get('/api/v1/me')).status).toBe(401);
    expect((await new Actor(server.app, { cookie: 'forged' }).get('/api/v1/me')).status).toBe(401);
  });

  it('answers 429 with Retry-After after repeated failures, until the window passes', async () => {
    const user = await signUp(server.app, 'Target');
    for (let i = 0; i < 5; i += 1) {
      expect((await anonymous().post('/api/v1/auth/login', { email: user.user.email, password: 'guess number one' })).status).toBe(401);
    }
    const limited = await anonymous().post('/api/v1/auth/login', { email: user.user.email, password: PASSWORD });
    expect(limited.status).toBe(429);
    expect(limited.body.error.code).toBe('rate_limited');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    server.clock.advance(15 * 60 * 1000 + 1);
    expect((await anonymous().post('/api/v1/auth/login', { email: user.user.email, password: PASSWORD })).status).toBe(200);
  });

  it('logout kills the session server-side', async () => {
    const user = await signUp(server.app, 'Leaver');
    const other = await logIn(server.app, user.user.email);
    expect((await user.post('/api/v1/auth/logout')).status).toBe(204);
    expect((await user.get('/api/v1/me')).status).toBe(401);
    expect((await other.get('/api/v1/me')).status).toBe(200);
    expect((await anonymous().post('/api/v1/auth/logout')).status).toBe(204);
  });

  it('issues personal access tokens shown once, stored hashed, revocable on the next request', async () => {
    const user = await signUp(server.app, 'Scripter');
    await verifyEmail(server, user);
    const created = await user.post('/api/v1/me/tokens', { name: 'nightly etl' });
    expect(created.status).toBe(201);
    expect(created.body.token).toMatch(/^tsr_/);
    const listed = await user.get('/api/v1/me/tokens');
    expect(listed.body.items).toEqual([expect.objectContaining({ id: created.body.id, name: 'nightly etl', lastUsedAt: null })]);
    expect(JSON.stringify(listed.body)).not.toContain(created.body.token);
    const stored = await server.ctx.db
      .selectFrom('access_tokens')
      .select('token_hash')
      .where('id', '=', created.body.id)
      .executeTakeFirstOrThrow();
    expect(stored.token_hash).not.toContain(created.body.token);

    const script = new Actor(server.app, { bearer: created.body.token });
    expect((await script.get('/api/v1/me')).body.user.id).toBe(user.id);
    expect((await script.post('/api/v1/orgs', { name: 'from a script' })).status).toBe(201);
    expect((await user.get('/api/v1/me/tokens')).body.items[0].lastUsedAt).not.toBeNull();
    expect((await new Actor(server.app, { bearer: 'tsr_forged' }).get('/api/v1/me')).status).toBe(401);
    expect(
      (await new Actor(server.app, { bearer: created.body.token }).request('GET', '/api/v1/me', undefined, { authorization: 'Basic abc' }))
        .status,
    ).toBe(401);

    const stranger = await signUp(server.app, 'Stranger');
    expect((await stranger.delete(`/api/v1/me/tokens/${created.body.id}`)).status).toBe(404);
    expect((await user.delete(`/api/v1/me/tokens/${created.body.id}`)).status).toBe(204);
    expect((await script.get('/api/v1/me')).status).toBe(401);
    expect((await user.post('/api/v1/me/tokens', { name: '' })).status).toBe(400);
    expect((await anonymous().post('/api/v1/me/tokens', { name: 'x' })).status).toBe(401);
  });
});
