import type { Db } from './database.js';

/**
 * How many e-mails went out on the actor's word since `since`, and when the oldest did: invitations
 * created or resent, and direct grants whose notice was sent (their grant.set event says so).
 */
export async function mailSentOnWordOf(db: Db, actorId: string, since: number): Promise<{ count: number; oldest: number | null }> {
  const sent = await db
    .selectFrom('audit_events')
    .select((eb) => [eb.fn.countAll<number>().as('n'), eb.fn.min('at').as('oldest')])
    .where('actor_id', '=', actorId)
    .where((eb) =>
      eb.or([
        eb('action', 'in', ['invitation.created', 'invitation.resent']),
        eb.and([eb('action', '=', 'grant.set'), eb('after', 'like', '%"notified":true%')]),
      ]),
    )
    .where('at', '>', since)
    .executeTakeFirstOrThrow();
  return { count: Number(sent.n), oldest: sent.oldest == null ? null : Number(sent.oldest) };
}
