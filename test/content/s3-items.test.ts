import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { expectError } from '../api/errors.js';
import type { Actor } from '../helpers/client.js';
import { DATABASES } from '../helpers/databases.js';
import { type S3Server, startS3 } from '../helpers/s3.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { blobFiles, upload } from '../helpers/upload.js';
import { world } from '../helpers/world.js';

const LIMIT = 9 * 1024 * 1024;
const sha = (bytes: Buffer | string) => createHash('sha256').update(bytes).digest('hex');

let s3: S3Server;
beforeAll(async () => {
  s3 = await startS3();
});
afterAll(async () => {
  await s3.stop();
});

function content(server: TestServer, actor: Actor, itemId: string, range?: string) {
  return server.app.inject({
    method: 'GET',
    url: `/api/v1/items/${itemId}/content`,
    headers: { cookie: `tessera_session=${actor.auth.cookie}`, ...(range ? { range } : {}) },
  });
}

describe.each(DATABASES)('item files in an S3 bucket (%s)', (db) => {
  const prefix = `items-${db}`;
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ db, maxUploadBytes: LIMIT, blobs: loadConfig(s3.env(prefix)).blobs });
  });
  afterAll(async () => {
    await server.close();
  });

  it('stores identical bytes once, serves them whole and in ranges, and removes them with the last item that uses them', async () => {
    const w = await world(server).org('acme').member('reader').dataset('one').dataset('two').grant('one', 'reader', 'read').build();
    const admin = w.orgs.acme!.admin;
    const notes = Buffer.from('0123456789 field notes');
    const scan = randomBytes(LIMIT);
    const first = await upload(admin, w.datasets.one!, [
      { name: 'notes.txt', content: notes },
      { name: 'copy.txt', content: notes },
      { name: 'scan.raw', content: scan },
    ]);
    expect(first.status).toBe(201);
    const [notesItem, copyItem, scanItem] = first.body.items;
    expect(copyItem.sha256).toBe(notesItem.sha256);
    expect(scanItem).toMatchObject({ size: LIMIT, sha256: sha(scan) });
    expect((await upload(admin, w.datasets.two!, [{ name: 'again.txt', content: notes }])).status).toBe(201);
    expect((await s3.blobs(prefix)).sort()).toEqual([sha(notes), sha(scan)].sort());
    expect(blobFiles(server)).toEqual([]);

    const reader = w.users.reader!;
    const whole = await content(server, reader, scanItem.id);
    expect(whole.statusCode).toBe(200);
    expect(whole.headers['content-length']).toBe(String(LIMIT));
    expect(whole.rawPayload.equals(scan)).toBe(true);
    const part = await content(server, reader, notesItem.id, 'bytes=2-5');
    expect(part.statusCode).toBe(206);
    expect(part.headers['content-range']).toBe('bytes 2-5/22');
    expect(part.body).toBe('2345');
    const tail = await content(server, reader, notesItem.id, 'bytes=-5');
    expect([tail.statusCode, tail.body]).toEqual([206, 'notes']);
    const middle = await content(server, reader, scanItem.id, 'bytes=8388600-8388700');
    expect(middle.statusCode).toBe(206);
    expect(middle.rawPayload.equals(scan.subarray(8388600, 8388701))).toBe(true);
    const beyond = await content(server, reader, notesItem.id, 'bytes=50-60');
    expect(beyond.statusCode).toBe(416);
    expect(beyond.headers['content-range']).toBe('bytes */22');

    expect((await admin.delete(`/api/v1/datasets/${w.datasets.one}`)).status).toBe(204);
    expect(await s3.blobs(prefix)).toEqual([sha(notes)]);
    expect((await admin.delete(`/api/v1/datasets/${w.datasets.two}`)).status).toBe(204);
    expect(await s3.blobs(prefix)).toEqual([]);
  });

  it('refuses a file over the limit after parts of it went up, keeping nothing in the bucket', async () => {
    const w = await world(server).org('acme').dataset('scans').build();
    const before = await s3.keys(prefix);
    const over = await upload(w.orgs.acme!.admin, w.datasets.scans!, [{ name: 'over.raw', content: randomBytes(LIMIT + 1) }]);
    expectError({ status: over.status, body: over.body, headers: {} }, 413, 'payload_too_large');
    expect(await s3.keys(prefix)).toEqual(before);
  });

  it('answers 404 for an item whose object is gone from the bucket', async () => {
    const w = await world(server).org('acme').dataset('cams').build();
    const admin = w.orgs.acme!.admin;
    const [item] = (await upload(admin, w.datasets.cams!, [{ name: 'lost.txt', content: Buffer.from(`lost ${db}`) }])).body.items;
    await s3.remove(`${prefix}/${item.sha256.slice(0, 2)}/${item.sha256.slice(2, 4)}/${item.sha256}`);
    const res = await content(server, admin, item.id);
    expectError({ status: res.statusCode, body: res.json(), headers: res.headers }, 404, 'not_found');
  });
});

describe('a bucket that stops answering', () => {
  it('is 503 "unavailable" for downloads and uploads, naming neither host nor bucket', async () => {
    const own = await startS3();
    const server = await startTestServer({ db: 'sqlite', blobs: loadConfig(own.env()).blobs });
    try {
      const w = await world(server).org('acme').dataset('cams').build();
      const admin = w.orgs.acme!.admin;
      const [item] = (await upload(admin, w.datasets.cams!, [{ name: 'a.txt', content: Buffer.from('there') }])).body.items;
      await own.stop();

      const down = await content(server, admin, item.id);
      expectError({ status: down.statusCode, body: down.json(), headers: down.headers }, 503, 'unavailable');
      expect(down.headers['retry-after']).toBe('2');
      const refused = await upload(admin, w.datasets.cams!, [{ name: 'b.txt', content: Buffer.from('more') }]);
      expectError({ status: refused.status, body: refused.body, headers: {} }, 503, 'unavailable');
      for (const text of [down.body, JSON.stringify(refused.body)]) {
        expect(text).not.toMatch(/127\.0\.0\.1|tessera-test|s3rver|ECONNREFUSED/);
      }
      expect((await admin.get(`/api/v1/datasets/${w.datasets.cams}`)).body.itemCount).toBe(1);
      expect(server.logLines.join('')).toContain('blob store unavailable');
    } finally {
      await server.close();
    }
  });
});
