import path from 'node:path';

export type SignupMode = 'open' | 'invite-only' | 'closed';

export type DatabaseConfig = { kind: 'sqlite'; file: string } | { kind: 'postgres'; url: string; schema?: string };

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
  /** Who may create an account over the API (SIGNUP). */
  signup: SignupMode;
  /** Per-caller-address limits on sign-up, login, reset and verification resend (IP_LIMITS). */
  ipLimits: boolean;
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
    signup: parseSignup(env.SIGNUP),
    ipLimits: parseSwitch('IP_LIMITS', env.IP_LIMITS, true),
  };
}
