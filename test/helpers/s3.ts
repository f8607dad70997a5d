import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DeleteObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import S3rver from 's3rver';
import type { S3BlobConfig } from '../../src/config.js';

export const BUCKET = 'tessera-test';
const CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

export interface S3Server {
  endpoint: string;
  /** What BLOB_URL and the S3_* variables would give, for keys under `prefix`. */
  config(prefix?: string): S3BlobConfig;
  /** The same, as environment variables for a server process. */
  env(prefix?: string): Record<string, string>;
  /** Every key in the bucket under `prefix`. */
  keys(prefix?: string): Promise<string[]>;
  /** The stored blobs under `prefix` (their SHA-256), leaving out uploads under way. */
  blobs(prefix?: string): Promise<string[]>;
  /** Removes an object behind the application's back. */
  remove(key: string): Promise<void>;
  stop(): Promise<void>;
}

/** A real S3-compatible server (s3rver) on an ephemeral port, with an empty bucket, its files in a temporary folder. */
export async function startS3(): Promise<S3Server> {
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-s3-'));
  const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory, configureBuckets: [{ name: BUCKET }] });
  const { port } = await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  const client = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials: CREDENTIALS });
  const prefixOf = (prefix: string) => (prefix === '' ? '' : `${prefix}/`);
  async function keys(prefix = ''): Promise<string[]> {
    const found: string[] = [];
    let token: string | undefined;
    do {
      const page = await client.send(
        new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefixOf(prefix), ...(token ? { ContinuationToken: token } : {}) }),
      );
      found.push(...(page.Contents ?? []).map((o) => o.Key ?? ''));
      token = page.NextContinuationToken;
    } while (token);
    return found;
  }
  return {
    endpoint,
    config: (prefix = '') => ({
      kind: 's3',
      bucket: BUCKET,
      prefix: prefixOf(prefix),
      endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: CREDENTIALS,
    }),
    env: (prefix = '') => ({
      BLOB_URL: `s3://${BUCKET}${prefix === '' ? '' : `/${prefix}`}`,
      S3_ENDPOINT: endpoint,
      S3_REGION: 'us-east-1',
      S3_FORCE_PATH_STYLE: 'true',
      AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
    }),
    keys,
    async blobs(prefix = '') {
      return (await keys(prefix))
        .filter((k) => !k.startsWith(`${prefixOf(prefix)}tmp/`) && /[0-9a-f]{64}$/.test(k))
        .map((k) => k.slice(-64));
    },
    async remove(key) {
      await client.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: key }));
    },
    async stop() {
      client.destroy();
      // Clients keep connections alive; closing waits for them otherwise.
      server.httpServer.closeAllConnections();
      await server.close();
      fs.rmSync(directory, { recursive: true, force: true });
    },
  };
}
