import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectError } from '../api/errors.js';
import { Actor, PASSWORD, type Response, signUp, uniqueEmail } from '../helpers/client.js';
import { DATABASES } from '../helpers/databases.js';
import { cookiesOf, signInThroughProvider, TestProvider, throughProvider } from '../helpers/oidc.js';
import { PUBLIC_URL, startTestServer, type TestServer } from '../helpers/server.js';
import { mintToken } from '../helpers/world.js';

let subjects = 0;
function identity(name: string, email = uniqueEmail(name), emailVerified = true) {
  subjects += 1;
  return { sub: `${name.toLowerCase()}-${process.pid}-${subjects}`, email, email_verified: emailVerified, name };
}

function asResponse(res: { statusCode: number; body: string; headers: Response['headers'] }): Response {
  const json = String(res.headers['content-type'] ?? '').includes('json');
  return { status: res.statusCode, body: json && res.body ? JSON.parse(res.body) : res.body, headers: res.headers };
}

describe.each(DATABASES)('signing in with an OpenID Connect provider (%s)', (db) => {
  let provider: TestProvider;
  let server: TestServer;

  beforeAll(async () => {
    provider = await TestProvider.start(PUBLIC_URL);
    server = await startTestServer({ db, oidc: provider.config() });
  });
  afterAll(async () => {
    await server.close();
    await provider.close();
  });

  /** Signs in through the provider and returns the logged-in caller and where the callback sent them. */
  async function signIn(options: Parameters<typeof signInThroughProvider>[1] = {}) {
    const res = await signInThroughProvider(server, options);
    expect(res.statusCode, res.body).toBe(302);
    const session = cookiesOf(res.headers).get('tessera_session');
    if (!session) throw new Error('no session cookie');
    const actor = new Actor(server.app, { cookie: session });
    const me = await actor.get('/api/v1/me');
    return { actor: new Actor(server.app, { cookie: session }, me.body.user), location: String(res.headers.location) };
  }

  it('tells the web app how one signs in here', async () => {
    const res = await new Actor(server.app).get('/api/v1/auth/providers');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ oidc: { name: 'Test ID' }, passwordLogin: true });
  });

  it('sends the browser to the provider with PKCE, state and nonce, and a sign-in cookie bound to it', async () => {
    const res = await server.app.inject({ method: 'GET', url: '/api/v1/auth/oidc/start?returnTo=/datasets' });
    expect(res.statusCode).toBe(302);
    const location = new URL(String(res.headers.location));
    expect(location.origin).toBe(provider.issuer);
    expect(location.searchParams.get('code_challenge_method')).toBe('S256');
    expect(location.searchParams.get('code_challenge')).toMatch(/^[\w-]{43}$/);
    expect(location.searchParams.get('state')).toBeTruthy();
    expect(location.searchParams.get('nonce')).toBeTruthy();
    expect(location.searchParams.get('redirect_uri')).toBe(`${PUBLIC_URL}/api/v1/auth/oidc/callback`);
    const cookie = [res.headers['set-cookie']].flat().find((c) => String(c).startsWith('tessera_oidc='));
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Lax/);
  });

  it('creates a verified account for a new identity whose address the provider verified, and returns to the path', async () => {
    const ann = identity('Ann');
    provider.loginAs(ann);
    const { actor, location } = await signIn({ returnTo: '/datasets?tab=mine' });
    expect(location).toBe('/datasets?tab=mine');
    expect(actor.user).toMatchObject({ email: ann.email, name: 'Ann', emailVerified: true });
    expect((await actor.get('/api/v1/me/sso')).body).toEqual({ linked: true, provider: { name: 'Test ID' }, hasPassword: false });
    // Verified by the provider: the account may mint tokens at once.
    expect((await actor.post('/api/v1/me/tokens', { name: 'cli' })).status).toBe(201);
    // The next sign-in finds the linked account, whatever the address says by then.
    provider.loginAs({ ...ann, email: uniqueEmail('renamed') });
    expect((await signIn()).actor.user.id).toBe(actor.user.id);
    expect(server.logLines.join('')).toContain('"auth":"sso.signup"');
    expect(server.logLines.join('')).toContain('"auth":"sso.login"');
  });

  it('links an existing account with that verified address: its sessions and tokens end and its password is cleared', async () => {
    const bob = await signUp(server.app, 'Bob');
    const token = await mintToken(server, bob);
    const tokenCaller = new Actor(server.app, { bearer: token });
    expect((await tokenCaller.get('/api/v1/me')).status).toBe(200);
    provider.loginAs(identity('Bob', bob.user.email));
    const { actor } = await signIn();
    expect(actor.user.id).toBe(bob.user.id);
    expect(actor.user.emailVerified).toBe(true);
    expectError(await bob.get('/api/v1/me'), 401, 'unauthenticated');
    expectError(await tokenCaller.get('/api/v1/me'), 401, 'unauthenticated');
    expectError(
      await new Actor(server.app).post('/api/v1/auth/login', { email: bob.user.email, password: PASSWORD }),
      401,
      'invalid_credentials',
    );
    expect((await actor.get('/api/v1/me/sso')).body).toMatchObject({ linked: true, hasPassword: false });
    expect(server.logLines.join('')).toContain(`"auth":"sso.linked","userId":"${bob.user.id}"`);
  });

  it('refuses an address the provider has not verified, and makes no account', async () => {
    const cy = identity('Cy', uniqueEmail('cy'), false);
    provider.loginAs(cy);
    const res = asResponse(await signInThroughProvider(server));
    expectError(res, 403, 'sso_email_unverified');
    expect(cookiesOf(res.headers).get('tessera_session')).toBeUndefined();
    expect(await server.ctx.db.selectFrom('users').select('id').where('email', '=', cy.email).executeTakeFirst()).toBeUndefined();
  });

  it('does not link an existing account through an unverified address', async () => {
    const dee = await signUp(server.app, 'Dee');
    provider.loginAs(identity('Dee', dee.user.email, false));
    expectError(asResponse(await signInThroughProvider(server)), 403, 'sso_email_unverified');
    expect((await dee.get('/api/v1/me')).status).toBe(200);
  });

  it('sends a browser that is refused to the page that explains it', async () => {
    provider.loginAs(identity('Eve', uniqueEmail('eve'), false));
    const start = await server.app.inject({ method: 'GET', url: '/api/v1/auth/oidc/start' });
    const binding = cookiesOf(start.headers).get('tessera_oidc');
    const callback = await throughProvider(String(start.headers.location), PUBLIC_URL);
    const res = await server.app.inject({
      method: 'GET',
      url: `${callback.pathname}${callback.search}`,
      headers: { cookie: `tessera_oidc=${binding}`, accept: 'text/html,application/xhtml+xml' },
    });
    expect(res.statusCode).toBe(302);
    expect(res.headers.location).toBe('/sso-error?code=sso_email_unverified');
  });

  it('refuses a forged state, a callback without the sign-in cookie, and a sign-in used twice', async () => {
    provider.loginAs(identity('Fay'));
    const forged = await signInThroughProvider(server, {
      tamper: (callback) => callback.searchParams.set('state', 'forged-state'),
    });
    expectError(asResponse(forged), 403, 'sso_state_invalid');
    expectError(asResponse(await signInThroughProvider(server, { cookies: '' })), 403, 'sso_state_invalid');
    expectError(asResponse(await signInThroughProvider(server, { cookies: 'tessera_oidc=someone-elses' })), 403, 'sso_state_invalid');

    const start = await server.app.inject({ method: 'GET', url: '/api/v1/auth/oidc/start' });
    const binding = cookiesOf(start.headers).get('tessera_oidc');
    const callback = await throughProvider(String(start.headers.location), PUBLIC_URL);
    const replay = {
      method: 'GET' as const,
      url: `${callback.pathname}${callback.search}`,
      headers: { cookie: `tessera_oidc=${binding}` },
    };
    expect((await server.app.inject(replay)).statusCode).toBe(302);
    expectError(asResponse(await server.app.inject(replay)), 403, 'sso_state_invalid');
  });

  it('refuses an answer that does not check out at the provider, and a second identity for a linked account', async () => {
    provider.loginAs(identity('Max'));
    const bogus = await signInThroughProvider(server, { tamper: (callback) => callback.searchParams.set('code', 'not-a-real-code') });
    expectError(asResponse(bogus), 403, 'sso_failed');

    const nia = identity('Nia');
    provider.loginAs(nia);
    expect((await signInThroughProvider(server)).statusCode).toBe(302);
    provider.loginAs(identity('Nia', nia.email));
    expectError(asResponse(await signInThroughProvider(server)), 409, 'sso_account_linked');
  });

  it('refuses a sign-in older than ten minutes', async () => {
    provider.loginAs(identity('Gus'));
    const start = await server.app.inject({ method: 'GET', url: '/api/v1/auth/oidc/start' });
    const binding = cookiesOf(start.headers).get('tessera_oidc');
    const callback = await throughProvider(String(start.headers.location), PUBLIC_URL);
    server.clock.advance(10 * 60_000 + 1);
    const res = await server.app.inject({
      method: 'GET',
      url: `${callback.pathname}${callback.search}`,
      headers: { cookie: `tessera_oidc=${binding}` },
    });
    expectError(asResponse(res), 403, 'sso_state_invalid');
  });

  it.each([
    '//evil.example',
    '//evil.example/path',
    'https://evil.example/',
    '/\\evil.example',
    '\\\\evil.example',
    'evil.example',
    '/ok\nLocation: https://evil.example',
  ])('returns to / instead of %j', async (returnTo) => {
    provider.loginAs(identity('Hal'));
    const res = await signInThroughProvider(server, { returnTo });
    expect(res.statusCode).toBe(302);
    expect(res.headers.location).toBe('/');
  });

  it('unlinks only an account that keeps a password', async () => {
    provider.loginAs(identity('Ida'));
    const { actor } = await signIn();
    expectError(await actor.delete('/api/v1/me/sso'), 409, 'sso_unlink_needs_password');
    const jo = await signUp(server.app, 'Jo');
    expectError(await jo.delete('/api/v1/me/sso'), 409, 'sso_not_linked');
    expect((await jo.get('/api/v1/me/sso')).body).toEqual({ linked: false, provider: { name: 'Test ID' }, hasPassword: true });
  });

  it('unlinks an account whose owner set a password again by reset', async () => {
    const kit = identity('Kit');
    provider.loginAs(kit);
    const { actor } = await signIn();
    const { operatorResetLink } = await import('../../src/accounts/provisioning.js');
    const { link } = await operatorResetLink(server.ctx, kit.email);
    const token = new URL(link).hash.replace('#token=', '');
    const newPassword = 'quartz lantern meadow 58';
    expect((await new Actor(server.app).post('/api/v1/auth/password-reset/confirm', { token, password: newPassword })).status).toBe(204);
    const again = await signIn();
    expect((await again.actor.get('/api/v1/me/sso')).body).toMatchObject({ linked: true, hasPassword: true });
    expect((await again.actor.delete('/api/v1/me/sso')).status).toBe(204);
    expect((await again.actor.get('/api/v1/me/sso')).body).toMatchObject({ linked: false, hasPassword: true });
    expect(actor.user.id).toBe(again.actor.user.id);
    expect(server.logLines.join('')).toContain('"auth":"sso.unlinked"');
  });

  it('keeps no secret of the sign-in in the logs: neither the cookie nor the authorization code', async () => {
    provider.loginAs(identity('Lou'));
    const start = await server.app.inject({ method: 'GET', url: '/api/v1/auth/oidc/start' });
    const binding = cookiesOf(start.headers).get('tessera_oidc') ?? '';
    expect(binding.length).toBeGreaterThan(20);
    const callback = await throughProvider(String(start.headers.location), PUBLIC_URL);
    const code = callback.searchParams.get('code') ?? '';
    expect(code.length).toBeGreaterThan(20);
    const res = await server.app.inject({
      method: 'GET',
      url: `${callback.pathname}${callback.search}`,
      headers: { cookie: `tessera_oidc=${binding}` },
    });
    expect(res.statusCode).toBe(302);
    const session = cookiesOf(res.headers).get('tessera_session') ?? '';
    const log = server.logLines.join('');
    expect(log).toContain('/api/v1/auth/oidc/callback?code=[redacted]');
    for (const secret of [binding, code, session]) expect(log).not.toContain(secret);
  });
});

describe.each(DATABASES)('single sign-on when the provider is down, and OIDC_ONLY (%s)', (db) => {
  it('starts without the provider, answers 503 sso_unavailable, and discovers it once it answers', async () => {
    const port = await TestProvider.freePort();
    const server = await startTestServer({ db, oidc: TestProvider.configAt(port, { name: 'Later ID' }), oidcRetryMs: [60_000] });
    let provider: TestProvider | undefined;
    try {
      expect((await new Actor(server.app).get('/healthz')).status).toBe(200);
      expect((await new Actor(server.app).get('/api/v1/auth/providers')).body).toEqual({ oidc: { name: 'Later ID' }, passwordLogin: true });
      expectError(asResponse(await server.app.inject({ method: 'GET', url: '/api/v1/auth/oidc/start' })), 503, 'sso_unavailable');
      const browser = await server.app.inject({ method: 'GET', url: '/api/v1/auth/oidc/start', headers: { accept: 'text/html' } });
      expect(browser.headers.location).toBe('/sso-error?code=sso_unavailable');
      expect(server.logLines.join('')).toContain('OpenID Connect discovery failed');
      const ann = await signUp(server.app, 'Ann');
      expect((await ann.get('/api/v1/me')).status).toBe(200);

      provider = await TestProvider.start(PUBLIC_URL, port);
      // Within the back-off, the provider is not asked again.
      expectError(asResponse(await server.app.inject({ method: 'GET', url: '/api/v1/auth/oidc/start' })), 503, 'sso_unavailable');
      server.clock.advance(60_000);
      provider.loginAs(identity('Bea'));
      const res = await signInThroughProvider(server);
      expect(res.statusCode, res.body).toBe(302);
      expect(cookiesOf(res.headers).get('tessera_session')).toBeTruthy();
    } finally {
      await server.close();
      await provider?.close();
    }
  });

  it('completes on another instance a sign-in started on one (the sign-in lives in the shared database)', async () => {
    const provider = await TestProvider.start(PUBLIC_URL);
    const first = await startTestServer({ db, oidc: provider.config() });
    const second = await startTestServer({ db, oidc: provider.config(), database: first.database });
    try {
      provider.loginAs(identity('Ola'));
      const start = await first.app.inject({ method: 'GET', url: '/api/v1/auth/oidc/start?returnTo=/account' });
      const binding = cookiesOf(start.headers).get('tessera_oidc');
      const callback = await throughProvider(String(start.headers.location), PUBLIC_URL);
      const res = await second.app.inject({
        method: 'GET',
        url: `${callback.pathname}${callback.search}`,
        headers: { cookie: `tessera_oidc=${binding}` },
      });
      expect(res.statusCode).toBe(302);
      expect(res.headers.location).toBe('/account');
      const session = cookiesOf(res.headers).get('tessera_session');
      expect((await new Actor(first.app, { cookie: session ?? '' }).get('/api/v1/me')).status).toBe(200);
    } finally {
      await second.close();
      await first.close();
      await provider.close();
    }
  });

  it('counts each start as a log-in attempt of the caller address', async () => {
    const provider = await TestProvider.start(PUBLIC_URL);
    const server = await startTestServer({ db, oidc: provider.config(), ipLimits: true });
    try {
      const start = () => server.app.inject({ method: 'GET', url: '/api/v1/auth/oidc/start', remoteAddress: '203.0.113.9' });
      for (let i = 0; i < 60; i += 1) expect((await start()).statusCode).toBe(302);
      const refused = await start();
      expect(refused.statusCode).toBe(429);
      expect(refused.headers['retry-after']).toBeTruthy();
    } finally {
      await server.close();
      await provider.close();
    }
  });

  it('under OIDC_ONLY refuses password login and sign-up, and still signs in through the provider', async () => {
    const provider = await TestProvider.start(PUBLIC_URL);
    const server = await startTestServer({ db, oidc: provider.config({ only: true }) });
    try {
      const anonymous = new Actor(server.app);
      expect((await anonymous.get('/api/v1/auth/providers')).body).toEqual({ oidc: { name: 'Test ID' }, passwordLogin: false });
      const email = uniqueEmail('Cal');
      expectError(await anonymous.post('/api/v1/auth/signup', { email, password: PASSWORD, name: 'Cal' }), 403, 'password_login_disabled');
      expectError(await anonymous.post('/api/v1/auth/login', { email, password: PASSWORD }), 403, 'password_login_disabled');
      provider.loginAs(identity('Cal', email));
      const res = await signInThroughProvider(server);
      expect(res.statusCode).toBe(302);
      expect(cookiesOf(res.headers).get('tessera_session')).toBeTruthy();
    } finally {
      await server.close();
      await provider.close();
    }
  });

  it('creates accounts through the provider whatever SIGNUP says', async () => {
    const provider = await TestProvider.start(PUBLIC_URL);
    const server = await startTestServer({ db, oidc: provider.config(), signup: 'closed' });
    try {
      const email = uniqueEmail('Dot');
      expectError(
        await new Actor(server.app).post('/api/v1/auth/signup', { email, password: PASSWORD, name: 'Dot' }),
        403,
        'signup_closed',
      );
      provider.loginAs(identity('Dot', email));
      expect((await signInThroughProvider(server)).statusCode).toBe(302);
    } finally {
      await server.close();
      await provider.close();
    }
  });

  it('answers 404 sso_not_configured and lists no provider without OIDC_*', async () => {
    const server = await startTestServer({ db });
    try {
      expect((await new Actor(server.app).get('/api/v1/auth/providers')).body).toEqual({ oidc: null, passwordLogin: true });
      expectError(asResponse(await server.app.inject({ method: 'GET', url: '/api/v1/auth/oidc/start' })), 404, 'sso_not_configured');
      expectError(
        asResponse(await server.app.inject({ method: 'GET', url: '/api/v1/auth/oidc/callback?code=x&state=y' })),
        404,
        'sso_not_configured',
      );
    } finally {
      await server.close();
    }
  });
});
