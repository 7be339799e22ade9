/**
 * Size before work, and no whole input quoted back (issue #19): a list far over its limit is
 * refused before any item is validated, and an error quotes at most an excerpt of a huge value.
 */
import { ValidationError } from '../src/errors/error-classes';
import { validateOutboundMessage } from '../src';

const TO = '+14155551234';

function errorOf(input: unknown): ValidationError {
  try {
    validateOutboundMessage(input as never);
  } catch (error) {
    return error as ValidationError;
  }
  throw new Error('expected a ValidationError');
}

describe('validation: counts first, short quotes', () => {
  test('a million reply buttons: "the limit is 3" without validating the buttons', () => {
    // Invalid items (a number where a button goes): if they were validated first, the first error
    // would be about buttons[0], not the count; on the old code this also took ~10 s of CPU.
    const buttons = new Array(1_000_000).fill(7);
    const error = errorOf({ to: TO, type: 'interactive', interactive: { type: 'button', body: { text: 'Pick' }, action: { buttons } } });
    expect(error).toBeInstanceOf(ValidationError);
    expect(error.message).toBe('interactive.action.buttons: 1000000 buttons, the limit is 3');
  }, 10_000);

  test('a 1 MB value in the wrong place is named, not quoted whole', () => {
    const huge = 'x'.repeat(1_000_000);
    for (const input of [
      { to: TO, type: huge, [huge]: {} },
      { to: TO, type: 'location', location: { latitude: huge, longitude: 1 } },
      { to: TO, type: 'image', image: { link: huge } },
    ]) {
      const error = errorOf(input);
      expect(error.message.length).toBeLessThan(400);
    }
  });
});
