import { AsyncLocalStorage } from 'node:async_hooks';
import { Forbidden } from '../errors.js';
import { type Level, rankOf } from './levels.js';

/** What a personal access token may do: `read` and `write` cap the level, `admin` is the user's own. */
export const TOKEN_SCOPES = ['read', 'write', 'admin'] as const;
export type TokenScope = (typeof TOKEN_SCOPES)[number];

interface Caller {
  userId: string | null;
  /** null: a session, acting with the user's full level. */
  scope: TokenScope | null;
}

const callers = new AsyncLocalStorage<Caller>();

/**
 * Runs one request with its caller's scope. The access checks below read it, so every route
 * and use case honours a token's cap without passing it along.
 */
export function runAsCaller(work: () => void): void {
  callers.run({ userId: null, scope: null }, work);
}

export function setCaller(userId: string, scope: TokenScope | null): void {
  const caller = callers.getStore();
  if (caller) Object.assign(caller, { userId, scope });
}

/** The cap on what `userId` may do in this request: its token's scope, or none. */
export function scopeOf(userId: string): TokenScope | null {
  const caller = callers.getStore();
  return caller && caller.userId === userId ? caller.scope : null;
}

/** The level `userId` acts with: their own, capped by the scope of the token they call with. */
export function cappedLevel(userId: string, level: Level): Level {
  const scope = scopeOf(userId);
  return scope !== null && rankOf(scope) < rankOf(level) ? scope : level;
}

export function tokenScopeRefusal(scope: TokenScope): Forbidden {
  return new Forbidden(`This access token has the ${scope} scope, which does not allow that.`, 'token_scope');
}
