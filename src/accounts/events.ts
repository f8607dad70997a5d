import type { Context } from '../context.js';

export type AuthEvent =
  | 'signup'
  | 'login'
  | 'login.failed'
  | 'logout'
  | 'password_reset.requested'
  | 'password_reset.completed'
  | 'password.changed'
  | 'email.verify'
  | 'email.verification_sent'
  | 'session.ended'
  | 'token.created'
  | 'token.deleted'
  | 'rate_limited'
  | 'sso.login'
  | 'sso.linked'
  | 'sso.signup'
  | 'sso.refused'
  | 'sso.unlinked';

/**
 * One log line per authentication event, for a security log: who, what, the outcome and the
 * caller's address. Never a password, token, cookie or link; the fields are named, not spread.
 */
export function authEvent(
  ctx: Context,
  event: AuthEvent,
  fields: { userId?: string | null; outcome: string; ip: string; sessionId?: string; tokenId?: string },
): void {
  ctx.logger.info(
    {
      auth: event,
      userId: fields.userId ?? null,
      outcome: fields.outcome,
      ip: fields.ip,
      ...(fields.sessionId === undefined ? {} : { sessionId: fields.sessionId }),
      ...(fields.tokenId === undefined ? {} : { tokenId: fields.tokenId }),
    },
    `auth ${event}: ${fields.outcome}`,
  );
}
