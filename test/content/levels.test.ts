import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Actor } from '../helpers/client.js';
import { DATABASES } from '../helpers/databases.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { upload } from '../helpers/upload.js';
import { type World, world } from '../helpers/world.js';

type Level = 'read' | 'annotate' | 'write';
const BELOW: Record<Level, Level | null> = { read: null, annotate: 'read', write: 'annotate' };

interface Fixture {
  w: World;
  datasetId: string;
  itemId: string;
  layerId: string;
  projectId: string;
  /** A fresh annotation, made by the dataset's admin, for a caller to edit or delete. */
  annotation(): Promise<string>;
}

/** Every dataset-content route, the lowest level that may call it, and what that level gets. */
const ROUTES: { route: string; min: Level; ok: number; call: (actor: Actor, f: Fixture) => Promise<{ status: number }> }[] = [
  { route: 'GET items', min: 'read', ok: 200, call: (a, f) => a.get(`/api/v1/datasets/${f.datasetId}/items`) },
  {
    route: 'POST items',
    min: 'write',
    ok: 201,
    call: (a, f) => upload(a, f.datasetId, [{ name: 'x.txt', content: Buffer.from(`by ${a.id}`) }]),
  },
  { route: 'GET item content', min: 'read', ok: 200, call: (a, f) => a.get(`/api/v1/items/${f.itemId}/content`) },
  { route: 'GET layers', min: 'read', ok: 200, call: (a, f) => a.get(`/api/v1/datasets/${f.datasetId}/layers`) },
  { route: 'POST layers', min: 'write', ok: 201, call: (a, f) => a.post(`/api/v1/datasets/${f.datasetId}/layers`, { name: `by ${a.id}` }) },
  { route: 'GET annotations', min: 'read', ok: 200, call: (a, f) => a.get(`/api/v1/layers/${f.layerId}/annotations`) },
  {
    route: 'POST annotations',
    min: 'annotate',
    ok: 201,
    call: (a, f) => a.post(`/api/v1/layers/${f.layerId}/annotations`, { itemId: f.itemId, label: 'car', bbox: [0, 0, 5, 5] }),
  },
  {
    route: 'PATCH annotation',
    min: 'annotate',
    ok: 200,
    call: async (a, f) => a.patch(`/api/v1/annotations/${await f.annotation()}`, { label: 'truck' }),
  },
  { route: 'DELETE annotation', min: 'annotate', ok: 204, call: async (a, f) => a.delete(`/api/v1/annotations/${await f.annotation()}`) },
  {
    route: 'POST process',
    min: 'write',
    ok: 201,
    call: (a, f) => a.post(`/api/v1/datasets/${f.datasetId}/process`, { pipeline: 'dedupe' }),
  },
  { route: 'GET lineage', min: 'read', ok: 200, call: (a, f) => a.get(`/api/v1/datasets/${f.datasetId}/lineage`) },
  { route: 'GET dataset projects', min: 'read', ok: 200, call: (a, f) => a.get(`/api/v1/datasets/${f.datasetId}/projects`) },
  { route: 'PUT project dataset', min: 'read', ok: 204, call: (a, f) => a.put(`/api/v1/projects/${f.projectId}/datasets/${f.datasetId}`) },
  {
    route: 'DELETE project dataset',
    min: 'read',
    ok: 204,
    call: (a, f) => a.delete(`/api/v1/projects/${f.projectId}/datasets/${f.datasetId}`),
  },
];

describe.each(DATABASES)('dataset content: the lowest level succeeds, the level below is forbidden, outsiders see nothing (%s)', (db) => {
  let server: TestServer;
  let f: Fixture;
  beforeAll(async () => {
    server = await startTestServer({ db });
    // Every member may process, so the dataset level alone decides.
    const w = await world(server)
      .org('acme')
      .member('nobody')
      .member('read')
      .member('annotate')
      .member('write')
      .outsider('eve')
      .dataset('cams')
      .grant('cams', 'read', 'read')
      .grant('cams', 'annotate', 'annotate')
      .grant('cams', 'write', 'write')
      .build();
    const admin = w.orgs.acme!.admin;
    for (const name of ['nobody', 'read', 'annotate', 'write']) {
      await admin.patch(`/api/v1/orgs/${w.orgs.acme!.id}/members/${w.users[name]!.id}`, { processDatasets: true });
    }
    const datasetId = w.datasets.cams!;
    const itemId = (await upload(admin, datasetId, [{ name: 'frame.txt', content: Buffer.from('frame') }])).body.items[0].id;
    const layerId = (await admin.post(`/api/v1/datasets/${datasetId}/layers`, { name: 'objects' })).body.id;
    const projectId = (await admin.post(`/api/v1/orgs/${w.orgs.acme!.id}/projects`, { name: 'survey' })).body.id;
    const annotation = async () => (await admin.post(`/api/v1/layers/${layerId}/annotations`, { itemId, label: 'car' })).body.id as string;
    f = { w, datasetId, itemId, layerId, projectId, annotation };
  });
  afterAll(async () => {
    await server.close();
  });

  it.each(ROUTES)('$route needs $min', async ({ min, ok, call }) => {
    const user = (name: string) => f.w.users[name]!;
    expect((await call(user(min), f)).status).toBe(ok);
    const below = BELOW[min];
    if (below) expect((await call(user(below), f)).status).toBe(403);
    expect((await call(user('nobody'), f)).status).toBe(404);
    expect((await call(user('eve'), f)).status).toBe(404);
  });
});
