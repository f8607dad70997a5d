import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DatabaseBlobGuard, ProcessBlobGuard } from '../../src/content/blob-guard.js';
import { type BlobStore, FilesystemBlobStore } from '../../src/content/blobs.js';
import { openS3BlobStore } from '../../src/content/s3-blobs.js';
import type { Store } from '../../src/store/database.js';
import { openTestStore } from '../helpers/databases.js';
import { type S3Server, startS3 } from '../helpers/s3.js';

/** A store with a way to look at what it keeps, behind its back. */
interface Harness {
  store: BlobStore;
  /** Stored blobs (their names end in the SHA-256). */
  blobs(): Promise<string[]>;
  /** Whatever an upload under way keeps aside. */
  temporary(): Promise<string[]>;
  close(): Promise<void>;
}

const isBlob = (name: string) => /[0-9a-f]{64}$/.test(name);

let s3: S3Server;
beforeAll(async () => {
  s3 = await startS3();
});
afterAll(async () => {
  await s3.stop();
});

const HARNESSES: Record<string, () => Promise<Harness>> = {
  async filesystem() {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-blobs-'));
    const list = (dir: string) => (fs.existsSync(dir) ? (fs.readdirSync(dir, { recursive: true }) as string[]) : []);
    return {
      store: new FilesystemBlobStore(root),
      blobs: async () => list(root).filter((f) => !f.startsWith('tmp') && isBlob(f)),
      temporary: async () => list(path.join(root, 'tmp')),
      close: async () => fs.rmSync(root, { recursive: true, force: true }),
    };
  },
  async s3() {
    const prefix = `t${randomBytes(6).toString('hex')}`;
    const store = await openS3BlobStore(s3.config(prefix), new ProcessBlobGuard());
    return {
      store,
      blobs: async () => (await s3.keys(prefix)).filter((k) => !k.startsWith(`${prefix}/tmp/`) && isBlob(k)),
      temporary: async () => s3.keys(`${prefix}/tmp`),
      close: async () => store.close(),
    };
  },
};

/** The blob store alone, no database: content addressing, holds, and removal that never races a new upload. */
describe.each(Object.keys(HARNESSES))('the %s blob store', (kind) => {
  let h: Harness;
  let store: BlobStore;
  beforeEach(async () => {
    h = await HARNESSES[kind]!();
    store = h.store;
  });
  afterEach(async () => {
    await h.close();
  });

  const put = (text: string) => store.put(Readable.from([Buffer.from(text)]), 1024);
  const read = async (sha256: string, range?: { start: number; end: number }) => {
    const chunks: Buffer[] = [];
    for await (const chunk of await store.open(sha256, range)) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString();
  };

  it('stores identical bytes once and leaves no temporary file', async () => {
    const a = await put('same bytes');
    const b = await put('same bytes');
    expect(b.sha256).toBe(a.sha256);
    expect(a.sha256).toBe(createHash('sha256').update('same bytes').digest('hex'));
    expect(await h.blobs()).toHaveLength(1);
    expect(await h.temporary()).toEqual([]);
    expect(await read(a.sha256)).toBe('same bytes');
  });

  it('reads an inclusive range of the bytes', async () => {
    const { sha256 } = await put('0123456789');
    expect(await read(sha256, { start: 2, end: 5 })).toBe('2345');
    expect(await read(sha256, { start: 9, end: 9 })).toBe('9');
  });

  it('stores an empty file', async () => {
    const empty = await put('');
    expect(empty.size).toBe(0);
    expect(await read(empty.sha256)).toBe('');
  });

  it('answers not found for a blob that is not there', async () => {
    await expect(store.open('0'.repeat(64))).rejects.toMatchObject({ code: 'not_found' });
    expect(await store.hold('0'.repeat(64))).toBe(false);
  });

  it('never removes a held blob, and removes an unused one once every hold is released', async () => {
    const { sha256 } = await put('held');
    await put('held');
    const unused = async () => false;
    await store.removeUnlessUsed(sha256, unused);
    await store.release(sha256);
    await store.removeUnlessUsed(sha256, unused);
    expect(await h.blobs()).toHaveLength(1);
    await store.release(sha256);
    await store.removeUnlessUsed(sha256, async () => true);
    expect(await h.blobs()).toHaveLength(1);
    await store.removeUnlessUsed(sha256, unused);
    expect(await h.blobs()).toEqual([]);
    expect(await store.hold(sha256)).toBe(false);
  });

  it('lets a removal that has decided finish before an upload of the same bytes lands', async () => {
    const { sha256 } = await put('contested');
    await store.release(sha256);
    let upload: Promise<unknown> | undefined;
    await store.removeUnlessUsed(sha256, async () => {
      // While the removal decides, the same bytes arrive again; they must survive it.
      upload = put('contested');
      await new Promise((resolve) => setTimeout(resolve, 50));
      return false;
    });
    await upload;
    expect(await h.blobs()).toHaveLength(1);
    expect(await read(sha256)).toBe('contested');
  });

  it('gives back the failure of a source that breaks off after several megabytes, and keeps nothing of it', async () => {
    const gone = Object.assign(new Error('the client went away'), { code: 'ECONNRESET' });
    const source = new Readable({ read() {} });
    source.push(randomBytes(9 * 1024 * 1024));
    setTimeout(() => source.destroy(gone), 100);
    await expect(store.put(source, 20 * 1024 * 1024)).rejects.toBe(gone);
    expect(await h.blobs()).toEqual([]);
    expect(await h.temporary()).toEqual([]);
  });

  it('refuses more than the limit and keeps nothing of it', async () => {
    await expect(store.put(Readable.from([Buffer.alloc(2048)]), 1024)).rejects.toMatchObject({ code: 'payload_too_large' });
    expect(await h.blobs()).toEqual([]);
    expect(await h.temporary()).toEqual([]);
  });
});

describe('the S3 blob store, beyond what both stores share', () => {
  it('streams a file of several parts, keeps it under the prefix, and reads any range of it', async () => {
    const store = await openS3BlobStore(s3.config('big/files'), new ProcessBlobGuard());
    const bytes = randomBytes(19 * 1024 * 1024);
    // Small chunks, as a multipart request arrives: the store never needs the file whole.
    const chunks = (function* () {
      for (let at = 0; at < bytes.length; at += 64 * 1024) yield bytes.subarray(at, at + 64 * 1024);
    })();
    const stored = await store.put(Readable.from(chunks), 20 * 1024 * 1024);
    expect(stored).toMatchObject({ size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') });
    const { sha256 } = stored;
    expect(await s3.keys('big/files')).toEqual([`big/files/${sha256.slice(0, 2)}/${sha256.slice(2, 4)}/${sha256}`]);

    const back: Buffer[] = [];
    for await (const chunk of await store.open(sha256, { start: 9 * 1024 * 1024 - 3, end: 9 * 1024 * 1024 + 2 }))
      back.push(chunk as Buffer);
    expect(Buffer.concat(back).equals(bytes.subarray(9 * 1024 * 1024 - 3, 9 * 1024 * 1024 + 3))).toBe(true);
    store.close();
  });

  it('refuses a file over the limit after several parts went up, and keeps none of them', async () => {
    const store = await openS3BlobStore(s3.config('over'), new ProcessBlobGuard());
    const tooBig = Readable.from(
      (function* () {
        for (let i = 0; i < 20; i += 1) yield randomBytes(1024 * 1024);
      })(),
    );
    await expect(store.put(tooBig, 18 * 1024 * 1024)).rejects.toMatchObject({ code: 'payload_too_large' });
    expect(await s3.keys('over')).toEqual([]);
    store.close();
  });

  it('does not start on a bucket that does not exist, saying which variable is wrong', async () => {
    await expect(openS3BlobStore({ ...s3.config(), bucket: 'no-such-bucket' }, new ProcessBlobGuard())).rejects.toThrow(
      /BLOB_URL.*no-such-bucket.*does not exist/,
    );
  });

  it('answers "unavailable" when the store stops answering, naming neither host nor bucket', async () => {
    const other = await startS3();
    const store = await openS3BlobStore(other.config(), new ProcessBlobGuard());
    const { sha256 } = await store.put(Readable.from([Buffer.from('there')]), 1024);
    await store.release(sha256);
    await other.stop();
    for (const attempt of [
      () => store.open(sha256),
      () => store.hold(sha256),
      () => store.put(Readable.from([Buffer.from('more')]), 1024),
      () => store.removeUnlessUsed(sha256, async () => false),
    ]) {
      const error = await (attempt() as Promise<unknown>).then(
        () => null,
        (e: unknown) => e as Error & { code?: string },
      );
      expect(error?.code).toBe('unavailable');
      expect(error?.message).not.toMatch(/127\.0\.0\.1|tessera-test|:\d{2,5}/);
    }
    store.close();
  });
});

/** Two instances (two stores, each with its own process state) on one bucket and one PostgreSQL database. */
describe('holds shared through PostgreSQL by instances on one bucket', () => {
  let store: Store;
  let close: () => Promise<void>;
  beforeAll(async () => {
    ({ store, close } = await openTestStore('postgres'));
  });
  afterAll(() => close());

  const instances = async (prefix: string) => {
    const open = () => openS3BlobStore(s3.config(prefix), new DatabaseBlobGuard(store.db, () => Date.now()));
    return [await open(), await open()] as const;
  };
  const put = (on: BlobStore, text: string) => on.put(Readable.from([Buffer.from(text)]), 1024);
  const unused = async () => false;

  it('never removes on one instance a blob the other holds', async () => {
    const [a, b] = await instances('shared-held');
    const { sha256 } = await put(b, 'held on b');
    await a.removeUnlessUsed(sha256, unused);
    expect(await s3.blobs('shared-held')).toEqual([sha256]);
    await b.release(sha256);
    await a.removeUnlessUsed(sha256, unused);
    expect(await s3.blobs('shared-held')).toEqual([]);
    a.close();
    b.close();
  });

  it('lets a removal that has decided on one instance finish before an upload of the same bytes lands on the other', async () => {
    const [a, b] = await instances('shared-contested');
    const { sha256 } = await put(a, 'contested');
    await a.release(sha256);
    let upload: Promise<unknown> | undefined;
    await a.removeUnlessUsed(sha256, async () => {
      upload = put(b, 'contested');
      await new Promise((resolve) => setTimeout(resolve, 50));
      return false;
    });
    await upload;
    expect(await s3.blobs('shared-contested')).toEqual([sha256]);
    expect(await b.hold(sha256)).toBe(true);
    a.close();
    b.close();
  });
});
