import type { Readable } from 'node:stream';
import multipart from '@fastify/multipart';
import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import {
  createAnnotation,
  createLayer,
  deleteAnnotation,
  listAnnotations,
  listLayers,
  updateAnnotation,
} from '../../content/annotations.js';
import { TooLarge } from '../../content/blobs.js';
import { listItems, readableItem, type UploadedFile, uploadItems } from '../../content/items.js';
import type { Context } from '../../context.js';
import { DomainError, InvalidRequest, RangeNotSatisfiable } from '../../errors.js';
import { requireActor } from '../auth.js';
import { errors, FileBytes, Id, Name, NoContent, PageQuery, PartialFileBytes, pageOf } from '../schemas.js';
import type { TypedApp } from '../server.js';

const tags = ['dataset content'];
const ItemSchema = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    size: Type.Integer(),
    contentType: Type.String(),
    sha256: Type.String(),
    createdAt: Type.String(),
  },
  { title: 'Item' },
);
const LayerSchema = Type.Object(
  { id: Type.String(), name: Type.String(), annotationCount: Type.Integer(), createdAt: Type.String() },
  { title: 'Layer' },
);
const Box = Type.Array(Type.Number({ minimum: 0 }), { minItems: 4, maxItems: 4 });
const AnnotationSchema = Type.Object(
  {
    id: Type.String(),
    layerId: Type.String(),
    itemId: Type.String(),
    label: Type.String(),
    bbox: Type.Union([Box, Type.Null()]),
    createdBy: Type.Union([Type.String(), Type.Null()]),
    createdAt: Type.String(),
    updatedBy: Type.Union([Type.String(), Type.Null()]),
    updatedAt: Type.String(),
  },
  { title: 'Annotation' },
);
const Label = Type.String({ minLength: 1, maxLength: 500 });

/** One byte range of `size` bytes from a Range header, or null for the whole file. */
function parseRange(header: string | undefined, size: number): { start: number; end: number } | null {
  if (!header) return null;
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match || (match[1] === '' && match[2] === '')) return null;
  let start: number;
  let end: number;
  if (match[1] === '') {
    start = Math.max(0, size - Number(match[2]));
    end = size - 1;
  } else {
    start = Number(match[1]);
    end = match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1);
  }
  if (start > end || start >= size) throw new RangeNotSatisfiable(size);
  return { start, end };
}

const INLINE = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp', 'application/pdf', 'video/mp4']);

/** An ASCII `filename` for old clients and the exact name in `filename*` (RFC 6266). */
function contentDisposition(contentType: string, name: string): string {
  const disposition = INLINE.has(contentType) ? 'inline' : 'attachment';
  const ascii = name.replace(/[^\x20-\x7e]|["\\]/g, '_');
  const exact = encodeURIComponent(name).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `${disposition}; filename="${ascii}"; filename*=UTF-8''${exact}`;
}

export const MAX_FILES_PER_UPLOAD = 100;

const malformedBody = () => new InvalidRequest('The multipart body is malformed or was cut off. Send it again, whole.');

/**
 * The parts of a multipart request as files, with the parser's limits in the API's words.
 * A body the parser cannot read (no boundary, cut off mid-part) is the client's mistake, and
 * reaches whoever reads the file — the blob store — as a plain error, so `malformed()` says
 * whether the parser failed on one of the files.
 */
function uploadedFiles(request: FastifyRequest, maxUploadBytes: number) {
  const parts: Readable[] = [];
  async function* files(): AsyncGenerator<UploadedFile> {
    try {
      for await (const part of request.files()) {
        parts.push(part.file);
        yield { filename: part.filename, file: part.file };
      }
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (code === 'FST_REQ_FILE_TOO_LARGE') throw new TooLarge(maxUploadBytes);
      if (code === 'FST_FILES_LIMIT' || code === 'FST_PARTS_LIMIT' || code === 'FST_FIELDS_LIMIT') {
        throw new DomainError('payload_too_large', 'payload_too_large', `Send at most ${MAX_FILES_PER_UPLOAD} files in one upload.`);
      }
      if (error instanceof DomainError) throw error;
      throw malformedBody();
    }
  }
  // The parser reports an unreadable body without a code; its own limits carry FST_ codes, and a
  // failure on our side of the pipe (ENOSPC from a full disk, say) carries the system's code.
  const unreadable = (error: { code?: unknown } | null) => error !== null && typeof error.code !== 'string';
  return { files: files(), malformed: () => parts.some((file) => unreadable(file.errored as { code?: unknown } | null)) };
}

export function contentRoutes(app: TypedApp, ctx: Context): void {
  // The upload in a scope of its own: the multipart parser and its hooks run for it alone.
  app.register(async (scope) => {
    scope.removeContentTypeParser('multipart/form-data');
    // Files stream straight to the blob store; the size limit is enforced there, per file.
    await scope.register(multipart, { limits: { fileSize: ctx.maxUploadBytes + 1, files: MAX_FILES_PER_UPLOAD, fields: 10 } });
    uploadRoute(scope, ctx);
  });

  app.get(
    '/datasets/:id/items',
    {
      schema: {
        operationId: 'listItems',
        tags,
        summary: "The dataset's items, in upload order",
        params: Type.Object({ id: Id }),
        querystring: Type.Object(PageQuery),
        response: { 200: pageOf(ItemSchema), ...errors(400, 401, 404) },
      },
    },
    async (request) =>
      listItems(ctx, requireActor(request), request.params.id, { limit: request.query.limit ?? 50, cursor: request.query.cursor }),
  );

  app.get(
    '/items/:id/content',
    {
      schema: {
        operationId: 'getItemContent',
        tags,
        summary: "An item's bytes, with range support; needs read on its dataset",
        params: Type.Object({ id: Id }),
        response: {
          200: FileBytes,
          206: PartialFileBytes,
          ...errors(401, 404, 416, 503),
        },
      },
    },
    async (request, reply) => {
      const item = await readableItem(ctx, requireActor(request), request.params.id);
      const size = Number(item.size);
      const range = parseRange(request.headers.range, size);
      const bytes = await ctx.blobs.open(item.sha256, range ?? undefined);
      reply
        .header('Content-Type', item.content_type)
        .header('Content-Disposition', contentDisposition(item.content_type, item.name))
        .header('Accept-Ranges', 'bytes')
        .header('ETag', `"${item.sha256}"`);
      if (!range) return reply.header('Content-Length', String(size)).send(bytes);
      return reply
        .code(206)
        .header('Content-Range', `bytes ${range.start}-${range.end}/${size}`)
        .header('Content-Length', String(range.end - range.start + 1))
        .send(bytes);
    },
  );

  app.post(
    '/datasets/:id/layers',
    {
      schema: {
        operationId: 'createLayer',
        tags,
        summary: 'Create an annotation layer; needs write',
        params: Type.Object({ id: Id }),
        body: Type.Object({ name: Name }),
        response: { 201: LayerSchema, ...errors(400, 401, 403, 404, 409) },
      },
    },
    async (request, reply) => reply.code(201).send(await createLayer(ctx, requireActor(request), request.params.id, request.body.name)),
  );

  app.get(
    '/datasets/:id/layers',
    {
      schema: {
        operationId: 'listLayers',
        tags,
        summary: "The dataset's annotation layers with their annotation counts",
        params: Type.Object({ id: Id }),
        response: { 200: Type.Object({ items: Type.Array(LayerSchema), nextCursor: Type.Null() }), ...errors(401, 404) },
      },
    },
    async (request) => ({ items: await listLayers(ctx, requireActor(request), request.params.id), nextCursor: null }),
  );

  app.post(
    '/layers/:id/annotations',
    {
      schema: {
        operationId: 'createAnnotation',
        tags,
        summary: 'Annotate an item in a layer; needs annotate',
        params: Type.Object({ id: Id }),
        body: Type.Object({ itemId: Id, label: Label, bbox: Type.Optional(Type.Union([Box, Type.Null()])) }),
        response: { 201: AnnotationSchema, ...errors(400, 401, 403, 404) },
      },
    },
    async (request, reply) => reply.code(201).send(await createAnnotation(ctx, requireActor(request), request.params.id, request.body)),
  );

  app.get(
    '/layers/:id/annotations',
    {
      schema: {
        operationId: 'listAnnotations',
        tags,
        summary: "A layer's annotations, optionally of one item",
        params: Type.Object({ id: Id }),
        querystring: Type.Object({ ...PageQuery, itemId: Type.Optional(Id) }),
        response: { 200: pageOf(AnnotationSchema), ...errors(400, 401, 404) },
      },
    },
    async (request) =>
      listAnnotations(ctx, requireActor(request), request.params.id, {
        limit: request.query.limit ?? 50,
        cursor: request.query.cursor,
        itemId: request.query.itemId,
      }),
  );

  app.patch(
    '/annotations/:id',
    {
      schema: {
        operationId: 'updateAnnotation',
        tags,
        summary: 'Edit an annotation; needs annotate',
        params: Type.Object({ id: Id }),
        body: Type.Object({ label: Type.Optional(Label), bbox: Type.Optional(Type.Union([Box, Type.Null()])) }, { minProperties: 1 }),
        response: { 200: AnnotationSchema, ...errors(400, 401, 403, 404) },
      },
    },
    async (request) => updateAnnotation(ctx, requireActor(request), request.params.id, request.body),
  );

  app.delete(
    '/annotations/:id',
    {
      schema: {
        operationId: 'deleteAnnotation',
        tags,
        summary: 'Delete an annotation; needs annotate',
        params: Type.Object({ id: Id }),
        response: { 204: NoContent, ...errors(401, 403, 404) },
      },
    },
    async (request, reply) => {
      await deleteAnnotation(ctx, requireActor(request), request.params.id);
      return reply.code(204).send();
    },
  );
}

/** POST /datasets/:id/items: files as multipart/form-data, streamed to the blob store. */
function uploadRoute(app: TypedApp, ctx: Context): void {
  app.post(
    '/datasets/:id/items',
    {
      schema: {
        operationId: 'uploadItems',
        tags,
        summary: 'Upload one or more files (multipart/form-data); needs write',
        consumes: ['multipart/form-data'],
        params: Type.Object({ id: Id }),
        response: { 201: Type.Object({ items: Type.Array(ItemSchema) }), ...errors(400, 401, 403, 404, 413, 503) },
      },
      config: { acceptsUpload: true },
    },
    async (request, reply) => {
      const actor = requireActor(request);
      if (!request.isMultipart()) throw new InvalidRequest('Upload files as multipart/form-data.');
      const upload = uploadedFiles(request, ctx.maxUploadBytes);
      try {
        return reply.code(201).send({ items: await uploadItems(ctx, actor, request.params.id, upload.files) });
      } catch (error) {
        if (upload.malformed() && !(error instanceof DomainError)) throw malformedBody();
        throw error;
      }
    },
  );
}
