import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashSecret } from '../../src/secrets.js';
import { Actor, signUp } from '../helpers/client.js';
import { TestClock } from '../helpers/clock.js';
import { DATABASES } from '../helpers/databases.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { joinOrg, verifyEmail, world } from '../helpers/world.js';

const DAY = 24 * 3_600_000;

describe.each(DATABASES)('share links (%s)', (db) => {
  let server: TestServer;
  const clock = new TestClock();
  beforeAll(async () => {
    server = await startTestServer({ db, clock });
  });
  afterAll(async () => {
    await server.close();
  });

  async function scene(tier: 'external' | 'organization' | 'admins' = 'external') {
    const w = await world(server).org('acme', 'Ada').member('ann').outsider('otto').dataset('Drone survey', { tier }).build();
    const datasetId = w.datasets['Drone survey']!;
    return { w, admin: w.orgs.acme!.admin, datasetId, url: `/api/v1/datasets/${datasetId}` };
  }

  async function makeLink(admin: Actor, datasetId: string, body: Record<string, unknown> = {}) {
    const res = await admin.post(`/api/v1/datasets/${datasetId}/links`, {
      name: 'Partners',
      level: 'read',
      expiresAt: new Date(clock.now() + 7 * DAY).toISOString(),
      ...body,
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    const token = /\/l#token=([A-Za-z0-9_-]+)$/.exec(res.body.url)![1]!;
    return { link: res.body, token };
  }

  /** A new account with a confirmed address, optionally at a chosen domain. */
  async function verifiedUser(name: string, domain?: string): Promise<Actor> {
    const email = domain ? `${name.toLowerCase()}.${Math.random().toString(36).slice(2, 9)}@${domain}` : undefined;
    const user = await signUp(server.app, name, email);
    await verifyEmail(server, user);
    return user;
  }

  const redeem = (actor: Actor, token: string) => actor.post('/api/v1/links/redeem', { token });

  it('shows the secret once in the url, keeps only its hash, and tells a holder what it offers', async () => {
    const { admin, datasetId } = await scene();
    const { link, token } = await makeLink(admin, datasetId, { name: 'Field team', level: 'annotate', maxUses: 3 });
    expect(link).toMatchObject({
      datasetId,
      name: 'Field team',
      level: 'annotate',
      maxUses: 3,
      uses: 0,
      allowedDomains: [],
      membersOnly: false,
      status: 'active',
      createdBy: { id: admin.id, name: 'Ada' },
    });
    expect(link.url).toBe(`http://tessera.test/l#token=${token}`);
    expect(Buffer.from(token, 'base64url').length).toBeGreaterThanOrEqual(16);

    const stored = await server.ctx.db.selectFrom('share_links').selectAll().where('id', '=', link.id).execute();
    expect(stored.map((r) => r.token_hash)).toEqual([hashSecret(token)]);
    expect(JSON.stringify(stored)).not.toContain(token);

    const list = await admin.get(`/api/v1/datasets/${datasetId}/links`);
    expect(list.status).toBe(200);
    expect(list.body.items).toHaveLength(1);
    expect(list.body.items[0]).not.toHaveProperty('url');
    expect(JSON.stringify(list.body)).not.toContain(token);

    const lookup = await new Actor(server.app).get(`/api/v1/links/lookup?token=${token}`);
    expect(lookup.status).toBe(200);
    expect(lookup.body).toEqual({
      datasetName: 'Drone survey',
      orgName: 'acme',
      level: 'annotate',
      expiresAt: link.expiresAt,
      createdBy: { name: 'Ada' },
      allowedDomains: [],
      membersOnly: false,
    });
    expect((await admin.get('/api/v1/links/lookup?token=nope')).status).toBe(404);
    expect(server.logLines.join('')).not.toContain(token);
  });

  it('refuses links above annotate, beyond 30 days, in the past or with a malformed domain; only dataset admins make them', async () => {
    const { admin, datasetId, w } = await scene();
    const post = (actor: Actor, body: Record<string, unknown>) =>
      actor.post(`/api/v1/datasets/${datasetId}/links`, {
        name: 'x',
        level: 'read',
        expiresAt: new Date(clock.now() + DAY).toISOString(),
        ...body,
      });
    expect((await post(admin, { level: 'write' })).status).toBe(400);
    expect((await post(admin, { expiresAt: new Date(clock.now() + 30 * DAY + 1).toISOString() })).status).toBe(400);
    expect((await post(admin, { expiresAt: new Date(clock.now() + 30 * DAY).toISOString() })).status).toBe(201);
    expect((await post(admin, { expiresAt: new Date(clock.now()).toISOString() })).status).toBe(400);
    const badDomain = await post(admin, { allowedDomains: ['not a domain'] });
    expect(badDomain.status).toBe(400);
    expect(badDomain.body.error.code).toBe('invalid_request');
    expect((await post(admin, { maxUses: 0 })).status).toBe(400);
    const normalized = await post(admin, { allowedDomains: [' @Partner.ORG ', 'partner.org'] });
    expect(normalized.body.allowedDomains).toEqual(['partner.org']);

    // A member who can read the dataset is no admin of it: 403. An outsider cannot tell it exists: 404.
    await admin.patch(`/api/v1/datasets/${datasetId}`, { visibility: 'organization' });
    expect((await post(w.users.ann!, {})).status).toBe(403);
    expect((await w.users.ann!.get(`/api/v1/datasets/${datasetId}/links`)).status).toBe(403);
    expect((await post(w.users.otto!, {})).status).toBe(404);
  });

  it('gives a verified redeemer a direct grant at its level; a repeat takes no use; all of it is audited', async () => {
    const { admin, datasetId, url, w } = await scene('external');
    const { link, token } = await makeLink(admin, datasetId);
    const otto = w.users.otto!;
    expect((await otto.get(url)).status).toBe(404);

    const first = await redeem(otto, token);
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    expect(first.body).toEqual({ datasetId, level: 'read' });
    expect((await otto.get(url)).body.myLevel).toBe('read');
    const again = await redeem(otto, token);
    expect(again.status).toBe(200);
    expect(again.body).toEqual({ datasetId, level: 'read' });

    const [listed] = (await admin.get(`/api/v1/datasets/${datasetId}/links`)).body.items;
    expect(listed.uses).toBe(1);
    const grant = (await admin.get(`${url}/sharing`)).body.users.find((g: { user: { id: string } }) => g.user.id === otto.id);
    expect(grant).toMatchObject({ level: 'read', external: true, active: true, grantedBy: { id: admin.id } });

    const redemptions = await admin.get(`/api/v1/datasets/${datasetId}/links/${link.id}/redemptions`);
    expect(redemptions.status).toBe(200);
    expect(redemptions.body.items).toEqual([
      { user: { id: otto.id, name: 'otto', email: otto.user.email }, redeemedAt: new Date(clock.now()).toISOString(), level: 'read' },
    ]);
    expect((await w.users.ann!.get(`/api/v1/datasets/${datasetId}/links/${link.id}/redemptions`)).status).toBe(403);

    const audit = await admin.get(`/api/v1/orgs/${w.orgs.acme!.id}/audit?datasetId=${datasetId}`);
    const actions = audit.body.items.map((e: { action: string }) => e.action);
    expect(actions.filter((a: string) => a.startsWith('link.'))).toEqual(['link.redeemed', 'link.created']);
    const redeemed = audit.body.items.find((e: { action: string }) => e.action === 'link.redeemed');
    expect(redeemed).toMatchObject({ actor: { id: otto.id }, subject: `link:${link.id}`, subjectName: 'Partners' });
    expect(redeemed.after).toMatchObject({ userId: otto.id, level: 'read', uses: 1 });
    const granted = audit.body.items.find(
      (e: { action: string; subject: string }) => e.action === 'grant.set' && e.subject === `user:${otto.id}`,
    );
    expect(granted.after).toMatchObject({ level: 'read', via: `link:${link.id}` });

    const csv = await admin.get(`/api/v1/orgs/${w.orgs.acme!.id}/audit.csv`);
    expect(csv.status).toBe(200);
    const lines = String(csv.body).split('\n');
    expect(lines.some((l) => l.includes(',link.redeemed,') && l.includes(`link:${link.id}`))).toBe(true);
    expect(lines.some((l) => l.includes(',link.created,') && l.includes(`link:${link.id}`))).toBe(true);
  });

  it('refuses an unverified address (403 email_unverified) and an anonymous caller, taking no use', async () => {
    const { admin, datasetId } = await scene('external');
    const { token } = await makeLink(admin, datasetId, { maxUses: 1 });
    const fresh = await signUp(server.app, 'Fresh');
    const res = await redeem(fresh, token);
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('email_unverified');
    const anonymous = new Actor(server.app);
    expect((await redeem(anonymous, token)).status).toBe(401);
    expect((await admin.get(`/api/v1/datasets/${datasetId}/links`)).body.items[0].uses).toBe(0);
    await verifyEmail(server, fresh);
    expect((await redeem(fresh, token)).status).toBe(200);
  });

  it('admits only addresses at the allowed domains, exactly', async () => {
    const { admin, datasetId } = await scene('external');
    const { token } = await makeLink(admin, datasetId, { allowedDomains: ['partner.test'] });
    const wrong = await verifiedUser('Wrong', 'elsewhere.test');
    const sub = await verifiedUser('Sub', 'eu.partner.test');
    for (const actor of [wrong, sub]) {
      const res = await redeem(actor, token);
      expect(res.status).toBe(403);
      expect(res.body.error.code).toBe('link_domain_mismatch');
    }
    const right = await verifiedUser('Right', 'Partner.TEST');
    expect((await redeem(right, token)).status).toBe(200);
  });

  it('members only: an outsider is refused, a member admitted', async () => {
    const { admin, datasetId, w } = await scene('external');
    const { token } = await makeLink(admin, datasetId, { membersOnly: true });
    const res = await redeem(w.users.otto!, token);
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('link_members_only');
    expect((await redeem(w.users.ann!, token)).body).toEqual({ datasetId, level: 'read' });
  });

  it('holds outsiders to the tier rule, and their grant from a link is dormant like any external grant', async () => {
    const { admin, datasetId, url, w } = await scene('organization');
    const { token } = await makeLink(admin, datasetId);
    const otto = w.users.otto!;
    const refused = await redeem(otto, token);
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('external_sharing_disabled');
    // A member may redeem at any tier.
    expect((await redeem(w.users.ann!, token)).status).toBe(200);

    await admin.patch(url, { visibility: 'external' });
    expect((await redeem(otto, token)).status).toBe(200);
    expect((await otto.get(url)).status).toBe(200);
    await admin.patch(url, { visibility: 'organization' });
    expect((await otto.get(url)).status).toBe(404);
    const grant = (await admin.get(`${url}/sharing`)).body.users.find((g: { user: { id: string } }) => g.user.id === otto.id);
    expect(grant).toMatchObject({ external: true, active: false });
    await admin.patch(url, { visibility: 'external' });
    expect((await otto.get(url)).body.myLevel).toBe('read');
  });

  it('keeps a higher grant and raises a lower one', async () => {
    const { admin, datasetId, url, w } = await scene('admins');
    const ann = w.users.ann!;
    const bo = await verifiedUser('Bo');
    await joinOrg(server, admin, w.orgs.acme!.id, bo);
    await admin.put(`${url}/sharing/users/${ann.id}`, { level: 'write' });
    await admin.put(`${url}/sharing/users/${bo.id}`, { level: 'read' });
    const { token } = await makeLink(admin, datasetId, { level: 'annotate' });

    expect((await redeem(ann, token)).body).toEqual({ datasetId, level: 'write' });
    expect((await ann.get(url)).body.myLevel).toBe('write');
    expect((await redeem(bo, token)).body).toEqual({ datasetId, level: 'annotate' });
    expect((await bo.get(url)).body.myLevel).toBe('annotate');
  });

  it('counts uses exactly: the cap holds, and of racers for the last use exactly one wins', async () => {
    const { admin, datasetId } = await scene('external');
    const { token } = await makeLink(admin, datasetId, { maxUses: 2 });
    const [a, b, c] = [await verifiedUser('A'), await verifiedUser('B'), await verifiedUser('C')];
    expect((await redeem(a!, token)).status).toBe(200);
    expect((await redeem(b!, token)).status).toBe(200);
    const third = await redeem(c!, token);
    expect(third.status).toBe(410);
    expect(third.body.error.code).toBe('link_used_up');
    expect((await admin.get(`/api/v1/links/lookup?token=${token}`)).body.error.code).toBe('link_used_up');
    // Whoever redeemed it still opens it again without taking a use.
    expect((await redeem(a!, token)).status).toBe(200);

    const last = await makeLink(admin, datasetId, { maxUses: 1 });
    const racers = await Promise.all(Array.from({ length: 6 }, (_, i) => verifiedUser(`Racer${i}`)));
    const results = await Promise.all(racers.map((r) => redeem(r, last.token)));
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
    expect(results.filter((r) => r.status === 410 && r.body.error.code === 'link_used_up')).toHaveLength(5);
    const listed = (await admin.get(`/api/v1/datasets/${datasetId}/links`)).body.items.find((l: { id: string }) => l.id === last.link.id);
    expect(listed).toMatchObject({ uses: 1, maxUses: 1, status: 'used_up' });
    const redemptions = await admin.get(`/api/v1/datasets/${datasetId}/links/${last.link.id}/redemptions`);
    expect(redemptions.body.items).toHaveLength(1);

    // One person pressing twice at once: both answers succeed, one use is taken.
    const twice = await makeLink(admin, datasetId, { maxUses: 3 });
    const eager = await verifiedUser('Eager');
    const both = await Promise.all([redeem(eager, twice.token), redeem(eager, twice.token)]);
    expect(both.map((r) => r.status)).toEqual([200, 200]);
    const counted = (await admin.get(`/api/v1/datasets/${datasetId}/links`)).body.items.find((l: { id: string }) => l.id === twice.link.id);
    expect(counted.uses).toBe(1);
  });

  it('ends at its end date to the millisecond', async () => {
    const { admin, datasetId } = await scene('external');
    const { link, token } = await makeLink(admin, datasetId);
    const [early, late] = [await verifiedUser('Early'), await verifiedUser('Late')];
    const end = Date.parse(link.expiresAt);
    const start = clock.now();
    try {
      clock.set(end - 1);
      expect((await redeem(early, token)).status).toBe(200);
      clock.set(end);
      const res = await redeem(late, token);
      expect(res.status).toBe(410);
      expect(res.body.error.code).toBe('link_expired');
      expect((await admin.get(`/api/v1/links/lookup?token=${token}`)).body.error.code).toBe('link_expired');
      expect((await admin.get(`/api/v1/datasets/${datasetId}/links`)).body.items[0].status).toBe('expired');
    } finally {
      clock.set(start);
    }
  });

  it('revoking kills it for the very next redemption; a person whose grant was revoked cannot let themselves back in', async () => {
    const { admin, datasetId, url, w } = await scene('external');
    const { link, token } = await makeLink(admin, datasetId);
    const otto = w.users.otto!;
    expect((await redeem(otto, token)).status).toBe(200);
    expect((await admin.delete(`${url}/sharing/users/${otto.id}`)).status).toBe(204);
    const back = await redeem(otto, token);
    expect(back.status).toBe(410);
    expect(back.body.error.code).toBe('link_used_up');
    expect((await admin.get(`/api/v1/datasets/${datasetId}/links`)).body.items[0].uses).toBe(1);

    expect((await w.users.ann!.delete(`/api/v1/links/${link.id}`)).status).toBe(403);
    expect((await admin.delete(`/api/v1/links/${link.id}`)).status).toBe(204);
    expect((await admin.delete(`/api/v1/links/${link.id}`)).status).toBe(204);
    const late = await verifiedUser('Late');
    const res = await redeem(late, token);
    expect(res.status).toBe(410);
    expect(res.body.error.code).toBe('link_revoked');
    expect((await admin.get(`/api/v1/links/lookup?token=${token}`)).body.error.code).toBe('link_revoked');
    const [listed] = (await admin.get(`/api/v1/datasets/${datasetId}/links`)).body.items;
    expect(listed).toMatchObject({ status: 'revoked', revokedAt: new Date(clock.now()).toISOString() });
    const audit = await admin.get(`/api/v1/orgs/${w.orgs.acme!.id}/audit?datasetId=${datasetId}`);
    const revoked = audit.body.items.filter((e: { action: string }) => e.action === 'link.revoked');
    expect(revoked).toHaveLength(1);
    expect(revoked[0]).toMatchObject({ actor: { id: admin.id }, subject: `link:${link.id}` });
  });

  it('dies with its dataset', async () => {
    const { admin, datasetId, url } = await scene('external');
    const { link, token } = await makeLink(admin, datasetId);
    const user = await verifiedUser('Gone');
    expect((await redeem(user, token)).status).toBe(200);
    expect((await admin.delete(url)).status).toBe(204);
    expect((await admin.get(`/api/v1/links/lookup?token=${token}`)).status).toBe(404);
    expect((await redeem(user, token)).status).toBe(404);
    expect((await admin.delete(`/api/v1/links/${link.id}`)).status).toBe(404);
    const rows = await server.ctx.db.selectFrom('share_link_redemptions').selectAll().where('link_id', '=', link.id).execute();
    expect(rows).toEqual([]);
  });
});
