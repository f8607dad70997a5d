import fs from 'node:fs';
import path from 'node:path';
import type { Actor } from './client.js';
import type { TestServer } from './server.js';

/** A multipart/form-data body, as a browser would send it. */
export function multipart(files: { name: string; content: Buffer; type?: string }[]) {
  const boundary = `----tessera${Math.random().toString(16).slice(2)}`;
  const parts = files.map((f) =>
    Buffer.concat([
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${f.name}"\r\nContent-Type: ${f.type ?? 'application/octet-stream'}\r\n\r\n`,
      ),
      f.content,
      Buffer.from('\r\n'),
    ]),
  );
  return {
    payload: Buffer.concat([...parts, Buffer.from(`--${boundary}--\r\n`)]),
    contentType: `multipart/form-data; boundary=${boundary}`,
  };
}

export async function upload(
  actor: Actor,
  datasetId: string,
  files: { name: string; content: Buffer; type?: string }[],
  origin = 'http://tessera.test',
) {
  const body = multipart(files);
  const res = await actor.app.inject({
    method: 'POST',
    url: `/api/v1/datasets/${datasetId}/items`,
    headers: {
      'content-type': body.contentType,
      ...(actor.auth.cookie ? { cookie: `tessera_session=${actor.auth.cookie}` } : {}),
      ...(actor.auth.bearer ? { authorization: `Bearer ${actor.auth.bearer}` } : {}),
      ...(origin ? { origin } : {}),
    },
    payload: body.payload,
  });
  return { status: res.statusCode, body: res.json() };
}

export function blobFiles(server: TestServer): string[] {
  const root = path.join(server.dataDir, 'blobs');
  if (!fs.existsSync(root)) return [];
  return (fs.readdirSync(root, { recursive: true }) as string[]).filter((f) => !f.startsWith('tmp') && /[0-9a-f]{64}$/.test(f));
}
