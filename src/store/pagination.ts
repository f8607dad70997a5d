import { InvalidRequest } from '../errors.js';

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** Keyset cursors are the sort key of the last row, opaque to clients. */
export function encodeCursor(key: readonly (string | number)[]): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

export function decodeCursor(raw: string, shape: readonly ('string' | 'number')[]): (string | number)[] {
  try {
    const value: unknown = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
    if (Array.isArray(value) && value.length === shape.length && value.every((v, i) => typeof v === shape[i])) {
      return value as (string | number)[];
    }
  } catch {
    // reported below, like a well-formed cursor of the wrong shape
  }
  throw new InvalidRequest('The cursor is not one this server handed out.');
}

/** Fetch limit + 1 rows; the extra one only says whether another page exists. */
export function pageOf<R, T>(rows: R[], limit: number, key: (row: R) => (string | number)[], map: (row: R) => T): Page<T> {
  const last = rows.length > limit ? rows[limit - 1] : undefined;
  return { items: rows.slice(0, limit).map(map), nextCursor: last ? encodeCursor(key(last)) : null };
}
