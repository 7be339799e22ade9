/**
 * Meta's own 50 send examples (OpenAPI v23.0, `POST /{Phone-Number-ID}/messages`) through our
 * validator: each must pass, or be listed here with the reason and the field we refuse.
 * Also shows why messages-wire.test.ts repairs Meta's `Message` schema before using it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import { parse } from 'yaml';
import { ValidationError } from '../src/errors/error-classes';
import { markAsReadBody, toGraphBody, validateOutboundMessage } from '../src/messages';

/** Meta's OpenAPI description, vendored with its MIT licence (fixtures/meta-openapi/). */
const OAS_FILE = join(__dirname, 'fixtures', 'meta-openapi', 'business-messaging-api_v23.0.yaml');
const doc = parse(readFileSync(OAS_FILE, 'utf8'));
const messagesPath = Object.keys(doc.paths).find((path) => path.endsWith('/messages'))!;
const examples: Record<string, { value: Record<string, unknown> }> = doc.paths[messagesPath].post.requestBody.content['application/json'].examples;

/**
 * Placeholders in Meta's examples that are not values (`{{Recipient-Phone-Number}}`,
 * `<http(s)://audio-url>`, `template-name`): replaced by real values of the same kind before
 * validating. Nothing else in an example is changed.
 */
const PLACEHOLDERS: Record<string, string> = {
  '{{Recipient-Phone-Number}}': '+16505551234',
  '{{Recipient-WA-Phone-Number}}': '+16505551234',
  'template-name': 'template_name',
  '<TEMPLATE_NAME>': 'template_name',
  'language-and-locale-code': 'en_US',
  '<HEADER_TYPE>': 'text',
};

function fillPlaceholders(value: unknown): unknown {
  if (typeof value === 'string') {
    if (value in PLACEHOLDERS) return PLACEHOLDERS[value];
    const link = /^<?http\(s\):\/\/([^>]*)>?$/.exec(value);
    return link ? `https://example.com/${link[1]}` : value;
  }
  if (Array.isArray(value)) return value.map(fillPlaceholders);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fillPlaceholders(v)]));
  return value;
}

/** `messaging_product` and `recipient_type` are ours to add (`toGraphBody`), so they are stripped first. */
function asOurInput(example: Record<string, unknown>): Record<string, unknown> {
  const { messaging_product: _product, recipient_type: _recipientType, ...rest } = fillPlaceholders(example) as Record<string, unknown>;
  return rest;
}

/** Examples we refuse, each with the field our error names and why. */
const REFUSED: Record<string, { field: string; reason: string }> = {
  'Send Order Details Message': {
    field: 'interactive.type',
    reason: 'order_details (payments in India/Singapore/Brazil) is deliberately not covered',
  },
  'Send Order Status Message': {
    field: 'interactive.type',
    reason: 'order_status (payments) is deliberately not covered',
  },
  'Send Reply to List Message': {
    field: 'type',
    reason: 'the example has no `type`; Meta\'s own schema requires it and we never guess it',
  },
  'Send Text Message with Preview URL': {
    field: 'type',
    reason: 'the example has no `type`; Meta\'s own schema requires it and we never guess it',
  },
  'Send Sample Issue Resolution Template': {
    field: 'template.components[1].parameters[0].text',
    reason: 'quick_reply buttons get a `text` parameter whose value is the boolean true, not text',
  },
};

/** Not a message at all: the read receipt body, checked against `markAsReadBody` instead. */
const READ_RECEIPT = 'Send typing indicator and read receipt';

describe('Meta\'s 50 OpenAPI send examples', () => {
  const names = Object.keys(examples);

  it('are all here', () => {
    expect(names).toHaveLength(50);
    for (const name of [...Object.keys(REFUSED), READ_RECEIPT]) expect(names).toContain(name);
  });

  const accepted = names.filter((name) => !(name in REFUSED) && name !== READ_RECEIPT);

  it.each(accepted)('%s passes validateOutboundMessage and survives toGraphBody unchanged', (name) => {
    const input = asOurInput(examples[name]!.value);
    const message = validateOutboundMessage(input);
    expect(message).toStrictEqual(input);
    const body = toGraphBody(message);
    expect(body).toMatchObject({ messaging_product: 'whatsapp', recipient_type: 'individual' });
    expect(body.to).toMatch(/^\+\d{7,15}$/);
  });

  it.each(Object.entries(REFUSED))('%s is refused on the listed field', (name, { field }) => {
    let error: unknown;
    try {
      validateOutboundMessage(asOurInput(examples[name]!.value));
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).field).toBe(field);
  });

  it(`${READ_RECEIPT} is what markAsReadBody builds`, () => {
    const example = examples[READ_RECEIPT]!.value;
    expect(markAsReadBody(String(example.message_id), { typing: true })).toStrictEqual(example);
  });
});

describe('Meta\'s Message schema as published', () => {
  it('accepts none of Meta\'s own examples (allOf + additionalProperties:false), so the wire test repairs it', () => {
    const ajv = new Ajv2020({ strict: false, validateFormats: false });
    ajv.addSchema({ ...parse(readFileSync(OAS_FILE, 'utf8')), $id: 'meta-oas' });
    const validate = ajv.getSchema('meta-oas#/components/schemas/Message')!;
    const passing = Object.entries(examples).filter(([, example]) => validate(example.value)).map(([name]) => name);
    expect(passing).toEqual([]);
  });

  it('types location coordinates as strings while its own examples send numbers (repair 4)', () => {
    const location = doc.components.schemas.LocationMessage.allOf[1].properties.location.properties;
    expect(location.latitude.type).toBe('string');
    expect(typeof (examples['Send Location Message']!.value.location as { latitude: unknown }).latitude).toBe('number');
  });

  it('gives button index a pattern that rejects "0", which its own examples use (repair 5)', () => {
    const pattern = new RegExp(doc.components.schemas.TemplateComponent.properties.index.pattern);
    expect(pattern.test('0')).toBe(false);
    const components = (examples['Send Message Template Interactive']!.value.template as { components: Array<{ index?: string }> }).components;
    expect(components.some((c) => c.index === '0')).toBe(true);
  });

  it('requires language.policy although 8 of its 9 template examples leave it out (repair 3)', () => {
    expect(doc.components.schemas.LanguageObject.required).toContain('policy');
    const templates = Object.values(examples).filter((e) => e.value.type === 'template');
    expect(templates.filter((e) => !(e.value.template as { language: Record<string, unknown> }).language.policy).length).toBe(templates.length - 1);
  });
});
