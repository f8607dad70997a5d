import { generateKeyPairSync } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { KoaContextWithOidc } from 'oidc-provider';
import Provider from 'oidc-provider';
import type { OidcConfig } from '../../src/config.js';
import type { TestServer } from './server.js';

export const CLIENT_ID = 'tessera';
const CLIENT_SECRET = 'a-client-secret-for-the-test-provider';

/** Who logs in at the provider on the next sign-in, with the claims it vouches for. */
export interface ProviderAccount {
  sub: string;
  email: string;
  email_verified: boolean;
  name: string;
}

/**
 * A real OpenID Provider (oidc-provider by panva) on 127.0.0.1. Its login step is a tiny
 * interaction handler that logs in `next` at once, so a test drives the whole redirect dance
 * over HTTP; consent is given by the grant every client gets.
 */
export class TestProvider {
  next: ProviderAccount | null = null;
  readonly #accounts = new Map<string, ProviderAccount>();
  #server: http.Server | null = null;

  private constructor(readonly port: number) {}

  get issuer(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Started on `port`, or on a free one. */
  static async start(publicUrl: string, port = 0): Promise<TestProvider> {
    const server = http.createServer();
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    const provider = new TestProvider((server.address() as AddressInfo).port);
    provider.#server = server;
    provider.#serve(server, publicUrl);
    return provider;
  }

  /** A port on which nothing answers (yet). */
  static async freePort(): Promise<number> {
    const server = http.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise((resolve) => server.close(resolve));
    return port;
  }

  config(overrides: Partial<OidcConfig> = {}): OidcConfig {
    return TestProvider.configAt(this.port, overrides);
  }

  /** OIDC_* for a provider on `port`, started or not. */
  static configAt(port: number, overrides: Partial<OidcConfig> = {}): OidcConfig {
    const issuer = new URL(`http://127.0.0.1:${port}`);
    return { issuer, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, name: 'Test ID', only: false, ...overrides };
  }

  loginAs(account: ProviderAccount): void {
    this.#accounts.set(account.sub, account);
    this.next = account;
  }

  #serve(server: http.Server, publicUrl: string): void {
    const jwk = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
    const accounts = this.#accounts;
    const oidc = new Provider(this.issuer, {
      clients: [
        {
          client_id: CLIENT_ID,
          client_secret: CLIENT_SECRET,
          redirect_uris: [`${publicUrl}/api/v1/auth/oidc/callback`],
          grant_types: ['authorization_code'],
          response_types: ['code'],
        },
      ],
      jwks: { keys: [{ ...jwk, kid: 'test', use: 'sig', alg: 'RS256' }] },
      cookies: { keys: ['a-cookie-key-for-the-test-provider'] },
      claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
      features: { devInteractions: { enabled: false } },
      ttl: { Interaction: 600, Grant: 600, Session: 600, AccessToken: 600, IdToken: 600, AuthorizationCode: 60 },
      interactions: { url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}` },
      findAccount: (_ctx: unknown, sub: string) => {
        const account = accounts.get(sub);
        return account ? { accountId: sub, claims: () => ({ ...account }) } : undefined;
      },
      // Every sign-in is consented to: the test is about Tessera, not about the consent screen.
      loadExistingGrant: async (ctx: KoaContextWithOidc) => {
        const grantId = ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
        if (grantId) return ctx.oidc.provider.Grant.find(grantId);
        const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
        grant.addOIDCScope('openid email profile');
        await grant.save();
        return grant;
      },
    });
    const callback = oidc.callback();
    server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
      if (!req.url?.startsWith('/interaction/')) return callback(req, res);
      const next = this.next;
      if (!next) {
        res.statusCode = 400;
        res.end('nobody to log in');
        return;
      }
      oidc.interactionFinished(req, res, { login: { accountId: next.sub } }, { mergeWithLastSubmission: false }).catch((error: unknown) => {
        res.statusCode = 500;
        res.end(String(error));
      });
    });
  }

  async close(): Promise<void> {
    const server = this.#server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
}

/** The session and sign-in cookies a response sets, by name. */
export function cookiesOf(headers: { 'set-cookie'?: string | string[] | undefined }): Map<string, string> {
  const raw = headers['set-cookie'];
  const cookies = new Map<string, string>();
  for (const line of Array.isArray(raw) ? raw : raw ? [raw] : []) {
    const match = /^([^=]+)=([^;]*)/.exec(line);
    if (match?.[1] !== undefined) cookies.set(match[1], match[2] ?? '');
  }
  return cookies;
}

/**
 * Follows the browser's path through the provider — authorization endpoint, interaction,
 * resume — with the provider's cookies, up to the redirect back to Tessera's callback.
 */
export async function throughProvider(authorizationUrl: string, publicUrl: string): Promise<URL> {
  const jar = new Map<string, string>();
  let url = new URL(authorizationUrl);
  for (let hop = 0; hop < 10; hop += 1) {
    const res = await fetch(url, {
      redirect: 'manual',
      headers: { cookie: [...jar].map(([name, value]) => `${name}=${value}`).join('; ') },
    });
    for (const [name, value] of cookiesOf({ 'set-cookie': res.headers.getSetCookie() })) jar.set(name, value);
    const location = res.headers.get('location');
    if (!location) throw new Error(`The provider answered ${res.status} without a redirect: ${await res.text()}`);
    url = new URL(location, url);
    if (url.href.startsWith(publicUrl)) return url;
  }
  throw new Error('Too many redirects at the provider');
}

/** Starts a sign-in at Tessera, goes through the provider and lands on Tessera's callback. */
export async function signInThroughProvider(
  server: TestServer,
  options: { returnTo?: string; cookies?: string; tamper?: (callback: URL) => void } = {},
) {
  const query = options.returnTo === undefined ? '' : `?returnTo=${encodeURIComponent(options.returnTo)}`;
  const start = await server.app.inject({ method: 'GET', url: `/api/v1/auth/oidc/start${query}` });
  if (start.statusCode !== 302) throw new Error(`start answered ${start.statusCode}: ${start.body}`);
  const binding = cookiesOf(start.headers).get('tessera_oidc') ?? '';
  const callback = await throughProvider(String(start.headers.location), server.ctx.publicUrl.origin);
  options.tamper?.(callback);
  return server.app.inject({
    method: 'GET',
    url: `${callback.pathname}${callback.search}`,
    headers: { cookie: options.cookies ?? `tessera_oidc=${binding}` },
  });
}
