import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Actor, signUp } from '../helpers/client.js';
import { DATABASES } from '../helpers/databases.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { acceptDatasetInvitation, joinOrg, mailedToken, mintToken, world } from '../helpers/world.js';

const HOUR = 3_600_000;

describe.each(DATABASES)('the audit log (%s)', (db) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ db });
  });
  afterAll(async () => {
    await server.close();
  });

  async function allEvents(admin: Actor, orgId: string, query = '') {
    const events: any[] = [];
    let cursor: string | null = null;
    do {
      const res: { status: number; body: any } = await admin.get(
        `/api/v1/orgs/${orgId}/audit?limit=7${query}${cursor ? `&cursor=${cursor}` : ''}`,
      );
      expect(res.status).toBe(200);
      events.push(...res.body.items);
      cursor = res.body.nextCursor;
    } while (cursor);
    return events;
  }

  it('records every change to access, with actor, subject, before and after, newest first', async () => {
    const w = await world(server).org('acme').member('ann').member('bob').team('labelers', ['ann']).dataset('cams').build();
    const admin = w.orgs.acme!.admin;
    const orgId = w.orgs.acme!.id;
    const ds = `/api/v1/datasets/${w.datasets.cams}`;
    const ann = w.users.ann!;
    const bob = w.users.bob!;

    await admin.patch(ds, { name: 'cameras' });
    await admin.patch(ds, { visibility: 'external' });
    await admin.put(`${ds}/sharing/users/${ann.id}`, { level: 'write' });
    await admin.delete(`${ds}/sharing/users/${ann.id}`);
    await admin.put(`${ds}/sharing/teams/${w.teams.labelers}`, { level: 'annotate' });
    await admin.delete(`${ds}/sharing/teams/${w.teams.labelers}`);
    const partner = await signUp(server.app, 'partner');
    const invited = await admin.post(`${ds}/invitations`, { emails: [partner.user.email, 'someone@example.test'], level: 'read' });
    expect(invited.status).toBe(201);
    const [toPartner, toSomeone] = invited.body.items;
    await admin.post(`/api/v1/invitations/${toSomeone.id}/extend`);
    await admin.post(`/api/v1/invitations/${toSomeone.id}/resend`);
    await admin.delete(`/api/v1/invitations/${toSomeone.id}`);
    expect(toPartner.email).toBe(partner.user.email);
    expect((await partner.post('/api/v1/invitations/accept', { token: await mailedToken(server, partner.user.email) })).status).toBe(200);
    await admin.patch(`/api/v1/orgs/${orgId}/members/${bob.id}`, { processDatasets: true });
    await admin.put(`/api/v1/teams/${w.teams.labelers}/members/${bob.id}`);
    await admin.delete(`/api/v1/teams/${w.teams.labelers}/members/${bob.id}`);
    await admin.put(`/api/v1/teams/${w.teams.labelers}/members/${bob.id}`);
    await admin.delete(`/api/v1/orgs/${orgId}/members/${bob.id}`);
    await admin.put(`${ds}/sharing/teams/${w.teams.labelers}`, { level: 'write' });
    await admin.delete(`/api/v1/teams/${w.teams.labelers}`);
    await admin.delete(ds);

    const events = await allEvents(admin, orgId);
    const actions = new Set(events.map((e) => e.action));
    for (const action of [
      'dataset.created',
      'dataset.renamed',
      'dataset.visibility_changed',
      'dataset.deleted',
      'grant.set',
      'grant.revoked',
      'team_grant.set',
      'team_grant.revoked',
      'invitation.created',
      'invitation.extended',
      'invitation.resent',
      'invitation.revoked',
      'invitation.accepted',
      'member.added',
      'member.updated',
      'member.removed',
      'team.created',
      'team.deleted',
      'team.member_added',
      'team.member_removed',
    ]) {
      expect(actions, action).toContain(action);
    }
    const times = events.map((e) => e.at);
    expect([...times].sort().reverse()).toEqual(times);
    const rename = events.find((e) => e.action === 'dataset.renamed');
    expect(rename).toMatchObject({
      actor: { id: admin.id },
      datasetId: w.datasets.cams,
      before: { name: 'cams' },
      after: { name: 'cameras' },
    });
    const revoke = events.find((e) => e.action === 'grant.revoked');
    expect(revoke).toMatchObject({ subject: `user:${ann.id}`, subjectName: 'ann', before: { level: 'write' } });

    // Access that ends because its team or its membership went is recorded too, where it ended.
    const leftTeams = events.filter((e) => e.action === 'team.member_removed' && e.subject === `user:${bob.id}`);
    expect(leftTeams).toHaveLength(2);
    expect(leftTeams[0]).toMatchObject({ before: { teamId: w.teams.labelers } });
    // A deleted team keeps its name in the log.
    expect(events.find((e) => e.action === 'team.deleted')).toMatchObject({ subject: `team:${w.teams.labelers}`, subjectName: 'labelers' });

    // Deleting the dataset kept its history, and the filters narrow it.
    const history = await allEvents(admin, orgId, `&datasetId=${w.datasets.cams}`);
    expect(history.find((e) => e.action === 'team_grant.revoked' && e.after?.teamDeleted)).toMatchObject({
      subject: `team:${w.teams.labelers}`,
      before: { level: 'write' },
    });
    expect(history.every((e) => e.datasetId === w.datasets.cams)).toBe(true);
    expect(history.map((e) => e.action)).toContain('dataset.created');
    const byAction = await allEvents(admin, orgId, '&action=grant.set');
    expect(byAction.length).toBeGreaterThan(0);
    expect(byAction.every((e) => e.action === 'grant.set')).toBe(true);
    const byActor = await allEvents(admin, orgId, `&actorId=${partner.id}`);
    expect(byActor.map((e) => e.action)).toContain('invitation.accepted');
    const future = await allEvents(admin, orgId, `&from=${new Date(server.clock.now() + HOUR).toISOString()}`);
    expect(future).toEqual([]);
  });

  it('writes no event for a refused request or a change that fails', async () => {
    const w = await world(server).org('acme').member('ann').dataset('cams').grant('cams', 'ann', 'write').build();
    const admin = w.orgs.acme!.admin;
    const orgId = w.orgs.acme!.id;
    const ann = w.users.ann!;
    const outsider = await signUp(server.app, 'outsider');
    const ds = `/api/v1/datasets/${w.datasets.cams}`;
    const before = (await allEvents(admin, orgId)).length;

    expect((await ann.put(`${ds}/sharing/users/${ann.id}`, { level: 'admin' })).status).toBe(403);
    expect((await ann.patch(ds, { visibility: 'external' })).status).toBe(403);
    expect((await outsider.delete(ds)).status).toBe(404);
    expect((await admin.put(`${ds}/sharing/users/${outsider.id}`, { level: 'read' })).status).toBe(404);
    expect((await admin.post(`${ds}/invitations`, { emails: ['partner@example.test'], level: 'read' })).status).toBe(409);
    expect((await admin.patch(`/api/v1/orgs/${orgId}/members/${admin.id}`, { role: 'member' })).status).toBe(409);
    expect((await admin.put(`${ds}/sharing/users/${ann.id}`, { level: 'superuser' })).status).toBe(400);

    expect((await allEvents(admin, orgId)).length).toBe(before);
  });

  it('is read by org admins, by dataset admins for their dataset only, and by nobody else', async () => {
    const w = await world(server).org('acme').member('ann').member('bob').dataset('cams').grant('cams', 'ann', 'admin').build();
    const orgId = w.orgs.acme!.id;
    const outsider = await signUp(server.app, 'outsider');
    expect((await w.users.ann!.get(`/api/v1/orgs/${orgId}/audit?datasetId=${w.datasets.cams}`)).status).toBe(200);
    expect((await w.users.ann!.get(`/api/v1/orgs/${orgId}/audit`)).status).toBe(403);
    expect((await w.users.bob!.get(`/api/v1/orgs/${orgId}/audit?datasetId=${w.datasets.cams}`)).status).toBe(404);
    expect((await outsider.get(`/api/v1/orgs/${orgId}/audit`)).status).toBe(404);
    expect((await w.users.ann!.get(`/api/v1/orgs/${orgId}/audit.csv`)).status).toBe(403);
    expect((await w.orgs.acme!.admin.get(`/api/v1/orgs/${orgId}/audit?cursor=garbage`)).status).toBe(400);
  });

  it('exports the same log as CSV, safe to open in a spreadsheet', async () => {
    const w = await world(server).org('acme').dataset('=HYPERLINK("x")').build();
    const admin = w.orgs.acme!.admin;
    const res = await admin.get(`/api/v1/orgs/${w.orgs.acme!.id}/audit.csv`);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toContain('text/csv');
    expect(res.headers['content-disposition']).toContain('attachment');
    const lines = (res.body as string).trim().split('\n');
    expect(lines[0]).toBe('id,at,actor_id,actor_name,action,dataset_id,subject,before,after');
    expect(lines.some((l) => l.includes('dataset.created'))).toBe(true);
    expect(lines.slice(1).every((l) => !/(^|,)=/.test(l))).toBe(true);
  });

  it('lists external and stale grants for review, and a read makes a grant fresh again', async () => {
    const w = await world(server).org('acme').member('ann').dataset('cams', { tier: 'external' }).grant('cams', 'ann', 'read').build();
    const admin = w.orgs.acme!.admin;
    const orgId = w.orgs.acme!.id;
    const partner = await signUp(server.app, 'partner');
    await acceptDatasetInvitation(server, admin, w.datasets.cams!, partner, 'read');

    // Sessions last 30 days and the clock is about to move 91: work through personal access tokens.
    const expiresAt = new Date(server.clock.now() + 366 * 24 * HOUR).toISOString();
    const bearer = async (actor: Actor) => new Actor(server.app, { bearer: await mintToken(server, actor, { expiresAt }) }, actor.user);
    const adminToken = await bearer(admin);
    const annToken = await bearer(w.users.ann!);
    const partnerToken = await bearer(partner);
    const review = async () => (await adminToken.get(`/api/v1/orgs/${orgId}/access-review`)).body.items as any[];
    const now = await review();
    expect(now.map((i) => i.subject.user?.id)).toEqual([partner.id]);
    expect(now[0]).toMatchObject({ external: true, reasons: ['external'], level: 'read' });

    server.clock.advance(91 * 24 * HOUR);
    expect((await annToken.get(`/api/v1/datasets/${w.datasets.cams}`)).status).toBe(200);
    const later = await review();
    const ids = later.map((i) => i.subject.user?.id);
    expect(ids).toContain(partner.id);
    expect(ids).toContain(admin.id);
    expect(ids).not.toContain(w.users.ann!.id);
    expect(later.find((i) => i.subject.user?.id === partner.id).reasons).toEqual(['external', 'unused']);
    // Any read through the grant counts, not only opening the dataset.
    expect((await partnerToken.get(`/api/v1/datasets/${w.datasets.cams}/items`)).status).toBe(200);
    expect((await review()).find((i) => i.subject.user?.id === partner.id).reasons).toEqual(['external']);
    expect((await annToken.get(`/api/v1/orgs/${orgId}/access-review`)).status).toBe(403);
  });

  it('joining through an org invitation is recorded as member.added by the new member', async () => {
    const w = await world(server).org('acme').build();
    const admin = w.orgs.acme!.admin;
    const carol = await signUp(server.app, 'carol');
    await joinOrg(server, admin, w.orgs.acme!.id, carol, 'member');
    const events = await allEvents(admin, w.orgs.acme!.id, '&action=member.added');
    expect(events.some((e) => e.subject === `user:${carol.id}` && e.actor.id === carol.id)).toBe(true);
  });
});
