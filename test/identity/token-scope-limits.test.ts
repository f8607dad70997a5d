import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectError } from '../api/errors.js';
import { Actor } from '../helpers/client.js';
import { DATABASES } from '../helpers/databases.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { verifyEmail, world } from '../helpers/world.js';

/**
 * A write-scoped token acts at most at write: no sharing, inviting or organization administration
 * (API.md), and no administering the account it belongs to. Each refusal is 403 `token_scope`,
 * and what the same user may do with a session or an admin-scoped token stays open.
 */
describe.each(DATABASES)('what a token below the admin scope may not do (%s)', (db) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ db });
  });
  afterAll(async () => {
    await server.close();
  });

  /** A new token of `actor`'s, with its id, and the actor calling with it. */
  async function tokenOf(actor: Actor, scope: 'read' | 'write' | 'admin'): Promise<{ id: string; as: Actor }> {
    if (!actor.user.emailVerified) await verifyEmail(server, actor);
    const res = await actor.post('/api/v1/me/tokens', { name: `${scope} script`, scope });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return { id: res.body.id, as: new Actor(server.app, { bearer: res.body.token }, actor.user) };
  }

  it('creates a dataset at most as a user acting at write may: at the default tier, never a shared one', async () => {
    const w = await world(server).org('acme').member('ann', 'admin').build();
    const ann = w.users.ann!;
    const datasets = `/api/v1/orgs/${w.orgs.acme!.id}/datasets`;
    const write = (await tokenOf(ann, 'write')).as;

    for (const visibility of ['external', 'organization']) {
      expectError(await write.post(datasets, { name: `shared ${visibility}`, visibility }), 403, 'token_scope');
    }
    const names = (await ann.get(`/api/v1/datasets?orgId=${w.orgs.acme!.id}`)).body.items.map((d: { name: string }) => d.name);
    expect(names, 'nothing was created').toEqual([]);

    // Without a tier the dataset starts private, which a writer may create; it shows the capped level.
    const plain = await write.post(datasets, { name: 'plain' });
    expect(plain).toMatchObject({ status: 201, body: { visibility: 'admins', myLevel: 'write' } });
    expect(plain.body.allowedActions).not.toContain('dataset.setVisibility');
    expect((await write.get(`/api/v1/datasets/${plain.body.id}`)).body.myLevel).toBe('write');
    expect(await write.post(datasets, { name: 'private', visibility: 'admins' })).toMatchObject({
      status: 201,
      body: { visibility: 'admins', myLevel: 'write' },
    });

    const admin = (await tokenOf(ann, 'admin')).as;
    expect(await admin.post(datasets, { name: 'by the admin token', visibility: 'external' })).toMatchObject({
      status: 201,
      body: { visibility: 'external', myLevel: 'admin' },
    });
    expect(await ann.post(datasets, { name: 'by the session', visibility: 'organization' })).toMatchObject({
      status: 201,
      body: { visibility: 'organization', myLevel: 'admin' },
    });
  });

  it('refuses previewing and removing another member to a write token, and still lets a member leave with one', async () => {
    const w = await world(server).org('acme').member('ann', 'admin').member('bob').dataset('secret plans').build();
    const { ann, bob } = w.users as Record<string, Actor>;
    const orgId = w.orgs.acme!.id;
    const member = (userId: string) => `/api/v1/orgs/${orgId}/members/${userId}`;

    const annWrite = (await tokenOf(ann!, 'write')).as;
    const preview = await annWrite.get(`${member(bob!.id)}/removal-preview`);
    expectError(preview, 403, 'token_scope');
    expect(JSON.stringify(preview.body)).not.toContain('secret plans');
    expectError(await (await tokenOf(ann!, 'read')).as.get(`${member(bob!.id)}/removal-preview`), 403, 'token_scope');
    expectError(await annWrite.delete(member(bob!.id)), 403, 'token_scope');
    expect((await bob!.get(`/api/v1/orgs/${orgId}`)).status, 'bob is still a member').toBe(200);

    const annAdmin = (await tokenOf(ann!, 'admin')).as;
    expect((await annAdmin.get(`${member(bob!.id)}/removal-preview`)).status).toBe(200);

    // Leaving, and looking at what leaving takes, is the member's own affair.
    const bobWrite = (await tokenOf(bob!, 'write')).as;
    expect(await bobWrite.get(`${member(bob!.id)}/removal-preview`)).toMatchObject({ status: 200, body: { grants: [], teams: [] } });
    expect((await bobWrite.delete(member(bob!.id))).status).toBe(204);
    expectError(await bob!.get(`/api/v1/orgs/${orgId}`), 404, 'not_found');
  });
});
