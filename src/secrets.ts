import { hash, randomBytes, scrypt as scryptCallback, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';

const scrypt = promisify(scryptCallback) as (
  password: string,
  salt: Buffer,
  keylen: number,
  options: { N: number; r: number; p: number; maxmem: number },
) => Promise<Buffer>;

/** Where randomness comes from; injected (`ctx.random`) so a test can make ids and secrets predictable. */
export interface RandomSource {
  bytes(size: number): Buffer;
}

export const systemRandom: RandomSource = { bytes: (size) => randomBytes(size) };

/**
 * Ids and secrets of one app instance, from its random source. The counter that orders
 * sortable ids made in the same millisecond belongs to the instance, not to the process.
 */
export class Random {
  private sequence = 0;

  constructor(private readonly source: RandomSource = systemRandom) {}

  bytes(size: number): Buffer {
    return this.source.bytes(size);
  }

  /** Opaque ids: a readable prefix and 96 random bits. */
  id(prefix: string): string {
    return `${prefix}_${this.bytes(12).toString('base64url')}`;
  }

  /**
   * Ids that sort by creation time (then by order of creation within one instance), for rows
   * listed in that order with an (id) keyset: items, annotations, audit events.
   */
  sortableId(prefix: string, at: number): string {
    this.sequence = (this.sequence + 1) % 36 ** 4;
    return `${prefix}_${at.toString(36).padStart(9, '0')}${this.sequence.toString(36).padStart(4, '0')}${this.bytes(5).toString('hex')}`;
  }

  /** A secret for links, sessions and tokens: 256 random bits. Only its hash is stored. */
  secret(): string {
    return this.bytes(32).toString('base64url');
  }
}

/**
 * For what runs without an app instance: a job runner or outbox worker built on its own (the app
 * gives them instance ids from `ctx.random`), the sign-in check's stand-in password hash made at
 * start-up, and test and benchmark fixtures. Use cases take `ctx.random`.
 */
const unowned = new Random();

export function newId(prefix: string): string {
  return unowned.id(prefix);
}

export function newSecret(): string {
  return unowned.secret();
}

/** One call, no Hash object: it runs on every request that carries a token or a session. */
export function hashSecret(secret: string): string {
  return hash('sha256', secret, 'hex');
}

// scrypt with N=2^15, r=8: 32 MiB of memory per hash, about 50-100 ms on one core.
const KDF = { N: 2 ** 15, r: 8, p: 1, keylen: 32 };

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scrypt(password, salt, KDF.keylen, { N: KDF.N, r: KDF.r, p: KDF.p, maxmem: 64 * 1024 * 1024 });
  return ['scrypt', KDF.N, KDF.r, KDF.p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, key] = stored.split('$');
  if (scheme !== 'scrypt' || !n || !r || !p || !salt || !key) return false;
  const expected = Buffer.from(key, 'base64url');
  const actual = await scrypt(password, Buffer.from(salt, 'base64url'), expected.length, {
    N: Number(n),
    r: Number(r),
    p: Number(p),
    maxmem: 64 * 1024 * 1024,
  });
  return timingSafeEqual(actual, expected);
}
