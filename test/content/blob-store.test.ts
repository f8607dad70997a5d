import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FilesystemBlobStore } from '../../src/content/blobs.js';

/** The blob store alone, no database: content addressing, holds, and removal that never races a new upload. */
describe('the filesystem blob store', () => {
  let root: string;
  let store: FilesystemBlobStore;
  beforeEach(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-blobs-'));
    store = new FilesystemBlobStore(root);
  });
  afterEach(() => {
    fs.rmSync(root, { recursive: true, force: true });
  });

  const put = (text: string) => store.put(Readable.from([Buffer.from(text)]), 1024);
  const files = () => (fs.readdirSync(root, { recursive: true }) as string[]).filter((f) => /[0-9a-f]{64}$/.test(f));
  const read = async (sha256: string) => {
    const chunks: Buffer[] = [];
    for await (const chunk of store.open(sha256)) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString();
  };

  it('stores identical bytes once and leaves no temporary file', async () => {
    const a = await put('same bytes');
    const b = await put('same bytes');
    expect(b.sha256).toBe(a.sha256);
    expect(files()).toHaveLength(1);
    expect(fs.readdirSync(path.join(root, 'tmp'))).toEqual([]);
    expect(await read(a.sha256)).toBe('same bytes');
  });

  it('never removes a held blob, and removes an unused one once every hold is released', async () => {
    const { sha256 } = await put('held');
    await put('held');
    const unused = async () => false;
    await store.removeUnlessUsed(sha256, unused);
    store.release(sha256);
    await store.removeUnlessUsed(sha256, unused);
    expect(files()).toHaveLength(1);
    store.release(sha256);
    await store.removeUnlessUsed(sha256, async () => true);
    expect(files()).toHaveLength(1);
    await store.removeUnlessUsed(sha256, unused);
    expect(files()).toEqual([]);
    expect(await store.hold(sha256)).toBe(false);
  });

  it('lets a removal that has decided finish before an upload of the same bytes lands', async () => {
    const { sha256 } = await put('contested');
    store.release(sha256);
    let upload: Promise<unknown> | undefined;
    await store.removeUnlessUsed(sha256, async () => {
      // While the removal decides, the same bytes arrive again; they must survive it.
      upload = put('contested');
      await new Promise((resolve) => setTimeout(resolve, 50));
      return false;
    });
    await upload;
    expect(files()).toHaveLength(1);
    expect(await read(sha256)).toBe('contested');
  });

  it('refuses more than the limit and keeps nothing of it', async () => {
    await expect(store.put(Readable.from([Buffer.alloc(2048)]), 1024)).rejects.toMatchObject({ code: 'payload_too_large' });
    expect(files()).toEqual([]);
    expect(fs.readdirSync(path.join(root, 'tmp'))).toEqual([]);
  });
});
