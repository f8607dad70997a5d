import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashSecret, newId, newSecret } from '../../src/secrets.js';
import { expectError } from '../api/errors.js';
import { Actor, logIn, PASSWORD, signUp, uniqueEmail } from '../helpers/client.js';
import { DATABASES } from '../helpers/databases.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { linkToken, SmtpSink } from '../helpers/smtp.js';
import { mailedToken, verifyEmail, world } from '../helpers/world.js';

const OWNER_PASSWORD = 'violet kettle orbit 71';
const DAY = 24 * 3600 * 1000;

describe.each(DATABASES)('verified addresses and the pre-registration takeover (%s)', (db) => {
  let sink: SmtpSink;
  let server: TestServer;
  const anonymous = () => new Actor(server.app);

  beforeAll(async () => {
    sink = await SmtpSink.start();
    server = await startTestServer({ db, smtp: sink });
  });
  afterAll(async () => {
    await server.close();
    await sink.close();
  });

  async function verificationLink(email: string): Promise<string> {
    await server.ctx.delivery.drain();
    const mails = sink.to(email).filter((m) => m.text.includes('/verify#token='));
    const last = mails.at(-1);
    if (!last) throw new Error(`no verification mail to ${email}`);
    return linkToken(last, 'verify');
  }

  it('signs up unverified, mails a 24 h link that verifies only for the logged-in owner, once', async () => {
    const ann = await signUp(server.app, 'Ann');
    expect(ann.user.emailVerified).toBe(false);
    const mail = await sink.waitFor((m) => m.to.includes(ann.user.email) && m.text.includes('/verify#token='));
    expect(mail.text).toContain('http://tessera.test/verify#token=');
    const token = linkToken(mail, 'verify');
    expect((await ann.get('/api/v1/me')).body.user.emailVerified).toBe(false);
    expectError(await ann.post('/api/v1/me/tokens', { name: 'early' }), 403, 'email_unverified');

    expectError(await anonymous().post('/api/v1/auth/verify-email', { token }), 401, 'unauthenticated');
    const bob = await signUp(server.app, 'Bob');
    expectError(await bob.post('/api/v1/auth/verify-email', { token }), 401, 'verification_wrong_account');

    expect((await ann.post('/api/v1/auth/verify-email', { token })).status).toBe(204);
    expect((await ann.get('/api/v1/me')).body.user).toEqual({ ...ann.user, emailVerified: true });
    expectError(await ann.post('/api/v1/auth/verify-email', { token }), 410, 'verification_token_invalid');
    expectError(await ann.post('/api/v1/auth/verify-email', { token: 'unknown' }), 410, 'verification_token_invalid');
    expect((await ann.post('/api/v1/me/tokens', { name: 'now' })).status).toBe(201);
  });

  it('lets a link expire after 24 h, and a resend kills the older links', async () => {
    const cy = await signUp(server.app, 'Cy');
    const first = await verificationLink(cy.user.email);
    server.clock.advance(DAY);
    expectError(await cy.post('/api/v1/auth/verify-email', { token: first }), 410, 'verification_token_invalid');

    expect((await cy.post('/api/v1/auth/verify-email/resend')).status).toBe(202);
    const second = await verificationLink(cy.user.email);
    expect((await cy.post('/api/v1/auth/verify-email/resend')).status).toBe(202);
    const third = await verificationLink(cy.user.email);
    expect(third).not.toBe(second);
    expectError(await cy.post('/api/v1/auth/verify-email', { token: second }), 410, 'verification_token_invalid');
    expect((await cy.post('/api/v1/auth/verify-email', { token: third })).status).toBe(204);
    expectError(await anonymous().post('/api/v1/auth/verify-email/resend'), 401, 'unauthenticated');
  });

  it('verifies at once a sign-up from an invitation, and an invitation accepted while logged in', async () => {
    const w = await world(server).org('acme').dataset('cams', { tier: 'external' }).build();
    const admin = w.orgs.acme!.admin;
    const partner = uniqueEmail('partner');
    await admin.post(`/api/v1/datasets/${w.datasets.cams}/invitations`, { emails: [partner], level: 'read' });
    const invite = await mailedToken(server, partner);
    const newcomer = await signUp(server.app, 'Partner', partner, { inviteToken: invite });
    expect(newcomer.user.emailVerified).toBe(true);
    expect(sink.to(partner).filter((m) => m.text.includes('/verify#token='))).toHaveLength(0);

    const dee = await signUp(server.app, 'Dee');
    await admin.post(`/api/v1/orgs/${w.orgs.acme!.id}/invitations`, { emails: [dee.user.email], role: 'member' });
    const orgInvite = await mailedToken(server, dee.user.email);
    expect((await dee.post('/api/v1/invitations/accept', { token: orgInvite })).status).toBe(200);
    expect((await dee.get('/api/v1/me')).body.user.emailVerified).toBe(true);
  });

  it('leaves a squatter nothing once the owner resets the password through the mailed link', async () => {
    const victim = uniqueEmail('victim');
    const squatter = await signUp(server.app, 'Squatter', victim);
    const squatterAgain = await logIn(server.app, victim);
    expect(squatter.user.emailVerified).toBe(false);
    expectError(await squatter.post('/api/v1/me/tokens', { name: 'backdoor' }), 403, 'email_unverified');

    // Tokens cannot be minted unverified any more; one made before these rules is planted directly.
    const planted = `tsr_${newSecret()}`;
    await server.ctx.db
      .insertInto('access_tokens')
      .values({
        id: newId('tok'),
        user_id: squatter.id,
        name: 'old',
        token_hash: hashSecret(planted),
        created_at: server.clock.now(),
        last_used_at: null,
        expires_at: null,
      })
      .execute();
    const backdoor = new Actor(server.app, { bearer: planted });
    expect((await backdoor.get('/api/v1/me')).status).toBe(200);

    // The owner clicks the squatter's verification link: logged out it does nothing, as another account neither.
    const squatterLink = await verificationLink(victim);
    expectError(await anonymous().post('/api/v1/auth/verify-email', { token: squatterLink }), 401, 'unauthenticated');
    const other = await signUp(server.app, 'Otto');
    expectError(await other.post('/api/v1/auth/verify-email', { token: squatterLink }), 401, 'verification_wrong_account');
    expect((await squatter.get('/api/v1/me')).body.user.emailVerified).toBe(false);

    expect((await anonymous().post('/api/v1/auth/password-reset', { email: victim })).status).toBe(202);
    const reset = linkToken(await sink.waitFor((m) => m.to.includes(victim) && m.text.includes('/reset#token=')), 'reset');
    expect((await anonymous().post('/api/v1/auth/password-reset/confirm', { token: reset, password: OWNER_PASSWORD })).status).toBe(204);

    expectError(await squatter.get('/api/v1/me'), 401, 'unauthenticated');
    expectError(await squatterAgain.get('/api/v1/me'), 401, 'unauthenticated');
    expectError(await backdoor.get('/api/v1/me'), 401, 'unauthenticated');
    // The squatter's still-unused verification link died with everything else.
    const owner = await logIn(server.app, victim, OWNER_PASSWORD);
    expectError(await owner.post('/api/v1/auth/verify-email', { token: squatterLink }), 410, 'verification_token_invalid');
    expect((await owner.get('/api/v1/me')).body.user.emailVerified).toBe(true);
    expectError(await anonymous().post('/api/v1/auth/login', { email: victim, password: PASSWORD }), 401, 'invalid_credentials');
  });

  it('ends every token of a verified account on a reset, and a new reset link kills the older one', async () => {
    const eve = await signUp(server.app, 'Eve');
    await verifyEmail(server, eve);
    const token = (await eve.post('/api/v1/me/tokens', { name: 'ci' })).body.token as string;
    const script = new Actor(server.app, { bearer: token });
    expect((await script.get('/api/v1/me')).status).toBe(200);

    await anonymous().post('/api/v1/auth/password-reset', { email: eve.user.email });
    const older = await mailedToken(server, eve.user.email, 'reset');
    await anonymous().post('/api/v1/auth/password-reset', { email: eve.user.email });
    const newer = await mailedToken(server, eve.user.email, 'reset');
    expect(newer).not.toBe(older);
    expectError(
      await anonymous().post('/api/v1/auth/password-reset/confirm', { token: older, password: OWNER_PASSWORD }),
      410,
      'reset_token_invalid',
    );
    expect((await anonymous().post('/api/v1/auth/password-reset/confirm', { token: newer, password: OWNER_PASSWORD })).status).toBe(204);
    expectError(await script.get('/api/v1/me'), 401, 'unauthenticated');
    expectError(await eve.get('/api/v1/me'), 401, 'unauthenticated');
    const back = await logIn(server.app, eve.user.email, OWNER_PASSWORD);
    expect((await back.get('/api/v1/me/tokens')).body.items).toEqual([]);
  });
});

describe('the OpenAPI document', () => {
  it('declares the identity routes with every status they answer', async () => {
    const server = await startTestServer({ db: 'sqlite' });
    try {
      const doc = (await server.app.inject({ method: 'GET', url: '/api/v1/openapi.json' })).json();
      const statuses = (method: string, path: string) => Object.keys(doc.paths[path]?.[method]?.responses ?? {}).sort();
      expect(statuses('post', '/api/v1/auth/verify-email')).toEqual(['204', '400', '401', '403', '410', '413', '415', '500', '503']);
      expect(statuses('post', '/api/v1/auth/verify-email/resend')).toEqual(['202', '400', '401', '403', '413', '415', '429', '500', '503']);
      expect(statuses('post', '/api/v1/me/password')).toEqual(['204', '400', '401', '403', '413', '415', '429', '500', '503']);
      expect(statuses('get', '/api/v1/me/sessions')).toEqual(['200', '400', '401', '500', '503']);
      expect(statuses('delete', '/api/v1/me/sessions/{id}')).toEqual([
        '204',
        '400',
        '401',
        '403',
        '404',
        '413',
        '414',
        '415',
        '500',
        '503',
      ]);
      expect(statuses('post', '/api/v1/me/tokens')).toEqual(['201', '400', '401', '403', '413', '415', '500', '503']);
      expect(statuses('post', '/api/v1/auth/signup')).toContain('429');
      const me = doc.paths['/api/v1/me'].get.responses['200'].content['application/json'].schema;
      expect(me.properties.user).toEqual({ $ref: '#/components/schemas/User' });
      expect(JSON.stringify(doc.components.schemas.User)).toContain('emailVerified');
    } finally {
      await server.close();
    }
  });
});
