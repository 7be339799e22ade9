import { ValidationError } from '../src/errors/error-classes';
import { isBsuid, normalizeRecipient } from '../src/recipient';

describe('normalizeRecipient: phone numbers', () => {
  it.each([
    ['+1 (415) 555-1234', '+14155551234'],
    ['14155551234', '+14155551234'],
    ['+14155551234', '+14155551234'],
    ['1 415 555 1234', '+14155551234'],
    ['1-415-555-1234', '+14155551234'],
    ['1.415.555.1234', '+14155551234'],
    ['  +55 11 91234-5678  ', '+5511912345678'],
    ['+1234567', '+1234567'],
    ['123456789012345', '+123456789012345'],
  ])('%j → %s', (input, to) => {
    expect(normalizeRecipient(input)).toStrictEqual({ kind: 'phone', to, digits: to.slice(1) });
  });
});

describe('normalizeRecipient: business-scoped user ids pass through unchanged', () => {
  const hex = 'a'.repeat(32) + '0123456789abcdef'.repeat(2);
  it.each(['US.1234567890123', `user.${hex}`, 'BR.ENT.123', 'x.'.padEnd(256, 'y')])('%s', (id) => {
    expect(normalizeRecipient(id)).toStrictEqual({ kind: 'bsuid', to: id });
    expect(isBsuid(id)).toBe(true);
  });
});

describe('isBsuid', () => {
  it.each(['+14155551234', '1.415.555.1234', 'US1234567890123', 'US. 123', '', 'x.'.padEnd(257, 'y')])('%j is not a BSUID', (value) => {
    expect(isBsuid(value)).toBe(false);
  });
});

describe('normalizeRecipient: refused, with the field and the rule', () => {
  it.each([
    ['+12', 'to', 'to: "+12" has 2 digits, a phone number needs 7 to 15 (with country code)'],
    ['123456', 'to', 'to: "123456" has 6 digits, a phone number needs 7 to 15 (with country code)'],
    ['1234567890123456', 'to', 'to: "1234567890123456" has 16 digits, a phone number needs 7 to 15 (with country code)'],
    ['', 'to', 'to: is empty; give a phone number with country code (e.g. +14155551234) or a user id (BSUID)'],
    ['   ', 'to', 'to: is empty; give a phone number with country code (e.g. +14155551234) or a user id (BSUID)'],
    ['1111111111', 'to', 'to: "1111111111" is one digit repeated, which is not a real phone number'],
    ['+1 415 555 CALL', 'to', 'to: "+1 415 555 CALL" mixes letters into a phone number; a phone number has only digits, spaces, hyphens, dots, parentheses and a leading +, and a user id (BSUID) looks like US.1234567890123'],
    ['{{Recipient-Phone-Number}}', 'to', 'to: "{{Recipient-Phone-Number}}" mixes letters into a phone number; a phone number has only digits, spaces, hyphens, dots, parentheses and a leading +, and a user id (BSUID) looks like US.1234567890123'],
    ['+1 415 555 1234#2', 'to', 'to: "+1 415 555 1234#2" contains "#"; a phone number has only digits, spaces, hyphens, dots, parentheses and a leading +'],
    ['1+4155551234', 'to', 'to: "1+4155551234" contains "+"; a phone number has only digits, spaces, hyphens, dots, parentheses and a leading +'],
    ['0044 20 7946 0958', 'to', 'to: "0044 20 7946 0958" starts with 0; write the number with its country code instead of a dialling prefix (e.g. +44 20… rather than 020… or 0044…)'],
    ['x.'.padEnd(257, 'y'), 'to', 'to: is 257 characters, a user id (BSUID) has at most 256'],
    ['+12', 'contacts[0].phones[0].wa_id', 'contacts[0].phones[0].wa_id: "+12" has 2 digits, a phone number needs 7 to 15 (with country code)'],
  ])('%j', (input, field, message) => {
    let error: unknown;
    try {
      normalizeRecipient(input, field);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).field).toBe(field);
    expect((error as ValidationError).message).toBe(message);
    expect((error as ValidationError).hint).toContain('country code');
  });

  it('refuses a value that is not a string (plain JavaScript callers)', () => {
    expect(() => normalizeRecipient(14155551234 as unknown as string)).toThrow('to: must be text (a phone number or a user id), got number');
  });
});
