import type { FastifyInstance, LightMyRequestResponse } from 'fastify';

export interface Response<T = any> {
  status: number;
  body: T;
  headers: LightMyRequestResponse['headers'];
}

let counter = 0;
/**
 * A unique address per call, so tests never collide on data. Past the name only digits, so a
 * search for letters finds people by their names alone ("ze" once matched a random "…ze…").
 */
export function uniqueEmail(name: string): string {
  counter += 1;
  return `${name.toLowerCase()}.${process.pid}.${counter}.${Math.floor(Math.random() * 1e6)}@example.test`;
}

/** Someone talking to Tessera over HTTP: anonymous, with a session cookie, or with a bearer token. */
export class Actor {
  constructor(
    readonly app: FastifyInstance,
    readonly auth: { cookie?: string; bearer?: string } = {},
    readonly user: { id: string; email: string; name: string; emailVerified?: boolean } = { id: '', email: '', name: '' },
    /** The caller's network address, as the server sees it (fastify.inject's remoteAddress). */
    readonly address = '127.0.0.1',
  ) {}

  /** The same caller, talking from another network address. */
  from(address: string): Actor {
    return new Actor(this.app, this.auth, this.user, address);
  }

  get id(): string {
    return this.user.id;
  }

  async request<T = any>(method: string, url: string, body?: unknown, headers: Record<string, string> = {}): Promise<Response<T>> {
    const res = await this.app.inject({
      method: method as 'GET',
      url,
      remoteAddress: this.address,
      headers: {
        ...(body !== undefined || method !== 'GET' ? { 'content-type': 'application/json' } : {}),
        ...(this.auth.cookie ? { cookie: `tessera_session=${this.auth.cookie}` } : {}),
        ...(this.auth.bearer ? { authorization: `Bearer ${this.auth.bearer}` } : {}),
        ...headers,
      },
      // A change without a body sends `{}`, as the web app does: without Origin, a cookie needs a JSON body (API.md).
      ...(body !== undefined ? { payload: JSON.stringify(body) } : method !== 'GET' && method !== 'HEAD' ? { payload: '{}' } : {}),
    });
    const text = res.body;
    let parsed: unknown = text;
    if ((res.headers['content-type'] ?? '').toString().includes('json') && text) parsed = JSON.parse(text);
    return { status: res.statusCode, body: parsed as T, headers: res.headers };
  }

  get<T = any>(url: string) {
    return this.request<T>('GET', url);
  }
  post<T = any>(url: string, body: unknown = {}) {
    return this.request<T>('POST', url, body);
  }
  put<T = any>(url: string, body: unknown = {}) {
    return this.request<T>('PUT', url, body);
  }
  patch<T = any>(url: string, body: unknown = {}) {
    return this.request<T>('PATCH', url, body);
  }
  delete<T = any>(url: string) {
    return this.request<T>('DELETE', url);
  }
}

export function sessionCookieOf(res: { headers: LightMyRequestResponse['headers'] }): string {
  const raw = res.headers['set-cookie'];
  const cookies = Array.isArray(raw) ? raw : raw ? [raw] : [];
  for (const c of cookies) {
    const m = /tessera_session=([^;]*)/.exec(c);
    if (m?.[1]) return m[1];
  }
  throw new Error('No session cookie in the response');
}

export const PASSWORD = 'correct horse battery';

/** Signs a new user up over HTTP and returns them logged in with the session cookie. */
export async function signUp(
  app: FastifyInstance,
  name: string,
  email = uniqueEmail(name),
  extra: Record<string, unknown> = {},
): Promise<Actor> {
  const anonymous = new Actor(app);
  const res = await anonymous.post('/api/v1/auth/signup', { email, password: PASSWORD, name, ...extra });
  if (res.status !== 201) throw new Error(`signup failed: ${res.status} ${JSON.stringify(res.body)}`);
  return new Actor(app, { cookie: sessionCookieOf(res) }, res.body.user);
}

export async function logIn(app: FastifyInstance, email: string, password = PASSWORD): Promise<Actor> {
  const res = await new Actor(app).post('/api/v1/auth/login', { email, password });
  if (res.status !== 200) throw new Error(`login failed: ${res.status} ${JSON.stringify(res.body)}`);
  return new Actor(app, { cookie: sessionCookieOf(res) }, res.body.user);
}
