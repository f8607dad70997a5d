import type { Context } from '../context.js';
import type { Db } from '../store/database.js';
import { dropUndeliveredForInvitation, insertOutboxMessage } from '../store/outbox.js';
import type { MailMessage } from './mailer.js';

/** What a queued mail is about, so its outcome can be shown where it matters. */
export interface MailSubject {
  /** The organization whose admins see the message among undelivered mail. */
  orgId?: string | null;
  /** The invitation whose `delivery` follows this message; its older messages are dropped (their link is dead). */
  invitationId?: string | null;
}

/**
 * Queues an e-mail in the transaction of the change that causes it: committed together, or not
 * at all. A worker on any live instance delivers it (see delivery.ts); nothing is sent before the
 * transaction commits.
 */
export async function queueMail(ctx: Context, tx: Db, message: MailMessage, about: MailSubject = {}): Promise<string> {
  const id = ctx.random.id('msg');
  if (about.invitationId) await dropUndeliveredForInvitation(tx, about.invitationId);
  await insertOutboxMessage(tx, {
    id,
    kind: 'mail',
    payload: JSON.stringify(message),
    recipient: message.to,
    orgId: about.orgId ?? null,
    invitationId: about.invitationId ?? null,
    now: ctx.delivery.now(),
  });
  await ctx.delivery.announce(tx);
  return id;
}
