import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Actor, logIn, PASSWORD, type Response, signUp, uniqueEmail } from '../helpers/client.js';
import { DATABASES } from '../helpers/databases.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { joinOrg, verifyEmail } from '../helpers/world.js';
import { expectError } from './errors.js';

function setCookie(res: Response): string {
  const raw = res.headers['set-cookie'];
  return (Array.isArray(raw) ? raw : [raw ?? '']).find((c) => c.startsWith('tessera_session=')) ?? '';
}

describe.each(DATABASES)('accounts over HTTP (%s)', (db) => {
  let server: TestServer;
  let anonymous: Actor;
  beforeAll(async () => {
    server = await startTestServer({ db });
    anonymous = new Actor(server.app);
  });
  afterAll(async () => {
    await server.close();
  });

  describe('signup', () => {
    it('creates the account and logs in with an HttpOnly, SameSite=Lax cookie', async () => {
      const email = uniqueEmail('ann');
      const res = await anonymous.post('/api/v1/auth/signup', { email, password: PASSWORD, name: 'Ann' });
      expect(res.status).toBe(201);
      expect(res.body).toEqual({ user: { id: expect.any(String), email, name: 'Ann', emailVerified: false } });
      const cookie = setCookie(res);
      expect(cookie).toMatch(/; HttpOnly/i);
      expect(cookie).toMatch(/; SameSite=Lax/i);
      // PUBLIC_URL is http here, so the cookie cannot demand https.
      expect(cookie).not.toMatch(/; Secure/i);
      const ann = new Actor(server.app, { cookie: /tessera_session=([^;]*)/.exec(cookie)![1]! });
      expect((await ann.get('/api/v1/me')).body.user).toEqual(res.body.user);
    });

    it('refuses an e-mail already taken, whatever its case', async () => {
      const email = uniqueEmail('bob');
      await signUp(server.app, 'Bob', email);
      const again = await anonymous.post('/api/v1/auth/signup', { email: `  ${email.toUpperCase()} `, password: PASSWORD, name: 'Bob 2' });
      expectError(again, 409, 'email_taken');
      expect(setCookie(again)).toBe('');
    });

    it('refuses a password under 10 characters and accepts a strong one of exactly 10', async () => {
      const email = uniqueEmail('cy');
      expectError(await anonymous.post('/api/v1/auth/signup', { email, password: 'x7#Qv9!mZ', name: 'Cy' }), 400, 'invalid_request');
      expectError(await anonymous.post('/api/v1/auth/login', { email, password: 'x7#Qv9!mZ' }), 401, 'invalid_credentials');
      expect((await anonymous.post('/api/v1/auth/signup', { email, password: 'x7#Qv9!mZp', name: 'Cy' })).status).toBe(201);
    });

    it('refuses an invalid e-mail, a blank name and missing fields', async () => {
      const ok = { email: uniqueEmail('dee'), password: PASSWORD, name: 'Dee' };
      expectError(await anonymous.post('/api/v1/auth/signup', { ...ok, email: 'not an address' }), 400, 'invalid_request');
      expectError(await anonymous.post('/api/v1/auth/signup', { ...ok, name: '   ' }), 400, 'invalid_request');
      expectError(await anonymous.post('/api/v1/auth/signup', { email: ok.email, password: PASSWORD }), 400, 'invalid_request');
      expect((await anonymous.post('/api/v1/auth/signup', ok)).status).toBe(201);
    });
  });

  describe('login', () => {
    it('logs in with the right password, whatever the case of the e-mail', async () => {
      const email = uniqueEmail('eve');
      const eve = await signUp(server.app, 'Eve', email);
      const res = await anonymous.post('/api/v1/auth/login', { email: email.toUpperCase(), password: PASSWORD });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ user: eve.user });
      expect(setCookie(res)).toMatch(/HttpOnly/i);
    });

    it('gives the same answer for an unknown e-mail and a wrong password', async () => {
      const email = uniqueEmail('fay');
      await signUp(server.app, 'Fay', email);
      const wrong = await anonymous.post('/api/v1/auth/login', { email, password: 'not the password' });
      const unknown = await anonymous.post('/api/v1/auth/login', { email: uniqueEmail('nobody'), password: 'not the password' });
      expectError(wrong, 401, 'invalid_credentials');
      expect(unknown.status).toBe(wrong.status);
      expect(unknown.body).toEqual(wrong.body);
    });

    it('refuses every attempt with 429 and Retry-After after repeated failures, until the window passes', async () => {
      const email = uniqueEmail('gus');
      await signUp(server.app, 'Gus', email);
      let failures = 0;
      let res = await anonymous.post('/api/v1/auth/login', { email, password: 'wrong password' });
      while (res.status === 401 && failures < 20) {
        failures += 1;
        res = await anonymous.post('/api/v1/auth/login', { email, password: 'wrong password' });
      }
      expect(failures).toBeGreaterThanOrEqual(3);
      expectError(res, 429, 'rate_limited');
      const retryAfter = Number(res.headers['retry-after']);
      expect(retryAfter).toBeGreaterThan(0);
      // Even the right password waits: the limit is on the account, not on the guess.
      expectError(await anonymous.post('/api/v1/auth/login', { email, password: PASSWORD }), 429, 'rate_limited');
      server.clock.advance(retryAfter * 1000);
      expect((await anonymous.post('/api/v1/auth/login', { email, password: PASSWORD })).status).toBe(200);
    });
  });

  describe('sessions', () => {
    it('logout ends the session server-side: the old cookie is refused, other sessions live on', async () => {
      const hal = await signUp(server.app, 'Hal');
      const elsewhere = await logIn(server.app, hal.user.email);
      const res = await hal.post('/api/v1/auth/logout');
      expect(res.status).toBe(204);
      expect(setCookie(res)).toMatch(/tessera_session=;/);
      expectError(await hal.get('/api/v1/me'), 401, 'unauthenticated');
      expectError(await hal.post('/api/v1/orgs', { name: 'after logout' }), 401, 'unauthenticated');
      expect((await elsewhere.get('/api/v1/me')).status).toBe(200);
    });

    it('ends a session after its 30 days by itself', async () => {
      const kit = await signUp(server.app, 'Kit');
      server.clock.advance(30 * 24 * 60 * 60 * 1000 - 1);
      expect((await kit.get('/api/v1/me')).status).toBe(200);
      server.clock.advance(1);
      expectError(await kit.get('/api/v1/me'), 401, 'unauthenticated');
    });

    it('GET /me answers 401 without a session, and lists my organizations with role and capability', async () => {
      expectError(await anonymous.get('/api/v1/me'), 401, 'unauthenticated');
      expectError(await new Actor(server.app, { cookie: 'forged-session' }).get('/api/v1/me'), 401, 'unauthenticated');
      const ivy = await signUp(server.app, 'Ivy');
      expect((await ivy.get('/api/v1/me')).body).toEqual({ user: ivy.user, organizations: [] });
      const beta = (await ivy.post('/api/v1/orgs', { name: 'Beta' })).body;
      const other = await signUp(server.app, 'Owner');
      const alpha = (await other.post('/api/v1/orgs', { name: 'Alpha' })).body;
      await joinOrg(server, other, alpha.id, ivy, 'member');
      expect((await ivy.get('/api/v1/me')).body.organizations).toEqual([
        {
          id: alpha.id,
          name: 'Alpha',
          role: 'member',
          processDatasets: false,
          allowedActions: expect.not.arrayContaining(['org.manageMembers']),
        },
        { id: beta.id, name: 'Beta', role: 'admin', processDatasets: true, allowedActions: expect.arrayContaining(['org.manageMembers']) },
      ]);
      await other.patch(`/api/v1/orgs/${alpha.id}/members/${ivy.id}`, { processDatasets: true });
      expect((await ivy.get('/api/v1/me')).body.organizations[0].processDatasets).toBe(true);
    });
  });

  describe('personal access tokens', () => {
    it('shows the token once, works as a bearer, and dies on the next request after DELETE', async () => {
      const jo = await signUp(server.app, 'Jo');
      await verifyEmail(server, jo);
      const created = await jo.post('/api/v1/me/tokens', { name: 'nightly sync' });
      expect(created.status).toBe(201);
      expect(created.body).toEqual({
        id: expect.any(String),
        name: 'nightly sync',
        token: expect.stringMatching(/^tsr_/),
        scope: 'admin',
        expiresAt: new Date(server.clock.now() + 90 * 24 * 3600 * 1000).toISOString(),
      });
      const listed = await jo.get('/api/v1/me/tokens');
      expect(listed.body.items).toEqual([
        {
          id: created.body.id,
          name: 'nightly sync',
          scope: 'admin',
          expiresAt: created.body.expiresAt,
          createdAt: expect.any(String),
          lastUsedAt: null,
        },
      ]);
      expect(JSON.stringify(listed.body)).not.toContain(created.body.token);

      const script = new Actor(server.app, { bearer: created.body.token });
      expect((await script.get('/api/v1/me')).body.user).toEqual(jo.user);
      expect((await script.post('/api/v1/orgs', { name: 'made by a script' })).status).toBe(201);

      expect((await jo.delete(`/api/v1/me/tokens/${created.body.id}`)).status).toBe(204);
      expectError(await script.get('/api/v1/me'), 401, 'unauthenticated');
      expectError(await jo.delete(`/api/v1/me/tokens/${created.body.id}`), 404, 'not_found');
    });

    it('refuses an invalid bearer even next to a valid cookie, and keeps tokens to their owner', async () => {
      const kim = await signUp(server.app, 'Kim');
      await verifyEmail(server, kim);
      const mallory = await signUp(server.app, 'Mallory');
      for (const bearer of ['tsr_not-a-real-token', 'garbage', '']) {
        expectError(await new Actor(server.app, { bearer }).get('/api/v1/me'), 401, 'unauthenticated');
      }
      const both = await kim.request('GET', '/api/v1/me', undefined, { authorization: 'Bearer tsr_forged' });
      expectError(both, 401, 'unauthenticated');
      const token = (await kim.post('/api/v1/me/tokens', { name: 'ci' })).body;
      expectError(await mallory.delete(`/api/v1/me/tokens/${token.id}`), 404, 'not_found');
      expect((await new Actor(server.app, { bearer: token.token }).get('/api/v1/me')).status).toBe(200);
      expectError(await anonymous.post('/api/v1/me/tokens', { name: 'x' }), 401, 'unauthenticated');
      expectError(await kim.post('/api/v1/me/tokens', { name: '' }), 400, 'invalid_request');
    });
  });
});

describe.each(DATABASES)('the login limit across two instances on one database (%s)', (db) => {
  let first: TestServer;
  let second: TestServer;
  beforeAll(async () => {
    first = await startTestServer({ db });
    second = await startTestServer({ db, database: first.database, clock: first.clock });
  });
  afterAll(async () => {
    await second.close();
    await first.close();
  });

  it('counts failures on either instance, so switching instance does not reset the limit', async () => {
    const email = uniqueEmail('lee');
    await signUp(first.app, 'Lee', email);
    const instances = [new Actor(first.app), new Actor(second.app)];
    let attempts = 0;
    let res: Response = await instances[0]!.post('/api/v1/auth/login', { email, password: 'wrong password' });
    while (res.status === 401 && attempts < 20) {
      attempts += 1;
      res = await instances[attempts % 2]!.post('/api/v1/auth/login', { email, password: 'wrong password' });
    }
    expectError(res, 429, 'rate_limited');
    for (const instance of instances) {
      const refused = await instance.post('/api/v1/auth/login', { email, password: PASSWORD });
      expectError(refused, 429, 'rate_limited');
      expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    }
  });
});
