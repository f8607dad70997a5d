import * as oidc from 'openid-client';
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { OidcConfig } from '../config.js';
import { DomainError } from '../errors.js';

/** Who the provider says signed in. */
export interface ProviderIdentity {
  issuer: string;
  subject: string;
  email: string | null;
  emailVerified: boolean;
  name: string | null;
}

/** What one sign-in needs to be checked by the callback: all three are single-use. */
export interface SignInChecks {
  state: string;
  nonce: string;
  codeVerifier: string;
}

/** Waits between discovery attempts while the provider does not answer, the last one repeating. */
export const DISCOVERY_RETRY_MS = [5_000, 15_000, 30_000, 60_000, 120_000, 300_000];
const DISCOVERY_TIMEOUT_S = 10;

export class SsoUnavailable extends DomainError {
  constructor(name: string) {
    super('unavailable', 'sso_unavailable', `Sign-in with ${name} is unavailable for now. Try again in a few minutes.`);
  }
}

/**
 * The relying party of one OpenID Connect provider, through openid-client. Discovery runs at
 * start; while the provider cannot be reached, Tessera runs without single sign-on and tries
 * again with back-off, in the background and on the next sign-in once the wait is over.
 */
export class OidcClient {
  #configuration: oidc.Configuration | null = null;
  #attempt: Promise<void> | null = null;
  #failures = 0;
  #nextAttemptAt = 0;
  #timer: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(
    readonly settings: OidcConfig,
    private readonly logger: Logger,
    private readonly clock: Clock,
    private readonly retryMs: number[] = DISCOVERY_RETRY_MS,
  ) {}

  get name(): string {
    return this.settings.name;
  }

  get ready(): boolean {
    return this.#configuration !== null;
  }

  start(): Promise<void> {
    return this.#discover();
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
  }

  /** The provider's metadata; a discovery attempt first when the last one failed long enough ago. */
  async configuration(): Promise<oidc.Configuration> {
    if (!this.#configuration && !this.#attempt && this.clock.now() >= this.#nextAttemptAt) void this.#discover();
    if (this.#attempt) await this.#attempt;
    if (!this.#configuration) throw new SsoUnavailable(this.name);
    return this.#configuration;
  }

  #discover(): Promise<void> {
    this.#attempt ??= this.#tryDiscovery().finally(() => {
      this.#attempt = null;
    });
    return this.#attempt;
  }

  async #tryDiscovery(): Promise<void> {
    const { issuer, clientId, clientSecret } = this.settings;
    try {
      this.#configuration = await oidc.discovery(issuer, clientId, clientSecret, undefined, {
        timeout: DISCOVERY_TIMEOUT_S,
        // Plain http only when the operator configured it (a provider on the same host or in a test rig).
        ...(issuer.protocol === 'http:' ? { execute: [oidc.allowInsecureRequests] } : {}),
      });
      clearTimeout(this.#timer);
      this.#failures = 0;
      this.logger.info({ issuer: issuer.href }, `OpenID Connect provider ${this.name} discovered: single sign-on is on`);
    } catch (error) {
      const waitMs = this.retryMs[Math.min(this.#failures, this.retryMs.length - 1)] ?? 60_000;
      this.#failures += 1;
      this.#nextAttemptAt = this.clock.now() + waitMs;
      this.logger.error(
        { issuer: issuer.href, err: { message: error instanceof Error ? error.message : String(error) }, retryInMs: waitMs },
        `OpenID Connect discovery failed: sign-in with ${this.name} is unavailable until the provider answers`,
      );
      clearTimeout(this.#timer);
      if (!this.#stopped) this.#timer = setTimeout(() => void this.#discover(), waitMs).unref();
    }
  }

  /** Where to send the browser: the authorization code flow with PKCE (S256), state and nonce. */
  async authorizationUrl(redirectUri: string, checks: SignInChecks): Promise<URL> {
    const configuration = await this.configuration();
    return oidc.buildAuthorizationUrl(configuration, {
      redirect_uri: redirectUri,
      scope: 'openid email profile',
      response_type: 'code',
      code_challenge: await oidc.calculatePKCECodeChallenge(checks.codeVerifier),
      code_challenge_method: 'S256',
      state: checks.state,
      nonce: checks.nonce,
    });
  }

  /**
   * Exchanges the code of the callback URL; openid-client checks state, PKCE, the ID token's
   * signature, issuer, audience and nonce. Claims missing from the ID token come from UserInfo.
   */
  async complete(callbackUrl: URL, checks: SignInChecks): Promise<ProviderIdentity> {
    const configuration = await this.configuration();
    const tokens = await oidc.authorizationCodeGrant(configuration, callbackUrl, {
      pkceCodeVerifier: checks.codeVerifier,
      expectedState: checks.state,
      expectedNonce: checks.nonce,
      idTokenExpected: true,
    });
    const idToken = tokens.claims();
    if (!idToken) throw new Error('The provider sent no ID token.');
    let claims: Record<string, unknown> = idToken;
    if (typeof idToken.email !== 'string' || idToken.email_verified === undefined) {
      claims = { ...(await oidc.fetchUserInfo(configuration, tokens.access_token, idToken.sub)), ...idToken };
    }
    return {
      issuer: idToken.iss,
      subject: idToken.sub,
      email: typeof claims.email === 'string' ? claims.email : null,
      // Some providers send the claim as the string "true".
      emailVerified: claims.email_verified === true || claims.email_verified === 'true',
      name: typeof claims.name === 'string' ? claims.name : null,
    };
  }
}
