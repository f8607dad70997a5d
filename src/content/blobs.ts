import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { type Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DomainError } from '../errors.js';

export interface StoredBlob {
  sha256: string;
  size: number;
  /** The first bytes, for sniffing the content type. */
  head: Buffer;
}

/** Where item bytes live, addressed by their SHA-256: identical bytes are stored once. */
export interface BlobStore {
  /** Streams `source` in, never holding it whole in memory; refuses more than `maxBytes`. */
  put(source: Readable, maxBytes: number): Promise<StoredBlob>;
  open(sha256: string, range?: { start: number; end: number }): Readable;
  remove(sha256: string): Promise<void>;
}

export class TooLarge extends DomainError {
  constructor(maxBytes: number) {
    super('payload_too_large', 'payload_too_large', `A file is larger than the limit of ${Math.round(maxBytes / 1024 / 1024)} MB.`);
  }
}

const HEAD_BYTES = 64;

/**
 * Content-addressed files under DATA_DIR/blobs/ab/cd/<sha256>. A blob is written to a temporary
 * file and renamed into place only once complete, so a crash never leaves a torn file where an
 * item row could point; a row is inserted only after its blob is in place.
 */
export class FilesystemBlobStore implements BlobStore {
  constructor(private readonly root: string) {}

  private pathOf(sha256: string): string {
    return path.join(this.root, sha256.slice(0, 2), sha256.slice(2, 4), sha256);
  }

  async put(source: Readable, maxBytes: number): Promise<StoredBlob> {
    const tmpDir = path.join(this.root, 'tmp');
    await fsp.mkdir(tmpDir, { recursive: true });
    const tmp = path.join(tmpDir, randomBytes(12).toString('hex'));
    const hash = createHash('sha256');
    let size = 0;
    let head = Buffer.alloc(0);
    const meter = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        size += chunk.length;
        if (size > maxBytes) return done(new TooLarge(maxBytes));
        if (head.length < HEAD_BYTES) head = Buffer.concat([head, chunk.subarray(0, HEAD_BYTES - head.length)]);
        hash.update(chunk);
        done(null, chunk);
      },
    });
    try {
      await pipeline(source, meter, fs.createWriteStream(tmp, { flags: 'wx' }));
      // A stream that ended early because the multipart limit cut it is also too large.
      if ((source as Readable & { truncated?: boolean }).truncated) throw new TooLarge(maxBytes);
      const sha256 = hash.digest('hex');
      const target = this.pathOf(sha256);
      await fsp.mkdir(path.dirname(target), { recursive: true });
      await fsp.rename(tmp, target);
      return { sha256, size, head };
    } catch (error) {
      await fsp.rm(tmp, { force: true });
      throw error;
    }
  }

  open(sha256: string, range?: { start: number; end: number }): Readable {
    return fs.createReadStream(this.pathOf(sha256), range ? { start: range.start, end: range.end } : {});
  }

  async remove(sha256: string): Promise<void> {
    await fsp.rm(this.pathOf(sha256), { force: true });
  }
}

/** The content type from the bytes themselves; what the client claims is never trusted. */
export function sniffContentType(head: Buffer, name: string): string {
  const starts = (...bytes: number[]) => bytes.every((b, i) => head[i] === b);
  if (starts(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a)) return 'image/png';
  if (starts(0xff, 0xd8, 0xff)) return 'image/jpeg';
  if (head.subarray(0, 6).toString('latin1') === 'GIF87a' || head.subarray(0, 6).toString('latin1') === 'GIF89a') return 'image/gif';
  if (head.subarray(0, 4).toString('latin1') === 'RIFF' && head.subarray(8, 12).toString('latin1') === 'WEBP') return 'image/webp';
  if (head.subarray(0, 5).toString('latin1') === '%PDF-') return 'application/pdf';
  if (starts(0x50, 0x4b, 0x03, 0x04)) return 'application/zip';
  if (head.subarray(4, 8).toString('latin1') === 'ftyp') return 'video/mp4';
  if (starts(0x49, 0x49, 0x2a, 0x00) || starts(0x4d, 0x4d, 0x00, 0x2a)) return 'image/tiff';
  const text = head.length > 0 && !head.includes(0);
  if (text) {
    const start = head.toString('utf8').trimStart();
    if (start.startsWith('{') || start.startsWith('[')) return 'application/json';
    return /\.csv$/i.test(name) ? 'text/csv' : 'text/plain';
  }
  return 'application/octet-stream';
}
