import { randomBytes } from 'node:crypto';
import { PassThrough, Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  CopyObjectCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import type { S3BlobConfig } from '../config.js';
import { DomainError, NotFound, Unavailable } from '../errors.js';
import type { BlobGuard } from './blob-guard.js';
import { type BlobStore, blobMeter, type StoredBlob, TooLarge, wasTruncated } from './blobs.js';

/** Parts of a multipart upload; at most PARTS_IN_FLIGHT of them are in memory at once. */
const PART_BYTES = 8 * 1024 * 1024;
const PARTS_IN_FLIGHT = 2;

/** Anything the S3 client itself reports carries `$metadata`; an error of the upload's source does not. */
function fromStore(error: unknown): boolean {
  return typeof error === 'object' && error !== null && '$metadata' in error;
}

function isMissing(error: unknown): boolean {
  const name = (error as { name?: unknown }).name;
  return name === 'NoSuchKey' || name === 'NotFound';
}

/** A missing object is a missing file; anything else means the store cannot serve for now. */
function domainError(error: unknown): DomainError {
  if (error instanceof DomainError) return error;
  return isMissing(error) ? new NotFound('File') : new Unavailable(error);
}

/**
 * Content-addressed objects in an S3-compatible bucket, under PREFIX/ab/cd/<sha256> (the layout of
 * the filesystem store, so a `DATA_DIR/blobs` folder can be copied over as it is). An upload is
 * streamed to PREFIX/tmp/<random> in parts, then copied to its address inside the bucket once its
 * hash is known, so no object at an address is ever incomplete.
 */
export class S3BlobStore implements BlobStore {
  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
    private readonly prefix: string,
    private readonly guard: BlobGuard,
  ) {}

  private keyOf(sha256: string): string {
    return `${this.prefix}${sha256.slice(0, 2)}/${sha256.slice(2, 4)}/${sha256}`;
  }

  async put(source: Readable, maxBytes: number): Promise<StoredBlob> {
    const tmp = `${this.prefix}tmp/${randomBytes(12).toString('hex')}`;
    const meter = blobMeter(maxBytes);
    const body = new PassThrough();
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.bucket, Key: tmp, Body: body },
      partSize: PART_BYTES,
      queueSize: PARTS_IN_FLIGHT,
    });
    let storeFailure: Error | undefined;
    try {
      const [streamed, sent] = await Promise.allSettled([
        pipeline(source, meter.stream, body),
        upload.done().catch((error: unknown) => {
          storeFailure = error instanceof Error ? error : new Error(String(error));
          body.destroy(storeFailure);
          throw storeFailure;
        }),
      ]);
      // The stream failing first (the limit, the client going away) makes the upload fail too, and
      // the other way round: what failed first is what the caller hears about.
      if (streamed.status === 'rejected' && streamed.reason !== storeFailure) throw streamed.reason;
      if (sent.status === 'rejected') throw domainError(sent.reason);
      if (wasTruncated(source)) throw new TooLarge(maxBytes);
      const stored = meter.result();
      await this.guard.hold(stored.sha256, async () => {
        const key = this.keyOf(stored.sha256);
        if (!(await this.exists(key))) {
          await this.client.send(new CopyObjectCommand({ Bucket: this.bucket, Key: key, CopySource: this.copySource(tmp) }));
        }
        return true;
      });
      return stored;
    } catch (error) {
      throw fromStore(error) ? domainError(error) : error;
    } finally {
      // An upload that never completed left no object; its parts are aborted by the uploader.
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: tmp })).catch(() => {});
    }
  }

  private copySource(key: string): string {
    return `${this.bucket}/${key.split('/').map(encodeURIComponent).join('/')}`;
  }

  private async exists(key: string): Promise<boolean> {
    try {
      await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return true;
    } catch (error) {
      if (isMissing(error)) return false;
      throw domainError(error);
    }
  }

  hold(sha256: string): Promise<boolean> {
    return this.guard.hold(sha256, () => this.exists(this.keyOf(sha256)));
  }

  release(sha256: string): Promise<void> {
    return this.guard.release(sha256);
  }

  async open(sha256: string, range?: { start: number; end: number }): Promise<Readable> {
    try {
      const object = await this.client.send(
        new GetObjectCommand({
          Bucket: this.bucket,
          Key: this.keyOf(sha256),
          ...(range ? { Range: `bytes=${range.start}-${range.end}` } : {}),
        }),
      );
      if (!(object.Body instanceof Readable)) throw new Error('The S3 client answered without a Node stream.');
      return object.Body;
    } catch (error) {
      throw domainError(error);
    }
  }

  removeUnlessUsed(sha256: string, inUse: () => Promise<boolean>): Promise<void> {
    return this.guard.unlessHeld(sha256, async () => {
      if (await inUse()) return;
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.keyOf(sha256) })).catch((error: unknown) => {
        throw domainError(error);
      });
    });
  }

  close(): void {
    this.client.destroy();
  }
}

/** The store named by BLOB_URL; fails to start, saying why, when the bucket cannot be reached. */
export async function openS3BlobStore(config: S3BlobConfig, guard: BlobGuard): Promise<S3BlobStore> {
  const client = new S3Client({
    region: config.region,
    forcePathStyle: config.forcePathStyle,
    ...(config.endpoint === undefined ? {} : { endpoint: config.endpoint }),
    ...(config.credentials === undefined ? {} : { credentials: config.credentials }),
    // Stores other than AWS (MinIO, Ceph, R2, older versions) do not all know the newer checksums;
    // the content is addressed by its SHA-256 anyway.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    requestHandler: { connectionTimeout: 5_000 },
  });
  try {
    await client.send(new HeadBucketCommand({ Bucket: config.bucket }));
  } catch (error) {
    client.destroy();
    const reason = (error as { name?: string }).name === 'NotFound' ? 'it does not exist' : String((error as Error).message || error);
    throw new Error(`BLOB_URL: the bucket "${config.bucket}" cannot be used (${reason}).`);
  }
  return new S3BlobStore(client, config.bucket, config.prefix, guard);
}
