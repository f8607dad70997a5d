import { createHmac, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

export interface ReceivedHook {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** An answer the receiver gives: a status, and headers (a Location for a redirect), once `after` settles if given. */
export interface Answer {
  status: number;
  headers?: Record<string, string>;
  after?: Promise<unknown>;
}

/**
 * A real HTTP receiver on 127.0.0.1, as a customer would run one: it keeps every request and
 * answers from a script per path (200 once the script is used up).
 */
export class WebhookReceiver {
  readonly received: ReceivedHook[] = [];
  private readonly scripts = new Map<string, Answer[]>();
  private readonly always = new Map<string, Answer>();
  private server: http.Server | null = null;
  url = '';

  async start(): Promise<this> {
    return this.startOn(0);
  }

  /** Listens on a given port (one a Tessera instance was told about while nothing listened there). */
  async startOn(port: number): Promise<this> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const p = req.url ?? '/';
        this.received.push({ path: p, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
        const answer = this.scripts.get(p)?.shift() ?? this.always.get(p) ?? { status: 200 };
        void Promise.resolve(answer.after).finally(() => {
          res.writeHead(answer.status, answer.headers ?? {});
          res.end('ok');
        });
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  /** The next answers on `path`, in order. */
  script(p: string, ...answers: Answer[]): void {
    this.scripts.set(p, answers);
  }

  /** The answer on `path` once its script is used up. */
  answerAlways(p: string, answer: Answer): void {
    this.always.set(p, answer);
  }

  on(p: string): ReceivedHook[] {
    return this.received.filter((r) => r.path === p);
  }

  /** Waits (real time) until `path` has seen `count` requests. */
  async waitFor(p: string, count: number, timeoutMs = 10_000): Promise<ReceivedHook[]> {
    const until = Date.now() + timeoutMs;
    while (this.on(p).length < count) {
      if (Date.now() > until) throw new Error(`${p} saw ${this.on(p).length} requests, expected ${count}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    return this.on(p);
  }

  async close(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }
}

type Verify = (rawBody: string, header: string, secret: string, nowSeconds?: number, toleranceSeconds?: number) => boolean;

/**
 * The signature check exactly as docs/webhooks.md documents it for customers: the snippet is
 * read from the document and run, so the documentation cannot drift from what Tessera sends.
 */
export function documentedVerifier(): Verify {
  const doc = fs.readFileSync(path.join(import.meta.dirname, '..', '..', 'docs', 'webhooks.md'), 'utf8');
  const snippet = /```js\n([\s\S]*?)```/.exec(doc)?.[1];
  if (!snippet?.includes('function verifyTesseraSignature')) throw new Error('docs/webhooks.md has no verification snippet');
  const body = snippet.replace(/^import .*$/m, '');
  return new Function('createHmac', 'timingSafeEqual', `${body}\nreturn verifyTesseraSignature;`)(createHmac, timingSafeEqual) as Verify;
}
