import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Actor } from '../helpers/client.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { world } from '../helpers/world.js';

/** The same actor, talking to the other instance with the same credentials. */
function via(server: TestServer, actor: Actor): Actor {
  return new Actor(server.app, actor.auth, actor.user);
}

describe('two instances on one PostgreSQL: every change is in force on the other at the very next request', () => {
  let a: TestServer;
  let b: TestServer;
  beforeAll(async () => {
    a = await startTestServer({ db: 'postgres' });
    // One outbox, delivered by either instance: both hand mail to the same mailbox.
    b = await startTestServer({ db: 'postgres', database: a.database, clock: a.clock, mailer: a.mailer! });
  });
  afterAll(async () => {
    await b.close();
    await a.close();
  });

  it('a grant and a revoke made on one instance hold on the other immediately', async () => {
    const w = await world(a).org('acme').member('ann').dataset('cams').build();
    const admin = w.orgs.acme!.admin;
    const annOnB = via(b, w.users.ann!);
    const url = `/api/v1/datasets/${w.datasets.cams}`;

    expect((await annOnB.get(url)).status).toBe(404);
    expect((await admin.put(`${url}/sharing/users/${annOnB.id}`, { level: 'write' })).status).toBe(200);
    expect((await annOnB.get(url)).body.myLevel).toBe('write');
    expect((await admin.delete(`${url}/sharing/users/${annOnB.id}`)).status).toBe(204);
    expect((await annOnB.get(url)).status).toBe(404);
  });

  it('a tier change and a team removal on one instance hold on the other immediately', async () => {
    const w = await world(a)
      .org('acme')
      .member('ann')
      .team('labelers', ['ann'])
      .dataset('cams', { tier: 'organization' })
      .teamGrant('cams', 'labelers', 'annotate')
      .build();
    const admin = w.orgs.acme!.admin;
    const annOnB = via(b, w.users.ann!);
    const url = `/api/v1/datasets/${w.datasets.cams}`;

    expect((await annOnB.get(url)).body.myLevel).toBe('annotate');
    expect((await admin.delete(`/api/v1/teams/${w.teams.labelers}/members/${annOnB.id}`)).status).toBe(204);
    expect((await annOnB.get(url)).body.myLevel).toBe('read');
    expect((await admin.patch(url, { visibility: 'admins' })).status).toBe(200);
    expect((await annOnB.get(url)).status).toBe(404);
  });

  it('a logout and a token revocation on one instance end the session on the other immediately', async () => {
    const w = await world(a).org('acme').build();
    const admin = w.orgs.acme!.admin;
    const adminOnB = via(b, admin);
    expect((await adminOnB.get('/api/v1/me')).status).toBe(200);

    const token = await admin.post('/api/v1/me/tokens', { name: 'script' });
    const script = new Actor(b.app, { bearer: token.body.token });
    expect((await script.get('/api/v1/me')).status).toBe(200);
    expect((await admin.delete(`/api/v1/me/tokens/${token.body.id}`)).status).toBe(204);
    expect((await script.get('/api/v1/me')).status).toBe(401);

    expect((await admin.post('/api/v1/auth/logout')).status).toBe(204);
    expect((await adminOnB.get('/api/v1/me')).status).toBe(401);
  });
});
