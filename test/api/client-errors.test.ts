import net, { type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { expectNoLeak } from './errors.js';

interface RawAnswer {
  statusLine: string;
  headers: Record<string, string>;
  body: unknown;
}

/**
 * Requests Node's HTTP parser refuses before Fastify or any route sees them: only a raw socket can
 * send them, and what comes back must still be in the API's error shape.
 */
describe('requests the HTTP parser refuses', () => {
  let server: TestServer;
  let port: number;
  beforeAll(async () => {
    server = await startTestServer({ db: 'sqlite' });
    await server.app.listen({ port: 0, host: '127.0.0.1' });
    port = (server.app.server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await server.close();
  });

  /** Writes `request` as it is and reads everything until the server closes the connection, which it must. */
  function send(request: string): Promise<RawAnswer> {
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      const socket = net.connect(port, '127.0.0.1', () => socket.write(request));
      socket.setTimeout(5_000, () => {
        reject(new Error('the server kept the connection open'));
        socket.destroy();
      });
      socket.on('data', (chunk) => chunks.push(chunk));
      // A reset after the answer (the rest of an oversized request unread) still counts as closed.
      socket.on('error', () => {});
      socket.on('close', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const [head = '', body = ''] = text.split('\r\n\r\n');
        const [statusLine = '', ...lines] = head.split('\r\n');
        const headers = Object.fromEntries(
          lines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]),
        );
        resolve({ statusLine, headers, body: body ? JSON.parse(body) : body });
      });
    });
  }

  function expectAnswer(answer: RawAnswer, statusLine: string, code: string) {
    expect(answer.statusLine).toBe(statusLine);
    expect(answer.body).toEqual({ error: { code, message: expect.any(String) } });
    expect(answer.headers['content-type']).toMatch(/^application\/json/);
    expect(answer.headers.connection).toBe('close');
    expectNoLeak({ status: Number(statusLine.split(' ')[1]), body: answer.body, headers: answer.headers });
  }

  it('answers 431 headers_too_large to a 20 KB header', async () => {
    const answer = await send(`GET /api/v1/me HTTP/1.1\r\nHost: tessera.test\r\nX-Padding: ${'a'.repeat(20_000)}\r\n\r\n`);
    expectAnswer(answer, 'HTTP/1.1 431 Request Header Fields Too Large', 'headers_too_large');
  });

  it('answers 431 headers_too_large to a 20 KB query string', async () => {
    const answer = await send(`GET /api/v1/datasets?q=${'a'.repeat(20_000)} HTTP/1.1\r\nHost: tessera.test\r\n\r\n`);
    expectAnswer(answer, 'HTTP/1.1 431 Request Header Fields Too Large', 'headers_too_large');
  });

  it('answers 400 invalid_request to a malformed Content-Length', async () => {
    const answer = await send('POST /api/v1/auth/login HTTP/1.1\r\nHost: tessera.test\r\nContent-Length: 1x\r\n\r\n{}');
    expectAnswer(answer, 'HTTP/1.1 400 Bad Request', 'invalid_request');
  });

  it('answers 400 invalid_request to a Transfer-Encoding that conflicts with Content-Length', async () => {
    const answer = await send(
      'POST /api/v1/auth/login HTTP/1.1\r\nHost: tessera.test\r\nTransfer-Encoding: chunked\r\nContent-Length: 2\r\n\r\n{}',
    );
    expectAnswer(answer, 'HTTP/1.1 400 Bad Request', 'invalid_request');
  });

  it('answers 400 invalid_request to a garbage request line', async () => {
    const answer = await send('\u0001\u0002 not http at all\r\n\r\n');
    expectAnswer(answer, 'HTTP/1.1 400 Bad Request', 'invalid_request');
  });

  it('still answers well-formed requests on the same server', async () => {
    const answer = await send('GET /healthz HTTP/1.1\r\nHost: tessera.test\r\nConnection: close\r\n\r\n');
    expect(answer.statusLine).toBe('HTTP/1.1 200 OK');
    expect(answer.body).toEqual({ status: 'ok' });
  });
});
