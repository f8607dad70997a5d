import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Actor, type Response, signUp } from '../helpers/client.js';
import { DATABASES } from '../helpers/databases.js';
import { PUBLIC_URL, startTestServer, type TestServer } from '../helpers/server.js';
import { mintToken, type World, world } from '../helpers/world.js';
import { expectError } from './errors.js';

/**
 * API.md: without Origin, a cookie-carrying change passes only with a JSON body. A JSON content
 * type on no body at all, or on an empty one, is a bodyless change and is refused.
 */
describe.each(DATABASES)('CSRF: bodyless changes labelled JSON (%s)', (db) => {
  let server: TestServer;
  let w: World;
  let admin: Actor;
  beforeAll(async () => {
    server = await startTestServer({ db });
    w = await world(server).org('acme').member('ann').team('labelers').dataset('cams').build();
    admin = w.orgs.acme!.admin;
  });
  afterAll(async () => {
    await server.close();
  });

  const json = { 'content-type': 'application/json' };
  const cookieOf = (actor: Actor) => ({ cookie: `tessera_session=${actor.auth.cookie}` });

  async function raw(method: string, path: string, headers: Record<string, string>, payload?: string): Promise<Response> {
    const res = await server.app.inject({ method: method as 'GET', url: path, headers, ...(payload === undefined ? {} : { payload }) });
    const body = String(res.headers['content-type'] ?? '').includes('json') && res.body ? JSON.parse(res.body) : res.body;
    return { status: res.statusCode, body, headers: res.headers };
  }

  /** No body at all, an empty one (Content-Length: 0) and one of blanks only: none is a JSON body. */
  const NO_BODY = [undefined, '', '  \r\n'];

  it('refuses a bodyless DELETE of a dataset, and deletes it when a JSON body comes', async () => {
    const url = `/api/v1/datasets/${w.datasets.cams}`;
    for (const payload of NO_BODY) {
      expectError(await raw('DELETE', url, { ...cookieOf(admin), ...json }, payload), 403, 'csrf_rejected');
    }
    expect((await admin.get(url)).status).toBe(200);
    expect((await raw('DELETE', url, { ...cookieOf(admin), ...json }, '{}')).status).toBe(204);
    expectError(await admin.get(url), 404, 'not_found');
  });

  it('refuses a bodyless PUT of a team member, and adds them when a JSON body comes', async () => {
    const url = `/api/v1/teams/${w.teams.labelers}/members/${w.users.ann!.id}`;
    for (const payload of NO_BODY) {
      expectError(await raw('PUT', url, { ...cookieOf(admin), ...json }, payload), 403, 'csrf_rejected');
    }
    expect((await admin.get(`/api/v1/teams/${w.teams.labelers}`)).body.members).toEqual([]);
    expect((await raw('PUT', url, { ...cookieOf(admin), ...json }, '{}')).status).toBe(204);
    const members = (await admin.get(`/api/v1/teams/${w.teams.labelers}`)).body.members;
    expect(members.map((m: { id: string }) => m.id)).toEqual([w.users.ann!.id]);
  });

  it('refuses a bodyless POST to resend the verification mail, and sends it when a JSON body comes', async () => {
    const newcomer = await signUp(server.app, 'newcomer');
    const url = '/api/v1/auth/verify-email/resend';
    for (const payload of NO_BODY) {
      expectError(await raw('POST', url, { ...cookieOf(newcomer), ...json }, payload), 403, 'csrf_rejected');
    }
    expect((await raw('POST', url, { ...cookieOf(newcomer), ...json }, '{}')).status).toBe(202);
  });

  it('still takes bodyless changes from the app’s own Origin, and from bearer tokens', async () => {
    const scratch = (await admin.post(`/api/v1/orgs/${w.orgs.acme!.id}/datasets`, { name: 'scratch' })).body.id;
    const same = { ...cookieOf(admin), ...json, origin: PUBLIC_URL };
    expect((await raw('DELETE', `/api/v1/datasets/${scratch}`, same, '')).status).toBe(204);
    const other = (await admin.post(`/api/v1/orgs/${w.orgs.acme!.id}/datasets`, { name: 'other' })).body.id;
    const token = await mintToken(server, admin);
    expect((await raw('DELETE', `/api/v1/datasets/${other}`, { authorization: `Bearer ${token}`, ...json })).status).toBe(204);
  });
});
