import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Actor, type Response, signUp, uniqueEmail } from '../helpers/client.js';
import { DATABASES } from '../helpers/databases.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { mailedToken, mintToken, world } from '../helpers/world.js';
import { expectError } from './errors.js';

const SCIM_ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error';
const USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

/** An answer in SCIM's error schema, as application/scim+json. */
function expectScimError(res: Response, status: number, scimType?: string): void {
  expect(res.headers['content-type']).toMatch(/^application\/scim\+json/);
  expect(res.status).toBe(status);
  expect(res.body).toEqual({
    schemas: [SCIM_ERROR],
    status: String(status),
    detail: expect.any(String),
    ...(scimType ? { scimType } : {}),
  });
}

/** An identity provider talking SCIM: JSON sent as application/scim+json, as Entra ID and Okta do. */
class Directory {
  constructor(readonly actor: Actor) {}
  request(method: string, url: string, body?: unknown) {
    return this.actor.request(method, `/scim/v2${url}`, body, body === undefined ? {} : { 'content-type': 'application/scim+json' });
  }
  get(url: string) {
    return this.request('GET', url);
  }
  post(url: string, body: unknown) {
    return this.request('POST', url, body);
  }
  put(url: string, body: unknown) {
    return this.request('PUT', url, body);
  }
  patch(url: string, operations: unknown[]) {
    return this.request('PATCH', url, { schemas: [PATCH], Operations: operations });
  }
  delete(url: string) {
    return this.request('DELETE', url);
  }
}

const oktaUser = (email: string, given = 'Ada', family = 'Lovelace') => ({
  schemas: [USER],
  userName: email,
  name: { givenName: given, familyName: family },
  emails: [{ primary: true, value: email, type: 'work' }],
  displayName: `${given} ${family}`,
  locale: 'en-US',
  externalId: `okta-${given}`,
  groups: [],
  password: 'ignored-by-tessera',
  active: true,
});

const entraUser = (email: string) => ({
  schemas: [USER, 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'],
  externalId: `entra-${email}`,
  userName: email,
  active: true,
  displayName: 'Grace Hopper',
  emails: [{ primary: true, type: 'work', value: email }],
  meta: { resourceType: 'User' },
  name: { formatted: 'Grace Hopper', familyName: 'Hopper', givenName: 'Grace' },
  title: 'Rear admiral',
  'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User': { department: 'Navy' },
});

describe.each(DATABASES)('SCIM provisioning (%s)', (db) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ db });
  });
  afterAll(async () => {
    await server.close();
  });

  async function connect(admin: Actor, orgId: string, name = 'Okta'): Promise<{ id: string; directory: Directory }> {
    const res = await admin.post(`/api/v1/orgs/${orgId}/scim-tokens`, { name });
    expect(res.status).toBe(201);
    return { id: res.body.id, directory: new Directory(new Actor(server.app, { bearer: res.body.token })) };
  }

  const events = async (admin: Actor, orgId: string, action: string) =>
    (await admin.get(`/api/v1/orgs/${orgId}/audit?action=${action}&limit=200`)).body.items as {
      actor: { id: string; name: string } | null;
      subject: string;
      datasetId: string | null;
      after: Record<string, unknown> | null;
    }[];

  it('lets only org admins create, list and revoke provisioning tokens, shown once and dead once revoked', async () => {
    const w = await world(server).org('acme').member('ann').org('other').build();
    const { admin, id: orgId } = w.orgs.acme!;
    const created = await admin.post(`/api/v1/orgs/${orgId}/scim-tokens`, { name: 'Okta' });
    expect(created).toMatchObject({
      status: 201,
      body: { id: expect.any(String), name: 'Okta', scimBaseUrl: 'http://tessera.test/scim/v2' },
    });
    expect(created.body.token).toMatch(/^tss_/);
    const stored = await server.ctx.db.selectFrom('scim_tokens').selectAll().where('id', '=', created.body.id).executeTakeFirstOrThrow();
    expect(JSON.stringify(stored)).not.toContain(created.body.token);

    const directory = new Directory(new Actor(server.app, { bearer: created.body.token }));
    expect((await directory.get('/ServiceProviderConfig')).status).toBe(200);

    const list = await admin.get(`/api/v1/orgs/${orgId}/scim-tokens`);
    expect(list.status).toBe(200);
    expect(list.body.items).toEqual([{ id: created.body.id, name: 'Okta', createdAt: expect.any(String), lastUsedAt: expect.any(String) }]);
    expect(JSON.stringify(list.body)).not.toContain('tss_');

    expectError(await w.users.ann!.post(`/api/v1/orgs/${orgId}/scim-tokens`, { name: 'x' }), 403, 'forbidden');
    expectError(await w.users.ann!.get(`/api/v1/orgs/${orgId}/scim-tokens`), 403, 'forbidden');
    expectError(await w.orgs.other!.admin.get(`/api/v1/orgs/${orgId}/scim-tokens`), 404, 'not_found');
    expectError(await w.orgs.other!.admin.delete(`/api/v1/orgs/${orgId}/scim-tokens/${created.body.id}`), 404, 'not_found');
    expectError(await admin.post(`/api/v1/orgs/${orgId}/scim-tokens`, { name: '  ' }), 400, 'invalid_request');

    expect((await admin.delete(`/api/v1/orgs/${orgId}/scim-tokens/${created.body.id}`)).status).toBe(204);
    expectScimError(await directory.get('/Users'), 401);
    expect((await admin.get(`/api/v1/orgs/${orgId}/scim-tokens`)).body.items).toEqual([]);
    expectError(await admin.delete(`/api/v1/orgs/${orgId}/scim-tokens/${created.body.id}`), 404, 'not_found');

    expect(server.logLines.join('')).not.toContain(created.body.token);
    expect((await events(admin, orgId, 'scim_token.created'))[0]).toMatchObject({
      subject: `scim_token:${created.body.id}`,
      subjectName: 'Okta',
    });
    expect(await events(admin, orgId, 'scim_token.revoked')).toHaveLength(1);
  });

  it('provisions users as Okta sends them: look up, create, get, replace, deactivate and reactivate', async () => {
    const w = await world(server).org('acme').build();
    const { admin, id: orgId } = w.orgs.acme!;
    const { directory } = await connect(admin, orgId);
    const email = uniqueEmail('ada');

    const lookup = await directory.get(`/Users?filter=${encodeURIComponent(`userName eq "${email}"`)}&startIndex=1&count=100`);
    expect(lookup.headers['content-type']).toMatch(/^application\/scim\+json/);
    expect(lookup.body).toEqual({
      schemas: ['urn:ietf:params:scim:api:messages:2.0:ListResponse'],
      totalResults: 0,
      startIndex: 1,
      itemsPerPage: 0,
      Resources: [],
    });

    const created = await directory.post('/Users', oktaUser(email));
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      schemas: [USER],
      id: expect.stringMatching(/^usr_/),
      externalId: 'okta-Ada',
      userName: email,
      name: { givenName: 'Ada', familyName: 'Lovelace', formatted: 'Ada Lovelace' },
      emails: [{ value: email, primary: true }],
      active: true,
      meta: { resourceType: 'User', location: `http://tessera.test/scim/v2/Users/${created.body.id}` },
    });
    const id = created.body.id;
    const members = (await admin.get(`/api/v1/orgs/${orgId}/members`)).body.items as { user: { id: string; emailVerified: boolean } }[];
    expect(members.find((m) => m.user.id === id)).toMatchObject({ user: { emailVerified: true }, role: 'member' });

    expect((await directory.get(`/Users/${id}`)).body).toEqual(created.body);
    const found = await directory.get(`/Users?filter=${encodeURIComponent(`userName eq "${email.toUpperCase()}"`)}`);
    expect(found.body).toMatchObject({ totalResults: 1, Resources: [{ id }] });
    expectScimError(await directory.post('/Users', oktaUser(email)), 409, 'uniqueness');

    const replaced = await directory.put(`/Users/${id}`, { ...oktaUser(email, 'Augusta', 'King'), id });
    expect(replaced.body).toMatchObject({ id, displayName: 'Augusta King', name: { givenName: 'Augusta', familyName: 'King' } });

    const off = await directory.patch(`/Users/${id}`, [{ op: 'replace', value: { active: false } }]);
    expect(off).toMatchObject({ status: 200, body: { id, active: false } });
    const afterOff = (await admin.get(`/api/v1/orgs/${orgId}/members`)).body.items as { user: { id: string } }[];
    expect(afterOff.some((m) => m.user.id === id)).toBe(false);
    expect((await directory.get(`/Users/${id}`)).body.active).toBe(false);

    const on = await directory.put(`/Users/${id}`, { ...oktaUser(email, 'Augusta', 'King'), active: true });
    expect(on.body.active).toBe(true);
    const reactivated = await events(admin, orgId, 'member.added');
    expect(reactivated.filter((e) => e.subject === `user:${id}`)).toHaveLength(2);

    expectScimError(await directory.put(`/Users/${id}`, oktaUser(uniqueEmail('other'))), 400, 'mutability');
    expect((await directory.delete(`/Users/${id}`)).status).toBe(204);
    expectScimError(await directory.get(`/Users/${id}`), 404);
  });

  it('provisions users as Entra ID sends them: capitalized ops, path and no-path values, string booleans', async () => {
    const w = await world(server).org('acme').build();
    const { admin, id: orgId } = w.orgs.acme!;
    const { directory } = await connect(admin, orgId, 'Entra ID');
    const email = uniqueEmail('grace');
    expect((await directory.get(`/Users?filter=${encodeURIComponent(`userName eq "${email}"`)}`)).body.totalResults).toBe(0);
    const created = await directory.post('/Users', entraUser(email));
    expect(created).toMatchObject({ status: 201, body: { userName: email, displayName: 'Grace Hopper', externalId: `entra-${email}` } });
    const id = created.body.id;

    const byEmail = await directory.get(`/Users?filter=${encodeURIComponent(`emails.value eq "${email}"`)}`);
    expect(byEmail.body.Resources.map((u: { id: string }) => u.id)).toEqual([id]);
    const byExternal = await directory.get(`/Users?filter=${encodeURIComponent(`externalId eq "entra-${email}"`)}`);
    expect(byExternal.body.totalResults).toBe(1);

    const patched = await directory.patch(`/Users/${id}`, [
      { op: 'Replace', path: 'name.familyName', value: 'Murray' },
      { op: 'Add', path: 'emails[type eq "work"].value', value: email },
      { op: 'Replace', value: { 'name.givenName': 'Grace Brewster', externalId: 'entra-2' } },
      { op: 'Replace', path: 'displayName', value: 'Grace Brewster Murray' },
    ]);
    expect(patched.body).toMatchObject({ displayName: 'Grace Brewster Murray', externalId: 'entra-2', active: true });

    const disabled = await directory.patch(`/Users/${id}`, [{ op: 'Replace', path: 'active', value: 'False' }]);
    expect(disabled.body.active).toBe(false);
    const enabled = await directory.patch(`/Users/${id}`, [{ op: 'Replace', path: 'active', value: 'True' }]);
    expect(enabled.body.active).toBe(true);

    expectScimError(await directory.get(`/Users?filter=${encodeURIComponent('displayName co "Grace"')}`), 400, 'invalidFilter');
    expectScimError(await directory.patch(`/Users/${id}`, [{ op: 'Move', path: 'active', value: true }]), 400, 'invalidSyntax');
    expectScimError(await directory.patch(`/Users/${id}`, [{ op: 'Replace', path: 'active', value: 'maybe' }]), 400, 'invalidValue');
    expectScimError(await directory.post('/Users', { schemas: [USER], displayName: 'No address' }), 400, 'invalidValue');
  });

  it('pages the list with startIndex and count', async () => {
    const w = await world(server).org('acme').build();
    const { admin, id: orgId } = w.orgs.acme!;
    const { directory } = await connect(admin, orgId);
    for (const name of ['p1', 'p2', 'p3']) expect((await directory.post('/Users', oktaUser(uniqueEmail(name), name))).status).toBe(201);
    const first = await directory.get('/Users?startIndex=1&count=2');
    expect(first.body).toMatchObject({ totalResults: 4, startIndex: 1, itemsPerPage: 2 });
    const second = await directory.get('/Users?startIndex=3&count=2');
    expect(second.body).toMatchObject({ totalResults: 4, startIndex: 3, itemsPerPage: 2 });
    const ids = [...first.body.Resources, ...second.body.Resources].map((u: { id: string }) => u.id);
    expect(new Set(ids).size).toBe(4);
    expect((await directory.get('/Users?startIndex=5&count=2')).body).toMatchObject({ totalResults: 4, itemsPerPage: 0, Resources: [] });
    expect((await directory.get('/Users?count=0')).body).toMatchObject({ totalResults: 4, Resources: [] });
  });

  it('maps Groups to the organization’s teams, members added and removed as Okta and Entra ID send them', async () => {
    const w = await world(server).org('acme').member('ann').member('bob').member('cy').build();
    const { admin, id: orgId } = w.orgs.acme!;
    const { ann, bob, cy } = w.users as Record<string, Actor>;
    const { directory, id: tokenId } = await connect(admin, orgId);

    const created = await directory.post('/Groups', { schemas: [GROUP], displayName: 'labelers', members: [{ value: ann!.id }] });
    expect(created).toMatchObject({
      status: 201,
      body: { schemas: [GROUP], displayName: 'labelers', members: [{ value: ann!.id, display: ann!.user.name }] },
    });
    const teamId = created.body.id;
    expect((await admin.get(`/api/v1/teams/${teamId}`)).body).toMatchObject({ name: 'labelers', members: [{ id: ann!.id }] });
    expectScimError(await directory.post('/Groups', { schemas: [GROUP], displayName: 'labelers' }), 409, 'uniqueness');

    const found = await directory.get(`/Groups?filter=${encodeURIComponent('displayName eq "labelers"')}&excludedAttributes=members`);
    expect(found.body).toMatchObject({ totalResults: 1, Resources: [{ id: teamId, displayName: 'labelers' }] });
    expect(found.body.Resources[0].members).toBeUndefined();

    // Okta: add and remove with a members path and a list of values.
    await directory.patch(`/Groups/${teamId}`, [{ op: 'add', path: 'members', value: [{ value: bob!.id }, { value: cy!.id }] }]);
    await directory.patch(`/Groups/${teamId}`, [{ op: 'remove', path: 'members', value: [{ value: ann!.id }] }]);
    // Entra ID: a filtered path to remove, and a rename without a path.
    await directory.patch(`/Groups/${teamId}`, [{ op: 'Remove', path: `members[value eq "${bob!.id}"]` }]);
    const renamed = await directory.patch(`/Groups/${teamId}`, [{ op: 'Replace', value: { id: teamId, displayName: 'annotators' } }]);
    expect(renamed.body).toMatchObject({ displayName: 'annotators', members: [{ value: cy!.id }] });
    expectScimError(
      await directory.patch(`/Groups/${teamId}`, [{ op: 'add', path: 'members', value: [{ value: 'usr_nobody' }] }]),
      400,
      'invalidValue',
    );

    const put = await directory.put(`/Groups/${teamId}`, {
      schemas: [GROUP],
      displayName: 'annotators',
      members: [{ value: ann!.id }, { value: bob!.id }],
    });
    expect(put.body.members.map((m: { value: string }) => m.value).sort()).toEqual([ann!.id, bob!.id].sort());

    const added = await events(admin, orgId, 'team.member_added');
    expect(added.filter((e) => e.actor?.id === tokenId).length).toBeGreaterThanOrEqual(4);
    expect(added.find((e) => e.actor?.id === tokenId)?.actor).toEqual({ id: tokenId, name: 'SCIM (Okta)' });

    expect((await directory.delete(`/Groups/${teamId}`)).status).toBe(204);
    expectScimError(await directory.get(`/Groups/${teamId}`), 404);
    expectError(await admin.get(`/api/v1/teams/${teamId}`), 404, 'not_found');
  });

  it('deprovisioning ends the user’s access on the next request, in one step recorded with the token as actor', async () => {
    const w = await world(server)
      .org('acme')
      .member('ann')
      .member('bob')
      .team('labelers', ['ann', 'bob'])
      .dataset('cams')
      .dataset('mine', { by: 'ann' })
      .grant('cams', 'ann', 'read')
      .grant('cams', 'bob', 'read')
      .org('beta')
      .member('bob')
      .build();
    const { admin, id: orgId } = w.orgs.acme!;
    const { ann, bob } = w.users as Record<string, Actor>;
    const annToken = new Actor(server.app, { bearer: await mintToken(server, ann!) });
    const bobToken = new Actor(server.app, { bearer: await mintToken(server, bob!) });
    // An invitation Ann sent for the organization's dataset stays valid after she leaves.
    expect((await admin.patch(`/api/v1/datasets/${w.datasets.mine}`, { visibility: 'external' })).status).toBe(200);
    const invitee = uniqueEmail('invitee');
    expect((await ann!.post(`/api/v1/datasets/${w.datasets.mine}/invitations`, { emails: [invitee], level: 'read' })).status).toBe(201);
    const invitation = await mailedToken(server, invitee);

    const { directory, id: tokenId } = await connect(admin, orgId, 'Okta');
    const annUser = await directory.get(`/Users?filter=${encodeURIComponent(`userName eq "${ann!.user.email}"`)}`);
    expect(annUser.body.Resources[0]).toMatchObject({ id: ann!.id, active: true });
    expect((await bob!.get(`/api/v1/datasets/${w.datasets.cams}`)).status).toBe(200);

    expect((await directory.patch(`/Users/${ann!.id}`, [{ op: 'replace', path: 'active', value: false }])).body.active).toBe(false);
    expect((await directory.delete(`/Users/${bob!.id}`)).status).toBe(204);

    // Acme was Ann's only organization: her session and token are dead.
    expectError(await ann!.get('/api/v1/me'), 401, 'unauthenticated');
    expectError(await annToken.get('/api/v1/me'), 401, 'unauthenticated');
    // Bob is also in beta: he stays signed in, but acme's dataset is gone for him.
    expect((await bob!.get('/api/v1/me')).status).toBe(200);
    expect((await bobToken.get('/api/v1/me')).status).toBe(200);
    expectError(await bob!.get(`/api/v1/datasets/${w.datasets.cams}`), 404, 'not_found');
    expectError(await bobToken.get(`/api/v1/datasets/${w.datasets.cams}`), 404, 'not_found');
    expect((await admin.get(`/api/v1/teams/${w.teams.labelers}`)).body.members).toEqual([]);

    const removed = await events(admin, orgId, 'member.removed');
    expect(removed.find((e) => e.subject === `user:${ann!.id}`)).toMatchObject({
      actor: { id: tokenId, name: 'SCIM (Okta)' },
      after: { deprovisioned: true, signedOut: true },
    });
    expect(removed.find((e) => e.subject === `user:${bob!.id}`)?.after).toEqual({ deprovisioned: true });
    const revoked = await events(admin, orgId, 'grant.revoked');
    expect(
      revoked
        .filter((e) => e.actor?.id === tokenId)
        .map((e) => `${e.subject} ${e.datasetId}`)
        .sort(),
    ).toEqual([`user:${ann!.id} ${w.datasets.cams}`, `user:${ann!.id} ${w.datasets.mine}`, `user:${bob!.id} ${w.datasets.cams}`].sort());
    expect((await events(admin, orgId, 'team.member_removed')).filter((e) => e.actor?.id === tokenId)).toHaveLength(2);
    const csv = await admin.get(`/api/v1/orgs/${orgId}/audit.csv?action=member.removed`);
    expect(csv.body).toContain(`${tokenId},SCIM (Okta),member.removed`);

    expect((await new Actor(server.app).get(`/api/v1/invitations/lookup?token=${invitation}`)).status).toBe(200);

    // Reactivated: a member again, without the revoked grants.
    expect((await directory.patch(`/Users/${ann!.id}`, [{ op: 'replace', path: 'active', value: true }])).body.active).toBe(true);
    const members = (await admin.get(`/api/v1/orgs/${orgId}/members`)).body.items as { user: { id: string } }[];
    expect(members.some((m) => m.user.id === ann!.id)).toBe(true);
    expect(
      (await admin.get(`/api/v1/datasets/${w.datasets.cams}/sharing`)).body.users.some(
        (g: { user: { id: string } }) => g.user.id === ann!.id,
      ),
    ).toBe(false);
  });

  it('never offboards the last admin, and takes an existing account only when its owner is a member', async () => {
    const w = await world(server).org('acme').member('mia').org('beta').member('vera').build();
    const { admin, id: orgId } = w.orgs.acme!;
    const { directory } = await connect(admin, orgId);
    expectScimError(await directory.patch(`/Users/${admin.id}`, [{ op: 'replace', path: 'active', value: false }]), 409);
    expectScimError(await directory.delete(`/Users/${admin.id}`), 409);
    expect((await admin.get('/api/v1/me')).status).toBe(200);

    // Accounts of people outside the organization, proved or not, are invited, never taken: they
    // stay signed in, outside the organization, and out of the directory's reach.
    const squatter = await signUp(server.app, 'squatter');
    const vera = w.users.vera!;
    for (const person of [squatter, vera]) {
      expectScimError(await directory.post('/Users', oktaUser(person.user.email, 'Sam')), 409, 'uniqueness');
      expect((await person.get('/api/v1/me')).body.organizations.map((o: { id: string }) => o.id)).not.toContain(orgId);
      expectScimError(await directory.patch(`/Users/${person.id}`, [{ op: 'replace', path: 'active', value: false }]), 404);
    }
    expect((await directory.get(`/Users?filter=${encodeURIComponent(`userName eq "${vera.user.email}"`)}`)).body.totalResults).toBe(0);
    expect(
      await server.ctx.db.selectFrom('users').select('email_verified').where('id', '=', squatter.id).executeTakeFirstOrThrow(),
    ).toEqual({
      email_verified: 0,
    });

    // A member joins the directory as they are, and the directory may then offboard them.
    const mia = w.users.mia!;
    const linked = await directory.post('/Users', oktaUser(mia.user.email, 'Mia'));
    expect(linked).toMatchObject({ status: 201, body: { id: mia.id, displayName: mia.user.name, active: true } });
    expect((await mia.get('/api/v1/me')).status).toBe(200);
    expect((await directory.patch(`/Users/${mia.id}`, [{ op: 'replace', path: 'active', value: false }])).status).toBe(200);
    expectError(await mia.get('/api/v1/me'), 401, 'unauthenticated');
  });

  it('loses its hold on a member who leaves or whom an admin removes: it cannot bring them back', async () => {
    const w = await world(server).org('acme').member('lea').member('rob').org('beta').member('lea').build();
    const { admin, id: orgId } = w.orgs.acme!;
    const { directory } = await connect(admin, orgId);
    const lea = w.users.lea!;
    const rob = w.users.rob!;
    for (const person of [lea, rob]) expect((await directory.post('/Users', oktaUser(person.user.email))).status).toBe(201);
    // Lea leaves by herself; an admin removes Rob.
    expect((await lea.delete(`/api/v1/orgs/${orgId}/members/${lea.id}`)).status).toBe(204);
    expect((await admin.delete(`/api/v1/orgs/${orgId}/members/${rob.id}`)).status).toBe(204);
    for (const person of [lea, rob]) {
      for (const active of [true, false]) {
        expectScimError(await directory.patch(`/Users/${person.id}`, [{ op: 'replace', path: 'active', value: active }]), 404);
      }
      expectScimError(await directory.put(`/Users/${person.id}`, { ...oktaUser(person.user.email), active: true }), 404);
      expectScimError(await directory.post('/Users', oktaUser(person.user.email)), 409, 'uniqueness');
    }
    const members = (await admin.get(`/api/v1/orgs/${orgId}/members`)).body.items as { user: { id: string } }[];
    expect(members.map((m) => m.user.id)).not.toContain(lea.id);
    expect(members.map((m) => m.user.id)).not.toContain(rob.id);
    // Neither was signed out: Rob's only organization was acme, but the directory never offboarded him.
    expect((await lea.get('/api/v1/me')).status).toBe(200);
    expect((await rob.get('/api/v1/me')).status).toBe(200);
  });

  it('refuses a provisioning token to an admin whose own address is not proved', async () => {
    const unproved = await signUp(server.app, 'founder');
    const org = await unproved.post('/api/v1/orgs', { name: 'Founded' });
    expect(org.status).toBe(201);
    expectError(await unproved.post(`/api/v1/orgs/${org.body.id}/scim-tokens`, { name: 'Okta' }), 403, 'email_unverified');
    expect(await server.ctx.db.selectFrom('scim_tokens').select('id').where('org_id', '=', org.body.id).execute()).toEqual([]);
  });

  it('keeps each organization’s directory to its own users and groups', async () => {
    const w = await world(server)
      .org('acme')
      .member('ann')
      .team('labelers', ['ann'])
      .org('beta')
      .member('bea')
      .team('crew', ['bea'])
      .build();
    const { directory } = await connect(w.orgs.acme!.admin, w.orgs.acme!.id);
    const bea = w.users.bea!;
    expectScimError(await directory.get(`/Users/${bea.id}`), 404);
    expectScimError(await directory.put(`/Users/${bea.id}`, oktaUser(bea.user.email)), 404);
    expectScimError(await directory.patch(`/Users/${bea.id}`, [{ op: 'replace', path: 'active', value: false }]), 404);
    expectScimError(await directory.delete(`/Users/${bea.id}`), 404);
    expectScimError(await directory.get(`/Groups/${w.teams.crew}`), 404);
    expectScimError(
      await directory.patch(`/Groups/${w.teams.crew}`, [{ op: 'add', path: 'members', value: [{ value: w.users.ann!.id }] }]),
      404,
    );
    expectScimError(await directory.delete(`/Groups/${w.teams.crew}`), 404);
    expectScimError(
      await directory.patch(`/Groups/${w.teams.labelers}`, [{ op: 'add', path: 'members', value: [{ value: bea.id }] }]),
      400,
      'invalidValue',
    );
    const everyone = (await directory.get('/Users?count=200')).body.Resources.map((u: { id: string }) => u.id);
    expect(everyone).toContain(w.users.ann!.id);
    expect(everyone).not.toContain(bea.id);
    expect((await directory.get('/Groups')).body.Resources.map((g: { id: string }) => g.id)).toEqual([w.teams.labelers]);
    expect((await bea.get('/api/v1/me')).status).toBe(200);
  });

  it('answers every error in SCIM’s schema, and describes itself', async () => {
    const w = await world(server).org('acme').build();
    const { admin, id: orgId } = w.orgs.acme!;
    const { directory } = await connect(admin, orgId);
    const anonymous = new Directory(new Actor(server.app));
    const res = await anonymous.get('/Users');
    expectScimError(res, 401);
    expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
    expectScimError(await new Directory(new Actor(server.app, { bearer: await mintToken(server, admin) })).get('/Users'), 401);
    expectScimError(await new Directory(new Actor(server.app, { bearer: 'tss_forged' })).get('/Groups'), 401);
    expectScimError(await directory.get('/Nothing'), 404);
    expectScimError(await directory.get('/Users/usr_unknown'), 404);
    const posted = (payload: string) =>
      server.app.inject({
        method: 'POST',
        url: '/scim/v2/Users',
        headers: {
          authorization: directory.actor.auth.bearer ? `Bearer ${directory.actor.auth.bearer}` : '',
          'content-type': 'application/scim+json',
        },
        payload,
      });
    for (const payload of ['', '{"userName": ']) {
      const broken = await posted(payload);
      expect(broken.statusCode).toBe(400);
      expect(broken.json()).toMatchObject({ schemas: [SCIM_ERROR], status: '400', scimType: 'invalidSyntax' });
    }
    expectScimError(await directory.patch('/Users/usr_unknown', []), 400, 'invalidSyntax');
    expectScimError(await directory.post('/Users', { userName: uniqueEmail('nul'), displayName: 'Nul\u0000' }), 400, 'invalidValue');

    const config = await directory.get('/ServiceProviderConfig');
    expect(config.body).toMatchObject({ patch: { supported: true }, filter: { supported: true }, bulk: { supported: false } });
    expect((await directory.get('/ResourceTypes')).body.Resources.map((r: { id: string }) => r.id)).toEqual(['User', 'Group']);
    expect((await directory.get('/Schemas')).body.totalResults).toBe(2);
  });
});
