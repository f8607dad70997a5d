import { Forbidden } from '../errors.js';

/**
 * Who may speak for an organization's directory (SCIM), and for whom it speaks.
 *
 * A provisioning token creates accounts whose addresses count as proved, so only an org admin
 * whose own address is proved may make one: an account anyone can open in a minute vouches for
 * nobody's address, as it may not mint access tokens either.
 */
export function assertMayMakeProvisioningToken(user: { emailVerified: boolean }): void {
  if (!user.emailVerified) throw new Forbidden('Verify your e-mail address before creating provisioning tokens.', 'email_unverified');
}

/**
 * Whether an organization's directory may take an existing account as one of its users: only
 * when the person is already a member of the organization. Anyone may create an organization
 * and its directory, and a directory does not own the addresses it names: a person with an
 * account joins by invitation, which they accept, and only then does the directory manage (and
 * may offboard) them. An address without an account is the directory's to create.
 */
export function directoryMayTake(person: { member: boolean } | null): boolean {
  return person?.member === true;
}
