import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';

const S3 = { BLOB_URL: 's3://tessera-files', S3_ENDPOINT: 'http://127.0.0.1:9000' };

/** BLOB_URL and the S3_* variables, parsed once: a wrong value stops the server, naming the variable. */
describe('the blob store configuration', () => {
  it('keeps files under DATA_DIR/blobs unless BLOB_URL is set', () => {
    expect(loadConfig({}).blobs).toEqual({ kind: 'filesystem' });
    expect(loadConfig({ BLOB_URL: '' }).blobs).toEqual({ kind: 'filesystem' });
  });

  it('reads the bucket, the prefix and the S3 variables', () => {
    expect(
      loadConfig({
        BLOB_URL: 's3://tessera-files/prod/items/',
        S3_ENDPOINT: 'https://minio.internal:9000',
        S3_REGION: 'eu-central-1',
        S3_FORCE_PATH_STYLE: 'true',
        AWS_ACCESS_KEY_ID: 'key',
        AWS_SECRET_ACCESS_KEY: 'secret',
      }).blobs,
    ).toEqual({
      kind: 's3',
      bucket: 'tessera-files',
      prefix: 'prod/items/',
      endpoint: 'https://minio.internal:9000',
      region: 'eu-central-1',
      forcePathStyle: true,
      credentials: { accessKeyId: 'key', secretAccessKey: 'secret' },
    });
    expect(loadConfig({ BLOB_URL: 's3://tessera-files', AWS_REGION: 'us-west-2' }).blobs).toEqual({
      kind: 's3',
      bucket: 'tessera-files',
      prefix: '',
      endpoint: undefined,
      region: 'us-west-2',
      forcePathStyle: false,
      credentials: undefined,
    });
  });

  it.each([
    [{ BLOB_URL: 'gs://tessera-files' }, /^BLOB_URL must look like s3:\/\//],
    [{ BLOB_URL: 's3://' }, /^BLOB_URL/],
    [{ BLOB_URL: 's3://Tessera_Files' }, /^BLOB_URL names "Tessera_Files"/],
    [{ BLOB_URL: 's3://ab' }, /^BLOB_URL names "ab"/],
    [{ BLOB_URL: 's3://tessera-files/a//b' }, /^BLOB_URL has an empty/],
    [{ BLOB_URL: 's3://tessera-files/../b' }, /^BLOB_URL has an empty, "\." or "\.\."/],
    [{ BLOB_URL: 's3://tessera-files?region=x' }, /^BLOB_URL must look like/],
    [{ ...S3, S3_ENDPOINT: 'minio:9000' }, /^S3_ENDPOINT must start with http/],
    [{ ...S3, S3_REGION: 'eu west' }, /^S3_REGION must be a region name/],
    [{ ...S3, S3_FORCE_PATH_STYLE: 'yes' }, /^S3_FORCE_PATH_STYLE must be true or false/],
    [{ ...S3, AWS_ACCESS_KEY_ID: 'key' }, /^AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set together/],
  ])('refuses %o', (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });

  it('never repeats the secret key in a refusal', () => {
    expect(() => loadConfig({ ...S3, AWS_SECRET_ACCESS_KEY: 'very-secret', S3_FORCE_PATH_STYLE: 'on' })).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining('very-secret') }),
    );
  });
});
