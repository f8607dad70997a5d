import fc from 'fast-check';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Actor } from '../helpers/client.js';
import { DATABASES } from '../helpers/databases.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { upload } from '../helpers/upload.js';
import { world } from '../helpers/world.js';

const TABLES = [
  'users',
  'sessions',
  'access_tokens',
  'orgs',
  'org_members',
  'teams',
  'team_members',
  'datasets',
  'user_grants',
  'team_grants',
  'invitations',
  'password_resets',
  'audit_events',
  'items',
  'layers',
  'annotations',
  'projects',
  'project_datasets',
  'jobs',
];

/** Path segments and values people (and attackers) actually send. */
const nasty = fc.oneof(
  fc.constantFrom(
    '..',
    '../../etc/passwd',
    '%2e%2e%2f',
    'ds_',
    'null',
    'undefined',
    '0',
    '-1',
    "' or 1=1 --",
    '<script>',
    '💥',
    'ä'.repeat(70),
    'x'.repeat(300),
  ),
  fc.string({ maxLength: 80 }),
  fc.stringMatching(/^[A-Za-z0-9_-]{1,40}$/),
);
const value = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  nasty,
  fc.constant(null),
  fc.array(nasty, { maxLength: 60 }),
  fc.integer(),
  fc.double(),
);
const body = fc.oneof(
  fc.dictionary(
    fc.constantFrom(
      'name',
      'email',
      'emails',
      'level',
      'role',
      'visibility',
      'label',
      'bbox',
      'itemId',
      'token',
      'password',
      'expiresAt',
      'pipeline',
      'carrySharing',
      'description',
      'processDatasets',
      'removeTeamId',
      'removeUserId',
      '__proto__',
      'constructor',
    ),
    value,
  ),
  value,
);

describe.each(DATABASES)('input fuzzing over every route (%s)', (db) => {
  let server: TestServer;
  let admin: Actor;
  let routes: { method: string; path: string }[];
  const ids: Record<string, string> = {};
  // A token, not the session: a fuzzed logout must not end the run's credentials.
  let token: string;

  beforeAll(async () => {
    server = await startTestServer({ db });
    const w = await world(server).org('acme').member('ann').team('labelers', ['ann']).dataset('cams', { tier: 'external' }).build();
    admin = w.orgs.acme!.admin;
    token = (await admin.post('/api/v1/me/tokens', { name: 'fuzz' })).body.token;
    const item = (await upload(admin, w.datasets.cams!, [{ name: 'a.txt', content: Buffer.from('fuzz') }])).body.items[0];
    const layer = (await admin.post(`/api/v1/datasets/${w.datasets.cams}/layers`, { name: 'l' })).body;
    Object.assign(ids, {
      orgId: w.orgs.acme!.id,
      id: w.datasets.cams!,
      datasetId: w.datasets.cams!,
      teamId: w.teams.labelers!,
      userId: w.users.ann!.id,
      itemId: item.id,
      layerId: layer.id,
    });
    const doc = (await server.app.inject({ method: 'GET', url: '/api/v1/openapi.json' })).json();
    routes = Object.entries(doc.paths as Record<string, object>).flatMap(([path, ops]) =>
      Object.keys(ops).map((m) => ({ method: m.toUpperCase(), path })),
    );
  });
  afterAll(async () => {
    await server.close();
  });

  async function snapshot(): Promise<string> {
    const select = TABLES.map((t) => `(select count(*) from ${t})`).join(', ');
    const row = await sql.raw(`select ${select}`).execute(server.ctx.db);
    return JSON.stringify(row.rows[0]);
  }

  it('never answers 5xx, always in the error shape, and a refused request changes nothing', async () => {
    let tried = 0;
    await fc.assert(
      fc.asyncProperty(fc.nat(1000), fc.boolean(), nasty, body, fc.boolean(), async (pick, realIds, id, payload, rawText) => {
        const route = routes[pick % routes.length]!;
        const url = route.path.replace(/\{(\w+)\}/g, (_, key: string) => encodeURIComponent(realIds ? (ids[key] ?? id) : id));
        const before = await snapshot();
        const res = await server.app.inject({
          method: route.method as 'POST',
          url:
            route.method === 'GET'
              ? `${url}?limit=${encodeURIComponent(String(id))}&cursor=${encodeURIComponent(String(id))}&token=${encodeURIComponent(String(id))}`
              : url,
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
          ...(route.method === 'GET'
            ? {}
            : { payload: rawText ? `{"name": "a", "name": ${JSON.stringify(payload)}` : JSON.stringify(payload) }),
        });
        tried += 1;
        expect(res.statusCode, `${route.method} ${url}: ${res.body.slice(0, 200)}`).toBeLessThan(500);
        if (res.statusCode >= 400) {
          expect(res.json()).toMatchObject({ error: { code: expect.any(String), message: expect.any(String) } });
          expect(res.body).not.toMatch(/ at |SELECT|node_modules|\/work\//);
          expect(await snapshot(), `${route.method} ${url} was refused but changed data`).toBe(before);
        }
      }),
      { numRuns: 600 },
    );
    expect(tried).toBeGreaterThanOrEqual(600);
    expect((await new Actor(server.app).get('/healthz')).status).toBe(200);
  });
});
