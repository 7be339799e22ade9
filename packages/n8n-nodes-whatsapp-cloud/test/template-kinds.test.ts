/**
 * Carousel, limited-time offer and authentication templates through the n8n node: the resource
 * mapper lists each card's fields (read from the sandbox's template), the values typed into those
 * fields are sent by the Send Template operation, and the sandbox receives every card's header and
 * button parameter.
 */
import type { IDataObject, IExecuteFunctions, ILoadOptionsFunctions, INodeExecutionData } from 'n8n-workflow';
import { startSandbox, type Sandbox } from '../../sandbox/src';
import { router } from '../nodes/WhatsAppCloud/v1/actions/router';
import { getTemplateParameters } from '../nodes/WhatsAppCloud/v1/methods/resourceMapping';

let sandbox: Sandbox;
let executions = 0;
let users = 0;
beforeAll(async () => {
  sandbox = await startSandbox({ statusDelaysMs: { sent: 2, delivered: null, read: null } });
});
afterAll(() => sandbox.close());

const node = { id: 'node-kinds', name: 'WhatsApp Cloud', type: 'whatsAppCloud', typeVersion: 1, position: [0, 0] as [number, number], parameters: {} };
const credentials = () => ({ accessToken: sandbox.accessToken, phoneNumberId: sandbox.phoneNumberId, wabaId: sandbox.wabaId, baseUrl: sandbox.url });
/** n8n's logger: the node logs a state store it cannot open (no SQLite on Node 20) once. */
const logger = { error: () => undefined, warn: () => undefined, info: () => undefined, debug: () => undefined };
const user = () => `+1415555${String(2000 + ++users).padStart(4, '0')}`;

/** The editor's call for the resource mapper's fields. */
async function mapperFields(template: string, language: string) {
  const ctx = {
    getNodeParameter: (name: string) => (name === 'templateName' ? template : name === 'languageCode' ? language : undefined),
    getCredentials: async () => credentials(),
    getNode: () => node,
  } as unknown as ILoadOptionsFunctions;
  return (await getTemplateParameters.call(ctx)).fields;
}

async function sendTemplate(to: string, template: string, language: string, mapped: IDataObject): Promise<INodeExecutionData[]> {
  const params: IDataObject = { resource: 'message', operation: 'sendTemplate', to, templateName: template, languageCode: language, 'templateParameters.value': mapped };
  const execution = `kinds-${++executions}`;
  const ctx = {
    getInputData: () => [{ json: {} }],
    getNodeParameter: (name: string, _item: number, fallback?: unknown) => (name in params ? params[name] : fallback),
    getCredentials: async () => credentials(),
    continueOnFail: () => false,
    getNode: () => node,
    getExecutionId: () => execution,
    logger,
  } as unknown as IExecuteFunctions;
  const [items] = await router.call(ctx);
  return items!;
}

const received = (to: string) => sandbox.messages.filter((m) => m.type === 'template' && (m.body as { to: string }).to === to).map((m) => m.body as { template: { name: string; components: Array<Record<string, unknown>> } });

describe('carousel template from the resource mapper', () => {
  it('lists every card\'s header, body and button fields, and the 3 cards reach the sandbox', async () => {
    const fields = await mapperFields('succulent_carousel', 'en_US');
    const ids = fields.map((f) => f.id);
    expect(ids).toEqual([
      'body-1', 'body-2',
      'card-0-header', 'card-0-body-1', 'card-0-button-0', 'card-0-button-1',
      'card-1-header', 'card-1-body-1', 'card-1-button-0', 'card-1-button-1',
      'card-2-header', 'card-2-body-1', 'card-2-button-0', 'card-2-button-1',
    ]);
    expect(fields.find((f) => f.id === 'card-1-header')).toMatchObject({ displayName: expect.stringMatching(/^Card 2 Header \(image\)/), required: true });
    expect(fields.find((f) => f.id === 'card-2-button-1')).toMatchObject({ displayName: expect.stringMatching(/^Card 3 Button 2 "Shop"/), required: true });

    // What a user types into those fields (the quick-reply payloads are left empty on card 2).
    const mapped: IDataObject = { 'body-1': 'Ana', 'body-2': 'SPRING' };
    for (const n of [0, 1, 2]) {
      mapped[`card-${n}-header`] = `https://cdn.example.com/plant-${n}.jpg`;
      mapped[`card-${n}-body-1`] = `plant ${n}`;
      mapped[`card-${n}-button-1`] = `sku-${n}`;
      if (n !== 2) mapped[`card-${n}-button-0`] = `more-${n}`;
    }
    const to = user();
    const [out] = await sendTemplate(to, 'succulent_carousel', 'en_US', mapped);
    expect(out!.json.messageId).toMatch(/^wamid\./);

    const [body] = received(to);
    const carousel = body!.template.components.find((c) => c.type === 'carousel') as { cards: Array<{ card_index: number; components: Array<Record<string, unknown>> }> };
    expect(carousel.cards.map((c) => c.card_index)).toEqual([0, 1, 2]);
    for (const card of carousel.cards) {
      const n = card.card_index;
      expect(card.components).toContainEqual({ type: 'header', parameters: [{ type: 'image', image: { link: `https://cdn.example.com/plant-${n}.jpg` } }] });
      expect(card.components).toContainEqual({ type: 'button', sub_type: 'url', index: '1', parameters: [{ type: 'text', text: `sku-${n}` }] });
    }
    expect(carousel.cards[0]!.components).toContainEqual({ type: 'button', sub_type: 'quick_reply', index: '0', parameters: [{ type: 'payload', payload: 'more-0' }] });
  });

  it('a card left without its header fails before sending, naming the field', async () => {
    const to = user();
    const before = sandbox.messages.length;
    const mapped: IDataObject = { 'body-1': 'Ana', 'body-2': 'X', 'card-0-header': 'h0', 'card-0-body-1': 'a', 'card-0-button-1': 's', 'card-1-header': 'h1', 'card-1-body-1': 'b', 'card-1-button-1': 's', 'card-2-body-1': 'c', 'card-2-button-1': 's' };
    await expect(sendTemplate(to, 'succulent_carousel', 'en_US', mapped)).rejects.toThrow(/card\.2\.header/);
    expect(sandbox.messages.length).toBe(before);
  });
});

describe('offer and authentication templates', () => {
  it('limited-time offer: expiry and coupon code fields reach the sandbox as Meta documents them', async () => {
    const fields = await mapperFields('caribbean_offer', 'en_US');
    expect(fields.map((f) => f.id)).toEqual(['header', 'limited_time_offer', 'body-1', 'body-2', 'button-0', 'button-1']);
    const to = user();
    await sendTemplate(to, 'caribbean_offer', 'en_US', {
      header: '1602186516975000', limited_time_offer: '2030-01-31T12:00:00Z', 'body-1': 'Pablo', 'body-2': 'CARIBE25', 'button-0': 'CARIBE25', 'button-1': 'n3mtql',
    });
    const components = received(to)[0]!.template.components;
    expect(components).toContainEqual({ type: 'limited_time_offer', parameters: [{ type: 'limited_time_offer', limited_time_offer: { expiration_time_ms: Date.parse('2030-01-31T12:00:00Z') } }] });
    expect(components).toContainEqual({ type: 'button', sub_type: 'copy_code', index: '0', parameters: [{ type: 'coupon_code', coupon_code: 'CARIBE25' }] });
  });

  it('authentication: one Verification Code field, sent in the body and the button', async () => {
    const fields = await mapperFields('verification_code', 'en_US');
    expect(fields.map((f) => [f.id, f.required])).toEqual([['code', true]]);
    const to = user();
    await sendTemplate(to, 'verification_code', 'en_US', { code: '482913' });
    expect(received(to)[0]!.template.components).toEqual([
      { type: 'body', parameters: [{ type: 'text', text: '482913' }] },
      { type: 'button', sub_type: 'url', index: '0', parameters: [{ type: 'text', text: '482913' }] },
    ]);
  });
});

/** Runs one operation of the node with these parameters (as the editor saves them). */
async function runOperation(params: IDataObject): Promise<INodeExecutionData[]> {
  const execution = `kinds-${++executions}`;
  const ctx = {
    getInputData: () => [{ json: {} }],
    getNodeParameter: (name: string, _item: number, fallback?: unknown) => (name in params ? params[name] : fallback),
    getCredentials: async () => credentials(),
    continueOnFail: () => false,
    getNode: () => node,
    getExecutionId: () => execution,
    logger,
  } as unknown as IExecuteFunctions;
  const [items] = await router.call(ctx);
  return items!;
}

describe('template library, Marketing Messages API and analytics', () => {
  it('Create From Library: the sandbox gets library_template_name and the website button input, and approves it', async () => {
    const [out] = await runOperation({
      resource: 'template', operation: 'createFromLibrary', name: 'n8n_delivery_update', language: 'en_US', libraryTemplateName: 'delivery_update_1',
      websiteUrl: 'https://shop.example.com/track/{{1}}', websiteUrlExample: 'https://shop.example.com/track/42', phoneNumber: '', bodyInputs: {},
    });
    expect(out!.json).toMatchObject({ status: 'APPROVED', category: 'UTILITY' });
    const request = sandbox.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/message_templates')).pop()!;
    expect(request.body).toEqual({
      name: 'n8n_delivery_update', language: 'en_US', category: 'UTILITY', library_template_name: 'delivery_update_1',
      library_template_button_inputs: [{ type: 'URL', url: { base_url: 'https://shop.example.com/track/{{1}}', url_suffix_example: 'https://shop.example.com/track/42' } }],
    });
  });

  it('Send Template with the Marketing Messages API option: marketing templates go to /marketing_messages', async () => {
    const to = user();
    const [out] = await runOperation({
      resource: 'message', operation: 'sendTemplate', to, templateName: 'spring_sale', languageCode: 'en',
      'templateParameters.value': { 'body-1': '20%', 'button-0': 'spring' },
      options: { marketingMessages: true, marketingProductPolicy: 'STRICT', messageActivitySharing: 'dontShare' },
    });
    expect(out!.json).toMatchObject({ via: 'marketing_messages' });
    const request = sandbox.requests.filter((r) => r.path.endsWith('/marketing_messages')).pop()!;
    expect(request.body).toMatchObject({ to, type: 'template', product_policy: 'STRICT', message_activity_sharing: false });
  });
});

describe('analytics with delivered messages', () => {
  let delivering: Sandbox;
  beforeAll(async () => {
    delivering = await startSandbox({ statusDelaysMs: { sent: 1, delivered: 2, read: null } });
  });
  afterAll(() => delivering.close());

  it('Get Pricing and Get Template Stats return one item per row, paired with the input item', async () => {
    const creds = { accessToken: delivering.accessToken, phoneNumberId: delivering.phoneNumberId, wabaId: delivering.wabaId, baseUrl: delivering.url };
    const run = async (params: IDataObject) => {
      const ctx = {
        getInputData: () => [{ json: {} }],
        getNodeParameter: (name: string, _item: number, fallback?: unknown) => (name in params ? params[name] : fallback),
        getCredentials: async () => creds,
        continueOnFail: () => false,
        getNode: () => node,
        getExecutionId: () => `kinds-${++executions}`,
        logger,
      } as unknown as IExecuteFunctions;
      return (await router.call(ctx))[0]!;
    };
    await run({ resource: 'message', operation: 'sendTemplate', to: user(), templateName: 'hello_world', languageCode: 'en_US', 'templateParameters.value': {} });
    await run({ resource: 'message', operation: 'sendTemplate', to: user(), templateName: 'hello_world', languageCode: 'en_US', 'templateParameters.value': {} });
    // Pricing counts delivered messages: wait for both delivered statuses, not a fixed 60 ms.
    await delivering.waitFor(() => delivering.messages.length >= 2 && delivering.messages.every((m) => m.statuses.some((s) => s.status === 'delivered')), 20_000);
    const today = new Date().toISOString().slice(0, 10);
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
    const pricing = await run({ resource: 'analytics', operation: 'pricing', start: today, end: tomorrow, dimensions: [] });
    expect(pricing.map((i) => i.json)).toEqual([{ date: today, start: expect.any(Number), end: expect.any(Number), pricingCategory: 'UTILITY', volume: 2, cost: 0.008 }]);
    expect(pricing[0]!.pairedItem).toEqual({ item: 0 });
    const request = delivering.requests.filter((r) => r.method === 'GET' && r.path.endsWith(`/${delivering.wabaId}`)).pop()!;
    expect(request.query.fields).toMatch(/^pricing_analytics\.start\(\d+\)\.end\(\d+\)\.granularity\(DAILY\)\.dimensions\(PRICING_CATEGORY\)$/);
    const stats = await run({ resource: 'analytics', operation: 'templates', start: today, end: tomorrow, templateIds: '' });
    expect(stats.map((i) => i.json)).toEqual([expect.objectContaining({ date: today, templateName: 'hello_world', category: 'UTILITY', sent: 2, delivered: 2 })]);
  });
});
