import type { Db } from './database.js';
import type { InvitationsTable } from './schema.js';

export type InvitationRecord = InvitationsTable;
export type InvitationWithInviter = InvitationRecord & { inviter_name: string | null };

function withInviter(db: Db) {
  return db.selectFrom('invitations as i').leftJoin('users as u', 'u.id', 'i.invited_by').selectAll('i').select('u.name as inviter_name');
}

/** The dataset's open invitations (pending, expired and declined), newest first. */
export async function openInvitationsToDataset(db: Db, datasetId: string): Promise<InvitationWithInviter[]> {
  return withInviter(db)
    .where('i.dataset_id', '=', datasetId)
    .where('i.status', 'in', ['pending', 'declined'])
    .orderBy('i.created_at', 'desc')
    .orderBy('i.id')
    .execute();
}

/** The organization's open invitations to join it (pending, expired and declined), newest first. */
export async function openInvitationsToOrg(db: Db, orgId: string): Promise<InvitationWithInviter[]> {
  return withInviter(db)
    .where('i.org_id', '=', orgId)
    .where('i.kind', '=', 'org')
    .where('i.status', 'in', ['pending', 'declined'])
    .orderBy('i.created_at', 'desc')
    .orderBy('i.id')
    .execute();
}

export async function invitationsWithInviter(db: Db, ids: string[]): Promise<InvitationWithInviter[]> {
  return withInviter(db).where('i.id', 'in', ids).execute();
}

export async function findInvitation(db: Db, invitationId: string): Promise<InvitationRecord | undefined> {
  return db.selectFrom('invitations').selectAll().where('id', '=', invitationId).executeTakeFirst();
}

export async function findInvitationByTokenHash(db: Db, tokenHash: string): Promise<InvitationRecord | undefined> {
  return db.selectFrom('invitations').selectAll().where('token_hash', '=', tokenHash).executeTakeFirst();
}

/** The pending invitation of this address to the same organization or dataset, if any. */
export async function findPendingInvitation(
  db: Db,
  offer: { kind: InvitationRecord['kind']; orgId: string; datasetId: string | null; email: string },
): Promise<InvitationRecord | undefined> {
  let pending = db
    .selectFrom('invitations')
    .selectAll()
    .where('kind', '=', offer.kind)
    .where('org_id', '=', offer.orgId)
    .where('email', '=', offer.email)
    .where('status', '=', 'pending');
  pending = offer.datasetId ? pending.where('dataset_id', '=', offer.datasetId) : pending;
  return pending.executeTakeFirst();
}

export async function insertInvitation(tx: Db, row: InvitationRecord): Promise<void> {
  await tx.insertInto('invitations').values(row).execute();
}

/** Overwrites the invitation with `row`, keeping its id. */
export async function replaceInvitation(tx: Db, row: InvitationRecord): Promise<void> {
  const { id, ...changes } = row;
  await tx.updateTable('invitations').set(changes).where('id', '=', id).execute();
}

/** Changes a still-pending invitation; false when it is no longer pending. */
export async function updatePendingInvitation(
  tx: Db,
  invitationId: string,
  set: Partial<Pick<InvitationRecord, 'status' | 'token_hash' | 'expires_at' | 'delivery' | 'last_error'>>,
): Promise<boolean> {
  const updated = await tx
    .updateTable('invitations')
    .set(set)
    .where('id', '=', invitationId)
    .where('status', '=', 'pending')
    .executeTakeFirst();
  return Number(updated.numUpdatedRows) > 0;
}

/**
 * Ends a pending, unexpired invitation through its current link as `set` says; false when the
 * link is stale or the invitation no longer pending. One conditional UPDATE: of racing redeems, one wins.
 */
export async function redeemInvitationRow(
  tx: Db,
  row: Pick<InvitationRecord, 'id' | 'token_hash'>,
  set: Pick<InvitationRecord, 'status'> & Partial<Pick<InvitationRecord, 'accepted_at' | 'accepted_by'>>,
  now: number,
): Promise<boolean> {
  const updated = await tx
    .updateTable('invitations')
    .set(set)
    .where('id', '=', row.id)
    .where('token_hash', '=', row.token_hash)
    .where('status', '=', 'pending')
    .where('expires_at', '>', now)
    .executeTakeFirst();
  return Number(updated.numUpdatedRows) > 0;
}

/** The invitation's e-mail is on its way again. */
export async function markInvitationQueued(tx: Db, invitationId: string): Promise<void> {
  await tx.updateTable('invitations').set({ delivery: 'queued' }).where('id', '=', invitationId).execute();
}
