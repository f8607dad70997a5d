import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Actor } from '../helpers/client.js';
import { DATABASES } from '../helpers/databases.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { world } from '../helpers/world.js';
import { expectError } from './errors.js';

const HOUR = 60 * 60 * 1000;

describe.each(DATABASES)('sharing across organizations over HTTP (%s)', (db) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ db });
  });
  afterAll(async () => {
    await server.close();
  });

  const mailedTo = async (email: string) => {
    await server.ctx.delivery.drain();
    return server.mailer!.sent.filter((m) => m.to === email);
  };

  it('grants by id only to members and to those already holding a grant in the org; others are 404 and get no mail', async () => {
    const w = await world(server)
      .org('acme')
      .member('ann')
      .outsider('pat')
      .outsider('eve')
      .dataset('open', { tier: 'external' })
      .dataset('more', { tier: 'external' })
      .invite('open', 'pat', 'read')
      .build();
    const admin = w.orgs.acme!.admin;
    const { ann, pat, eve } = w.users as Record<string, Actor>;
    const more = `/api/v1/datasets/${w.datasets.more}`;
    const mailsToEve = (await mailedTo(eve!.user.email)).length;
    const grantEvents = async () =>
      (await admin.get(`/api/v1/orgs/${w.orgs.acme!.id}/audit?action=grant.set&datasetId=${w.datasets.more}`)).body.items.length;

    const refused = await admin.put(`${more}/sharing/users/${eve!.id}`, { level: 'read' });
    expectError(refused, 404, 'not_found');
    const unknown = await admin.put(`${more}/sharing/users/usr_nobody`, { level: 'read' });
    expect(refused.body.error.message).toBe(unknown.body.error.message);
    expect(await mailedTo(eve!.user.email)).toHaveLength(mailsToEve);
    expect(await grantEvents()).toBe(0);
    expectError(await eve!.get(more), 404, 'not_found');

    expect((await admin.put(`${more}/sharing/users/${pat!.id}`, { level: 'annotate' })).body).toMatchObject({
      user: pat!.user,
      level: 'annotate',
      external: true,
      active: true,
    });
    expect((await admin.put(`${more}/sharing/users/${ann!.id}`, { level: 'read' })).status).toBe(200);
    expect(await grantEvents()).toBe(2);
    expect((await mailedTo(pat!.user.email)).at(-1)?.subject).toMatch(/more/);

    // Another organization's admin cannot reach them by id either.
    const other = await world(server).org('globex').dataset('theirs', { tier: 'external' }).build();
    expectError(
      await other.orgs.globex!.admin.put(`/api/v1/datasets/${other.datasets.theirs}/sharing/users/${ann!.id}`, { level: 'read' }),
      404,
      'not_found',
    );
  });

  it('can give a former member a grant again once they kept one, and not otherwise', async () => {
    const w = await world(server)
      .org('acme')
      .member('kept')
      .member('gone')
      .dataset('open', { tier: 'external' })
      .dataset('next', { tier: 'external' })
      .grant('open', 'kept', 'read')
      .grant('open', 'gone', 'read')
      .build();
    const admin = w.orgs.acme!.admin;
    const orgId = w.orgs.acme!.id;
    const { kept, gone } = w.users as Record<string, Actor>;
    await admin.delete(`/api/v1/orgs/${orgId}/members/${kept!.id}?keepGrants=true`);
    await admin.delete(`/api/v1/orgs/${orgId}/members/${gone!.id}`);
    const next = `/api/v1/datasets/${w.datasets.next}/sharing/users`;
    expect((await admin.put(`${next}/${kept!.id}`, { level: 'read' })).status).toBe(200);
    expectError(await admin.put(`${next}/${gone!.id}`, { level: 'read' }), 404, 'not_found');
  });

  it('shows an outside dataset admin the addresses of the dataset’s grantees only, and org admins everyone’s', async () => {
    const w = await world(server)
      .org('acme')
      .member('ann')
      .member('bob')
      .outsider('partner')
      .outsider('guest')
      .team('labelers', ['ann', 'bob'])
      .dataset('open', { tier: 'external' })
      .grant('open', 'ann', 'read')
      .teamGrant('open', 'labelers', 'write')
      .invite('open', 'partner', 'admin')
      .invite('open', 'guest', 'read')
      .build();
    const admin = w.orgs.acme!.admin;
    const { ann, bob, partner, guest } = w.users as Record<string, Actor>;
    const url = `/api/v1/datasets/${w.datasets.open}`;
    const preview = (actor: Actor) => actor.post(`${url}/sharing/preview`, { removeTeamId: w.teams.labelers });

    const seenByPartner = await preview(partner!);
    expect(seenByPartner.status).toBe(200);
    expect(seenByPartner.body.losses).toEqual([
      { user: ann!.user, from: 'write', to: 'read' },
      { user: { id: bob!.id, name: 'bob' }, from: 'write', to: 'read' },
    ]);
    expect(JSON.stringify(seenByPartner.body)).not.toContain(bob!.user.email);
    const seenByAdmin = await preview(admin);
    expect(seenByAdmin.body.losses.map((c: { user: unknown }) => c.user)).toEqual([ann!.user, bob!.user]);

    const removeGuest = await partner!.post(`${url}/sharing/preview`, { removeUserId: guest!.id });
    expect(removeGuest.body.losses).toEqual([{ user: guest!.user, from: 'read', to: null }]);
  });

  it('counts direct grant notices against the sender’s hourly limit, with invitations', async () => {
    const w = await world(server).org('busy').member('ann').dataset('cams', { tier: 'external' }).build();
    const admin = w.orgs.busy!.admin;
    const ann = w.users.ann!;
    const url = `/api/v1/datasets/${w.datasets.cams}`;
    // Ann's invitation to the organization was the first of 150.
    for (const [batch, size] of [50, 50, 49].entries()) {
      const emails = Array.from({ length: size }, (_, i) => `limit-${db}-${batch}-${i}@example.test`);
      expect((await admin.post(`${url}/invitations`, { emails, level: 'read' })).status).toBe(201);
    }
    const levels = ['annotate', 'read'] as const;
    for (let i = 0; i < 50; i += 1) {
      expect((await admin.put(`${url}/sharing/users/${ann.id}`, { level: levels[i % 2] })).status).toBe(200);
    }
    const over = await admin.put(`${url}/sharing/users/${ann.id}`, { level: 'write' });
    expectError(over, 429, 'rate_limited');
    expect(Number(over.headers['retry-after'])).toBeGreaterThan(0);
    expect((await ann.get(url)).body.myLevel).toBe('read');
    expectError(await admin.post(`${url}/invitations`, { emails: ['one-more@example.test'], level: 'read' }), 429, 'rate_limited');
    // A change that mails nobody (the same level, a new end date) is not held back.
    expect(
      (
        await admin.put(`${url}/sharing/users/${ann.id}`, {
          level: 'read',
          expiresAt: new Date(server.clock.now() + 48 * HOUR).toISOString(),
        })
      ).status,
    ).toBe(200);

    server.clock.advance(HOUR + 1000);
    expect((await admin.put(`${url}/sharing/users/${ann.id}`, { level: 'write' })).status).toBe(200);
    expect((await ann.get(url)).body.myLevel).toBe('write');
  });
});
