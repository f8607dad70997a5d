import { InvalidRequest } from '../errors.js';

// Deliberately simple: one @, no spaces, a dot in the domain. Delivery is the real test.
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/**
 * Characters no mail address holds: control and format characters (zero-width spaces, the soft
 * hyphen, bidi controls), spaces of every kind, and whatever else Unicode draws as nothing. An
 * address holding one shows in every list as someone else's address, while mail libraries drop
 * the character and deliver to that someone else.
 */
const UNSEEN = /[\p{C}\p{Z}\p{Default_Ignorable_Code_Point}]/u;

/**
 * The one form an address is stored, compared and mailed in: trimmed, in Unicode NFKC and
 * lower-cased. NFKC turns full-width and other compatibility letters into the plain letters they
 * show as ("ａ" is "a"), which is also where mail for them is delivered: they are one address.
 */
export function normalizeEmail(raw: string): string {
  return raw.normalize('NFKC').trim().toLowerCase();
}

/** Whether a normalized address is one Tessera takes in: the simple shape, and nothing unseen. */
export function isValidEmail(email: string): boolean {
  return email.length <= 254 && EMAIL.test(email) && !UNSEEN.test(email);
}

/**
 * Whether a stored address is in the form `normalizeEmail` gives and holds nothing unseen. One
 * stored before addresses were normalized may not be: it looks like another person's address,
 * and its mail would reach that person.
 */
export function isCanonicalEmail(email: string): boolean {
  return normalizeEmail(email) === email && !UNSEEN.test(email);
}

/** Text as a person can read it: each unseen character written as its code point, so a refusal shows what is wrong. */
export function showUnseen(text: string): string {
  return text.replace(new RegExp(UNSEEN.source, 'gu'), (c) => `<U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}>`);
}

/**
 * The normalized address to find an account by (an invitation's sign-up, single sign-on). Refused
 * for an unseen character, which no address holds, but not for its shape, so an account whose
 * address came from an identity provider without a dot in its domain still gets in.
 */
export function emailToFind(raw: string): string {
  const email = emailToLookUp(raw);
  if (email === null) {
    throw new InvalidRequest(
      `"${showUnseen(normalizeEmail(raw))}" is not a valid e-mail address: it holds a space, an invisible or a control character.`,
      { email: raw },
    );
  }
  return email;
}

/**
 * The normalized address to look an account up by where the answer must not say whether one
 * exists (log-in: 401, password reset: 202, whatever the address): null for an address with an
 * unseen character, which no account may be found by, so an account stored with such an address
 * before addresses were checked cannot be logged into as its look-alike.
 */
export function emailToLookUp(raw: string): string | null {
  const email = normalizeEmail(raw);
  return UNSEEN.test(email) ? null : email;
}

/** The normalized address of a new account or invitation; 400 unless it is acceptable. */
export function requireEmail(raw: string): string {
  const email = emailToFind(raw);
  if (!isValidEmail(email)) throw new InvalidRequest(`"${raw.trim()}" is not a valid e-mail address.`, { email: raw });
  return email;
}

/** A domain of share-link rules in the form the domain of a normalized address has ("@Ｐartner.org" is "partner.org"). */
export function normalizeDomain(raw: string): string {
  return normalizeEmail(raw).replace(/^@/, '');
}
