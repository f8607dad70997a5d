import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { FastifyBaseLogger, FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DomainError, RangeNotSatisfiable, RateLimited, Unavailable } from '../errors.js';
import { WELL_FORMED } from './schemas.js';

export const STATUS: Record<DomainError['kind'], number> = {
  invalid_request: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  gone: 410,
  payload_too_large: 413,
  rate_limited: 429,
  range_not_satisfiable: 416,
  unavailable: 503,
};

function send(reply: FastifyReply, status: number, code: string, message: string, details?: unknown) {
  return reply
    .code(status)
    .type('application/json')
    .send({ error: { code, message, ...(details === undefined ? {} : { details }) } });
}

// Errors that mean the database is unreachable for now: clients should retry, not give up.
const UNAVAILABLE = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  '57P01',
  '57P02',
  '57P03',
  '08000',
  '08003',
  '08006',
  'SQLITE_BUSY',
]);

function isUnavailable(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && UNAVAILABLE.has(code)) return true;
  const message = error instanceof Error ? error.message : '';
  return /Connection terminated|connection timeout|Client has encountered a connection error/i.test(message);
}

function validationDetails(error: FastifyError) {
  return (error.validation ?? []).map((v) => ({
    path: `${error.validationContext ?? 'body'}${v.instancePath || ''}`,
    message: v.params.pattern === WELL_FORMED ? 'must be well-formed Unicode text' : (v.message ?? 'is invalid'),
  }));
}

/** The one place errors become HTTP answers: the API's error shape, and never internals. */
export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    if (error instanceof DomainError) {
      if (error instanceof RateLimited) reply.header('Retry-After', String(error.retryAfterSeconds));
      if (error instanceof RangeNotSatisfiable) reply.header('Content-Range', `bytes */${error.size}`);
      if (error instanceof Unavailable) {
        request.log.warn({ err: error.reason }, 'blob store unavailable');
        reply.header('Retry-After', '2');
      }
      return send(reply, STATUS[error.kind], error.code, error.message, error.details);
    }
    if (error.validation) {
      const details = validationDetails(error);
      const first = details[0];
      return send(reply, 400, 'invalid_request', first ? `Invalid request: ${first.path} ${first.message}.` : 'Invalid request.', details);
    }
    switch (error.code) {
      case 'FST_ERR_CTP_BODY_TOO_LARGE':
        return send(reply, 413, 'payload_too_large', 'The request body is too large.');
      case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
        return send(reply, 415, 'unsupported_media_type', 'Send JSON with Content-Type: application/json.');
      case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
        return send(reply, 400, 'invalid_request', 'The Content-Length header does not match the body.');
    }
    if (error instanceof SyntaxError || error.code === 'FST_ERR_CTP_INVALID_JSON_BODY') {
      return send(reply, 400, 'invalid_request', 'The body is not valid JSON.');
    }
    if ((error as { code?: unknown }).code === 'ENOSPC') {
      request.log.error({ err: error }, 'out of disk space');
      return send(reply, 507, 'insufficient_storage', 'The server has no room left to store this. Nothing was saved; tell your admin.');
    }
    if (isUnavailable(error)) {
      request.log.warn({ err: error }, 'database unavailable');
      reply.header('Retry-After', '2');
      return send(reply, 503, 'unavailable', 'Tessera is briefly unavailable. Try again in a moment.');
    }
    const status = error.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      return send(reply, status, status === 404 ? 'not_found' : 'invalid_request', 'The request could not be processed.');
    }
    request.log.error({ err: error }, 'unexpected error');
    return send(reply, 500, 'internal', 'Something went wrong on our side. Try again; if it keeps happening, tell your admin.');
  });
}

export function sendNotFound(request: FastifyRequest, reply: FastifyReply) {
  return send(reply, 404, 'not_found', `No route for ${request.method} ${request.url.split('?')[0]}.`);
}

/** What Node's HTTP parser refuses before any route sees the request, by the parser's error code. */
const UNPARSED_REQUESTS: Record<string, { status: number; code: string; message: string }> = {
  HPE_HEADER_OVERFLOW: { status: 431, code: 'headers_too_large', message: 'The request line and headers are too large.' },
  ERR_HTTP_REQUEST_TIMEOUT: { status: 408, code: 'request_timeout', message: 'The request took too long to arrive.' },
};
const MALFORMED_REQUEST = { status: 400, code: 'invalid_request', message: 'The request is not well-formed HTTP.' };

/**
 * Answers a request the HTTP parser refused (an oversized header, a malformed Content-Length, a
 * garbage request line) in the API's error shape; Fastify's own answer has another. The connection
 * is closed after it, as Fastify does: nothing more read from it can be trusted.
 */
export function answerUnparsedRequest(logger: FastifyBaseLogger, error: Error & { code?: string }, socket: Duplex): void {
  // A reset or closed connection has no one left to answer.
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const answer = (error.code === undefined ? undefined : UNPARSED_REQUESTS[error.code]) ?? MALFORMED_REQUEST;
  logger.debug({ code: error.code }, 'request refused by the HTTP parser');
  if (socket.writable) {
    const body = JSON.stringify({ error: { code: answer.code, message: answer.message } });
    socket.write(
      `HTTP/1.1 ${answer.status} ${STATUS_CODES[answer.status]}\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}
