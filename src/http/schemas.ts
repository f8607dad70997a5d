import { Type } from 'typebox';
import type { Level } from '../access/levels.js';
import { iso } from '../clock.js';
import type { DatasetsTable } from '../store/schema.js';

/** Shared request and response schemas: validation, types and the OpenAPI document at once. */

export const Id = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' });
export const Time = Type.String({ format: 'date-time' });
export const Nullable = <T extends ReturnType<typeof Type.String>>(schema: T) => Type.Union([schema, Type.Null()]);

export const LevelSchema = Type.Union([Type.Literal('read'), Type.Literal('annotate'), Type.Literal('write'), Type.Literal('admin')]);
export const VisibilitySchema = Type.Union([Type.Literal('external'), Type.Literal('organization'), Type.Literal('admins')]);
export const RoleSchema = Type.Union([Type.Literal('admin'), Type.Literal('member')]);
/**
 * Stored text must be well-formed Unicode: a lone UTF-16 surrogate has no UTF-8 form, so the
 * database would keep something other than what the answer echoes. Checked per code point (Ajv's `u` flag).
 */
export const WELL_FORMED = '^\\P{Cs}*$';
export const Text = (limits: { minLength?: number; maxLength: number }) => Type.String({ ...limits, pattern: WELL_FORMED });
export const Email = Text({ minLength: 3, maxLength: 254 });
export const Name = Text({ minLength: 1, maxLength: 200 });
export const Password = Type.String({ minLength: 1, maxLength: 1024 });

export const ErrorSchema = Type.Object({
  error: Type.Object({
    code: Type.String(),
    message: Type.String(),
    details: Type.Optional(Type.Unknown()),
  }),
});

export const TokenScopeSchema = Type.Union([Type.Literal('read'), Type.Literal('write'), Type.Literal('admin')]);
export const UserSchema = Type.Object({ id: Type.String(), email: Type.String(), name: Type.String(), emailVerified: Type.Boolean() });
export const InvitationStatusSchema = Type.Union([
  Type.Literal('pending'),
  Type.Literal('accepted'),
  Type.Literal('declined'),
  Type.Literal('revoked'),
  Type.Literal('expired'),
]);
export const PersonSchema = Type.Object({ id: Type.String(), name: Type.String() });

export const PageQuery = {
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
  cursor: Type.Optional(Type.String({ maxLength: 2048 })),
};

export const pageOf = <T extends Parameters<typeof Type.Array>[0]>(item: T) =>
  Type.Object({ items: Type.Array(item), nextCursor: Type.Union([Type.String(), Type.Null()]) });

export const DatasetSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  description: Type.String(),
  orgId: Type.String(),
  visibility: VisibilitySchema,
  predecessorId: Type.Union([Type.String(), Type.Null()]),
  itemCount: Type.Integer(),
  createdAt: Time,
  updatedAt: Time,
  myLevel: LevelSchema,
  allowedActions: Type.Array(Type.String()),
});

export function datasetJson(row: DatasetsTable, myLevel: Level, allowedActions: readonly string[]) {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    orgId: row.org_id,
    visibility: row.visibility,
    predecessorId: row.predecessor_id,
    itemCount: Number(row.item_count),
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
    myLevel,
    allowedActions: [...allowedActions],
  };
}

export const InvitationSchema = Type.Object({
  id: Type.String(),
  kind: Type.Union([Type.Literal('dataset'), Type.Literal('org')]),
  datasetId: Type.Optional(Type.String()),
  orgId: Type.String(),
  email: Type.String(),
  level: Type.Optional(LevelSchema),
  role: Type.Optional(RoleSchema),
  status: InvitationStatusSchema,
  expiresAt: Time,
  invitedBy: PersonSchema,
  createdAt: Time,
  acceptedAt: Type.Union([Time, Type.Null()]),
  delivery: Type.Union([Type.Literal('queued'), Type.Literal('sent'), Type.Literal('failed')]),
  lastError: Type.Optional(Type.String()),
});

export const NoContent = Type.Unsafe<void>({ description: 'No content' });

/** The error answers a route documents, for the OpenAPI document. */
export function errors(...statuses: number[]) {
  return Object.fromEntries(statuses.map((s) => [s, ErrorSchema]));
}
