/**
 * Every message type, built by its builder (or validated from Graph shape), wrapped by `toGraphBody`,
 * POSTed over real HTTP to a loopback server: the far side must receive exactly the expected JSON,
 * and that JSON must be valid against Meta's OpenAPI `#/components/schemas/Message`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import { parse } from 'yaml';
import {
  buttonsMessage,
  catalogMessage,
  choicesMessage,
  contactsMessage,
  ctaUrlMessage,
  flowMessage,
  listMessage,
  locationMessage,
  locationRequestMessage,
  markAsReadBody,
  mediaMessage,
  productListMessage,
  productMessage,
  reactionMessage,
  templateMessage,
  textMessage,
  toGraphBody,
  validateOutboundMessage,
  type OutboundMessage,
} from '../src/messages';
import { LoopbackServer, accepted } from './support/loopback-server';

/** Meta's OpenAPI description, vendored with its MIT licence (fixtures/meta-openapi/). */
const OAS_FILE = join(__dirname, 'fixtures', 'meta-openapi', 'business-messaging-api_v23.0.yaml');

/**
 * Meta's `Message` schema, with the defects that make it reject Meta's own examples repaired
 * (openapi-schema.test.ts shows each one is needed). Anything else stays as Meta wrote it.
 */
function loadMessageSchema() {
  const doc = parse(readFileSync(OAS_FILE, 'utf8'));
  const schemas = doc.components.schemas;
  // 1. `allOf: [Base, {additionalProperties: false}]` forbids Base's own fields (to, context…) under
  //    JSON Schema rules; "no other fields" is what was meant, which is `unevaluatedProperties`.
  for (const schema of Object.values<any>(schemas)) {
    if (!Array.isArray(schema.allOf)) continue;
    const closed = schema.allOf.filter((member: any) => member.additionalProperties === false);
    closed.forEach((member: any) => delete member.additionalProperties);
    if (closed.length) schema.unevaluatedProperties = false;
  }
  // 2. `biz_opaque_callback_data` is a documented send field missing from BaseMessageProperties.
  schemas.BaseMessageProperties.properties.biz_opaque_callback_data = { type: 'string', maxLength: 512 };
  // 3. `language.policy` is required by the schema but absent from 8 of Meta's 9 template examples.
  schemas.LanguageObject.required = ['code'];
  // 4. Location coordinates are typed string; Meta's examples (and docs) send numbers.
  for (const key of ['latitude', 'longitude']) schemas.LocationMessage.allOf[1].properties.location.properties[key].type = ['string', 'number'];
  // 5. Button `index` has pattern `^[2-6, 11-14]$` (rejects "0", used by Meta's examples) and is string-only
  //    while examples send numbers; `sub_type` lacks copy_code/flow/mpm that Meta's docs and examples use.
  delete schemas.TemplateComponent.properties.index.pattern;
  schemas.TemplateComponent.properties.index.type = ['string', 'integer'];
  schemas.TemplateComponent.properties.sub_type.enum.push('copy_code', 'flow', 'mpm');
  // 6. Contact `type` labels are HOME/WORK enums; the contacts docs use free text ("Mobile", "Office").
  for (const name of ['PhoneObject', 'EmailObject', 'AddressObject', 'UrlObject']) delete schemas[name].properties.type.enum;
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  for (const format of ['url', 'uri']) ajv.addFormat(format, (value: string) => URL.canParse(value));
  ajv.addFormat('email', /^[^\s@]+@[^\s@]+$/);
  ajv.addFormat('date', /^\d{4}-\d{2}-\d{2}$/);
  ajv.addSchema({ ...doc, $id: 'meta-oas' });
  return ajv.getSchema('meta-oas#/components/schemas/Message')!;
}

interface Case {
  name: string;
  build: () => OutboundMessage;
  expected: Record<string, unknown>;
  /** Why this case is not checked against the OpenAPI schema (the type is missing from it). */
  notInOpenApi?: string;
}

const TO = '+1 (415) 555-1234';
const env = { messaging_product: 'whatsapp', recipient_type: 'individual', to: '+14155551234' };

const cases: Case[] = [
  {
    name: 'text with preview, reply and callback data',
    build: () => textMessage(TO, 'See https://example.com 😀', { previewUrl: true, replyTo: 'wamid.PREV', bizOpaqueCallbackData: 'order-7' }),
    expected: { ...env, type: 'text', text: { body: 'See https://example.com 😀', preview_url: true }, context: { message_id: 'wamid.PREV' }, biz_opaque_callback_data: 'order-7' },
  },
  {
    name: 'text to a business-scoped user id (sent unchanged, in recipient)',
    build: () => textMessage('US.1234567890123', 'Hi'),
    expected: { messaging_product: 'whatsapp', recipient_type: 'individual', recipient: 'US.1234567890123', type: 'text', text: { body: 'Hi' } },
    notInOpenApi: 'the v23.0 OpenAPI Message schema predates usernames: it has no recipient field (Meta\'s business-scoped user ID guide documents it) and requires to',
  },
  {
    name: 'image by link with caption',
    build: () => mediaMessage(TO, 'image', { link: 'https://cdn.example.com/a.jpg' }, { caption: 'Receipt' }),
    expected: { ...env, type: 'image', image: { link: 'https://cdn.example.com/a.jpg', caption: 'Receipt' } },
  },
  {
    name: 'video by id with caption, as a reply',
    build: () => mediaMessage(TO, 'video', { id: '1166846181421424' }, { caption: 'Clip', replyTo: 'wamid.V' }),
    expected: { ...env, type: 'video', video: { id: '1166846181421424', caption: 'Clip' }, context: { message_id: 'wamid.V' } },
  },
  {
    name: 'audio by id',
    build: () => mediaMessage(TO, 'audio', { id: '1013859600285441' }),
    expected: { ...env, type: 'audio', audio: { id: '1013859600285441' } },
  },
  {
    name: 'document by link with filename and caption',
    build: () => mediaMessage(TO, 'document', { link: 'https://example.com/inv.pdf' }, { filename: 'invoice.pdf', caption: 'Invoice' }),
    expected: { ...env, type: 'document', document: { link: 'https://example.com/inv.pdf', filename: 'invoice.pdf', caption: 'Invoice' } },
  },
  {
    name: 'sticker by id',
    build: () => mediaMessage(TO, 'sticker', { id: '798882015472548' }),
    expected: { ...env, type: 'sticker', sticker: { id: '798882015472548' } },
  },
  {
    name: 'location',
    build: () => locationMessage(TO, { latitude: 37.4847, longitude: -122.1486, name: 'Meta HQ', address: '1 Hacker Way' }),
    expected: { ...env, type: 'location', location: { latitude: 37.4847, longitude: -122.1486, name: 'Meta HQ', address: '1 Hacker Way' } },
  },
  {
    name: 'contacts',
    build: () =>
      contactsMessage(TO, [
        {
          name: { formatted_name: 'Ana Lima', first_name: 'Ana' },
          phones: [{ phone: '+55 11 91234-5678', type: 'CELL', wa_id: '5511912345678' }],
          emails: [{ email: 'ana@example.com', type: 'WORK' }],
          urls: [{ url: 'https://example.com', type: 'WORK' }],
          birthday: '1990-05-01',
        },
      ]),
    expected: {
      ...env,
      type: 'contacts',
      contacts: [
        {
          name: { formatted_name: 'Ana Lima', first_name: 'Ana' },
          phones: [{ phone: '+55 11 91234-5678', type: 'CELL', wa_id: '5511912345678' }],
          emails: [{ email: 'ana@example.com', type: 'WORK' }],
          urls: [{ url: 'https://example.com', type: 'WORK' }],
          birthday: '1990-05-01',
        },
      ],
    },
  },
  {
    name: 'reaction',
    build: () => reactionMessage(TO, 'wamid.TARGET', '👍'),
    expected: { ...env, type: 'reaction', reaction: { message_id: 'wamid.TARGET', emoji: '👍' } },
  },
  {
    name: 'reaction removal (empty emoji)',
    build: () => reactionMessage(TO, 'wamid.TARGET', ''),
    expected: { ...env, type: 'reaction', reaction: { message_id: 'wamid.TARGET', emoji: '' } },
  },
  {
    name: 'template without variables',
    build: () => templateMessage(TO, 'hello_world', 'en_US'),
    expected: { ...env, type: 'template', template: { name: 'hello_world', language: { code: 'en_US' } } },
  },
  {
    name: 'template with named body variables',
    build: () =>
      templateMessage(TO, 'order_confirmation', 'en_US', [
        { type: 'body', parameters: [{ type: 'text', parameter_name: 'first_name', text: 'Jessica' }, { type: 'text', parameter_name: 'order_number', text: 'SKBUP2-4CPIG9' }] },
      ]),
    expected: {
      ...env,
      type: 'template',
      template: {
        name: 'order_confirmation',
        language: { code: 'en_US' },
        components: [{ type: 'body', parameters: [{ type: 'text', parameter_name: 'first_name', text: 'Jessica' }, { type: 'text', parameter_name: 'order_number', text: 'SKBUP2-4CPIG9' }] }],
      },
    },
  },
  {
    name: 'template with media header, currency, date_time and every button kind',
    build: () =>
      templateMessage(TO, 'big_sale', 'pt_BR', [
        { type: 'header', parameters: [{ type: 'image', image: { link: 'https://example.com/h.png' } }] },
        {
          type: 'body',
          parameters: [
            { type: 'text', text: 'Ana' },
            { type: 'currency', currency: { fallback_value: 'R$100,99', code: 'BRL', amount_1000: 100990 } },
            { type: 'date_time', date_time: { fallback_value: '25 de fevereiro' } },
          ],
        },
        { type: 'button', sub_type: 'quick_reply', index: '0', parameters: [{ type: 'payload', payload: 'STOP' }] },
        { type: 'button', sub_type: 'url', index: '1', parameters: [{ type: 'text', text: 'order/123' }] },
        { type: 'button', sub_type: 'copy_code', index: 2, parameters: [{ type: 'coupon_code', coupon_code: '25OFF' }] },
        { type: 'button', sub_type: 'flow', index: '3', parameters: [{ type: 'action', action: { flow_token: 'tok', flow_action_data: { a: 1 } } }] },
      ], { bizOpaqueCallbackData: 'campaign-9' }),
    expected: {
      ...env,
      type: 'template',
      biz_opaque_callback_data: 'campaign-9',
      template: {
        name: 'big_sale',
        language: { code: 'pt_BR' },
        components: [
          { type: 'header', parameters: [{ type: 'image', image: { link: 'https://example.com/h.png' } }] },
          {
            type: 'body',
            parameters: [
              { type: 'text', text: 'Ana' },
              { type: 'currency', currency: { fallback_value: 'R$100,99', code: 'BRL', amount_1000: 100990 } },
              { type: 'date_time', date_time: { fallback_value: '25 de fevereiro' } },
            ],
          },
          { type: 'button', sub_type: 'quick_reply', index: '0', parameters: [{ type: 'payload', payload: 'STOP' }] },
          { type: 'button', sub_type: 'url', index: '1', parameters: [{ type: 'text', text: 'order/123' }] },
          { type: 'button', sub_type: 'copy_code', index: 2, parameters: [{ type: 'coupon_code', coupon_code: '25OFF' }] },
          { type: 'button', sub_type: 'flow', index: '3', parameters: [{ type: 'action', action: { flow_token: 'tok', flow_action_data: { a: 1 } } }] },
        ],
      },
    },
  },
  {
    name: 'reply buttons with image header and footer',
    build: () =>
      buttonsMessage(TO, {
        header: { type: 'image', image: { id: '2762702990552401' } },
        body: 'Your workshop is at 9am tomorrow.',
        footer: 'Lucky Shrub',
        buttons: [{ id: 'change-button', title: 'Change' }, { id: 'cancel-button', title: 'Cancel' }],
      }),
    expected: {
      ...env,
      type: 'interactive',
      interactive: {
        type: 'button',
        header: { type: 'image', image: { id: '2762702990552401' } },
        body: { text: 'Your workshop is at 9am tomorrow.' },
        footer: { text: 'Lucky Shrub' },
        action: { buttons: [{ type: 'reply', reply: { id: 'change-button', title: 'Change' } }, { type: 'reply', reply: { id: 'cancel-button', title: 'Cancel' } }] },
      },
    },
  },
  {
    name: 'list with two sections',
    build: () =>
      listMessage(TO, {
        header: 'Slots',
        body: 'Pick a time',
        button: 'See slots',
        sections: [
          { title: 'Morning', rows: [{ id: 'am9', title: '9:00', description: 'Front desk' }] },
          { title: 'Afternoon', rows: [{ id: 'pm2', title: '14:00' }] },
        ],
      }),
    expected: {
      ...env,
      type: 'interactive',
      interactive: {
        type: 'list',
        header: { type: 'text', text: 'Slots' },
        body: { text: 'Pick a time' },
        action: {
          button: 'See slots',
          sections: [
            { title: 'Morning', rows: [{ id: 'am9', title: '9:00', description: 'Front desk' }] },
            { title: 'Afternoon', rows: [{ id: 'pm2', title: '14:00' }] },
          ],
        },
      },
    },
  },
  {
    name: 'cta_url',
    build: () => ctaUrlMessage(TO, { body: 'See dates', displayText: 'See Dates', url: 'https://www.luckyshrub.com?clickID=1', footer: 'Dates may change' }),
    expected: {
      ...env,
      type: 'interactive',
      interactive: {
        type: 'cta_url',
        body: { text: 'See dates' },
        footer: { text: 'Dates may change' },
        action: { name: 'cta_url', parameters: { display_text: 'See Dates', url: 'https://www.luckyshrub.com?clickID=1' } },
      },
    },
    notInOpenApi: 'the v23.0 OpenAPI InteractiveObject has no cta_url type (documented in the cta_url message docs)',
  },
  {
    name: 'flow by id, navigate with payload',
    build: () => flowMessage(TO, { header: 'Booking', body: 'Book a table', cta: 'Book now', flowId: '1234567890', flowToken: 'tok-1', flowAction: 'navigate', screen: 'WELCOME', data: { guests: 2 } }),
    expected: {
      ...env,
      type: 'interactive',
      interactive: {
        type: 'flow',
        header: { type: 'text', text: 'Booking' },
        body: { text: 'Book a table' },
        action: {
          name: 'flow',
          parameters: { flow_message_version: '3', flow_id: '1234567890', flow_cta: 'Book now', flow_token: 'tok-1', flow_action: 'navigate', flow_action_payload: { screen: 'WELCOME', data: { guests: 2 } } },
        },
      },
    },
  },
  {
    name: 'flow by name, draft',
    build: () => flowMessage(TO, { body: 'Test', cta: 'Open', flowName: 'signup_flow', mode: 'draft' }),
    expected: {
      ...env,
      type: 'interactive',
      interactive: { type: 'flow', body: { text: 'Test' }, action: { name: 'flow', parameters: { flow_message_version: '3', flow_name: 'signup_flow', flow_cta: 'Open', mode: 'draft' } } },
    },
  },
  {
    name: 'location request',
    build: () => locationRequestMessage(TO, 'Where should we deliver?'),
    expected: { ...env, type: 'interactive', interactive: { type: 'location_request_message', body: { text: 'Where should we deliver?' }, action: { name: 'send_location' } } },
    notInOpenApi: 'the v23.0 OpenAPI InteractiveObject has no location_request_message type (documented in the location request docs)',
  },
  {
    name: 'single product',
    build: () => productMessage(TO, { catalogId: '367025965434465', productRetailerId: 'SKU-1', body: 'Look', footer: 'Deal' }),
    expected: {
      ...env,
      type: 'interactive',
      interactive: { type: 'product', body: { text: 'Look' }, footer: { text: 'Deal' }, action: { catalog_id: '367025965434465', product_retailer_id: 'SKU-1' } },
    },
  },
  {
    name: 'product list',
    build: () =>
      productListMessage(TO, {
        catalogId: '146265584024623',
        header: 'Deals',
        body: 'This week',
        sections: [
          { title: 'Fruit', productRetailerIds: ['SKU-1', 'SKU-2'] },
          { title: 'Veg', productRetailerIds: ['SKU-3'] },
        ],
      }),
    expected: {
      ...env,
      type: 'interactive',
      interactive: {
        type: 'product_list',
        header: { type: 'text', text: 'Deals' },
        body: { text: 'This week' },
        action: {
          catalog_id: '146265584024623',
          sections: [
            { title: 'Fruit', product_items: [{ product_retailer_id: 'SKU-1' }, { product_retailer_id: 'SKU-2' }] },
            { title: 'Veg', product_items: [{ product_retailer_id: 'SKU-3' }] },
          ],
        },
      },
    },
  },
  {
    name: 'catalog',
    build: () => catalogMessage(TO, { body: 'Browse our catalog', thumbnailProductRetailerId: '2lc20305pt', footer: 'Best deals' }),
    expected: {
      ...env,
      type: 'interactive',
      interactive: {
        type: 'catalog_message',
        body: { text: 'Browse our catalog' },
        footer: { text: 'Best deals' },
        action: { name: 'catalog_message', parameters: { thumbnail_product_retailer_id: '2lc20305pt' } },
      },
    },
  },
  {
    name: 'choices with 2 options → reply buttons',
    build: () => choicesMessage(TO, { prompt: 'Rate us', options: [{ id: 'good', title: 'Good' }, { id: 'bad', title: 'Bad' }], footer: 'Thanks' }),
    expected: {
      ...env,
      type: 'interactive',
      interactive: {
        type: 'button',
        body: { text: 'Rate us' },
        footer: { text: 'Thanks' },
        action: { buttons: [{ type: 'reply', reply: { id: 'good', title: 'Good' } }, { type: 'reply', reply: { id: 'bad', title: 'Bad' } }] },
      },
    },
  },
  {
    name: 'choices with 4 options → list with default button label',
    build: () =>
      choicesMessage(TO, {
        prompt: 'Which size?',
        header: 'Sizes',
        options: [{ id: 's', title: 'Small', description: 'Fits 1' }, { id: 'm', title: 'Medium' }, { id: 'l', title: 'Large' }, { id: 'xl', title: 'Extra large' }],
      }),
    expected: {
      ...env,
      type: 'interactive',
      interactive: {
        type: 'list',
        header: { type: 'text', text: 'Sizes' },
        body: { text: 'Which size?' },
        action: {
          button: 'Choose',
          sections: [{ rows: [{ id: 's', title: 'Small', description: 'Fits 1' }, { id: 'm', title: 'Medium' }, { id: 'l', title: 'Large' }, { id: 'xl', title: 'Extra large' }] }],
        },
      },
    },
  },
  {
    name: 'Graph-shaped message through validateOutboundMessage (messaging_product tolerated)',
    build: () =>
      validateOutboundMessage({ messaging_product: 'whatsapp', to: '14155551234', type: 'text', text: { body: 'Hello', preview_url: false }, context: { message_id: 'wamid.X' } }),
    expected: { ...env, type: 'text', text: { body: 'Hello', preview_url: false }, context: { message_id: 'wamid.X' } },
  },
];

describe('outbound messages on the wire', () => {
  let server: LoopbackServer;
  const validateAgainstMeta = loadMessageSchema();

  beforeAll(async () => {
    server = await LoopbackServer.start((request) => accepted(String(request.json?.to ?? '')));
  });
  afterAll(async () => {
    await server.close();
  });

  async function post(body: unknown) {
    const before = server.requests.length;
    const response = await fetch(`${server.url}/v23.0/106540352242922/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(response.status).toBe(200);
    expect(server.requests.length).toBe(before + 1);
    return server.requests[before]!;
  }

  it.each(cases.map((c) => [c.name, c] as const))('%s: the far side receives exactly the expected JSON', async (_name, c) => {
    const received = await post(toGraphBody(c.build()));
    expect(received.method).toBe('POST');
    expect(received.headers['content-type']).toBe('application/json');
    expect(received.json).toStrictEqual(c.expected);
  });

  it.each(cases.filter((c) => !c.notInOpenApi).map((c) => [c.name, c] as const))('%s: valid against Meta\'s OpenAPI Message schema', (_name, c) => {
    const body = toGraphBody(c.build());
    const valid = validateAgainstMeta(body);
    expect(validateAgainstMeta.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
  });

  it('lists every case left out of the OpenAPI check with a reason', () => {
    expect(cases.filter((c) => c.notInOpenApi).map((c) => c.name)).toEqual(['text to a business-scoped user id (sent unchanged, in recipient)', 'cta_url', 'location request']);
  });

  it('the OpenAPI check can fail: a 21-character button title is refused by Meta\'s schema too', () => {
    const body = toGraphBody(buttonsMessage(TO, { body: 'x', buttons: [{ id: 'a', title: 'ok' }] })) as any;
    body.interactive.action.buttons[0].reply.title = 'x'.repeat(21);
    expect(validateAgainstMeta(body)).toBe(false);
  });

  it('mark-as-read with typing indicator reaches the far side as Meta documents it', async () => {
    const received = await post(markAsReadBody('wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQUYzMjEzNDM2RTZGQ0MzMDJBRgA=', { typing: true }));
    const sample = JSON.parse(readFileSync(join(__dirname, 'fixtures', 'sends', 'mark-read-typing-indicator.json'), 'utf8'));
    expect(received.json).toStrictEqual(sample);
  });

  it('mark-as-read without typing has no typing_indicator', async () => {
    const received = await post(markAsReadBody('wamid.A'));
    expect(received.json).toStrictEqual({ messaging_product: 'whatsapp', status: 'read', message_id: 'wamid.A' });
  });
});
