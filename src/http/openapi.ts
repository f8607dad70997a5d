import { STATUS_CODES } from 'node:http';
import type { FastifySchema, RouteOptions } from 'fastify';
import { ErrorSchema, mediaOf, NoContent, Redirect } from './schemas.js';

/**
 * The OpenAPI document, made from the routes' own schemas. Statuses every route of a kind can
 * answer are added here from facts about the route, in one place, instead of in every route:
 *
 * - 400: any request (a malformed URL, NUL in the URL, and the route's own validation);
 * - 401: any API request (a bearer token that is not valid is refused even on a public route);
 * - 403, 413, 415: any change (the CSRF rule for cookie callers, the scope of a read token;
 *   the body limit; a body that is not JSON);
 * - 404, 414: any route with path parameters (no such thing; an over-long id);
 * - 500, 503: any request (a fault of ours; the database out of reach for a moment);
 * - 507: an upload, when the disk is full.
 *
 * Schemas with a `title` become `components.schemas` entries, referred to by `$ref`.
 */

type Json = Record<string, unknown>;
type RouteSchema = Json & { response?: Record<string, unknown>; params?: unknown };

const CHANGES = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const FILES_BODY = {
  type: 'object',
  required: ['files'],
  properties: { files: { type: 'array', items: { type: 'string', format: 'binary' }, description: 'One or more files' } },
};

function methodsOf(route: RouteOptions): string[] {
  return Array.isArray(route.method) ? route.method : [route.method];
}

const REDIRECT = {
  type: 'null',
  description: 'A redirect to the address in the Location header',
  headers: { Location: { type: 'string' } },
};

/** A response schema as the document shows it: no content, or another media type than JSON, where it says so. */
function documentedAnswer(body: unknown): unknown {
  if (body === NoContent) return { type: 'null', description: 'No content' };
  if (body === Redirect) return REDIRECT;
  const media = mediaOf(body);
  return media ? { description: media.description, content: { [media.type]: { schema: media.schema } } } : body;
}

/** @fastify/swagger's per-route transform: the route's schema as the document shows it. */
export function documentRoute({ schema, url, route }: { schema: FastifySchema; url: string; route: RouteOptions }): {
  schema: FastifySchema;
  url: string;
} {
  const own = (schema ?? {}) as RouteSchema;
  if (!url.startsWith('/api/v1/')) return { schema, url };
  const changes = methodsOf(route).some((m) => CHANGES.has(m));
  const uploads = route.config?.acceptsUpload === true;
  const statuses = [400, 401, 500, 503];
  if (changes) statuses.push(403, 413, 415);
  if (own.params) statuses.push(404, 414);
  if (uploads) statuses.push(507);

  const response: Record<string, unknown> = {};
  for (const [status, body] of Object.entries(own.response ?? {})) response[status] = documentedAnswer(body);
  for (const status of statuses) response[status] ??= ErrorSchema;

  const { produces: _produces, ...rest } = own;
  const documented = {
    ...rest,
    ...(uploads ? { consumes: ['multipart/form-data'], body: FILES_BODY } : {}),
    response: Object.fromEntries(Object.entries(response).sort(([a], [b]) => Number(a) - Number(b))),
  };
  return { url, schema: documented as FastifySchema };
}

/** Replaces every titled schema by a `$ref` to its entry in `components.schemas`. */
function nameSchemas(document: Json): Record<string, Json> {
  const named: Record<string, Json> = {};
  const texts: Record<string, string> = {};
  const visit = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(visit);
    if (node === null || typeof node !== 'object') return node;
    const entries = Object.entries(node as Json).map(([key, value]) => [key, visit(value)] as const);
    const object = Object.fromEntries(entries) as Json;
    const title = object.title;
    if (typeof title !== 'string') return object;
    const { description, ...canonical } = object;
    const text = JSON.stringify(canonical);
    if (texts[title] !== undefined && texts[title] !== text) throw new Error(`Two different schemas are titled ${title}`);
    texts[title] = text;
    named[title] = canonical;
    const ref = `#/components/schemas/${title}`;
    return description === undefined ? { $ref: ref } : { $ref: ref, description };
  };
  document.paths = visit(document.paths);
  // Named schemas inside named schemas were replaced while visiting them, so the entries hold refs too.
  return Object.fromEntries(Object.entries(named).sort(([a], [b]) => a.localeCompare(b)));
}

const ERROR_CONTENT = { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } };

/** An error answer as every route gives it: the Error schema and nothing else. */
function isPlainError(response: Json): boolean {
  return (
    Object.keys(response).every((key) => key === 'description' || key === 'content') &&
    JSON.stringify(response.content) === JSON.stringify(ERROR_CONTENT)
  );
}

/** The name of the shared answer of an error status in `components.responses`: `BadRequest`, `NotFound`, … */
const errorResponseName = (status: string) => (STATUS_CODES[status] ?? `Status ${status}`).replace(/[^A-Za-z0-9]/g, '');

/** @fastify/swagger's whole-document transform. */
export function finishDocument(publicUrl: URL) {
  return (documentObject: { openapiObject?: unknown } | { swaggerObject?: unknown }) => {
    const document = (documentObject as { openapiObject: Json }).openapiObject as Json & {
      components: Json & { schemas?: Json };
      paths: Record<string, Record<string, Json>>;
    };
    const schemas = nameSchemas(document);
    document.components.schemas = { ...document.components.schemas, ...schemas };
    const seen = new Set<string>();
    const shared: Record<string, Json> = {};
    for (const [path, operations] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        const answers = operation.responses as Record<string, Json>;
        for (const [status, response] of Object.entries(answers)) {
          if (response.description === 'Default Response') response.description = STATUS_CODES[status] ?? status;
          if (Number(status) < 400 || !isPlainError(response)) continue;
          const name = errorResponseName(status);
          shared[name] = { description: STATUS_CODES[status] ?? status, content: ERROR_CONTENT };
          answers[status] = { $ref: `#/components/responses/${name}` };
        }
        const id = operation.operationId;
        if (typeof id !== 'string') throw new Error(`${method.toUpperCase()} ${path} has no operationId`);
        if (seen.has(id)) throw new Error(`operationId ${id} is used twice`);
        seen.add(id);
      }
    }
    document.components.responses = Object.fromEntries(Object.entries(shared).sort(([a], [b]) => a.localeCompare(b)));
    return { ...document, servers: [{ url: publicUrl.origin, description: 'This Tessera' }] };
  };
}

/** The document's tags, in the order a reader meets them. */
export const TAGS = [
  { name: 'accounts', description: 'Sign-up, log-in, sessions, passwords and personal access tokens' },
  { name: 'organizations', description: 'Organizations and their members' },
  { name: 'teams', description: 'Teams within an organization' },
  { name: 'datasets', description: 'Datasets and the inventory' },
  { name: 'dataset content', description: 'Items, annotation layers and annotations' },
  { name: 'sharing', description: 'Grants to people and teams, and why someone has access' },
  { name: 'invitations', description: 'Invitations to datasets and organizations' },
  { name: 'share links', description: 'Links that grant access to whoever fits their rules' },
  { name: 'projects', description: 'Projects that group datasets' },
  { name: 'processing', description: 'Processing jobs and dataset lineage' },
  { name: 'audit', description: 'The audit log and the access review' },
  { name: 'mail', description: 'Invitation e-mail that has not left yet' },
  { name: 'webhooks', description: 'Signed webhooks for audit events' },
  { name: 'SCIM', description: 'Provisioning tokens for SCIM 2.0' },
];
