import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectError } from '../api/errors.js';
import { Actor, logIn, PASSWORD, signUp, uniqueEmail } from '../helpers/client.js';
import { DATABASES } from '../helpers/databases.js';
import { MemoryMailer, startTestServer, type TestServer } from '../helpers/server.js';
import { upload } from '../helpers/upload.js';
import { mailedToken, mintToken, verifyEmail, world } from '../helpers/world.js';

const DAY = 24 * 3600 * 1000;
const NEW_PASSWORD = 'marble cactus umbrella 42';

describe.each(DATABASES)('tokens, sessions and passwords over HTTP (%s)', (db) => {
  let server: TestServer;
  const anonymous = () => new Actor(server.app);
  beforeAll(async () => {
    server = await startTestServer({ db });
  });
  afterAll(async () => {
    await server.close();
  });

  it('caps what a token may do by its scope, on every route', async () => {
    const w = await world(server).org('acme').member('ann', 'admin').dataset('cams', { tier: 'organization' }).build();
    const ann = w.users.ann!;
    const orgId = w.orgs.acme!.id;
    const ds = `/api/v1/datasets/${w.datasets.cams}`;
    const as = async (scope: 'read' | 'write' | 'admin') =>
      new Actor(server.app, { bearer: await mintToken(server, ann, { scope }) }, ann.user);
    const [read, write, admin] = [await as('read'), await as('write'), await as('admin')];

    expect((await read.get(ds)).body.myLevel).toBe('read');
    expect((await write.get(ds)).body.myLevel).toBe('write');
    expect((await admin.get(ds)).body.myLevel).toBe('admin');
    // Every view of the dataset shows the capped level: the inventory (which lists nothing above
    // the cap) and a project.
    const project = (await admin.post(`/api/v1/orgs/${orgId}/projects`, { name: 'cameras' })).body;
    expect((await admin.put(`/api/v1/projects/${project.id}/datasets/${w.datasets.cams}`, {})).status).toBe(204);
    for (const [token, level] of [
      [read, 'read'],
      [write, 'write'],
      [admin, 'admin'],
    ] as const) {
      const listed = (await token.get('/api/v1/datasets')).body.items.find((d: { id: string }) => d.id === w.datasets.cams);
      expect(listed.myLevel).toBe(level);
      const inProject = (await token.get(`/api/v1/projects/${project.id}`)).body.datasets.find(
        (d: { id: string }) => d.id === w.datasets.cams,
      );
      expect(inProject.myLevel).toBe(level);
      const atWrite = (await token.get('/api/v1/datasets?minLevel=write')).body.items.map((d: { id: string }) => d.id);
      expect(atWrite.includes(w.datasets.cams)).toBe(level !== 'read');
    }
    expect((await read.get(`${ds}/items`)).status).toBe(200);
    expectError(await read.post(`${ds}/layers`, { name: 'boxes' }), 403, 'token_scope');
    expect(await upload(read, w.datasets.cams!, [{ name: 'a.txt', content: Buffer.from('a') }])).toMatchObject({
      status: 403,
      body: { error: { code: 'token_scope' } },
    });
    expectError(await read.post('/api/v1/orgs', { name: 'by a reader' }), 403, 'token_scope');
    expectError(await read.get(`${ds}/sharing`), 403, 'token_scope');

    expect((await write.post(`${ds}/layers`, { name: 'boxes' })).status).toBe(201);
    expect((await write.patch(ds, { name: 'cams 2' })).status).toBe(200);
    expectError(await write.get(`${ds}/sharing`), 403, 'token_scope');
    expectError(await write.post(`${ds}/invitations`, { emails: [uniqueEmail('x')], level: 'read' }), 403, 'token_scope');
    expectError(await write.patch(ds, { visibility: 'external' }), 403, 'token_scope');
    expectError(await write.post(`/api/v1/orgs/${orgId}/teams`, { name: 'writers' }), 403, 'token_scope');
    expectError(await write.get(`/api/v1/orgs/${orgId}/audit`), 403, 'token_scope');

    expect((await admin.get(`${ds}/sharing`)).status).toBe(200);
    expect((await admin.post(`/api/v1/orgs/${orgId}/teams`, { name: 'admins' })).status).toBe(201);
    expectError(await admin.post('/api/v1/me/tokens', { name: 'child' }), 403, 'forbidden');
  });

  it('lists tokens with scope and expiry; defaults to admin for 90 days, at most 366, and an expired token is 401', async () => {
    const bo = await signUp(server.app, 'Bo');
    await verifyEmail(server, bo);
    const now = server.clock.now();
    const iso = (ms: number) => new Date(ms).toISOString();
    const plain = await bo.post('/api/v1/me/tokens', { name: 'plain' });
    expect(plain.body).toMatchObject({ scope: 'admin', expiresAt: iso(now + 90 * DAY) });
    const short = await bo.post('/api/v1/me/tokens', { name: 'short', scope: 'read', expiresAt: iso(now + DAY) });
    expect(short.status).toBe(201);
    expectError(await bo.post('/api/v1/me/tokens', { name: 'long', expiresAt: iso(now + 367 * DAY) }), 400, 'invalid_request');
    expectError(await bo.post('/api/v1/me/tokens', { name: 'past', expiresAt: iso(now - 1000) }), 400, 'invalid_request');
    expectError(await bo.post('/api/v1/me/tokens', { name: 'odd', scope: 'root' }), 400, 'invalid_request');
    expect((await bo.post('/api/v1/me/tokens', { name: 'year', expiresAt: iso(now + 366 * DAY) })).status).toBe(201);
    const listed = (await bo.get('/api/v1/me/tokens')).body.items as { name: string; scope: string; expiresAt: string }[];
    expect(listed.map((t) => [t.name, t.scope, t.expiresAt])).toEqual(
      expect.arrayContaining([
        ['plain', 'admin', iso(now + 90 * DAY)],
        ['short', 'read', iso(now + DAY)],
      ]),
    );
    expect(JSON.stringify(listed)).not.toContain('tsr_');

    const script = new Actor(server.app, { bearer: short.body.token });
    expect((await script.get('/api/v1/me')).status).toBe(200);
    server.clock.advance(DAY);
    expectError(await script.get('/api/v1/me'), 401, 'unauthenticated');
  });

  it('lists my sessions with the current one marked, and ends one at its next request', async () => {
    const cy = await signUp(server.app, 'Cy');
    const phone = await logIn(server.app, cy.user.email);
    const res = await cy.request('GET', '/api/v1/me/sessions', undefined, { 'user-agent': 'Firefox on the desk' });
    const items = res.body.items as {
      id: string;
      createdAt: string;
      lastUsedAt: string | null;
      userAgent: string | null;
      current: boolean;
    }[];
    expect(items).toHaveLength(2);
    expect(items.filter((s) => s.current)).toHaveLength(1);
    const other = items.find((s) => !s.current)!;
    expect(other).toEqual({
      id: expect.stringMatching(/^ses_/),
      createdAt: expect.any(String),
      lastUsedAt: expect.any(String),
      userAgent: 'lightMyRequest',
      current: false,
    });
    expect(JSON.stringify(items)).not.toContain(phone.auth.cookie);

    const dan = await signUp(server.app, 'Dan');
    expectError(await dan.delete(`/api/v1/me/sessions/${other.id}`), 404, 'not_found');
    expect((await phone.get('/api/v1/me')).status).toBe(200);
    expect((await cy.delete(`/api/v1/me/sessions/${other.id}`)).status).toBe(204);
    expectError(await phone.get('/api/v1/me'), 401, 'unauthenticated');
    expect((await cy.get('/api/v1/me')).status).toBe(200);
    expect((await cy.get('/api/v1/me/sessions')).body.items).toHaveLength(1);
  });

  it('changes the password with the current one, ending every other session and keeping this one', async () => {
    const di = await signUp(server.app, 'Di');
    const laptop = await logIn(server.app, di.user.email);
    expectError(
      await di.post('/api/v1/me/password', { currentPassword: 'not my password', newPassword: NEW_PASSWORD }),
      403,
      'invalid_credentials',
    );
    expectError(await di.post('/api/v1/me/password', { currentPassword: PASSWORD, newPassword: 'password12' }), 400, 'weak_password');
    expect((await laptop.get('/api/v1/me')).status).toBe(200);
    expect((await di.post('/api/v1/me/password', { currentPassword: PASSWORD, newPassword: NEW_PASSWORD })).status).toBe(204);
    expect((await di.get('/api/v1/me')).status).toBe(200);
    expectError(await laptop.get('/api/v1/me'), 401, 'unauthenticated');
    expectError(await anonymous().post('/api/v1/auth/login', { email: di.user.email, password: PASSWORD }), 401, 'invalid_credentials');
    expect((await logIn(server.app, di.user.email, NEW_PASSWORD)).id).toBe(di.id);
    expectError(
      await anonymous().post('/api/v1/me/password', { currentPassword: PASSWORD, newPassword: NEW_PASSWORD }),
      401,
      'unauthenticated',
    );
  });

  it('refuses common passwords and those built from the name or e-mail, with the reason, everywhere a password is set', async () => {
    const email = uniqueEmail('annabelle');
    for (const password of ['password12', 'qwertyuiop', 'iloveyou123', `${email.split('@')[0]}`, 'Annabelle Smith', 'annabelle2024!']) {
      const res = await anonymous().post('/api/v1/auth/signup', { email, password, name: 'Annabelle Smith' });
      expectError(res, 400, 'weak_password');
      expect(res.body.error.message.length).toBeGreaterThan(20);
    }
    expect((await anonymous().post('/api/v1/auth/signup', { email, password: NEW_PASSWORD, name: 'Annabelle Smith' })).status).toBe(201);

    await anonymous().post('/api/v1/auth/password-reset', { email });
    const token = await mailedToken(server, email, 'reset');
    expectError(await anonymous().post('/api/v1/auth/password-reset/confirm', { token, password: 'password12' }), 400, 'weak_password');
    expect((await anonymous().post('/api/v1/auth/password-reset/confirm', { token, password: 'sienna harbor flute 5' })).status).toBe(204);
  });
});

describe.each(DATABASES)('limits per account and caller address (%s)', (db) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ db, ipLimits: true });
  });
  afterAll(async () => {
    await server.close();
  });

  it('locks out the address that guesses, never the owner logging in from another', async () => {
    const owner = await signUp(server.app, 'Owner');
    const attacker = new Actor(server.app).from('203.0.113.9');
    for (let i = 0; i < 5; i++) {
      expectError(
        await attacker.post('/api/v1/auth/login', { email: owner.user.email, password: `guess number ${i}` }),
        401,
        'invalid_credentials',
      );
    }
    const locked = await attacker.post('/api/v1/auth/login', { email: owner.user.email, password: PASSWORD });
    expectError(locked, 429, 'rate_limited');
    expect(Number(locked.headers['retry-after'])).toBeGreaterThan(0);

    const home = new Actor(server.app).from('198.51.100.7');
    expect((await home.post('/api/v1/auth/login', { email: owner.user.email, password: PASSWORD })).status).toBe(200);
    server.clock.advance(15 * 60 * 1000);
    expect((await attacker.post('/api/v1/auth/login', { email: owner.user.email, password: PASSWORD })).status).toBe(200);
  });

  it('limits sign-ups, reset requests and verification mails per caller address, with Retry-After', async () => {
    const crowd = new Actor(server.app).from('192.0.2.44');
    let res = await crowd.post('/api/v1/auth/signup', { email: uniqueEmail('s'), password: NEW_PASSWORD, name: 'S' });
    for (let i = 1; i < 25 && res.status === 201; i++) {
      res = await crowd.post('/api/v1/auth/signup', { email: uniqueEmail('s'), password: NEW_PASSWORD, name: 'S' });
    }
    expectError(res, 429, 'rate_limited');
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    expect(
      (
        await new Actor(server.app)
          .from('192.0.2.45')
          .post('/api/v1/auth/signup', { email: uniqueEmail('s'), password: NEW_PASSWORD, name: 'S' })
      ).status,
    ).toBe(201);

    const asker = new Actor(server.app).from('192.0.2.50');
    const answers: number[] = [];
    for (let i = 0; i < 12; i++) answers.push((await asker.post('/api/v1/auth/password-reset', { email: uniqueEmail('r') })).status);
    expect(answers.slice(0, 10)).toEqual(Array(10).fill(202));
    expect(answers.at(-1)).toBe(429);

    const ann = (await signUp(server.app, 'Ann')).from('192.0.2.60');
    const resends: number[] = [];
    for (let i = 0; i < 7; i++) resends.push((await ann.post('/api/v1/auth/verify-email/resend')).status);
    expect(resends.slice(0, 5)).toEqual(Array(5).fill(202));
    expect(resends.at(-1)).toBe(429);
  });

  it('keeps the counters of the last hour only: each window that opens removes the closed ones', async () => {
    const counters = async () =>
      (await server.ctx.db.selectFrom('rate_limits').select(['key', 'hits']).execute()).map((c) => [c.key, Number(c.hits)]).sort();
    const resetFrom = (address: string) =>
      new Actor(server.app).from(address).post('/api/v1/auth/password-reset', { email: uniqueEmail('r') });
    expect((await resetFrom('192.0.2.97')).status).toBe(202);
    server.clock.advance(30 * 60 * 1000);
    expect((await resetFrom('192.0.2.98')).status).toBe(202);
    // An hour after the first opened, its window has closed; it stays a minute more, for clocks that differ.
    server.clock.advance(30 * 60 * 1000);
    expect((await resetFrom('192.0.2.99')).status).toBe(202);
    expect(await counters()).toEqual(
      expect.arrayContaining([
        ['ip:passwordReset:192.0.2.97', 1],
        ['ip:passwordReset:192.0.2.98', 1],
        ['ip:passwordReset:192.0.2.99', 1],
      ]),
    );
    // Then the next window that opens removes it, and every counter before it.
    server.clock.advance(60 * 1000);
    expect((await resetFrom('192.0.2.100')).status).toBe(202);
    expect(await counters()).toEqual([
      ['ip:passwordReset:192.0.2.100', 1],
      ['ip:passwordReset:192.0.2.98', 1],
      ['ip:passwordReset:192.0.2.99', 1],
    ]);
    // What still counts keeps counting.
    expect((await resetFrom('192.0.2.98')).status).toBe(202);
    expect(await counters()).toContainEqual(['ip:passwordReset:192.0.2.98', 2]);
  });
});

describe.each(DATABASES)('sign-up modes (%s)', (db) => {
  it('open, invite-only (only from an invitation link) and closed', async () => {
    // Three instances on one database deliver each other's queued mail: one mailbox for all.
    const mailer = new MemoryMailer();
    const inviteOnly = await startTestServer({ db, signup: 'invite-only', mailer });
    const closed = await startTestServer({ db, signup: 'closed', database: inviteOnly.database, mailer });
    try {
      const body = () => ({ email: uniqueEmail('new'), password: NEW_PASSWORD, name: 'New' });
      expectError(await new Actor(inviteOnly.app).post('/api/v1/auth/signup', body()), 403, 'signup_closed');
      expectError(await new Actor(closed.app).post('/api/v1/auth/signup', body()), 403, 'signup_closed');

      // The world's first admin cannot sign up here; make one on the open test server's sibling database.
      const open = await startTestServer({ db, database: inviteOnly.database, mailer });
      try {
        const w = await world(open).org('acme').dataset('cams', { tier: 'external' }).build();
        const partner = uniqueEmail('partner');
        await w.orgs.acme!.admin.post(`/api/v1/datasets/${w.datasets.cams}/invitations`, { emails: [partner], level: 'read' });
        const inviteToken = await mailedToken(open, partner);
        const withLink = { email: partner, password: NEW_PASSWORD, name: 'Partner', inviteToken };
        expectError(await new Actor(closed.app).post('/api/v1/auth/signup', withLink), 403, 'signup_closed');
        expectError(await new Actor(inviteOnly.app).post('/api/v1/auth/signup', { ...withLink, inviteToken: 'forged' }), 404, 'not_found');
        const res = await new Actor(inviteOnly.app).post('/api/v1/auth/signup', withLink);
        expect(res.status).toBe(201);
        expect(res.body.user.emailVerified).toBe(true);
      } finally {
        await open.close();
      }
    } finally {
      await closed.close();
      await inviteOnly.close();
    }
  });
});
