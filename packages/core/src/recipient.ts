import { ValidationError } from './errors/error-classes';
import { LIMITS } from './messages/limits';

/**
 * A recipient ready for the `to` field. Phone numbers become `+` and digits (E.164); business-scoped
 * user ids (BSUID) are opaque and pass through unchanged.
 */
export type NormalizedRecipient =
  | {
      kind: 'phone';
      /** `+` followed by the digits, e.g. `+14155551234`. */
      to: string;
      /** The digits only (what Meta calls `wa_id` when the number is on WhatsApp). */
      digits: string;
    }
  | {
      kind: 'bsuid';
      /** The user id exactly as given. */
      to: string;
    };

/** What people write around the digits of a phone number; all of it is dropped. */
const PHONE_PUNCTUATION = /[\s().-]/g;
const LETTER = /\p{L}/u;

/**
 * True when `value` looks like a business-scoped user id (BSUID) rather than a phone number: it
 * contains a letter and a dot, no whitespace, and is at most 256 characters (e.g. `US.1234567890123`,
 * `user.<64 hex>`, `BR.ENT.123`). The format is opaque and Meta changes it, so nothing more is checked.
 */
export function isBsuid(value: string): boolean {
  return (
    typeof value === 'string' &&
    value.length <= LIMITS.bsuid &&
    value.includes('.') &&
    LETTER.test(value) &&
    !/\s/.test(value)
  );
}

/**
 * Checks a recipient and returns the problem as a sentence, or undefined when it is fine.
 * Shared by `normalizeRecipient` and the message schemas so both say the same thing.
 * @internal
 */
export function recipientProblem(input: unknown): string | undefined {
  if (typeof input !== 'string') return `must be text (a phone number or a user id), got ${input === undefined ? 'nothing' : typeof input}`;
  const value = input.trim();
  if (value === '') return 'is empty; give a phone number with country code (e.g. +14155551234) or a user id (BSUID)';
  if (value.includes('.') && LETTER.test(value) && !/\s/.test(value)) {
    // A BSUID in all but length: say so rather than judge it as a phone number.
    const length = [...value].length;
    return length > LIMITS.bsuid ? `is ${length} characters, a user id (BSUID) has at most ${LIMITS.bsuid}` : undefined;
  }
  const quoted = JSON.stringify(input);
  if (LETTER.test(value)) {
    return `${quoted} mixes letters into a phone number; a phone number has only digits, spaces, hyphens, dots, parentheses and a leading +, and a user id (BSUID) looks like US.1234567890123`;
  }
  const body = value.replace(PHONE_PUNCTUATION, '');
  const bad = /^\+?\d*$/.test(body) ? undefined : [...body.replace(/^\+/, '')].find((c) => !/\d/.test(c));
  if (bad !== undefined) return `${quoted} contains "${bad}"; a phone number has only digits, spaces, hyphens, dots, parentheses and a leading +`;
  const digits = body.replace(/^\+/, '');
  if (digits.length < LIMITS.phoneDigitsMin || digits.length > LIMITS.phoneDigitsMax) {
    return `${quoted} has ${digits.length} digits, a phone number needs ${LIMITS.phoneDigitsMin} to ${LIMITS.phoneDigitsMax} (with country code)`;
  }
  if (/^(\d)\1*$/.test(digits)) return `${quoted} is one digit repeated, which is not a real phone number`;
  // No country code starts with 0: a leading 0 or 00 is a national or international dialling prefix,
  // and sending it as `+0…` would reach no one.
  if (digits.startsWith('0')) {
    return `${quoted} starts with 0; write the number with its country code instead of a dialling prefix (e.g. +44 20… rather than 020… or 0044…)`;
  }
  return undefined;
}

/**
 * Checks a recipient and puts it in the form Meta expects in `to`.
 *
 * Phone numbers may be written with spaces, hyphens, dots, parentheses and an optional leading `+`;
 * they are sent as `+` and digits. The `+` matters: without it Meta assumes the country code of the
 * *business* number. So a number must always include its country code, with or without `+`.
 * Business-scoped user ids (they contain a letter and a dot) are sent unchanged (only whitespace
 * around the value is removed).
 *
 * @param input - phone number or BSUID as the user wrote it
 * @param field - name used in the error (the path of the value in the message)
 * @throws ValidationError naming `field` and the rule, e.g. `to: "+12" has 2 digits, a phone number needs 7 to 15 (with country code)`
 * @example normalizeRecipient('+1 (415) 555-1234') // { kind: 'phone', to: '+14155551234', digits: '14155551234' }
 */
export function normalizeRecipient(input: string, field = 'to'): NormalizedRecipient {
  const problem = recipientProblem(input);
  if (problem !== undefined) {
    throw new ValidationError(
      field,
      problem,
      `Give "${field}" as a phone number with country code (e.g. +14155551234) or a WhatsApp user id (BSUID).`,
    );
  }
  const value = input.trim();
  if (isBsuid(value)) return { kind: 'bsuid', to: value };
  const digits = value.replace(/\D/g, '');
  return { kind: 'phone', to: `+${digits}`, digits };
}
