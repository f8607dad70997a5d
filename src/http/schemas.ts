import { type Static, Type } from 'typebox';
import type { Level } from '../access/levels.js';
import { DATASET_ACTIONS, type DatasetAction, ORG_ACTIONS, type OrgAction } from '../access/policy.js';
import { iso } from '../clock.js';
import type { DatasetsTable } from '../store/schema.js';

/** Shared request and response schemas: validation, types and the OpenAPI document at once. */

const ID_CHARACTERS = '^[A-Za-z0-9_-]+$';
const ID_LENGTH = { minLength: 1, maxLength: 64 } as const;
export const Id = Type.String({ ...ID_LENGTH, pattern: ID_CHARACTERS });
const idCharacters = new RegExp(ID_CHARACTERS);
/** Whether `value` is what `Id` accepts, for code that meets a path id before the route's validation. */
export const isId = (value: string) =>
  value.length >= ID_LENGTH.minLength && value.length <= ID_LENGTH.maxLength && idCharacters.test(value);
export const Time = Type.String({ format: 'date-time' });
export const Nullable = <T extends ReturnType<typeof Type.String>>(schema: T) => Type.Union([schema, Type.Null()]);

export const LevelSchema = Type.Union([Type.Literal('read'), Type.Literal('annotate'), Type.Literal('write'), Type.Literal('admin')], {
  title: 'Level',
});
export const VisibilitySchema = Type.Union([Type.Literal('external'), Type.Literal('organization'), Type.Literal('admins')], {
  title: 'Visibility',
});
export const RoleSchema = Type.Union([Type.Literal('admin'), Type.Literal('member')], { title: 'Role' });
/**
 * Stored text must be well-formed Unicode: a lone UTF-16 surrogate has no UTF-8 form, so the
 * database would keep something other than what the answer echoes. Written so that it means the
 * same with and without the `u` flag (a surrogate only as half of a pair), as readers of the
 * OpenAPI document may use either.
 */
export const WELL_FORMED = '^(?:[^\\uD800-\\uDFFF]|[\\uD800-\\uDBFF][\\uDC00-\\uDFFF])*$';
export const Text = (limits: { minLength?: number; maxLength: number }) => Type.String({ ...limits, pattern: WELL_FORMED });
export const Email = Text({ minLength: 3, maxLength: 254 });
export const Name = Text({ minLength: 1, maxLength: 200 });
/** A password as it is checked at login: any text. */
export const Password = Type.String({ minLength: 1, maxLength: 1024 });
/** A password being set: at least 10 characters and not guessable (400 `weak_password`). */
export const NewPassword = Type.String({
  minLength: 10,
  maxLength: 1024,
  description: 'At least 10 characters, and not guessable from common passwords, words, your name or e-mail address (400 `weak_password`).',
});

export const ErrorSchema = Type.Object(
  {
    error: Type.Object({
      code: Type.String(),
      message: Type.String(),
      details: Type.Optional(Type.Unknown()),
    }),
  },
  { title: 'Error' },
);

export const TokenScopeSchema = Type.Union([Type.Literal('read'), Type.Literal('write'), Type.Literal('admin')], { title: 'TokenScope' });
export const UserSchema = Type.Object(
  { id: Type.String(), email: Type.String(), name: Type.String(), emailVerified: Type.Boolean() },
  { title: 'User' },
);
export const InvitationStatusSchema = Type.Union(
  [Type.Literal('pending'), Type.Literal('accepted'), Type.Literal('declined'), Type.Literal('revoked'), Type.Literal('expired')],
  { title: 'InvitationStatus' },
);
export const PersonSchema = Type.Object({ id: Type.String(), name: Type.String() }, { title: 'Person' });

export const PageQuery = {
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
  cursor: Type.Optional(Type.String({ maxLength: 2048 })),
};

export const pageOf = <T extends Parameters<typeof Type.Array>[0]>(item: T) =>
  Type.Object({ items: Type.Array(item), nextCursor: Type.Union([Type.String(), Type.Null()]) });

/** What the caller may do with a dataset or organization: the names of the policy's actions (src/access/policy.ts). */
export const DatasetActionSchema = Type.Unsafe<DatasetAction>({ type: 'string', enum: [...DATASET_ACTIONS], title: 'DatasetAction' });
export const OrgActionSchema = Type.Unsafe<OrgAction>({ type: 'string', enum: [...ORG_ACTIONS], title: 'OrgAction' });

export const DatasetSchema = Type.Object(
  {
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
    allowedActions: Type.Array(DatasetActionSchema),
  },
  { title: 'Dataset' },
);

/** A dataset as the API shows it, typed from its schema. */
export type DatasetView = Static<typeof DatasetSchema>;

export function datasetJson(row: DatasetsTable, myLevel: Level, allowedActions: readonly DatasetAction[]): DatasetView {
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

export const InvitationSchema = Type.Object(
  {
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
  },
  { title: 'Invitation' },
);

export const OrganizationSchema = Type.Object(
  { id: Type.String(), name: Type.String(), role: RoleSchema, allowedActions: Type.Array(OrgActionSchema) },
  { title: 'Organization' },
);

export const NoContent = Type.Unsafe<void>({ description: 'No content' });

interface Media {
  type: string;
  description: string;
  schema: Record<string, unknown>;
}
const MEDIA = new WeakMap<object, Media>();

/** A response that is not JSON: the document shows it as `type` (the server sends the body as it is). */
function nonJson(type: string, description: string, schema: Record<string, unknown> = { type: 'string', format: 'binary' }) {
  const marker = Type.Unsafe<unknown>({ description });
  MEDIA.set(marker, { type, description, schema });
  return marker;
}

/** What a non-JSON response schema stands for, for the OpenAPI document. */
export function mediaOf(schema: unknown): Media | undefined {
  return typeof schema === 'object' && schema !== null ? MEDIA.get(schema) : undefined;
}

/** An item's bytes, in the content type it was uploaded with. */
export const FileBytes = nonJson('*/*', "The item's bytes, in its own content type");
export const PartialFileBytes = nonJson('*/*', "The requested range of the item's bytes (Content-Range)");
export const CsvText = nonJson('text/csv', 'CSV, one event a line', { type: 'string' });
/** A redirect: the Location header says where. */
export const Redirect = Type.Unsafe<unknown>({ description: 'A redirect to the address in the Location header' });

/** The error answers a route documents, for the OpenAPI document. */
export function errors(...statuses: number[]) {
  return Object.fromEntries(statuses.map((s) => [s, ErrorSchema]));
}
