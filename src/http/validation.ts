import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifyInstance } from 'fastify';

/**
 * Bodies are validated strictly: `{"name": 42}` is an error, never the string "42". Query
 * strings and path parameters arrive as text, so there numbers and booleans are coerced.
 */
export function installValidation(app: FastifyInstance): void {
  const options = { allErrors: false, removeAdditional: false, useDefaults: true, strict: false } as const;
  const strict = addFormats.default(new Ajv.default({ ...options, coerceTypes: false }));
  const coercing = addFormats.default(new Ajv.default({ ...options, coerceTypes: 'array' }));
  app.setValidatorCompiler(({ schema, httpPart }) => (httpPart === 'body' ? strict : coercing).compile(schema));
}
