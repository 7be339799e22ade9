/**
 * validateOutboundMessage / toGraphBody / isTemplateMessage behaviour, the choices builder's
 * buttons-or-list decision, and the research send samples.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ValidationError } from '../src/errors/error-classes';
import { isWhatsAppError } from '../src/errors/whatsapp-error';
import {
  charCount,
  choicesMessage,
  isTemplateMessage,
  mediaMessage,
  templateMessage,
  textMessage,
  toGraphBody,
  validateOutboundMessage,
} from '../src/messages';

const TO = '+14155551234';
const SAMPLES = join(__dirname, 'fixtures', 'sends');

describe('research send samples', () => {
  /** Placeholders are not values: `{{Recipient-Phone-Number}}`, `http(s)://…`, `template-name`. */
  const fill = (value: unknown): unknown => {
    if (typeof value === 'string') {
      if (value === '{{Recipient-Phone-Number}}') return TO;
      if (value === 'template-name') return 'template_name';
      if (value === 'language-and-locale-code') return 'en_US';
      return value.replace(/^http\(s\):\/\//, 'https://');
    }
    if (Array.isArray(value)) return value.map(fill);
    if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fill(v)]));
    return value;
  };
  // The response sample is not a request; the read receipt is checked against markAsReadBody in messages-wire.
  const files = readdirSync(SAMPLES).filter((f) => f.endsWith('.json') && !f.startsWith('RESPONSE') && !f.startsWith('mark-read'));

  it('are there', () => expect(files.length).toBeGreaterThanOrEqual(8));

  it.each(files)('%s passes and is sent as given', (file) => {
    const { messaging_product: _p, recipient_type: _r, ...input } = fill(JSON.parse(readFileSync(join(SAMPLES, file), 'utf8'))) as Record<string, unknown>;
    const message = validateOutboundMessage(input);
    expect(message).toStrictEqual(input);
    const { to, ...rest } = toGraphBody(message);
    expect(to).toMatch(/^\+\d+$/);
    const { to: _to, ...given } = input;
    expect(rest).toStrictEqual({ messaging_product: 'whatsapp', recipient_type: 'individual', ...given });
  });
});

describe('validateOutboundMessage', () => {
  it('returns the content unchanged and does not touch the input', () => {
    const input = { to: '+1 (415) 555-1234', type: 'text', text: { body: `  ${'😀'.repeat(10)}  `, preview_url: false } };
    const copy = structuredClone(input);
    expect(validateOutboundMessage(input)).toStrictEqual(input);
    expect(input).toStrictEqual(copy);
  });

  it('tolerates messaging_product "whatsapp" and recipient_type "individual"', () => {
    const input = { messaging_product: 'whatsapp', recipient_type: 'individual', to: TO, type: 'text', text: { body: 'hi' } };
    expect(validateOutboundMessage(input)).toStrictEqual(input);
  });

  it('throws a ValidationError that is a WhatsAppError with a hint naming the field', () => {
    let error: unknown;
    try {
      validateOutboundMessage({ to: TO, type: 'text', text: { body: '' } });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ValidationError);
    expect(isWhatsAppError(error)).toBe(true);
    expect((error as ValidationError).category).toBe('validation');
    expect((error as ValidationError).retryable).toBe(false);
    expect((error as ValidationError).hint).toContain('"text.body"');
    expect((error as ValidationError).toJSON()).toMatchObject({ field: 'text.body', code: 'validation_failed' });
  });
});

describe('toGraphBody', () => {
  it('adds messaging_product and recipient_type, normalises to, keeps the rest', () => {
    const message = validateOutboundMessage({ messaging_product: 'whatsapp', to: '1 415-555.1234', type: 'image', image: { id: '9' }, biz_opaque_callback_data: 'x' });
    expect(toGraphBody(message)).toStrictEqual({
      messaging_product: 'whatsapp',
      recipient_type: 'individual',
      to: '+14155551234',
      type: 'image',
      image: { id: '9' },
      biz_opaque_callback_data: 'x',
    });
  });

  it('leaves a BSUID as it is (in recipient, not to) and does not modify the message', () => {
    const message = textMessage('user.0123456789abcdef', 'hi');
    const copy = structuredClone(message);
    expect(toGraphBody(message).recipient).toBe('user.0123456789abcdef');
    expect(toGraphBody(message)).not.toHaveProperty('to');
    expect(message).toStrictEqual(copy);
  });

  it('refuses a message whose recipient was never validated', () => {
    expect(() => toGraphBody({ to: '12', type: 'text', text: { body: 'x' } })).toThrow('to: "12" has 2 digits');
  });
});

describe('isTemplateMessage', () => {
  it('is true only for templates', () => {
    expect(isTemplateMessage(templateMessage(TO, 'hello_world', 'en_US'))).toBe(true);
    expect(isTemplateMessage(textMessage(TO, 'hi'))).toBe(false);
    expect(isTemplateMessage(mediaMessage(TO, 'sticker', { id: '1' }))).toBe(false);
  });
});

describe('builders leave out what was not given', () => {
  it('textMessage without options has no context, preview_url or callback data', () => {
    expect(textMessage(TO, 'hi')).toStrictEqual({ to: TO, type: 'text', text: { body: 'hi' } });
  });

  it('previewUrl false is sent (the caller asked for it)', () => {
    expect(textMessage(TO, 'hi', { previewUrl: false }).text).toStrictEqual({ body: 'hi', preview_url: false });
  });
});

describe('choicesMessage picks buttons or a list', () => {
  const options = (n: number) => Array.from({ length: n }, (_, i) => ({ id: `o${i}`, title: `Option ${i}` }));

  it.each([1, 2, 3])('%i option(s) → reply buttons', (n) => {
    const message = choicesMessage(TO, { prompt: 'Pick', options: options(n), button: 'ignored for buttons' });
    expect(message.type === 'interactive' && message.interactive.type).toBe('button');
    expect(message).toMatchObject({ interactive: { action: { buttons: options(n).map((reply) => ({ type: 'reply', reply })) } } });
  });

  it.each([4, 7, 10])('%i options → a list in one section, label "Choose" by default', (n) => {
    const message = choicesMessage(TO, { prompt: 'Pick', options: options(n) });
    expect(message).toMatchObject({ interactive: { type: 'list', action: { button: 'Choose', sections: [{ rows: options(n) }] } } });
    expect(message).not.toHaveProperty('interactive.action.sections.0.title');
  });

  it('uses the given list label, header and footer, and keeps descriptions', () => {
    const message = choicesMessage(
      TO,
      { prompt: 'Pick', options: [...options(3), { id: 'd', title: 'D', description: 'The fourth' }], button: 'Sizes', header: 'Size', footer: 'Thanks' },
      { replyTo: 'wamid.Q' },
    );
    expect(message).toMatchObject({
      context: { message_id: 'wamid.Q' },
      interactive: { type: 'list', header: { type: 'text', text: 'Size' }, footer: { text: 'Thanks' }, action: { button: 'Sizes' } },
    });
    expect(message).toHaveProperty('interactive.action.sections.0.rows.3.description', 'The fourth');
  });

  it('accepts a text header object with a list and a media header with buttons', () => {
    expect(choicesMessage(TO, { prompt: 'P', options: options(4), header: { type: 'text', text: 'H' } })).toHaveProperty('interactive.header', { type: 'text', text: 'H' });
    expect(choicesMessage(TO, { prompt: 'P', options: options(2), header: { type: 'video', video: { id: '5' } } })).toHaveProperty('interactive.header', { type: 'video', video: { id: '5' } });
  });
});

describe('charCount', () => {
  it('counts code points, as Meta counts characters', () => {
    expect(charCount('abc')).toBe(3);
    expect(charCount('😀😀')).toBe(2);
    expect('😀😀'.length).toBe(4);
  });
});
