/**
 * Prints the OpenAPI document (GET /api/v1/openapi.json) without a database or a running server:
 * the routes are built against a context that only carries what building them reads.
 * The servers entry is the default PUBLIC_URL, so the document is the same on every machine.
 * `tsx scripts/openapi.ts [out.json]`
 */
import fs from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import type { Context } from '../src/context.js';
import { buildServer } from '../src/http/server.js';

export async function openApiDocument(publicUrl = 'http://127.0.0.1:3000'): Promise<unknown> {
  const ctx = { publicUrl: new URL(publicUrl), logger: pino({ level: 'silent' }), maxUploadBytes: 1, oidc: null, passwordLogin: true };
  const app = await buildServer(ctx as unknown as Context, { webRoot: '/nonexistent' });
  await app.ready();
  const document = app.swagger();
  await app.close();
  return document;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const text = `${JSON.stringify(await openApiDocument(), null, 2)}\n`;
  const out = process.argv[2];
  if (out) {
    fs.mkdirSync(path.dirname(out), { recursive: true });
    fs.writeFileSync(out, text);
  } else process.stdout.write(text);
}
