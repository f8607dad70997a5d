import path from 'node:path';

export type SignupMode = 'open' | 'invite-only' | 'closed';

export type DatabaseConfig = { kind: 'sqlite'; file: string } | { kind: 'postgres'; url: string; schema?: string };

export interface S3BlobConfig {
  kind: 's3';
  bucket: string;
  /** Where keys start: '' or ending in '/'. */
  prefix: string;
  endpoint: string | undefined;
  region: string;
  forcePathStyle: boolean;
  /** Unset: the AWS SDK's own chain (instance role, shared config files). */
  credentials: { accessKeyId: string; secretAccessKey: string } | undefined;
}

/** Where item files live: DATA_DIR/blobs, or an S3-compatible bucket (BLOB_URL). */
export type BlobConfig = { kind: 'filesystem' } | S3BlobConfig;

export interface Config {
  port: number;
  host: string;
  dataDir: string;
  database: DatabaseConfig;
  publicUrl: URL;
  smtpUrl: string | undefined;
  mailFrom: string;
  logLevel: string;
  /** The largest file one upload may carry (MAX_UPLOAD_MB). */
  maxUploadBytes: number;
  blobs: BlobConfig;
  /** Who may create an account over the API (SIGNUP). */
  signup: SignupMode;
  /** Per-caller-address limits on sign-up, login, reset and verification resend (IP_LIMITS). */
  ipLimits: boolean;
  /** Opens GET /metrics to other addresses than 127.0.0.1, as a bearer token (METRICS_TOKEN). */
  metricsToken?: string | undefined;
  /** Webhook URLs may point at loopback/private addresses, over http:// too (WEBHOOK_ALLOW_PRIVATE). */
  webhookAllowPrivate?: boolean;
  /** An OpenID Connect provider to sign in with (OIDC_*), or null. */
  oidc?: OidcConfig | null | undefined;
}

export interface OidcConfig {
  issuer: URL;
  clientId: string;
  clientSecret: string;
  /** What the login page calls the provider: "Sign in with <name>". */
  name: string;
  /** OIDC_ONLY: password login and sign-up are refused; the provider is the only way in. */
  only: boolean;
}

export class ConfigError extends Error {}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

function parsePort(raw: string | undefined): number {
  const port = Number(raw ?? '3000');
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new ConfigError(`PORT must be an integer between 0 and 65535, got "${raw}".`);
  }
  return port;
}

function parseDatabase(raw: string | undefined, dataDir: string): DatabaseConfig {
  if (raw === undefined || raw === '') return { kind: 'sqlite', file: path.join(dataDir, 'tessera.db') };
  if (raw.startsWith('postgres://') || raw.startsWith('postgresql://')) return { kind: 'postgres', url: raw };
  if (raw.startsWith('sqlite:')) return { kind: 'sqlite', file: path.resolve(raw.slice('sqlite:'.length)) };
  throw new ConfigError('DATABASE_URL must start with postgres://, postgresql:// or sqlite:.');
}

function parseUrl(name: string, raw: string): URL {
  try {
    return new URL(raw);
  } catch {
    throw new ConfigError(`${name} must be an absolute URL, got "${raw}".`);
  }
}

// S3's rule for bucket names (no dots next to each other or to a hyphen, 3 to 63 characters).
const BUCKET_NAME = /^(?!.*\.\.)(?!.*\.-)(?!.*-\.)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

function parseBlobs(env: NodeJS.ProcessEnv): BlobConfig {
  const raw = env.BLOB_URL;
  if (raw === undefined || raw === '') return { kind: 'filesystem' };
  const match = /^s3:\/\/([^/?#]+)(\/[^?#]*)?$/.exec(raw);
  if (!match) throw new ConfigError('BLOB_URL must look like s3://BUCKET or s3://BUCKET/PREFIX.');
  const bucket = match[1] ?? '';
  if (!BUCKET_NAME.test(bucket)) throw new ConfigError(`BLOB_URL names "${bucket}", which is not a valid S3 bucket name.`);
  const prefix = (match[2] ?? '').replace(/^\/+|\/+$/g, '');
  if (prefix !== '' && prefix.split('/').some((segment) => segment === '' || segment === '.' || segment === '..')) {
    throw new ConfigError('BLOB_URL has an empty, "." or ".." segment in its prefix.');
  }
  const endpoint = env.S3_ENDPOINT || undefined;
  if (endpoint !== undefined && !/^https?:\/\/[^/]/.test(endpoint))
    throw new ConfigError('S3_ENDPOINT must start with http:// or https://.');
  if (endpoint !== undefined) parseUrl('S3_ENDPOINT', endpoint);
  const region = env.S3_REGION || env.AWS_REGION || 'us-east-1';
  if (!/^[a-z0-9-]+$/i.test(region)) throw new ConfigError(`S3_REGION must be a region name like eu-west-1, got "${region}".`);
  const pathStyle = env.S3_FORCE_PATH_STYLE || 'false';
  if (pathStyle !== 'true' && pathStyle !== 'false') throw new ConfigError('S3_FORCE_PATH_STYLE must be true or false.');
  const accessKeyId = env.AWS_ACCESS_KEY_ID || undefined;
  const secretAccessKey = env.AWS_SECRET_ACCESS_KEY || undefined;
  if ((accessKeyId === undefined) !== (secretAccessKey === undefined)) {
    throw new ConfigError('AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set together.');
  }
  return {
    kind: 's3',
    bucket,
    prefix: prefix === '' ? '' : `${prefix}/`,
    endpoint,
    region,
    forcePathStyle: pathStyle === 'true',
    credentials: accessKeyId && secretAccessKey ? { accessKeyId, secretAccessKey } : undefined,
  };
}

function parseSignup(raw: string | undefined): SignupMode {
  const mode = raw || 'open';
  if (mode !== 'open' && mode !== 'invite-only' && mode !== 'closed') {
    throw new ConfigError(`SIGNUP must be open, invite-only or closed, got "${raw}".`);
  }
  return mode;
}

function parseSwitch(name: string, raw: string | undefined, fallback: boolean): boolean {
  if (raw === undefined || raw === '') return fallback;
  if (raw === 'on') return true;
  if (raw === 'off') return false;
  throw new ConfigError(`${name} must be on or off, got "${raw}".`);
}

function parseBoolean(name: string, raw: string | undefined): boolean {
  if (raw === undefined || raw === '' || raw === 'false') return false;
  if (raw === 'true') return true;
  throw new ConfigError(`${name} must be true or false, got "${raw}".`);
}

function parseOidc(env: NodeJS.ProcessEnv): OidcConfig | null {
  const issuer = env.OIDC_ISSUER || undefined;
  const clientId = env.OIDC_CLIENT_ID || undefined;
  const clientSecret = env.OIDC_CLIENT_SECRET || undefined;
  const only = env.OIDC_ONLY || 'false';
  if (only !== 'true' && only !== 'false') throw new ConfigError(`OIDC_ONLY must be true or false, got "${only}".`);
  const set = [issuer, clientId, clientSecret].filter((value) => value !== undefined).length;
  if (set === 0) {
    if (only === 'true') throw new ConfigError('OIDC_ONLY=true needs OIDC_ISSUER, OIDC_CLIENT_ID and OIDC_CLIENT_SECRET.');
    return null;
  }
  if (issuer === undefined || clientId === undefined || clientSecret === undefined) {
    throw new ConfigError('OIDC_ISSUER, OIDC_CLIENT_ID and OIDC_CLIENT_SECRET must be set together.');
  }
  const issuerUrl = parseUrl('OIDC_ISSUER', issuer);
  if (issuerUrl.protocol !== 'https:' && issuerUrl.protocol !== 'http:') throw new ConfigError('OIDC_ISSUER must be an https:// URL.');
  if (issuerUrl.search !== '' || issuerUrl.hash !== '') throw new ConfigError('OIDC_ISSUER must not have a query or a fragment.');
  const name = (env.OIDC_NAME || 'single sign-on').trim();
  if (name.length > 60) throw new ConfigError('OIDC_NAME must be at most 60 characters.');
  return { issuer: issuerUrl, clientId, clientSecret, name, only: only === 'true' };
}

/** Every environment variable Tessera reads, parsed and validated once. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const port = parsePort(env.PORT);
  const host = env.HOST || '127.0.0.1';
  const dataDir = path.resolve(env.DATA_DIR || './data');
  const publicUrl = parseUrl('PUBLIC_URL', env.PUBLIC_URL || `http://${host}:${port}`);
  const smtpUrl = env.SMTP_URL || undefined;
  if (smtpUrl !== undefined && !/^smtps?:\/\//.test(smtpUrl)) {
    throw new ConfigError('SMTP_URL must start with smtp:// or smtps://.');
  }
  const logLevel = env.LOG_LEVEL || 'info';
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new ConfigError(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}.`);
  }
  const maxUploadMb = Number(env.MAX_UPLOAD_MB || '100');
  if (!Number.isFinite(maxUploadMb) || maxUploadMb <= 0) throw new ConfigError('MAX_UPLOAD_MB must be a positive number.');
  return {
    maxUploadBytes: Math.floor(maxUploadMb * 1024 * 1024),
    port,
    host,
    dataDir,
    database: parseDatabase(env.DATABASE_URL, dataDir),
    publicUrl,
    smtpUrl,
    mailFrom: env.MAIL_FROM || 'Tessera <no-reply@localhost>',
    logLevel,
    blobs: parseBlobs(env),
    signup: parseSignup(env.SIGNUP),
    ipLimits: parseSwitch('IP_LIMITS', env.IP_LIMITS, true),
    metricsToken: env.METRICS_TOKEN || undefined,
    webhookAllowPrivate: parseBoolean('WEBHOOK_ALLOW_PRIVATE', env.WEBHOOK_ALLOW_PRIVATE),
    oidc: parseOidc(env),
  };
}
