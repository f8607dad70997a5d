import { Forbidden } from '../errors.js';
import { type Level, rankOf } from './levels.js';

/** What a personal access token may do: `read` and `write` cap the level, `admin` is the user's own. */
export const TOKEN_SCOPES = ['read', 'write', 'admin'] as const;
export type TokenScope = (typeof TOKEN_SCOPES)[number];

/**
 * Who acts: the user, and the scope of the personal access token they call with (null: a
 * session, or the user themselves outside any request: the command line, a job). Each request
 * makes one (http/auth.ts) and passes it to what it asks of the policy, so every route and use
 * case honours a token's cap. Passed, not kept in an async context: on Node 20 an
 * AsyncLocalStorage hooks every promise of the process, which cost about a fifth of the
 * server's CPU on an authorized read (docs/performance.md, seventh round).
 */
export interface Actor {
  readonly id: string;
  readonly scope: TokenScope | null;
}

/** A user acting with their full level: a session, the command line, a job, a test. */
export function actingAs(userId: string): Actor {
  return { id: userId, scope: null };
}

/** The level the actor acts with: their own, capped by the scope of the token they call with. */
export function cappedLevel(actor: Actor, level: Level): Level {
  const scope = actor.scope;
  return scope !== null && rankOf(scope) < rankOf(level) ? scope : level;
}

export function tokenScopeRefusal(scope: TokenScope): Forbidden {
  return new Forbidden(`This access token has the ${scope} scope, which does not allow that.`, 'token_scope');
}
