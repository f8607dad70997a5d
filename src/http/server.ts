import fs from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import compress from '@fastify/compress';
import cookie from '@fastify/cookie';
import fastifyStatic from '@fastify/static';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import helmet, { type HelmetOptions } from 'helmet';
import { sql } from 'kysely';
import type { Context } from '../context.js';
import { InvalidRequest } from '../errors.js';
import { installAuth, sessionCookieName } from './auth.js';
import { answerUnparsedRequest, installErrorHandler, sendNotFound } from './errors.js';
import { documentRoute, finishDocument, TAGS } from './openapi.js';
import { accessRoutes } from './routes/access.js';
import { accountRoutes } from './routes/accounts.js';
import { auditRoutes } from './routes/audit.js';
import { contentRoutes } from './routes/content.js';
import { datasetRoutes } from './routes/datasets.js';
import { invitationRoutes } from './routes/invitations.js';
import { linkRoutes } from './routes/links.js';
import { mailRoutes } from './routes/mail.js';
import { operationsRoutes } from './routes/operations.js';
import { orgRoutes } from './routes/orgs.js';
import { processingRoutes } from './routes/processing.js';
import { projectRoutes } from './routes/projects.js';
import { scimRoutes } from './routes/scim.js';
import { sharingRoutes } from './routes/sharing.js';
import { singleSignOnRoutes } from './routes/single-sign-on.js';
import { teamRoutes } from './routes/teams.js';
import { webhookRoutes } from './routes/webhooks.js';
import { installValidation } from './validation.js';

/**
 * Swagger UI's colours darkened to WCAG AA. The document names one server, this Tessera, so the
 * server picker (a select Swagger UI leaves without a label) is not shown: "Try it out" uses it.
 */
const SWAGGER_THEME = `
.swagger-ui .opblock.opblock-get .opblock-summary-method { background: #1d5fa8 !important; }
.swagger-ui .opblock.opblock-post .opblock-summary-method { background: #1f6f4a !important; }
.swagger-ui .opblock.opblock-put .opblock-summary-method { background: #8a4f00 !important; }
.swagger-ui .opblock.opblock-patch .opblock-summary-method { background: #0f6b5c !important; }
.swagger-ui .opblock.opblock-delete .opblock-summary-method { background: #b3261e !important; }
.swagger-ui .info .title small pre, .swagger-ui .info .title small { background: #4b5563; }
.swagger-ui .info .url, .swagger-ui .opblock .opblock-summary-description { color: #1b1f24; }
.swagger-ui .btn.authorize { color: #1f6f4a; border-color: #1f6f4a; }
.swagger-ui .btn.authorize svg { fill: #1f6f4a; }
.swagger-ui .info a, .swagger-ui .info__license__url .link { color: #1d5fa8; }
.swagger-ui .json-schema-2020-12-expand-deep-button { color: #4b5563; }
.swagger-ui .scheme-container .servers-title, .swagger-ui .scheme-container .servers { display: none; }
`;

export type App = FastifyInstance;
export type TypedApp = ReturnType<typeof typed>;
const typed = (app: FastifyInstance) => app.withTypeProvider<TypeBoxTypeProvider>();

export const BODY_LIMIT = 1024 * 1024;

/** The built web app (vite build → dist/web), found from the package root whether running from src/ or dist/. */
function defaultWebRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!fs.existsSync(path.join(dir, 'package.json')) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  return path.join(dir, 'dist', 'web');
}
/**
 * One policy for the web app and the API docs: every script, style sheet and image comes from
 * Tessera itself. Inline styles stay allowed because React and Swagger UI set style attributes;
 * no inline script runs anywhere. `base-uri 'none'` keeps an injected <base> from re-pointing
 * relative URLs.
 */
const CSP_DIRECTIVES = {
  defaultSrc: ["'self'"],
  baseUri: ["'none'"],
  scriptSrc: ["'self'"],
  scriptSrcAttr: ["'none'"],
  styleSrc: ["'self'", "'unsafe-inline'"],
  imgSrc: ["'self'", 'data:', 'blob:'],
  fontSrc: ["'self'", 'data:'],
  connectSrc: ["'self'"],
  objectSrc: ["'none'"],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
};

/** Adds the hashes Swagger UI declares for its inline scripts and styles (none in this version) to the policy. */
function withSwaggerHashes(header: string, hashes: { script: string[]; style: string[] }): string {
  const extend = (policy: string, directive: string, extra: string[]) =>
    extra.length === 0 ? policy : policy.replace(new RegExp(`(^|;\\s*)${directive}(\\s[^;]*)`), `$1${directive}$2 ${extra.join(' ')}`);
  return extend(extend(header, 'script-src', hashes.script), 'style-src', hashes.style);
}

/** NUL cannot be stored in PostgreSQL text and has no business in names or labels. */
function refuseNul(_key: string, value: unknown): unknown {
  if (typeof value === 'string' && value.includes('\0')) throw new InvalidRequest('Text must not contain NUL characters.');
  return value;
}

/**
 * Helmet's headers for these options, worked out once. They depend on the configuration only (no
 * directive here is a function of the request), so running helmet's middleware on every request,
 * a dozen `setHeader` calls each validated again, cost 17 µs of a 70 µs authorized read under
 * load (docs/performance.md); the reply now carries the same headers from one object.
 */
function helmetHeaders(options: HelmetOptions): Readonly<Record<string, string>> {
  const headers: Record<string, string> = {};
  const response = {
    setHeader(name: string, value: string | number | readonly string[]) {
      headers[name.toLowerCase()] = String(value);
    },
    removeHeader(name: string) {
      delete headers[name.toLowerCase()];
    },
  };
  let finished = false;
  helmet(options)({} as IncomingMessage, response as unknown as ServerResponse, (error?: unknown) => {
    if (error !== undefined) throw error;
    finished = true;
  });
  if (!finished) throw new Error('Helmet did not finish its headers at once.');
  return Object.freeze(headers);
}

export interface ServerOptions {
  webRoot?: string;
  /** True while the instance shuts down (GET /readyz answers 503). */
  isDraining?: () => boolean;
  metricsToken?: string | undefined;
}

export async function buildServer(ctx: Context, options: ServerOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    bodyLimit: BODY_LIMIT,
    trustProxy: false,
    // Errors the router raises before any route runs (a malformed URL, an over-long id) get the API's shape too.
    frameworkErrors: (error, _request, reply: FastifyReply) => {
      const tooLong = error.code === 'FST_ERR_MAX_PARAM_LENGTH';
      return reply
        .code(tooLong ? 414 : 400)
        .send({ error: { code: 'invalid_request', message: tooLong ? 'An id in the path is too long.' : 'The URL is malformed.' } });
    },
    // What Node's HTTP parser refuses (an oversized header, a malformed request) gets the API's shape too.
    clientErrorHandler: (error, socket) => answerUnparsedRequest(ctx.logger as FastifyBaseLogger, error, socket),
    loggerInstance: ctx.logger as FastifyBaseLogger,
  });

  // An empty JSON body (e.g. DELETE from the web app) is no body, not a syntax error.
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (text.trim() === '') return done(null, undefined);
    try {
      done(null, JSON.parse(text, refuseNul));
    } catch (error) {
      done(
        error instanceof InvalidRequest ? error : Object.assign(new SyntaxError('The body is not valid JSON.'), { statusCode: 400 }),
        undefined,
      );
    }
  });

  const https = ctx.publicUrl.protocol === 'https:';
  const securityHeaders = helmetHeaders({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: { ...CSP_DIRECTIVES, ...(https ? { upgradeInsecureRequests: [] } : {}) },
    },
    // Strict-Transport-Security only means something, and is only safe to send, when Tessera is served over https.
    strictTransportSecurity: https ? { maxAge: 365 * 24 * 60 * 60, includeSubDomains: false } : false,
    frameguard: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
  });
  // Every request's own headers in one hook: a URL with NUL is refused, API answers are never
  // cached, and helmet's headers go on everything.
  app.addHook('onRequest', (request, reply, done) => {
    if (request.url.includes('%00')) return done(new InvalidRequest('The URL must not contain NUL characters.'));
    reply.headers(securityHeaders);
    if (request.url.startsWith('/api/')) reply.header('Cache-Control', 'no-store');
    done();
  });
  await app.register(cookie);
  // Only the upload route reads files (routes/content.ts gives it the multipart parser, and its
  // hooks, alone). Anywhere else a multipart body is left unread, as the parser left it before:
  // a route that takes JSON refuses the missing body (400), one that takes none ignores it. A
  // parser's error would close the connection under a client still sending (EPIPE, no answer).
  app.addContentTypeParser('multipart/form-data', (_request, _payload, done) => done(null, undefined));
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Tessera API',
        version: '1.1.0',
        description: 'Share datasets with colleagues, teams and partners.',
        license: { name: 'Apache-2.0', url: 'https://www.apache.org/licenses/LICENSE-2.0' },
      },
      tags: TAGS,
      components: {
        securitySchemes: {
          session: { type: 'apiKey', in: 'cookie', name: sessionCookieName(ctx.publicUrl) },
          bearer: { type: 'http', scheme: 'bearer', description: 'A personal access token (tsr_…)' },
        },
      },
      security: [{ session: [] }, { bearer: [] }],
    },
    transform: documentRoute,
    transformObject: finishDocument(ctx.publicUrl),
  });
  await app.register(swaggerUi, {
    routePrefix: '/api/docs',
    // No top bar: its URL box, logo and button are for exploring other APIs, not this one.
    uiConfig: { layout: 'BaseLayout' },
    // Method badges and small print dark enough to read (WCAG AA); see docs/accessibility.md.
    theme: { css: [{ filename: 'tessera.css', content: SWAGGER_THEME }] },
    transformStaticCSP: (header) => withSwaggerHashes(header, app.swaggerCSP),
  });

  installValidation(app);
  installErrorHandler(app);
  installAuth(app, ctx);

  app.get('/healthz', { schema: { hide: true } }, async (_request, reply) => {
    await sql`select 1`.execute(ctx.db);
    return reply.send({ status: 'ok' });
  });
  operationsRoutes(app, ctx, { isDraining: options.isDraining ?? (() => false), metricsToken: options.metricsToken });
  app.get('/api/v1/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  await app.register(
    async (api) => {
      const t = typed(api);
      accountRoutes(t, ctx);
      singleSignOnRoutes(t, ctx);
      orgRoutes(t, ctx);
      teamRoutes(t, ctx);
      datasetRoutes(t, ctx);
      sharingRoutes(t, ctx);
      invitationRoutes(t, ctx);
      accessRoutes(t, ctx);
      auditRoutes(t, ctx);
      contentRoutes(t, ctx);
      projectRoutes(t, ctx);
      processingRoutes(t, ctx);
      mailRoutes(t, ctx);
      linkRoutes(t, ctx);
      webhookRoutes(t, ctx);
    },
    { prefix: '/api/v1' },
  );
  await scimRoutes(app, ctx);

  const webRoot = options.webRoot ?? defaultWebRoot();
  const servesApp = fs.existsSync(path.join(webRoot, 'index.html'));
  if (servesApp) {
    // The web app's files, compressed, in a scope of their own: API answers are not compressed, as
    // they can hold secrets next to text a request chose (BREACH). Vite names each built asset by
    // its content hash, so those can be cached for good; index.html must be checked every time.
    await app.register(async (web) => {
      await web.register(compress, { global: true, encodings: ['br', 'gzip'], threshold: 1024 });
      await web.register(fastifyStatic, {
        root: webRoot,
        wildcard: false,
        index: ['index.html'],
        cacheControl: false,
        setHeaders(res, file) {
          const hashed = file.startsWith(path.join(webRoot, 'assets') + path.sep);
          res.header('cache-control', hashed ? 'public, max-age=31536000, immutable' : 'no-cache');
        },
      });
    });
  }
  app.setNotFoundHandler((request: FastifyRequest, reply) => {
    // Client-side routes (/datasets/…, /invite, …) all load the app shell.
    if (servesApp && request.method === 'GET' && !request.url.startsWith('/api/')) {
      return fs.promises
        .readFile(path.join(webRoot, 'index.html'))
        .then((html) => reply.type('text/html').header('cache-control', 'no-cache').send(html));
    }
    return sendNotFound(request, reply);
  });
  return app;
}
