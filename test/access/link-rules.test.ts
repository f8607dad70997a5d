import { describe, expect, it } from 'vitest';
import { assertLinkAdmits, domainOf, emailDomainAllowed, membersOnlyAllows } from '../../src/access/links.js';
import { POLICY, tierAdmitsDirectGrant } from '../../src/access/policy.js';
import { DomainError } from '../../src/errors.js';

const refusal = (run: () => void) => {
  try {
    run();
    return null;
  } catch (error) {
    return error instanceof DomainError ? `${error.kind}:${error.code}` : 'other';
  }
};

describe('the rules of a share link', () => {
  it('manages links with dataset.share, at admin', () => {
    expect(POLICY['dataset.share'].level).toBe('admin');
  });

  it('matches a domain exactly and case-insensitively, never a subdomain or a look-alike', () => {
    expect(domainOf('Ann@Partner.ORG')).toBe('partner.org');
    expect(emailDomainAllowed('ann@partner.org', [])).toBe(true);
    expect(emailDomainAllowed('Ann@PARTNER.org', ['partner.org'])).toBe(true);
    expect(emailDomainAllowed('ann@eu.partner.org', ['partner.org'])).toBe(false);
    expect(emailDomainAllowed('ann@notpartner.org', ['partner.org'])).toBe(false);
    expect(emailDomainAllowed('"x@partner.org"@evil.test', ['partner.org'])).toBe(false);
  });

  it('members only admits members; the tier admits outsiders only while it is external', () => {
    expect(membersOnlyAllows({ allowedDomains: [], membersOnly: true }, false)).toBe(false);
    expect(membersOnlyAllows({ allowedDomains: [], membersOnly: true }, true)).toBe(true);
    expect(membersOnlyAllows({ allowedDomains: [], membersOnly: false }, false)).toBe(true);
    expect(tierAdmitsDirectGrant(false, 'external')).toBe(true);
    expect(tierAdmitsDirectGrant(false, 'organization')).toBe(false);
    expect(tierAdmitsDirectGrant(false, 'admins')).toBe(false);
    expect(tierAdmitsDirectGrant(true, 'admins')).toBe(true);
  });

  it('refuses in order: an unverified address, the domain, members only, then the tier', () => {
    const rules = { allowedDomains: ['partner.org'], membersOnly: true };
    const outsider = { email: 'a@else.org', emailVerified: false, isMember: false };
    expect(refusal(() => assertLinkAdmits(rules, outsider, 'organization'))).toBe('forbidden:email_unverified');
    expect(refusal(() => assertLinkAdmits(rules, { ...outsider, emailVerified: true }, 'organization'))).toBe(
      'forbidden:link_domain_mismatch',
    );
    const atPartner = { email: 'a@partner.org', emailVerified: true, isMember: false };
    expect(refusal(() => assertLinkAdmits(rules, atPartner, 'organization'))).toBe('forbidden:link_members_only');
    expect(refusal(() => assertLinkAdmits({ allowedDomains: [], membersOnly: false }, atPartner, 'organization'))).toBe(
      'conflict:external_sharing_disabled',
    );
    expect(refusal(() => assertLinkAdmits({ allowedDomains: [], membersOnly: false }, atPartner, 'external'))).toBeNull();
    expect(refusal(() => assertLinkAdmits(rules, { ...atPartner, isMember: true }, 'admins'))).toBeNull();
  });
});
