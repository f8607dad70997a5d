import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Actor } from '../helpers/client.js';
import { DATABASES } from '../helpers/databases.js';
import { PUBLIC_URL, startTestServer, type TestServer } from '../helpers/server.js';
import { blobFiles, multipart, upload } from '../helpers/upload.js';
import { world } from '../helpers/world.js';

const LIMIT = 3 * 1024 * 1024;

/** What each kind of file starts with; the type the client claims is always a lie. */
const SAMPLES: { name: string; content: Buffer; claimed: string; sniffed: string }[] = [
  { name: 'photo.txt', content: Buffer.from('ffd8ffe000104a46494600010100', 'hex'), claimed: 'text/plain', sniffed: 'image/jpeg' },
  { name: 'anim.png', content: Buffer.from('GIF89a\x01\x00\x01\x00\x80\x00\x00', 'latin1'), claimed: 'image/png', sniffed: 'image/gif' },
  {
    name: 'still.bin',
    content: Buffer.concat([Buffer.from('RIFF'), Buffer.from([0x24, 0, 0, 0]), Buffer.from('WEBPVP8 ')]),
    claimed: 'application/octet-stream',
    sniffed: 'image/webp',
  },
  { name: 'paper.html', content: Buffer.from('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n', 'latin1'), claimed: 'text/html', sniffed: 'application/pdf' },
  { name: 'archive.json', content: Buffer.from('504b0304140000000800', 'hex'), claimed: 'application/json', sniffed: 'application/zip' },
  { name: 'labels.bin', content: Buffer.from('\n  [{"label": "car"}]\n'), claimed: 'image/png', sniffed: 'application/json' },
  { name: 'notes.exe', content: Buffer.from('plain words, ünïcode too\n'), claimed: 'application/x-msdownload', sniffed: 'text/plain' },
  { name: 'table.csv', content: Buffer.from('a,b\n1,2\n'), claimed: 'image/gif', sniffed: 'text/csv' },
  { name: 'page.txt', content: Buffer.from('<html><script>alert(1)</script></html>'), claimed: 'text/html', sniffed: 'text/plain' },
  { name: 'blob.txt', content: Buffer.from([0x00, 0x01, 0x02, 0xfe, 0xff]), claimed: 'text/plain', sniffed: 'application/octet-stream' },
  { name: 'latin1.txt', content: Buffer.from('caf\xe9 cr\xe8me', 'latin1'), claimed: 'text/plain', sniffed: 'application/octet-stream' },
];

describe.each(DATABASES)('uploads: streaming, limits, types and the CSRF rule (%s)', (db) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ db, maxUploadBytes: LIMIT });
  });
  afterAll(async () => {
    await server.close();
  });

  const download = (actor: Actor, itemId: string) =>
    server.app.inject({
      method: 'GET',
      url: `/api/v1/items/${itemId}/content`,
      headers: { cookie: `tessera_session=${actor.auth.cookie}` },
    });

  it('streams a file far larger than a JSON body, and one of exactly the limit; one byte more is refused', async () => {
    const w = await world(server).org('acme').dataset('scans').build();
    const admin = w.orgs.acme!.admin;
    const big = randomBytes(LIMIT);
    const res = await upload(admin, w.datasets.scans!, [{ name: 'scan.raw', content: big }]);
    expect(res.status).toBe(201);
    expect(res.body.items[0]).toMatchObject({ size: LIMIT, sha256: createHash('sha256').update(big).digest('hex') });
    const back = await download(admin, res.body.items[0].id);
    expect(back.rawPayload.equals(big)).toBe(true);

    const before = blobFiles(server).length;
    const over = await upload(admin, w.datasets.scans!, [{ name: 'over.raw', content: randomBytes(LIMIT + 1) }]);
    expect(over.status).toBe(413);
    expect(over.body.error.code).toBe('payload_too_large');
    expect(blobFiles(server).length).toBe(before);
    expect((await admin.get(`/api/v1/datasets/${w.datasets.scans}`)).body.itemCount).toBe(1);
  });

  it('writes a file while its bytes are still arriving, and commits nothing if access ends before the last byte', async () => {
    const w = await world(server).org('acme').member('writer').dataset('live').grant('live', 'writer', 'write').build();
    const writer = w.users.writer!;
    const id = w.datasets.live!;
    const body = multipart([{ name: 'slow.raw', content: randomBytes(256 * 1024) }]);
    const half = body.payload.length / 2;
    let open!: () => void;
    const gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    const payload = Readable.from(
      (async function* () {
        yield body.payload.subarray(0, half);
        await gate;
        yield body.payload.subarray(half);
      })(),
    );
    const before = blobFiles(server).length;
    const response = server.app.inject({
      method: 'POST',
      url: `/api/v1/datasets/${id}/items`,
      headers: { 'content-type': body.contentType, cookie: `tessera_session=${writer.auth.cookie}`, origin: PUBLIC_URL },
      payload,
    });
    const tmp = path.join(server.dataDir, 'blobs', 'tmp');
    try {
      // Half the body has arrived and is already on disk: the upload is streamed, not buffered.
      for (let i = 0; i < 2_000 && !(fs.existsSync(tmp) && fs.readdirSync(tmp).length > 0); i += 1) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      expect(fs.readdirSync(tmp)).toHaveLength(1);
      expect((await w.orgs.acme!.admin.delete(`/api/v1/datasets/${id}/sharing/users/${writer.id}`)).status).toBe(204);
    } finally {
      open();
    }
    expect((await response).statusCode).toBe(404);
    expect(blobFiles(server).length).toBe(before);
    // The refused request's bytes are removed; the multipart stream may finish its last write a moment later.
    await expect.poll(() => fs.readdirSync(tmp), { timeout: 5_000 }).toEqual([]);
    expect((await w.orgs.acme!.admin.get(`/api/v1/datasets/${id}`)).body.itemCount).toBe(0);
  });

  it('refuses more files than one upload may carry, keeping none of them', async () => {
    const w = await world(server).org('acme').dataset('many').build();
    const admin = w.orgs.acme!.admin;
    const before = blobFiles(server).length;
    const files = Array.from({ length: 101 }, (_, i) => ({ name: `f${i}.txt`, content: Buffer.from(`file number ${i}`) }));
    const res = await upload(admin, w.datasets.many!, files);
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe('payload_too_large');
    expect(blobFiles(server).length).toBe(before);
    expect((await admin.get(`/api/v1/datasets/${w.datasets.many}/items`)).body.items).toEqual([]);
  });

  it('takes the content type from the bytes, never from the client', async () => {
    const w = await world(server).org('acme').dataset('mixed').build();
    const admin = w.orgs.acme!.admin;
    const res = await upload(
      admin,
      w.datasets.mixed!,
      SAMPLES.map((s) => ({ name: s.name, content: s.content, type: s.claimed })),
    );
    expect(res.status).toBe(201);
    expect(res.body.items.map((i: { contentType: string }) => i.contentType)).toEqual(SAMPLES.map((s) => s.sniffed));
    const page = res.body.items[SAMPLES.findIndex((s) => s.name === 'page.txt')];
    const served = await download(admin, page.id);
    expect(served.headers['content-type']).toBe('text/plain');
    expect(served.headers['content-disposition']).toMatch(/^attachment;/);
    expect(served.headers['x-content-type-options']).toBe('nosniff');
  });

  it('serves any file name safely in Content-Disposition', async () => {
    const w = await world(server).org('acme').dataset('names').build();
    const admin = w.orgs.acme!.admin;
    const res = await upload(admin, w.datasets.names!, [{ name: 'ñandú 日本 (1).txt', content: Buffer.from('named') }]);
    expect(res.status).toBe(201);
    expect(res.body.items[0].name).toBe('ñandú 日本 (1).txt');
    const served = await download(admin, res.body.items[0].id);
    expect(served.statusCode).toBe(200);
    expect(served.headers['content-disposition']).toBe(
      `attachment; filename="_and_ __ (1).txt"; filename*=UTF-8''%C3%B1and%C3%BA%20%E6%97%A5%E6%9C%AC%20%281%29.txt`,
    );
  });

  it('takes a cookie upload only from the app’s origin, a token upload without one, and multipart nowhere else', async () => {
    const w = await world(server).org('acme').dataset('csrf').build();
    const admin = w.orgs.acme!.admin;
    const id = w.datasets.csrf!;
    const file = [{ name: 'a.txt', content: Buffer.from('csrf') }];
    const foreign = await upload(admin, id, file, 'https://evil.example');
    expect(foreign).toMatchObject({ status: 403, body: { error: { code: 'csrf_rejected' } } });
    expect((await upload(admin, id, file, '')).body.error.code).toBe('csrf_rejected');
    expect((await upload(admin, id, file, PUBLIC_URL)).status).toBe(201);

    const token = (await admin.post('/api/v1/me/tokens', { name: 'script' })).body.token as string;
    expect((await upload(new Actor(server.app, { bearer: token }), id, file, '')).status).toBe(201);

    const body = multipart([{ name: 'name', content: Buffer.from('boxes') }]);
    const layer = await server.app.inject({
      method: 'POST',
      url: `/api/v1/datasets/${id}/layers`,
      headers: { 'content-type': body.contentType, cookie: `tessera_session=${admin.auth.cookie}`, origin: PUBLIC_URL },
      payload: body.payload,
    });
    expect(layer.statusCode).toBe(403);
    expect(layer.json().error.code).toBe('csrf_rejected');
    expect((await admin.get(`/api/v1/datasets/${id}/items`)).body.items).toHaveLength(2);
  });
});
