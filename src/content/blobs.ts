import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { type Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DomainError, NotFound } from '../errors.js';
import { type BlobGuard, ProcessBlobGuard } from './blob-guard.js';

export interface StoredBlob {
  sha256: string;
  size: number;
  /** The first bytes, for sniffing the content type. */
  head: Buffer;
}

/**
 * Where item bytes live, addressed by their SHA-256: identical bytes are stored once. Holds and
 * removals go through a `BlobGuard` (blob-guard.ts), which says what being held means.
 */
export interface BlobStore {
  /** Streams `source` in, never holding it whole in memory; refuses more than `maxBytes`. The blob comes back held. */
  put(source: Readable, maxBytes: number): Promise<StoredBlob>;
  /** Holds a blob already stored; false when it is not there. */
  hold(sha256: string): Promise<boolean>;
  release(sha256: string): Promise<void>;
  /** The bytes, or the inclusive `range` of them; `NotFound` when the blob is not there. */
  open(sha256: string, range?: { start: number; end: number }): Promise<Readable>;
  /** Removes the blob unless it is held or `inUse` (asked while no hold can begin) says a row still points to it. */
  removeUnlessUsed(sha256: string, inUse: () => Promise<boolean>): Promise<void>;
  close(): void;
}

export class TooLarge extends DomainError {
  constructor(maxBytes: number) {
    super('payload_too_large', 'payload_too_large', `A file is larger than the limit of ${Math.round(maxBytes / 1024 / 1024)} MB.`);
  }
}

const HEAD_BYTES = 512;

/** Counts, hashes and keeps the first bytes of what passes through; fails once past `maxBytes`. */
export function blobMeter(maxBytes: number): { stream: Transform; result: () => StoredBlob } {
  const hash = createHash('sha256');
  let size = 0;
  let head = Buffer.alloc(0);
  const stream = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      size += chunk.length;
      if (size > maxBytes) return done(new TooLarge(maxBytes));
      if (head.length < HEAD_BYTES) head = Buffer.concat([head, chunk.subarray(0, HEAD_BYTES - head.length)]);
      hash.update(chunk);
      done(null, chunk);
    },
  });
  return { stream, result: () => ({ sha256: hash.digest('hex'), size, head }) };
}

/** A stream that ended early because the multipart limit cut it is also too large. */
export function wasTruncated(source: Readable): boolean {
  return Boolean((source as Readable & { truncated?: boolean }).truncated);
}

/**
 * Content-addressed files under DATA_DIR/blobs/ab/cd/<sha256>. A blob is written to a temporary
 * file and renamed into place only once complete, so a crash never leaves a torn file where an
 * item row could point; a row is inserted only after its blob is in place. Files no row points
 * to (a crash between the rename and the commit) are harmless and removed by the next sweep.
 */
export class FilesystemBlobStore implements BlobStore {
  constructor(
    private readonly root: string,
    private readonly guard: BlobGuard = new ProcessBlobGuard(),
  ) {}

  private pathOf(sha256: string): string {
    return path.join(this.root, sha256.slice(0, 2), sha256.slice(2, 4), sha256);
  }

  async put(source: Readable, maxBytes: number): Promise<StoredBlob> {
    const tmpDir = path.join(this.root, 'tmp');
    await fsp.mkdir(tmpDir, { recursive: true });
    const tmp = path.join(tmpDir, randomBytes(12).toString('hex'));
    const meter = blobMeter(maxBytes);
    const sink = fs.createWriteStream(tmp, { flags: 'wx' });
    try {
      await pipeline(source, meter.stream, sink);
      if (wasTruncated(source)) throw new TooLarge(maxBytes);
      const stored = meter.result();
      const { sha256 } = stored;
      const target = this.pathOf(sha256);
      await this.guard.hold(sha256, async () => {
        await fsp.mkdir(path.dirname(target), { recursive: true });
        await fsp.rename(tmp, target);
        return true;
      });
      return stored;
    } catch (error) {
      // A body cut off early can fail the pipe before the file is even open; the stream still
      // opens (creating it) and closes after that, so wait for the close, then remove the file.
      if (!sink.closed) await once(sink.destroy(), 'close').catch(() => undefined);
      await fsp.rm(tmp, { force: true });
      throw error;
    }
  }

  hold(sha256: string): Promise<boolean> {
    return this.guard.hold(sha256, () =>
      fsp.access(this.pathOf(sha256)).then(
        () => true,
        () => false,
      ),
    );
  }

  release(sha256: string): Promise<void> {
    return this.guard.release(sha256);
  }

  async open(sha256: string, range?: { start: number; end: number }): Promise<Readable> {
    const file = await fsp.open(this.pathOf(sha256)).catch((error: unknown) => {
      throw (error as { code?: unknown }).code === 'ENOENT' ? new NotFound('File') : error;
    });
    return file.createReadStream(range ? { start: range.start, end: range.end } : {});
  }

  removeUnlessUsed(sha256: string, inUse: () => Promise<boolean>): Promise<void> {
    return this.guard.unlessHeld(sha256, async () => {
      if (!(await inUse())) await fsp.rm(this.pathOf(sha256), { force: true });
    });
  }

  close(): void {}
}

const TEXT_CONTROLS = new Set([0x09, 0x0a, 0x0c, 0x0d, 0x1b]);

/** UTF-8 without control characters; a head cut short of the whole file may end mid-character. */
function looksLikeText(head: Buffer): boolean {
  if (head.some((b) => (b < 0x20 && !TEXT_CONTROLS.has(b)) || b === 0x7f)) return false;
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const cut = head.length < HEAD_BYTES ? 0 : 3;
  for (let drop = 0; drop <= cut; drop += 1) {
    try {
      decoder.decode(head.subarray(0, head.length - drop));
      return true;
    } catch {
      // a multi-byte character cut by the head, or not UTF-8 at all
    }
  }
  return false;
}

/** The content type from the bytes themselves; what the client claims is never trusted. */
export function sniffContentType(head: Buffer, name: string): string {
  const starts = (...bytes: number[]) => bytes.every((b, i) => head[i] === b);
  const ascii = (from: number, to: number) => head.subarray(from, to).toString('latin1');
  if (starts(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a)) return 'image/png';
  if (starts(0xff, 0xd8, 0xff)) return 'image/jpeg';
  if (ascii(0, 6) === 'GIF87a' || ascii(0, 6) === 'GIF89a') return 'image/gif';
  if (ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WEBP') return 'image/webp';
  if (ascii(0, 5) === '%PDF-') return 'application/pdf';
  if (starts(0x50, 0x4b, 0x03, 0x04) || starts(0x50, 0x4b, 0x05, 0x06)) return 'application/zip';
  if (ascii(4, 8) === 'ftyp') return 'video/mp4';
  if (starts(0x49, 0x49, 0x2a, 0x00) || starts(0x4d, 0x4d, 0x00, 0x2a)) return 'image/tiff';
  if (head.length > 0 && looksLikeText(head)) {
    const start = head
      .toString('utf8')
      .replace(/^\uFEFF/, '')
      .trimStart();
    if (start.startsWith('{') || start.startsWith('[')) return 'application/json';
    return /\.csv$/i.test(name) ? 'text/csv' : 'text/plain';
  }
  return 'application/octet-stream';
}
