import { DomainError } from '../errors.js';

/** RFC 7644 §3.12: the detail error types a 400 or 409 may carry. */
export const SCIM_TYPES = new Set([
  'invalidFilter',
  'tooMany',
  'uniqueness',
  'mutability',
  'invalidSyntax',
  'invalidPath',
  'noTarget',
  'invalidValue',
  'invalidVers',
  'sensitive',
]);

export type ScimType = 'invalidFilter' | 'uniqueness' | 'mutability' | 'invalidSyntax' | 'invalidPath' | 'noTarget' | 'invalidValue';

/** A request SCIM's rules refuse; the code is the scimType of the answer. */
export class ScimInvalid extends DomainError {
  constructor(scimType: ScimType, message: string) {
    super(scimType === 'uniqueness' ? 'conflict' : 'invalid_request', scimType, message);
  }
}

export const SCHEMA = {
  user: 'urn:ietf:params:scim:schemas:core:2.0:User',
  group: 'urn:ietf:params:scim:schemas:core:2.0:Group',
  list: 'urn:ietf:params:scim:api:messages:2.0:ListResponse',
  patch: 'urn:ietf:params:scim:api:messages:2.0:PatchOp',
  error: 'urn:ietf:params:scim:api:messages:2.0:Error',
} as const;

/** The organization's directory, speaking through one of the organization's SCIM tokens. */
export interface Directory {
  orgId: string;
  tokenId: string;
}

export interface Paging {
  /** 1-based, as SCIM counts. */
  startIndex: number;
  count: number;
}

export const MAX_RESULTS = 200;

export function pagingOf(query: { startIndex?: string | undefined; count?: string | undefined }): Paging {
  const number = (raw: string | undefined, fallback: number) => {
    if (raw === undefined || raw === '') return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n)) throw new ScimInvalid('invalidValue', 'startIndex and count must be integers.');
    return n;
  };
  return { startIndex: Math.max(1, number(query.startIndex, 1)), count: Math.min(MAX_RESULTS, Math.max(0, number(query.count, 100))) };
}

export function listResponse<T>(total: number, paging: Paging, resources: T[]) {
  return {
    schemas: [SCHEMA.list],
    totalResults: total,
    startIndex: paging.startIndex,
    itemsPerPage: resources.length,
    Resources: resources,
  };
}

/**
 * The filters identity providers send to find a user or group before creating it:
 * `attribute eq "value"`, on the attributes given. Anything else is refused as invalidFilter.
 */
export function equalityFilter(raw: string | undefined, attributes: Record<string, string>): { attribute: string; value: string } | null {
  if (raw === undefined || raw.trim() === '') return null;
  const match = /^\s*([A-Za-z][\w.]*(?:\[type eq "work"\]\.value)?)\s+eq\s+"((?:[^"\\]|\\.)*)"\s*$/i.exec(raw);
  const attribute = match ? attributes[match[1]!.toLowerCase()] : undefined;
  if (!match || attribute === undefined) {
    throw new ScimInvalid('invalidFilter', `Only filters of the form ${Object.keys(attributes).join(' | ')} eq "value" are supported.`);
  }
  let value: string;
  try {
    value = JSON.parse(`"${match[2]}"`) as string;
  } catch {
    throw new ScimInvalid('invalidFilter', 'The filter value is not a valid string.');
  }
  return { attribute, value };
}

export interface PatchOperation {
  op: 'add' | 'replace' | 'remove';
  path: string | null;
  value: unknown;
}

/** The operations of a PatchOp body; op names are case-insensitive, as Entra ID capitalizes them. */
export function patchOperations(body: unknown): PatchOperation[] {
  const operations = (body as { Operations?: unknown } | null)?.Operations;
  if (!Array.isArray(operations) || operations.length === 0) {
    throw new ScimInvalid('invalidSyntax', 'A PATCH body needs an Operations array.');
  }
  return operations.map((raw) => {
    const op = typeof raw?.op === 'string' ? raw.op.toLowerCase() : '';
    if (op !== 'add' && op !== 'replace' && op !== 'remove')
      throw new ScimInvalid('invalidSyntax', 'Each operation needs op add, replace or remove.');
    const path = raw.path === undefined || raw.path === null || raw.path === '' ? null : raw.path;
    if (path !== null && typeof path !== 'string') throw new ScimInvalid('invalidPath', 'path must be a string.');
    if (path === null && op === 'remove') throw new ScimInvalid('noTarget', 'A remove operation needs a path.');
    return { op, path, value: raw.value };
  });
}

/** SCIM booleans, also as the strings "True" and "False" some providers send. */
export function booleanOf(value: unknown, attribute: string): boolean {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string' && /^(true|false)$/i.test(value)) return value.toLowerCase() === 'true';
  throw new ScimInvalid('invalidValue', `${attribute} must be true or false.`);
}

export function stringOf(value: unknown, attribute: string, maxLength = 200): string {
  if (typeof value !== 'string' || value.length > maxLength) {
    throw new ScimInvalid('invalidValue', `${attribute} must be a string of at most ${maxLength} characters.`);
  }
  return value;
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
