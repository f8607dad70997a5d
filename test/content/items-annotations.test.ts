import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Actor } from '../helpers/client.js';
import { DATABASES } from '../helpers/databases.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { blobFiles, upload } from '../helpers/upload.js';
import { world } from '../helpers/world.js';

const PNG = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000', 'hex');

describe.each(DATABASES)('items, layers and annotations (%s)', (db) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ db, maxUploadBytes: 64 * 1024 });
  });
  afterAll(async () => {
    await server.close();
  });

  const levels = () =>
    world(server)
      .org('acme')
      .member('reader')
      .member('annotator')
      .member('writer')
      .outsider('eve')
      .dataset('cams')
      .grant('cams', 'reader', 'read')
      .grant('cams', 'annotator', 'annotate')
      .grant('cams', 'writer', 'write')
      .build();

  it('uploads by write, sniffs types, stores identical bytes once, and serves ranges to readers', async () => {
    const w = await levels();
    const id = w.datasets.cams!;
    const before = blobFiles(server).length;
    expect((await upload(w.users.annotator!, id, [{ name: 'a.txt', content: Buffer.from('hello') }])).status).toBe(403);
    expect((await upload(w.users.eve!, id, [{ name: 'a.txt', content: Buffer.from('hello') }])).status).toBe(404);
    expect((await upload(w.users.writer!, id, [{ name: 'a.txt', content: Buffer.from('hello') }], '')).status).toBe(403);

    const res = await upload(w.users.writer!, id, [
      { name: 'pixel.txt', content: PNG, type: 'text/plain' },
      { name: '../../etc/notes.txt', content: Buffer.from('0123456789 field notes') },
      { name: 'copy.txt', content: Buffer.from('0123456789 field notes') },
    ]);
    expect(res.status).toBe(201);
    const [pixel, notes, copy] = res.body.items;
    expect(pixel).toMatchObject({ name: 'pixel.txt', contentType: 'image/png', size: PNG.length });
    expect(notes).toMatchObject({ name: 'notes.txt', contentType: 'text/plain', size: 22 });
    expect(copy.sha256).toBe(notes.sha256);
    expect(blobFiles(server).length - before).toBe(2);
    expect((await w.users.reader!.get(`/api/v1/datasets/${id}`)).body.itemCount).toBe(3);

    const listed = await w.users.reader!.get(`/api/v1/datasets/${id}/items?limit=2`);
    expect(listed.body.items.map((i: { id: string }) => i.id)).toEqual([pixel.id, notes.id]);
    const rest = await w.users.reader!.get(`/api/v1/datasets/${id}/items?limit=2&cursor=${listed.body.nextCursor}`);
    expect(rest.body).toEqual({ items: [copy], nextCursor: null });

    const cookie = { cookie: `tessera_session=${w.users.reader!.auth.cookie}` };
    const whole = await server.app.inject({ method: 'GET', url: `/api/v1/items/${notes.id}/content`, headers: cookie });
    expect(whole.statusCode).toBe(200);
    expect(whole.body).toBe('0123456789 field notes');
    expect(whole.headers['content-type']).toBe('text/plain');
    expect(whole.headers['content-disposition']).toContain('attachment; filename="notes.txt"');
    const image = await server.app.inject({ method: 'GET', url: `/api/v1/items/${pixel.id}/content`, headers: cookie });
    expect(image.headers['content-disposition']).toContain('inline');
    const part = await server.app.inject({
      method: 'GET',
      url: `/api/v1/items/${notes.id}/content`,
      headers: { ...cookie, range: 'bytes=2-5' },
    });
    expect(part.statusCode).toBe(206);
    expect(part.body).toBe('2345');
    expect(part.headers['content-range']).toBe('bytes 2-5/22');
    const tail = await server.app.inject({
      method: 'GET',
      url: `/api/v1/items/${notes.id}/content`,
      headers: { ...cookie, range: 'bytes=-5' },
    });
    expect(tail.body).toBe('notes');
    const beyond = await server.app.inject({
      method: 'GET',
      url: `/api/v1/items/${notes.id}/content`,
      headers: { ...cookie, range: 'bytes=50-60' },
    });
    expect(beyond.statusCode).toBe(416);
    const stranger = await server.app.inject({
      method: 'GET',
      url: `/api/v1/items/${notes.id}/content`,
      headers: { cookie: `tessera_session=${w.users.eve!.auth.cookie}` },
    });
    expect(stranger.statusCode).toBe(404);
  });

  it('refuses a file over the limit with 413 and stores nothing of the request', async () => {
    const w = await levels();
    const id = w.datasets.cams!;
    const before = blobFiles(server).length;
    const res = await upload(w.users.writer!, id, [
      { name: 'small.txt', content: Buffer.from('a small file that fits') },
      { name: 'big.bin', content: Buffer.alloc(65 * 1024, 7) },
    ]);
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe('payload_too_large');
    expect((await w.users.writer!.get(`/api/v1/datasets/${id}/items`)).body.items).toEqual([]);
    expect(blobFiles(server).length).toBe(before);
    expect(fs.readdirSync(path.join(server.dataDir, 'blobs', 'tmp'))).toEqual([]);
  });

  it('leaves no item and no orphan file when the database fails after the file is written', async () => {
    const w = await levels();
    const id = w.datasets.cams!;
    const kept = await upload(w.users.writer!, id, [{ name: 'kept.txt', content: Buffer.from('kept bytes') }]);
    const before = blobFiles(server).length;
    const transaction = server.ctx.db.transaction.bind(server.ctx.db);
    server.ctx.db.transaction = () => {
      throw new Error('the database went away');
    };
    try {
      const failed = await upload(w.users.writer!, id, [{ name: 'lost.txt', content: Buffer.from('bytes written, row never committed') }]);
      expect(failed.status).toBe(500);
      expect(JSON.stringify(failed.body)).not.toContain('went away');
    } finally {
      server.ctx.db.transaction = transaction;
    }
    expect(blobFiles(server).length).toBe(before);
    const items = (await w.users.writer!.get(`/api/v1/datasets/${id}/items`)).body.items;
    expect(items.map((i: { name: string }) => i.name)).toEqual(['kept.txt']);
    const download = await server.app.inject({
      method: 'GET',
      url: `/api/v1/items/${kept.body.items[0].id}/content`,
      headers: { cookie: `tessera_session=${w.users.writer!.auth.cookie}` },
    });
    expect(download.body).toBe('kept bytes');
  });

  it('gates layers by write and annotations by annotate, recording who did what', async () => {
    const w = await levels();
    const id = w.datasets.cams!;
    const u = w.users as Record<string, Actor>;
    const [item] = (await upload(u.writer!, id, [{ name: 'frame.png', content: PNG }])).body.items;

    expect((await u.annotator!.post(`/api/v1/datasets/${id}/layers`, { name: 'boxes' })).status).toBe(403);
    expect((await u.eve!.post(`/api/v1/datasets/${id}/layers`, { name: 'boxes' })).status).toBe(404);
    const layer = await u.writer!.post(`/api/v1/datasets/${id}/layers`, { name: 'boxes' });
    expect(layer.status).toBe(201);
    expect((await u.writer!.post(`/api/v1/datasets/${id}/layers`, { name: 'boxes' })).status).toBe(409);

    const url = `/api/v1/layers/${layer.body.id}/annotations`;
    expect((await u.reader!.post(url, { itemId: item.id, label: 'car' })).status).toBe(403);
    expect((await u.eve!.post(url, { itemId: item.id, label: 'car' })).status).toBe(404);
    expect((await u.annotator!.post(url, { itemId: item.id, label: 'car', bbox: [1, 2, -3, 4] })).status).toBe(400);
    expect((await u.annotator!.post(url, { itemId: item.id, label: 'car', bbox: [1, 2, 3] })).status).toBe(400);
    const other = await world(server).org('other').dataset('elsewhere').build();
    const [foreign] = (await upload(other.orgs.other!.admin, other.datasets.elsewhere!, [{ name: 'x.txt', content: Buffer.from('x') }]))
      .body.items;
    expect((await u.annotator!.post(url, { itemId: foreign.id, label: 'car' })).status).toBe(400);

    const created = await u.annotator!.post(url, { itemId: item.id, label: 'car', bbox: [10, 20, 30, 40] });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ itemId: item.id, label: 'car', bbox: [10, 20, 30, 40], createdBy: u.annotator!.id });
    const annotation = `/api/v1/annotations/${created.body.id}`;
    expect((await u.reader!.patch(annotation, { label: 'truck' })).status).toBe(403);
    const edited = await u.writer!.patch(annotation, { label: 'truck', bbox: null });
    expect(edited.body).toMatchObject({ label: 'truck', bbox: null, updatedBy: u.writer!.id, createdBy: u.annotator!.id });
    expect((await u.reader!.get(url)).body.items).toEqual([edited.body]);
    expect((await u.reader!.get(`/api/v1/datasets/${id}/layers`)).body.items).toEqual([
      expect.objectContaining({ name: 'boxes', annotationCount: 1 }),
    ]);
    expect((await u.eve!.get(url)).status).toBe(404);
    expect((await u.reader!.delete(annotation)).status).toBe(403);
    expect((await u.annotator!.delete(annotation)).status).toBe(204);
    expect((await u.reader!.get(url)).body.items).toEqual([]);
  });

  it('deleting a dataset removes its content, and only the files no other item uses', async () => {
    const w = await world(server).org('acme').dataset('one').dataset('two').build();
    const admin = w.orgs.acme!.admin;
    await upload(admin, w.datasets.one!, [
      { name: 'shared.txt', content: Buffer.from('shared bytes') },
      { name: 'own.txt', content: Buffer.from('only in one') },
    ]);
    const [shared] = (await upload(admin, w.datasets.two!, [{ name: 'shared.txt', content: Buffer.from('shared bytes') }])).body.items;
    const layer = await admin.post(`/api/v1/datasets/${w.datasets.one}/layers`, { name: 'labels' });
    const [item] = (await admin.get(`/api/v1/datasets/${w.datasets.one}/items`)).body.items;
    const annotation = await admin.post(`/api/v1/layers/${layer.body.id}/annotations`, { itemId: item.id, label: 'car' });
    const project = (await admin.post(`/api/v1/orgs/${w.orgs.acme!.id}/projects`, { name: 'both' })).body;
    for (const id of [w.datasets.one, w.datasets.two]) await admin.put(`/api/v1/projects/${project.id}/datasets/${id}`);
    const before = blobFiles(server).length;

    expect((await admin.delete(`/api/v1/datasets/${w.datasets.one}`)).status).toBe(204);
    expect(blobFiles(server).length).toBe(before - 1);
    expect((await admin.get(`/api/v1/layers/${layer.body.id}/annotations`)).status).toBe(404);
    expect((await admin.patch(`/api/v1/annotations/${annotation.body.id}`, { label: 'x' })).status).toBe(404);
    expect((await admin.get(`/api/v1/items/${item.id}/content`)).status).toBe(404);
    const db = server.ctx.db;
    expect(await db.selectFrom('items').select('id').where('dataset_id', '=', w.datasets.one!).execute()).toEqual([]);
    expect(await db.selectFrom('layers').select('id').where('dataset_id', '=', w.datasets.one!).execute()).toEqual([]);
    expect(await db.selectFrom('annotations').select('id').where('id', '=', annotation.body.id).execute()).toEqual([]);
    expect(await db.selectFrom('project_datasets').select('project_id').where('dataset_id', '=', w.datasets.one!).execute()).toEqual([]);
    expect((await admin.get(`/api/v1/projects/${project.id}`)).body.datasets.map((d: { id: string }) => d.id)).toEqual([w.datasets.two]);
    const kept = await server.app.inject({
      method: 'GET',
      url: `/api/v1/items/${shared.id}/content`,
      headers: { cookie: `tessera_session=${admin.auth.cookie}` },
    });
    expect(kept.body).toBe('shared bytes');
  });
});
