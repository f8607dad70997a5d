import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';

/**
 * Holds every answer a test server gives to the OpenAPI document it serves: the status must be
 * declared for the operation, a JSON body must match the declared schema, and a status declared
 * without content must come with no body. A mismatch fails the test that met it.
 */

type Json = Record<string, unknown>;
interface Operation {
  path: string;
  responses: Record<string, { content?: Record<string, { schema?: unknown }> }>;
}

const pointerSegment = (segment: string) => segment.replace(/~/g, '~0').replace(/\//g, '~1');

export class Contract {
  private readonly ajv = addFormats.default(new Ajv.default({ strict: false, allErrors: true }));
  private readonly routes: { method: string; pattern: RegExp; params: number; operation: Operation }[] = [];
  private readonly validators = new Map<string, ValidateFunction>();

  private readonly shared: Operation['responses'];

  constructor(document: Json) {
    this.shared = ((document.components as Json | undefined)?.responses ?? {}) as Operation['responses'];
    this.ajv.addFormat('binary', true);
    this.ajv.addSchema(document, 'openapi.json');
    for (const [path, operations] of Object.entries(document.paths as Record<string, Record<string, Json>>)) {
      const source = path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]+');
      for (const [method, operation] of Object.entries(operations)) {
        this.routes.push({
          method: method.toUpperCase(),
          pattern: new RegExp(`^${source}$`),
          params: (path.match(/\{/g) ?? []).length,
          operation: { path, responses: operation.responses as Operation['responses'] },
        });
      }
    }
    // A fixed segment wins over a parameter (`/invitations/lookup` before `/invitations/{id}`).
    this.routes.sort((a, b) => a.params - b.params);
  }

  /** An operation's declared answer at a status, shared ones (`$ref` to components.responses) looked up. */
  private response(operation: Operation, method: string, status: string) {
    const declared = operation.responses[status] as (Operation['responses'][string] & { $ref?: string }) | undefined;
    if (declared?.$ref) {
      const name = declared.$ref.replace('#/components/responses/', '');
      return { declared: this.shared[name], pointer: `openapi.json${declared.$ref}` };
    }
    return { declared, pointer: `openapi.json#/paths/${pointerSegment(operation.path)}/${method.toLowerCase()}/responses/${status}` };
  }

  /** The problem with this answer, or null when it is what the document says. */
  check(method: string, url: string, res: LightMyRequestResponse): string | null {
    const path = url.split('?')[0] ?? url;
    const route = this.routes.find((r) => r.method === method && r.pattern.test(path));
    if (!route) return null;
    const status = String(res.statusCode);
    const key = route.operation.responses[status] ? status : 'default';
    const { declared, pointer: at } = this.response(route.operation, method, key);
    const where = `${method} ${route.operation.path} answered ${status}`;
    if (!declared) return `${where}, which the document does not declare (body: ${res.payload.slice(0, 300)})`;
    if (method === 'HEAD') return null;
    const content = declared.content;
    if (!content) return res.payload === '' ? null : `${where} with a body, where the document declares none`;
    const json = content['application/json'];
    if (!json) return null;
    const type = String(res.headers['content-type'] ?? '');
    if (!type.startsWith('application/json')) return `${where} as ${type || 'no content type'}, where the document declares JSON`;
    const pointer = `${at}/content/application~1json/schema`;
    let validate = this.validators.get(pointer);
    if (!validate) {
      validate = this.ajv.compile({ $ref: pointer });
      this.validators.set(pointer, validate);
    }
    let body: unknown;
    try {
      body = JSON.parse(res.payload);
    } catch {
      return `${where} with a body that is not JSON`;
    }
    if (validate(body)) return null;
    const problems = (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message}`).join('; ');
    return `${where} with a body that does not match the document: ${problems} (body: ${res.payload.slice(0, 500)})`;
  }
}

export class ContractDrift extends Error {}

/**
 * Makes `app.inject` check every answer against the app's own OpenAPI document, so every test
 * that talks to the server (directly or through an Actor) also tests the document.
 */
export function holdToContract(app: FastifyInstance): void {
  let contract: Contract | undefined;
  const original = app.inject as unknown as (this: FastifyInstance, ...args: unknown[]) => unknown;
  const inject = (options: unknown) => original.call(app, options) as Promise<LightMyRequestResponse>;
  const checked = async (options: unknown) => {
    const res = await inject(options);
    contract ??= new Contract(app.swagger() as unknown as Json);
    const request = (res as unknown as { raw: { req: { method: string; url: string } } }).raw.req;
    const problem = contract.check(request.method, request.url, res);
    if (problem) throw new ContractDrift(problem);
    return res;
  };
  // Only the promise form (`await app.inject({...})`) is checked; the chained and callback forms are left as they are.
  (app as { inject: unknown }).inject = (...args: unknown[]) =>
    args[0] === undefined || args[1] !== undefined ? original.apply(app, args) : checked(args[0]);
}
