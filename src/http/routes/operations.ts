import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Context } from '../../context.js';
import { Forbidden, NotFound } from '../../errors.js';
import { metricsText, refreshQueueGauges, registry, requestMetrics } from '../../metrics.js';

const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

export interface OperationsOptions {
  /** True once the instance is shutting down: load balancers should stop sending requests. */
  isDraining: () => boolean;
  metricsToken: string | undefined;
}

function bearerMatches(request: FastifyRequest, token: string): boolean {
  const header = request.headers.authorization ?? '';
  const given = Buffer.from(header.startsWith('Bearer ') ? header.slice('Bearer '.length) : '');
  const expected = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/**
 * `/metrics` answers the machine itself; other addresses need METRICS_TOKEN as a bearer token.
 * Without a token configured the endpoint does not exist for them (404); with one, a wrong or
 * missing token is 403.
 */
function authorizeMetrics(request: FastifyRequest, token: string | undefined): void {
  // A request relayed by a reverse proxy on the same machine comes from 127.0.0.1 too: it is not local.
  const relayed = request.headers['x-forwarded-for'] !== undefined || request.headers.forwarded !== undefined;
  if (LOOPBACK.has(request.socket.remoteAddress ?? '') && !relayed) return;
  if (token === undefined) throw new NotFound('Page');
  if (!bearerMatches(request, token)) throw new Forbidden('Metrics need the metrics token as a bearer token.');
}

export function operationsRoutes(app: FastifyInstance, ctx: Context, options: OperationsOptions): void {
  app.addHook('onResponse', (request, reply, done) => {
    requestMetrics.observe(request.method, request.routeOptions.url ?? 'unmatched', reply.statusCode, reply.elapsedTime / 1000);
    done();
  });

  app.get('/readyz', { schema: { hide: true } }, async (_request, reply) => {
    if (options.isDraining()) return reply.code(503).send({ status: 'draining' });
    return reply.send({ status: 'ready' });
  });

  app.get('/metrics', { schema: { hide: true } }, async (request, reply) => {
    authorizeMetrics(request, options.metricsToken);
    await refreshQueueGauges(ctx.db, ctx.delivery.now());
    return reply.type(registry.contentType).send(await metricsText());
  });
}
