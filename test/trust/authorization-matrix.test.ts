import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rankOf } from '../../src/access/levels.js';
import { startSession } from '../../src/accounts/sessions.js';
import { hashSecret, newId, newSecret } from '../../src/secrets.js';
import { insertOutboxMessage } from '../../src/store/outbox.js';
import { insertScimToken } from '../../src/store/scim.js';
import { Actor, PASSWORD, signUp, uniqueEmail } from '../helpers/client.js';
import { DATABASES } from '../helpers/databases.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { upload } from '../helpers/upload.js';
import { joinOrg, world } from '../helpers/world.js';
import { CALLERS, type Caller, expectedStatus, MATRIX } from './matrix.js';

interface Call {
  method: string;
  url: string;
  body?: unknown;
  upload?: boolean;
  /** Credentials to use instead of the caller's usual ones (e.g. a session that may be ended). */
  as?: Actor;
}

describe.each(DATABASES)('the authorization matrix holds for every route and every caller (%s)', (db) => {
  let server: TestServer;
  let orgId: string;
  let otherOrgId: string;
  let orgAdmin: Actor;
  const callers = {} as Record<Caller, Actor>;
  const teams: Record<'read' | 'annotate' | 'write' | 'admin', string> = { read: '', annotate: '', write: '', admin: '' };
  let tokenUser: Actor;
  let spareMember: Actor;

  beforeAll(async () => {
    // Webhook hosts resolve (through a stub, never real DNS) to a public documentation address nobody answers at.
    server = await startTestServer({ db, webhooks: { resolve: async () => [{ address: '192.0.2.10', family: 4 }], timeoutMs: 300 } });
    const w = await world(server)
      .org('acme')
      .member('member')
      .member('read')
      .member('annotate')
      .member('write')
      .member('admin')
      .member('tRead')
      .member('tAnnotate')
      .member('tWrite')
      .member('tAdmin')
      .member('tokenUser')
      .member('spare')
      .outsider('outsider')
      .outsider('extOn')
      .outsider('extOff')
      .team('team-read', ['tRead'])
      .team('team-annotate', ['tAnnotate'])
      .team('team-write', ['tWrite'])
      .team('team-admin', ['tAdmin'])
      .org('other')
      .build();
    orgId = w.orgs.acme!.id;
    otherOrgId = w.orgs.other!.id;
    orgAdmin = w.orgs.acme!.admin;
    tokenUser = w.users.tokenUser!;
    spareMember = w.users.spare!;
    const tokenOf = async (scope: 'read' | 'write' | 'admin') =>
      (await tokenUser.post('/api/v1/me/tokens', { name: `matrix ${scope}`, scope })).body.token as string;
    Object.assign(callers, {
      anon: new Actor(server.app),
      bearer: new Actor(server.app, { bearer: await tokenOf('admin') }, tokenUser.user),
      tokRead: new Actor(server.app, { bearer: await tokenOf('read') }, tokenUser.user),
      tokWrite: new Actor(server.app, { bearer: await tokenOf('write') }, tokenUser.user),
      otherAdmin: w.orgs.other!.admin,
      orgAdmin,
    });
    for (const name of [
      'outsider',
      'extOn',
      'extOff',
      'member',
      'read',
      'annotate',
      'write',
      'admin',
      'tRead',
      'tAnnotate',
      'tWrite',
      'tAdmin',
    ] as const) {
      callers[name] = w.users[name]!;
    }
    Object.assign(teams, {
      read: w.teams['team-read'],
      annotate: w.teams['team-annotate'],
      write: w.teams['team-write'],
      admin: w.teams['team-admin'],
    });
    void otherOrgId;
  });
  afterAll(async () => {
    await server.close();
  });

  /** A fresh dataset with every caller's grant in place, written straight to the store. */
  async function scene(caller: Caller): Promise<string> {
    const id = newId('ds');
    const now = server.clock.now();
    const tier = caller === 'extOn' ? 'external' : caller === 'extOff' ? 'organization' : 'admins';
    await server.ctx.db.transaction().execute(async (tx) => {
      await tx
        .insertInto('datasets')
        .values({
          id,
          org_id: orgId,
          name: 'scene',
          name_key: 'scene',
          description: '',
          visibility: tier,
          predecessor_id: null,
          item_count: 0,
          created_at: now,
          updated_at: now,
        })
        .execute();
      const direct: [Actor, 'read' | 'annotate' | 'write' | 'admin'][] = [
        [callers.read, 'read'],
        [callers.annotate, 'annotate'],
        [callers.write, 'write'],
        [callers.admin, 'admin'],
        [tokenUser, 'admin'],
        [callers.extOn, 'read'],
        [callers.extOff, 'read'],
      ];
      await tx
        .insertInto('user_grants')
        .values(
          direct.map(([actor, level]) => ({
            dataset_id: id,
            user_id: actor.id,
            level: rankOf(level),
            expires_at: null,
            granted_by: orgAdmin.id,
            created_at: now,
            last_used_at: null,
          })),
        )
        .execute();
      await tx
        .insertInto('team_grants')
        .values(
          (Object.entries(teams) as [keyof typeof teams, string][]).map(([level, teamId]) => ({
            dataset_id: id,
            team_id: teamId,
            level: rankOf(level),
            expires_at: null,
            granted_by: orgAdmin.id,
            created_at: now,
            last_used_at: null,
          })),
        )
        .execute();
    });
    return id;
  }

  async function invitationRow(email: string, kind: 'org' | 'dataset', datasetId: string | null): Promise<{ id: string; token: string }> {
    const token = newSecret();
    const id = newId('inv');
    const now = server.clock.now();
    await server.ctx.db
      .insertInto('invitations')
      .values({
        id,
        kind,
        org_id: orgId,
        dataset_id: datasetId,
        email,
        level: kind === 'dataset' ? rankOf('read') : null,
        role: kind === 'org' ? 'member' : null,
        token_hash: hashSecret(token),
        status: 'pending',
        expires_at: now + 3_600_000,
        invited_by: orgAdmin.id,
        created_at: now,
        accepted_at: null,
        accepted_by: null,
        delivery: 'sent',
        last_error: null,
      })
      .execute();
    return { id, token };
  }

  async function linkRow(datasetId: string): Promise<{ id: string; token: string }> {
    const token = newSecret();
    const id = newId('lnk');
    const now = server.clock.now();
    await server.ctx.db
      .insertInto('share_links')
      .values({
        id,
        dataset_id: datasetId,
        org_id: orgId,
        name: 'matrix',
        level: rankOf('read'),
        token_hash: hashSecret(token),
        expires_at: now + 3_600_000,
        max_uses: null,
        uses: 0,
        allowed_domains: '[]',
        members_only: 0,
        created_by: orgAdmin.id,
        created_at: now,
        revoked_at: null,
        revoked_by: null,
      })
      .execute();
    return { id, token };
  }

  async function freshMember(): Promise<Actor> {
    const user = await signUp(server.app, 'fresh');
    await joinOrg(server, orgAdmin, orgId, user);
    return user;
  }

  /** The request for one cell: fresh subjects of the route, owned or made by the org admin. */
  async function callFor(route: string, caller: Caller): Promise<Call> {
    const actor = callers[caller];
    const [method, path] = route.split(' ') as [string, string];
    const needsDataset =
      path.includes('/datasets/{id}') ||
      path.includes('{datasetId}') ||
      /\/(items|layers|annotations|links|invitations\/(\{id\}|accept))/.test(path);
    const datasetId = needsDataset ? await scene(caller) : '';
    const ds = `/api/v1/datasets/${datasetId}`;
    const fill = (url: string, ids: Record<string, string>) => url.replace(/\{(\w+)\}/g, (_, key: string) => ids[key] ?? `missing-${key}`);
    const item = async () =>
      (await upload(orgAdmin, datasetId, [{ name: 'a.txt', content: Buffer.from('matrix') }])).body.items[0].id as string;
    const layer = async () => (await orgAdmin.post(`${ds}/layers`, { name: `layer-${newId('l')}` })).body.id as string;
    const team = async () => (await orgAdmin.post(`/api/v1/orgs/${orgId}/teams`, { name: `team-${newId('t')}` })).body.id as string;
    const project = async () => (await orgAdmin.post(`/api/v1/orgs/${orgId}/projects`, { name: 'p' })).body.id as string;

    switch (route) {
      case 'POST /api/v1/auth/signup':
        return { method, url: path, body: { email: uniqueEmail('new'), password: 'a long password', name: 'New' } };
      case 'POST /api/v1/auth/login': {
        const email = uniqueEmail('login');
        await signUp(server.app, 'Login', email);
        return { method, url: path, body: { email, password: 'correct horse battery' } };
      }
      case 'POST /api/v1/auth/logout': {
        if (!actor.auth.cookie) return { method, url: path };
        const session = await startSession(server.ctx, server.ctx.db, actor.id, null);
        return { method, url: path, as: new Actor(server.app, { cookie: session.token }, actor.user) };
      }
      case 'POST /api/v1/auth/verify-email': {
        const token = newSecret();
        if (actor.id) {
          const now = server.clock.now();
          await server.ctx.db
            .insertInto('email_verifications')
            .values({ token_hash: hashSecret(token), user_id: actor.id, expires_at: now + 60_000, used_at: null, created_at: now })
            .execute();
        }
        return { method, url: path, body: { token } };
      }
      case 'POST /api/v1/me/password':
        return { method, url: path, body: { currentPassword: PASSWORD, newPassword: PASSWORD } };
      case 'DELETE /api/v1/me/sessions/{id}': {
        const session = actor.id ? await startSession(server.ctx, server.ctx.db, actor.id, null) : { id: newId('ses') };
        return { method, url: fill(path, { id: session.id }) };
      }
      case 'POST /api/v1/auth/password-reset':
        return { method, url: path, body: { email: orgAdmin.user.email } };
      case 'POST /api/v1/auth/password-reset/confirm': {
        const user = await signUp(server.app, 'Reset');
        const token = newSecret();
        await server.ctx.db
          .insertInto('password_resets')
          .values({
            token_hash: hashSecret(token),
            user_id: user.id,
            expires_at: server.clock.now() + 60_000,
            used_at: null,
            created_at: server.clock.now(),
          })
          .execute();
        return { method, url: path, body: { token, password: 'a new long password' } };
      }
      case 'DELETE /api/v1/me/tokens/{id}': {
        const id = newId('tok');
        if (actor.id) {
          await server.ctx.db
            .insertInto('access_tokens')
            .values({ id, user_id: actor.id, name: 'x', token_hash: hashSecret(newSecret()), created_at: 0, last_used_at: null })
            .execute();
        }
        return { method, url: fill(path, { id }) };
      }
      case 'POST /api/v1/me/tokens':
      case 'POST /api/v1/orgs':
      case 'POST /api/v1/orgs/{orgId}/scim-tokens':
      case 'POST /api/v1/orgs/{orgId}/teams':
      case 'POST /api/v1/orgs/{orgId}/projects':
      case 'POST /api/v1/orgs/{orgId}/datasets':
        return { method, url: fill(path, { orgId }), body: { name: `name-${newId('n')}` } };
      case 'GET /api/v1/orgs/{orgId}/members/{userId}/removal-preview':
        return { method, url: fill(path, { orgId, userId: spareMember.id }) };
      case 'PATCH /api/v1/orgs/{orgId}/members/{userId}':
        return { method, url: fill(path, { orgId, userId: spareMember.id }), body: { processDatasets: true } };
      case 'DELETE /api/v1/orgs/{orgId}/members/{userId}':
        return { method, url: fill(path, { orgId, userId: caller === 'orgAdmin' ? (await freshMember()).id : spareMember.id }) };
      case 'POST /api/v1/orgs/{orgId}/invitations':
        return { method, url: fill(path, { orgId }), body: { emails: [uniqueEmail('invitee')], role: 'member' } };
      case 'GET /api/v1/teams/{teamId}':
      case 'PATCH /api/v1/teams/{teamId}':
      case 'DELETE /api/v1/teams/{teamId}':
        return {
          method,
          url: fill(path, { teamId: await team() }),
          body: method === 'PATCH' ? { name: `renamed-${newId('n')}` } : undefined,
        };
      case 'PUT /api/v1/teams/{teamId}/members/{userId}':
        return { method, url: fill(path, { teamId: await team(), userId: spareMember.id }) };
      case 'DELETE /api/v1/teams/{teamId}/members/{userId}': {
        const teamId = await team();
        await orgAdmin.put(`/api/v1/teams/${teamId}/members/${spareMember.id}`);
        return { method, url: fill(path, { teamId, userId: spareMember.id }) };
      }
      case 'PATCH /api/v1/datasets/{id}':
        return { method, url: ds, body: { description: 'changed' } };
      case 'PUT /api/v1/datasets/{id}/sharing/users/{userId}':
      case 'DELETE /api/v1/datasets/{id}/sharing/users/{userId}':
        return {
          method,
          url: fill(path, { id: datasetId, userId: spareMember.id }),
          body: method === 'PUT' ? { level: 'read' } : undefined,
        };
      case 'PUT /api/v1/datasets/{id}/sharing/teams/{teamId}':
      case 'DELETE /api/v1/datasets/{id}/sharing/teams/{teamId}':
        return { method, url: fill(path, { id: datasetId, teamId: await team() }), body: method === 'PUT' ? { level: 'read' } : undefined };
      case 'POST /api/v1/datasets/{id}/sharing/preview':
        return { method, url: fill(path, { id: datasetId }), body: { removeUserId: callers.read.id } };
      case 'GET /api/v1/datasets/{id}/access/{userId}':
        return { method, url: fill(path, { id: datasetId, userId: orgAdmin.id }) };
      case 'POST /api/v1/datasets/{id}/invitations':
        return { method, url: fill(path, { id: datasetId }), body: { emails: [spareMember.user.email], level: 'read' } };
      case 'POST /api/v1/datasets/{id}/items':
        return { method, url: fill(path, { id: datasetId }), upload: true };
      case 'GET /api/v1/items/{id}/content':
        return { method, url: fill(path, { id: await item() }) };
      case 'POST /api/v1/datasets/{id}/layers':
        return { method, url: fill(path, { id: datasetId }), body: { name: 'layer' } };
      case 'GET /api/v1/layers/{id}/annotations':
        return { method, url: fill(path, { id: await layer() }) };
      case 'POST /api/v1/layers/{id}/annotations': {
        const itemId = await item();
        return { method, url: fill(path, { id: await layer() }), body: { itemId, label: 'car' } };
      }
      case 'PATCH /api/v1/annotations/{id}':
      case 'DELETE /api/v1/annotations/{id}': {
        const itemId = await item();
        const created = await orgAdmin.post(`/api/v1/layers/${await layer()}/annotations`, { itemId, label: 'car' });
        return { method, url: fill(path, { id: created.body.id }), body: method === 'PATCH' ? { label: 'truck' } : undefined };
      }
      case 'POST /api/v1/datasets/{id}/process':
        return { method, url: fill(path, { id: datasetId }), body: { pipeline: 'dedupe' } };
      case 'GET /api/v1/jobs/{id}':
      case 'POST /api/v1/jobs/{id}/cancel': {
        const id = newId('job');
        const now = server.clock.now();
        await server.ctx.db
          .insertInto('jobs')
          .values({
            id,
            kind: 'dedupe',
            org_id: orgId,
            source_dataset_id: 'ds_x',
            started_by: orgAdmin.id,
            // A job to cancel is one still running (elsewhere, under a lease that holds).
            status: method === 'POST' ? 'running' : 'succeeded',
            done: 0,
            total: 0,
            result_dataset_id: null,
            error: null,
            created_at: now,
            updated_at: now,
            lease_until: method === 'POST' ? Date.now() + 3_600_000 : null,
            claimed_by: method === 'POST' ? 'inst_elsewhere' : null,
            carry_sharing: 0,
          })
          .execute();
        return { method, url: fill(path, { id }) };
      }
      case 'GET /api/v1/projects/{id}':
        return { method, url: fill(path, { id: await project() }) };
      case 'PUT /api/v1/projects/{id}/datasets/{datasetId}':
        return { method, url: fill(path, { id: await project(), datasetId }) };
      case 'DELETE /api/v1/projects/{id}/datasets/{datasetId}': {
        const id = await project();
        await orgAdmin.put(`/api/v1/projects/${id}/datasets/${datasetId}`);
        return { method, url: fill(path, { id, datasetId }) };
      }
      case 'GET /api/v1/invitations/lookup': {
        const { token } = await invitationRow(uniqueEmail('lookup'), 'org', null);
        return { method, url: `${path}?token=${token}` };
      }
      case 'POST /api/v1/invitations/accept': {
        const { token } = await invitationRow(actor.user.email || uniqueEmail('anon'), 'dataset', datasetId);
        return { method, url: path, body: { token } };
      }
      case 'POST /api/v1/invitations/decline': {
        const { token } = await invitationRow(uniqueEmail('decline'), 'org', null);
        return { method, url: path, body: { token } };
      }
      case 'DELETE /api/v1/orgs/{orgId}/scim-tokens/{id}': {
        const id = newId('sct');
        await insertScimToken(server.ctx.db, {
          id,
          orgId,
          name: 'matrix',
          tokenHash: hashSecret(newSecret()),
          createdBy: orgAdmin.id,
          at: server.clock.now(),
        });
        return { method, url: fill(path, { orgId, id }) };
      }
      case 'POST /api/v1/orgs/{orgId}/undelivered/{messageId}/retry': {
        // A message given up after its retries, as an admin would find it.
        const { id: invitationId } = await invitationRow(uniqueEmail('undelivered'), 'org', null);
        const messageId = newId('msg');
        await insertOutboxMessage(server.ctx.db, {
          id: messageId,
          kind: 'mail',
          payload: JSON.stringify({ to: 'x@example.test', subject: 's', text: 't', html: 'h' }),
          recipient: 'x@example.test',
          orgId,
          invitationId,
          now: server.clock.now(),
        });
        await server.ctx.db.updateTable('outbox').set({ status: 'failed' }).where('id', '=', messageId).execute();
        return { method, url: fill(path, { orgId, messageId }) };
      }
      case 'POST /api/v1/orgs/{orgId}/webhooks':
        return { method, url: fill(path, { orgId }), body: { url: 'https://hooks.example.test/matrix', events: ['webhook.deleted'] } };
      case 'DELETE /api/v1/webhooks/{id}':
      case 'POST /api/v1/webhooks/{id}/ping':
      case 'GET /api/v1/webhooks/{id}/deliveries':
      case 'POST /api/v1/webhooks/{id}/rotate-secret': {
        const created = await orgAdmin.post(`/api/v1/orgs/${orgId}/webhooks`, {
          url: 'https://hooks.example.test/matrix',
          events: ['webhook.deleted'],
        });
        return { method, url: fill(path, { id: created.body.id }) };
      }
      case 'POST /api/v1/invitations/{id}/extend':
      case 'POST /api/v1/invitations/{id}/resend':
      case 'DELETE /api/v1/invitations/{id}': {
        const { id } = await invitationRow(spareMember.user.email, 'dataset', datasetId);
        return { method, url: fill(path, { id }) };
      }
      case 'POST /api/v1/datasets/{id}/links':
        return {
          method,
          url: fill(path, { id: datasetId }),
          body: { name: 'matrix', level: 'read', expiresAt: new Date(server.clock.now() + 86_400_000).toISOString() },
        };
      case 'GET /api/v1/datasets/{id}/links/{linkId}/redemptions':
        return { method, url: fill(path, { id: datasetId, linkId: (await linkRow(datasetId)).id }) };
      case 'DELETE /api/v1/links/{id}':
        return { method, url: fill(path, { id: (await linkRow(datasetId)).id }) };
      case 'GET /api/v1/links/lookup':
        return { method, url: `${path}?token=${(await linkRow(datasetId)).token}` };
      case 'POST /api/v1/links/redeem':
        return { method, url: path, body: { token: (await linkRow(datasetId)).token } };
      default:
        return { method, url: fill(path, { id: datasetId, orgId, datasetId }) };
    }
  }

  it('has a row for every route in the OpenAPI document', async () => {
    const doc = (await server.app.inject({ method: 'GET', url: '/api/v1/openapi.json' })).json();
    const routes = Object.entries(doc.paths as Record<string, object>).flatMap(([path, ops]) =>
      Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`),
    );
    expect(routes.filter((r) => !(r in MATRIX))).toEqual([]);
    expect(Object.keys(MATRIX).filter((r) => !routes.includes(r))).toEqual([]);
  });

  it.each(Object.keys(MATRIX))('%s', async (route) => {
    const mismatches: string[] = [];
    for (const caller of CALLERS) {
      const call = await callFor(route, caller);
      const actor = call.as ?? callers[caller];
      const res = call.upload
        ? await upload(actor, call.url.split('/')[4]!, [{ name: 'f.txt', content: Buffer.from('cell') }])
        : await actor.request(call.method, call.url, call.body);
      const expected = expectedStatus(route, caller);
      if (res.status !== expected)
        mismatches.push(`${caller}: expected ${expected}, got ${res.status} ${JSON.stringify(res.body).slice(0, 120)}`);
    }
    expect(mismatches).toEqual([]);
  });
});
