import { ZxcvbnFactory } from '@zxcvbn-ts/core';
import * as common from '@zxcvbn-ts/language-common';
import * as english from '@zxcvbn-ts/language-en';
import { DomainError, InvalidRequest } from '../errors.js';

export const PASSWORD_MIN = 10;
/** zxcvbn's scale is 0–4; 3 means "safely unguessable: moderate protection from offline attacks" (about 10^8 guesses). */
export const PASSWORD_MIN_SCORE = 3;

// The dictionaries are loaded once, when the server starts.
const estimator = new ZxcvbnFactory({
  dictionary: { ...common.dictionary, ...english.dictionary },
  graphs: common.adjacencyGraphs,
  translations: english.translations,
});

function weak(message: string, details: { field: string; suggestions: string[] }): DomainError {
  return new DomainError('invalid_request', 'weak_password', message, details);
}

/**
 * At least 10 characters and not guessable: a strength estimator with common-password and
 * English dictionaries, which also counts the user's own name and e-mail as known words.
 */
export function requireStrongPassword(password: string, about: { email?: string; name?: string } = {}, field = 'password'): void {
  if (password.length < PASSWORD_MIN) {
    // As in 1.0: a short password is an invalid request; a guessable one is weak_password.
    throw new InvalidRequest(`The password must have at least ${PASSWORD_MIN} characters.`, { field });
  }
  const words = [
    ...(about.email?.toLowerCase().split(/[^\p{L}\p{N}]+/u) ?? []),
    ...(about.name?.toLowerCase().split(/[^\p{L}\p{N}]+/u) ?? []),
  ].filter((word) => word.length >= 3);
  if (builtFrom(password, words)) {
    throw weak('This password is built from your name or e-mail address.', { field, suggestions: ['Avoid your name and e-mail address.'] });
  }
  const inputs = [...words, ...(about.email ? [about.email] : []), ...(about.name ? [about.name] : [])];
  const result = estimator.check(password.slice(0, 256), inputs);
  if (result.score < PASSWORD_MIN_SCORE) {
    const advice = [result.feedback.warning, ...result.feedback.suggestions].filter((s): s is string => Boolean(s));
    throw weak(`This password is too easy to guess.${advice.length ? ` ${advice.join(' ')}` : ''}`, { field, suggestions: advice });
  }
}

/** Whether little is left of the password once the user's own words, digits and symbols are taken out. */
function builtFrom(password: string, words: string[]): boolean {
  const lower = password.toLowerCase();
  let rest = lower;
  for (const word of [...words].sort((a, b) => b.length - a.length)) rest = rest.split(word).join('');
  return rest !== lower && rest.replace(/[^\p{L}]+/gu, '').length < 4;
}
