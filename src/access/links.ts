import { Conflict, Forbidden } from '../errors.js';
import type { Visibility } from './levels.js';
import { tierAdmitsDirectGrant } from './policy.js';

/** What a link asks of whoever redeems it. */
export interface LinkRules {
  /** Lower-cased domains; empty for any. */
  allowedDomains: string[];
  membersOnly: boolean;
}

export interface Redeemer {
  email: string;
  emailVerified: boolean;
  /** A member of the dataset's organization. */
  isMember: boolean;
}

/** The part of an address after its last "@", lower-cased. */
export function domainOf(email: string): string {
  return email.slice(email.lastIndexOf('@') + 1).toLowerCase();
}

/** An address fits the allowed domains when its domain is one of them exactly (a subdomain is another domain). */
export function emailDomainAllowed(email: string, allowedDomains: string[]): boolean {
  return allowedDomains.length === 0 || allowedDomains.includes(domainOf(email));
}

export function membersOnlyAllows(rules: LinkRules, isMember: boolean): boolean {
  return !rules.membersOnly || isMember;
}

/** Whether `redeemer` may redeem a link with `rules` on a dataset at `visibility`; throws the refusal. */
export function assertLinkAdmits(rules: LinkRules, redeemer: Redeemer, visibility: Visibility): void {
  if (!redeemer.emailVerified) {
    throw new Forbidden('Confirm your e-mail address first: open the link we mailed you, then come back to this link.', 'email_unverified');
  }
  if (!emailDomainAllowed(redeemer.email, rules.allowedDomains)) {
    throw new Forbidden(
      `This link is only for addresses at ${rules.allowedDomains.join(', ')}; you are logged in as ${redeemer.email}.`,
      'link_domain_mismatch',
    );
  }
  if (!membersOnlyAllows(rules, redeemer.isMember)) {
    throw new Forbidden("This link is only for members of the dataset's organization.", 'link_members_only');
  }
  if (!tierAdmitsDirectGrant(redeemer.isMember, visibility)) {
    throw new Conflict(
      'external_sharing_disabled',
      'This dataset is not shared with people outside its organization at the moment, so the link cannot be used. Ask the person who shared it.',
    );
  }
}
