import type { Db } from './database.js';
import type { OidcSignInsTable } from './schema.js';

/** Records a single sign-on started in a browser, clearing those that ran out. */
export async function insertSignIn(db: Db, row: OidcSignInsTable, now: number): Promise<void> {
  await db.deleteFrom('oidc_sign_ins').where('expires_at', '<=', now).execute();
  await db.insertInto('oidc_sign_ins').values(row).execute();
}

/** Takes the sign-in started in the browser with this binding, once: a second call finds nothing. */
export async function claimSignIn(
  db: Db,
  bindingHash: string,
): Promise<Pick<OidcSignInsTable, 'state' | 'return_to' | 'expires_at'> | undefined> {
  return db
    .deleteFrom('oidc_sign_ins')
    .where('binding_hash', '=', bindingHash)
    .returning(['state', 'return_to', 'expires_at'])
    .executeTakeFirst();
}
