import { isValidEmail, normalizeEmail } from '../accounts/validation.js';
import { booleanOf, isObject, type PatchOperation, ScimInvalid, stringOf } from './protocol.js';

/** What a SCIM request says about a user, in Tessera's terms. Undefined: not mentioned. */
export interface UserChange {
  email?: string;
  displayName?: string;
  formatted?: string;
  givenName?: string;
  familyName?: string;
  externalId?: string | null;
  active?: boolean;
}

function emailOf(value: unknown): string {
  let raw: unknown = value;
  if (Array.isArray(value)) {
    const primary = value.find((e) => isObject(e) && booleanOf(e.primary ?? false, 'emails.primary')) ?? value[0];
    raw = isObject(primary) ? primary.value : primary;
  } else if (isObject(value)) {
    raw = value.value;
  }
  const email = normalizeEmail(stringOf(raw, 'emails.value', 254));
  if (!isValidEmail(email)) throw new ScimInvalid('invalidValue', `"${email}" is not a valid e-mail address.`);
  return email;
}

/** Applies one attribute (as a path or a key of a path-less value) to the change; attributes Tessera does not keep are ignored. */
function setAttribute(change: UserChange, attribute: string, value: unknown, op: PatchOperation['op']): void {
  const key = attribute.replace(/^urn:ietf:params:scim:schemas:core:2\.0:User:/i, '').toLowerCase();
  if (op === 'remove') {
    if (key === 'externalid') change.externalId = null;
    return;
  }
  if (key === 'active') change.active = booleanOf(value, 'active');
  else if (key === 'externalid') change.externalId = value === null ? null : stringOf(value, 'externalId');
  else if (key === 'username') change.email = emailOf(value);
  else if (/^emails(\[[^\]]*\])?(\.value)?$/.test(key)) change.email = emailOf(value);
  else if (key === 'displayname') change.displayName = stringOf(value, 'displayName');
  else if (key === 'name.givenname') change.givenName = stringOf(value, 'name.givenName');
  else if (key === 'name.familyname') change.familyName = stringOf(value, 'name.familyName');
  else if (key === 'name.formatted') change.formatted = stringOf(value, 'name.formatted');
  else if (key === 'name' && isObject(value)) {
    for (const [part, partValue] of Object.entries(value)) setAttribute(change, `name.${part}`, partValue, op);
  }
}

/** A whole User resource, as POST and PUT send it. */
export function changeOfResource(body: unknown): UserChange {
  if (!isObject(body)) throw new ScimInvalid('invalidSyntax', 'The body must be a SCIM User resource.');
  const change: UserChange = {};
  if (body.userName !== undefined) setAttribute(change, 'userName', body.userName, 'add');
  // The primary e-mail is the address; userName is the fallback (Okta sends both, often equal).
  if (Array.isArray(body.emails) && body.emails.length > 0) setAttribute(change, 'emails', body.emails, 'add');
  for (const key of ['displayName', 'name', 'externalId', 'active'] as const) {
    if (body[key] !== undefined) setAttribute(change, key, body[key], 'add');
  }
  return change;
}

/** PATCH operations, with a path or with a value object whose keys are paths (Entra ID sends both). */
export function changeOfPatch(operations: PatchOperation[]): UserChange {
  const change: UserChange = {};
  for (const { op, path, value } of operations) {
    if (path !== null) setAttribute(change, path, value, op);
    else if (isObject(value)) for (const [key, keyValue] of Object.entries(value)) setAttribute(change, key, keyValue, op);
    else throw new ScimInvalid('invalidSyntax', 'An operation without a path needs an object value.');
  }
  return change;
}

/** Tessera keeps one name: "given family". */
export function nameParts(name: string): { givenName: string; familyName: string } {
  const at = name.trim().lastIndexOf(' ');
  return at < 0
    ? { givenName: name.trim(), familyName: '' }
    : { givenName: name.slice(0, at).trim(), familyName: name.slice(at + 1).trim() };
}

export function resolvedName(current: string, change: UserChange): string {
  if (change.displayName?.trim()) return change.displayName.trim();
  if (change.formatted?.trim()) return change.formatted.trim();
  if (change.givenName === undefined && change.familyName === undefined) return current;
  const parts = nameParts(current);
  return (
    [change.givenName ?? parts.givenName, change.familyName ?? parts.familyName]
      .filter((p) => p.trim())
      .join(' ')
      .trim() || current
  );
}
