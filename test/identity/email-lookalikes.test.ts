import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  emailToFind,
  emailToLookUp,
  isCanonicalEmail,
  isValidEmail,
  normalizeDomain,
  normalizeEmail,
  requireEmail,
  showUnseen,
} from '../../src/accounts/validation.js';
import { resendVerification } from '../../src/accounts/verification.js';
import { InvalidRequest } from '../../src/errors.js';
import { hashPassword } from '../../src/secrets.js';
import { expectError } from '../api/errors.js';
import { Actor, PASSWORD, signUp } from '../helpers/client.js';
import { DATABASES } from '../helpers/databases.js';
import { cookiesOf, signInThroughProvider, TestProvider } from '../helpers/oidc.js';
import { PUBLIC_URL, startTestServer, type TestServer } from '../helpers/server.js';
import { SmtpSink } from '../helpers/smtp.js';
import { mailedToken, verifyEmail, world } from '../helpers/world.js';

const ZERO_WIDTH_SPACE = '\u200B';
const SOFT_HYPHEN = '\u00AD';
const RIGHT_TO_LEFT_OVERRIDE = '\u202E';
const FULL_WIDTH = (ascii: string) => [...ascii].map((c) => String.fromCodePoint(c.codePointAt(0)! + 0xfee0)).join('');
const DAY = 24 * 3600 * 1000;

let counter = 0;
/** A unique local part, so each test meets only its own accounts. */
function someone(name: string): string {
  counter += 1;
  return `${name}.${process.pid}.${counter}`;
}

describe('the one form of an e-mail address', () => {
  it('turns full-width and other compatibility letters into the plain letters they show as, trimmed and lower-cased', () => {
    expect(normalizeEmail(`bob@${FULL_WIDTH('a')}bob.test`)).toBe('bob@abob.test');
    expect(normalizeEmail(` ${FULL_WIDTH('ALICE')}${FULL_WIDTH('@')}Example.TEST\u3000`)).toBe('alice@example.test');
    expect(normalizeEmail('ﬁona@example.test')).toBe('fiona@example.test');
    // Decomposed and composed accents are one address.
    expect(normalizeEmail('Jose\u0301@example.test')).toBe('jos\u00E9@example.test');
    for (const raw of ['\u1D2Cnn@example.test', 'İlker@example.test', `${FULL_WIDTH('Z')}oe@example.test`]) {
      expect(normalizeEmail(normalizeEmail(raw))).toBe(normalizeEmail(raw));
    }
  });

  it('refuses addresses holding characters no address has: format and control characters, spaces of any kind', () => {
    for (const unseen of [
      ZERO_WIDTH_SPACE,
      SOFT_HYPHEN,
      RIGHT_TO_LEFT_OVERRIDE,
      '\u2066',
      '\u200D',
      '\uFEFF',
      '\u3164',
      '\u0007',
      '\t',
      '\u00A0',
      '\u3000',
    ]) {
      const email = normalizeEmail(`alice@aal${unseen}ice.test`);
      expect(isValidEmail(email), `U+${unseen.codePointAt(0)!.toString(16)}`).toBe(false);
      expect(() => requireEmail(`alice@aal${unseen}ice.test`)).toThrow(InvalidRequest);
    }
    expect(() => requireEmail(`alice@aalice.test${ZERO_WIDTH_SPACE}`)).toThrow(/U\+200B/);
    expect(isValidEmail('alice@aalice.test')).toBe(true);
    expect(isValidEmail(normalizeEmail('JOS\u00C9@exämple.test'))).toBe(true);
    expect(requireEmail(`  ${FULL_WIDTH('Bob')}@abob.test `)).toBe('bob@abob.test');
  });

  it('finds accounts by the same form, refusing only what no address holds, not an old shape', () => {
    expect(emailToFind(`BOB@${FULL_WIDTH('a')}bob.test`)).toBe('bob@abob.test');
    expect(emailToFind('admin@localhost')).toBe('admin@localhost');
    expect(() => emailToFind(`bob@ab${SOFT_HYPHEN}ob.test`)).toThrow(InvalidRequest);
    expect(emailToLookUp(`BOB@${FULL_WIDTH('a')}bob.test`)).toBe('bob@abob.test');
    expect(emailToLookUp(`bob@ab${SOFT_HYPHEN}ob.test`)).toBeNull();
    expect(isCanonicalEmail('bob@abob.test')).toBe(true);
    expect(isCanonicalEmail(`bob@${FULL_WIDTH('a')}bob.test`)).toBe(false);
    expect(isCanonicalEmail(`bob@abob.test${ZERO_WIDTH_SPACE}`)).toBe(false);
    expect(showUnseen(`bob@ab${SOFT_HYPHEN}ob.test`)).toBe('bob@ab<U+00AD>ob.test');
    expect(normalizeDomain(` @${FULL_WIDTH('P')}artner.ORG `)).toBe('partner.org');
  });
});

describe.each(DATABASES)('look-alike e-mail addresses (%s)', (db) => {
  let sink: SmtpSink;
  let provider: TestProvider;
  let server: TestServer;
  const anonymous = () => new Actor(server.app);
  const signUpAs = (email: string, name = 'Stranger') => anonymous().post('/api/v1/auth/signup', { email, password: PASSWORD, name });

  beforeAll(async () => {
    sink = await SmtpSink.start();
    provider = await TestProvider.start(PUBLIC_URL);
    server = await startTestServer({ db, smtp: sink, oidc: provider.config() });
  });
  afterAll(async () => {
    await server.close();
    await provider.close();
    await sink.close();
  });

  /** Everything mailed so far, once the outbox is empty. */
  async function mailed() {
    await server.ctx.delivery.drain();
    return [...sink.messages];
  }

  it("refuses the tester's look-alike sign-ups, and the real owner's mailbox gets nothing from them", async () => {
    const alice = await signUp(server.app, 'Alice', `${someone('alice')}@aalice.test`);
    const bob = await signUp(server.app, 'Bob', `${someone('bob')}@abob.test`);
    const [bobLocal] = bob.user.email.split('@');
    const before = (await mailed()).length;

    expectError(await signUpAs(`${alice.user.email}${ZERO_WIDTH_SPACE}`), 400, 'invalid_request');
    expectError(await signUpAs(`${bobLocal}@ab${SOFT_HYPHEN}ob.test`), 400, 'invalid_request');
    expectError(await signUpAs(`${bobLocal}@ab${RIGHT_TO_LEFT_OVERRIDE}ob.test`), 400, 'invalid_request');
    // The full-width address is the real one: it meets the existing account.
    expectError(await signUpAs(`${bobLocal}@${FULL_WIDTH('a')}bob.test`), 409, 'email_taken');

    expect((await mailed()).length).toBe(before);
  });

  it('mails the verification link to exactly the stored address', async () => {
    const local = someone('dora');
    const res = await signUpAs(`  ${FULL_WIDTH(local.slice(0, 4).toUpperCase())}${local.slice(4)}@${FULL_WIDTH('E')}xample.TEST `, 'Dora');
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body.user.email).toBe(`${local}@example.test`);
    await server.ctx.delivery.drain();
    const mail = await sink.waitFor((m) => m.text.includes('/verify#token=') && m.to.includes(local));
    expect(mail.to).toBe(res.body.user.email);
    expect(mail.raw).toMatch(new RegExp(`^To: ${res.body.user.email.replace(/\./g, '\\.')}\\r?$`, 'm'));
  });

  it('logs the real owner in and resets their password under any form of their address; an unseen character finds no account', async () => {
    const local = someone('cleo');
    const cleo = await signUp(server.app, 'Cleo', `${local}@ccleo.test`);
    const login = (email: string, password = PASSWORD) => anonymous().post('/api/v1/auth/login', { email, password });

    const fullWidth = await login(`${FULL_WIDTH(local.slice(0, 4).toUpperCase())}${local.slice(4)}@${FULL_WIDTH('c')}cleo.test`);
    expect(fullWidth.status).toBe(200);
    expect(fullWidth.body.user.id).toBe(cleo.id);
    // As for any address without an account (API.md): 401 to log in, 202 to reset, nothing mailed.
    expectError(await login(`${cleo.user.email}${ZERO_WIDTH_SPACE}`), 401, 'invalid_credentials');

    const reset = await anonymous().post('/api/v1/auth/password-reset', { email: `${local}@${FULL_WIDTH('cc')}leo.test` });
    expect(reset.status).toBe(202);
    const token = await mailedToken(server, cleo.user.email, 'reset');
    expect(sink.messages.filter((m) => m.text.includes(token)).map((m) => m.to)).toEqual([cleo.user.email]);
    const mails = (await mailed()).length;
    expect((await anonymous().post('/api/v1/auth/password-reset', { email: `${local}@c${SOFT_HYPHEN}cleo.test` })).status).toBe(202);
    expect((await mailed()).length).toBe(mails);
  });

  it('invites the plain address for a full-width one, and refuses an address with an unseen character, creating nothing', async () => {
    const w = await world(server).org('lookalike-acme').dataset('cams', { tier: 'external' }).build();
    const { admin, id: orgId } = w.orgs['lookalike-acme']!;
    const datasetId = w.datasets.cams!;
    const local = someone('finn');
    const invitedAs = `${FULL_WIDTH(local.slice(0, 4))}${local.slice(4)}@${FULL_WIDTH('EXAMPLE')}.test`;

    const sent = await admin.post(`/api/v1/datasets/${datasetId}/invitations`, {
      emails: [invitedAs, `${local}@example.test`],
      level: 'read',
    });
    expect(sent.status, JSON.stringify(sent.body)).toBe(201);
    expect(sent.body.items.map((i: { email: string }) => i.email)).toEqual([`${local}@example.test`]);
    const token = await mailedToken(server, `${local}@example.test`);
    const finn = await signUp(server.app, 'Finn', `${local}@example.test`, { inviteToken: token });
    expect(finn.user.emailVerified).toBe(true);

    const unseen = `${someone('gus')}@exam${ZERO_WIDTH_SPACE}ple.test`;
    const refused = await admin.post(`/api/v1/datasets/${datasetId}/invitations`, { emails: [unseen], level: 'read' });
    expectError(refused, 400, 'invalid_request');
    expect(refused.body.error.message).toContain('<U+200B>');
    expectError(
      await admin.post(`/api/v1/orgs/${orgId}/invitations`, { emails: [`${someone('hal')}@ex${SOFT_HYPHEN}ample.test`], role: 'member' }),
      400,
      'invalid_request',
    );
    const sharing = await admin.get(`/api/v1/datasets/${datasetId}/sharing`);
    expect(sharing.body.invitations.map((i: { email: string }) => i.email)).toEqual([]);
  });

  it("keeps a share link's allowed domain in the plain form that the addresses have", async () => {
    const w = await world(server).org('lookalike-links').dataset('maps', { tier: 'external' }).build();
    const { admin } = w.orgs['lookalike-links']!;
    const datasetId = w.datasets.maps!;
    const makeLink = (allowedDomains: string[]) =>
      admin.post(`/api/v1/datasets/${datasetId}/links`, {
        name: 'Partners',
        level: 'read',
        expiresAt: new Date(server.clock.now() + 7 * DAY).toISOString(),
        allowedDomains,
      });

    const link = await makeLink([`@${FULL_WIDTH('Partner')}.test`]);
    expect(link.status, JSON.stringify(link.body)).toBe(201);
    expect(link.body.allowedDomains).toEqual(['partner.test']);
    expectError(await makeLink([`part${ZERO_WIDTH_SPACE}ner.test`]), 400, 'invalid_request');

    const ivy = await signUp(server.app, 'Ivy', `${someone('ivy')}@${FULL_WIDTH('p')}artner.test`);
    expect(ivy.user.email).toMatch(/@partner\.test$/);
    await verifyEmail(server, ivy);
    const token = /\/l#token=([A-Za-z0-9_-]+)$/.exec(link.body.url)![1]!;
    const redeemed = await ivy.post('/api/v1/links/redeem', { token });
    expect(redeemed.status, JSON.stringify(redeemed.body)).toBe(200);
  });

  it('links a full-width address vouched for by the identity provider to the real account, and refuses an unseen one', async () => {
    const local = someone('jo');
    const jo = await signUp(server.app, 'Jo', `${local}@example.test`);
    const signInVouchingFor = async (email: string) => {
      provider.loginAs({ sub: `${local}-${email.length}`, email, email_verified: true, name: 'Jo' });
      return signInThroughProvider(server);
    };

    const unseen = await signInVouchingFor(`${local}@example.test${ZERO_WIDTH_SPACE}`);
    expectError({ status: unseen.statusCode, body: JSON.parse(unseen.body), headers: unseen.headers }, 400, 'invalid_request');
    const linked = await signInVouchingFor(`${local}@${FULL_WIDTH('example')}.test`);
    expect(linked.statusCode, linked.body).toBe(302);
    const session = cookiesOf(linked.headers).get('tessera_session')!;
    const me = await new Actor(server.app, { cookie: session }).get('/api/v1/me');
    expect(me.body.user).toMatchObject({ id: jo.id, email: `${local}@example.test` });
  });

  it('gives nothing to a look-alike account stored before addresses were normalized', async () => {
    const local = someone('kim');
    const kim = await signUp(server.app, 'Kim', `${local}@example.test`);
    const strangerPassword = 'another quite long passphrase 93';
    const passwordHash = await hashPassword(strangerPassword);
    const lookAlikes = [`${local}@${FULL_WIDTH('e')}xample.test`, `${local}@example.test${ZERO_WIDTH_SPACE}`];
    for (const [i, email] of lookAlikes.entries()) {
      await server.ctx.db
        .insertInto('users')
        .values({ id: `usr_lookalike_${local.replace(/\W/g, '_')}_${i}`, email, name: 'Kim', password_hash: passwordHash, created_at: 0 })
        .execute();
    }

    // The full-width form is the real owner's address now: the stranger's password opens nothing.
    expectError(
      await anonymous().post('/api/v1/auth/login', { email: lookAlikes[0], password: strangerPassword }),
      401,
      'invalid_credentials',
    );
    expect((await anonymous().post('/api/v1/auth/login', { email: lookAlikes[0], password: PASSWORD })).body.user.id).toBe(kim.id);
    expectError(
      await anonymous().post('/api/v1/auth/login', { email: lookAlikes[1], password: strangerPassword }),
      401,
      'invalid_credentials',
    );

    // A session the stranger already held cannot send the owner links either.
    const before = (await mailed()).length;
    for (const [i, email] of lookAlikes.entries()) {
      const user = { id: `usr_lookalike_${local.replace(/\W/g, '_')}_${i}`, email, name: 'Kim', emailVerified: false };
      await resendVerification(server.ctx, user, '127.0.0.1');
    }
    expect((await mailed()).length).toBe(before);
  });
});
