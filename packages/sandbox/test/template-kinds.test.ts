/**
 * The sandbox checks carousel, limited-time offer and authentication template sends the way Cloud
 * API does, and creates templates of those kinds and from the template library.
 */
import { startSandbox, type Sandbox } from '../src';
import { graph, send } from './helpers';

let sb: Sandbox;
beforeAll(async () => {
  sb = await startSandbox({ statusDelaysMs: { sent: 2, delivered: null, read: null } });
});
afterAll(() => sb.close());

const to = '+14155550100';
const tpl = (name: string, components: unknown[]) => send(sb, { to, type: 'template', template: { name, language: { code: 'en_US' }, components } });

const mediaCard = (n: number, overrides: Record<string, unknown> = {}) => ({
  card_index: n,
  components: [
    { type: 'header', parameters: [{ type: 'image', image: { link: `https://cdn.example.com/${n}.jpg` } }] },
    { type: 'body', parameters: [{ type: 'text', text: `plant ${n}` }] },
    { type: 'button', sub_type: 'url', index: '1', parameters: [{ type: 'text', text: `p${n}` }] },
  ],
  ...overrides,
});
const body = { type: 'body', parameters: [{ type: 'text', text: 'Ana' }, { type: 'text', text: '20OFF' }] };

describe('carousel sends', () => {
  test('three media cards as approved go out', async () => {
    const r = await tpl('succulent_carousel', [body, { type: 'carousel', cards: [mediaCard(0), mediaCard(1), mediaCard(2)] }]);
    expect(r.status).toBe(200);
    expect(r.json.messages[0].id).toMatch(/^wamid\./);
  });

  test('a card count other than approved is 132000; a video where the card has an image is 132012', async () => {
    const two = await tpl('succulent_carousel', [body, { type: 'carousel', cards: [mediaCard(0), mediaCard(1)] }]);
    expect(two.json.error.code).toBe(132000);
    expect(two.json.error.error_data.details).toMatch(/number of cards \(2\) does not match the expected number of cards \(3\)/);
    const video = mediaCard(2, { components: [{ type: 'header', parameters: [{ type: 'video', video: { id: '1' } }] }] });
    const wrong = await tpl('succulent_carousel', [body, { type: 'carousel', cards: [mediaCard(0), mediaCard(1), video] }]);
    expect(wrong.json.error.code).toBe(132012);
  });

  test('a card without its url button value or body value is 132000', async () => {
    const noButton = mediaCard(1, { components: mediaCard(1).components.slice(0, 2) });
    const r = await tpl('succulent_carousel', [body, { type: 'carousel', cards: [mediaCard(0), noButton, mediaCard(2)] }]);
    expect(r.json.error.code).toBe(132000);
    expect(r.json.error.error_data.details).toMatch(/card 1 button 1/);
  });

  test('product carousels take 1 to 10 product cards', async () => {
    const product = (n: number) => ({ card_index: n, components: [{ type: 'header', parameters: [{ type: 'product', product: { product_retailer_id: `sku${n}`, catalog_id: '1948' } }] }] });
    const bodyAna = { type: 'body', parameters: [{ type: 'text', text: 'Ana' }] };
    expect((await tpl('product_carousel', [bodyAna, { type: 'carousel', cards: [0, 1, 2].map(product) }])).status).toBe(200);
    const eleven = await tpl('product_carousel', [bodyAna, { type: 'carousel', cards: Array.from({ length: 11 }, (_, n) => product(n)) }]);
    expect(eleven.json.error.code).toBe(132000);
  });
});

describe('limited-time offers and authentication', () => {
  const offer = (extra: unknown[]) => [
    { type: 'header', parameters: [{ type: 'image', image: { id: '1602186516975000' } }] },
    body,
    ...extra,
    { type: 'button', sub_type: 'copy_code', index: 0, parameters: [{ type: 'coupon_code', coupon_code: 'CARIBE25' }] },
    { type: 'button', sub_type: 'url', index: 1, parameters: [{ type: 'text', text: 'n3mtql' }] },
  ];

  test('an offer with its expiry goes out; without it, 132000', async () => {
    const lto = { type: 'limited_time_offer', parameters: [{ type: 'limited_time_offer', limited_time_offer: { expiration_time_ms: Date.now() + 86_400_000 } }] };
    expect((await tpl('caribbean_offer', offer([lto]))).status).toBe(200);
    const r = await tpl('caribbean_offer', offer([]));
    expect(r.json.error.code).toBe(132000);
    expect(r.json.error.error_data.details).toMatch(/expiration_time_ms/);
  });

  test('an authentication code must be in the body and the button, the same', async () => {
    const code = (b: string, u?: string) => [
      { type: 'body', parameters: [{ type: 'text', text: b }] },
      ...(u === undefined ? [] : [{ type: 'button', sub_type: 'url', index: '0', parameters: [{ type: 'text', text: u }] }]),
    ];
    expect((await tpl('verification_code', code('123456', '123456'))).status).toBe(200);
    expect((await tpl('verification_code', code('123456'))).json.error.code).toBe(132000);
    expect((await tpl('verification_code', code('123456', '654321'))).json.error.code).toBe(132000);
  });
});

describe('creating templates', () => {
  test('a carousel whose cards differ is refused (100); a good one goes PENDING', async () => {
    const card = (format: string) => ({ components: [{ type: 'HEADER', format, example: { header_handle: ['h'] } }, { type: 'BUTTONS', buttons: [{ type: 'QUICK_REPLY', text: 'More' }] }] });
    const def = (cards: unknown[]) => ({ name: `carousel_${cards.length}_${Date.now()}`, language: 'en_US', category: 'MARKETING', components: [{ type: 'BODY', text: 'Our picks.' }, { type: 'CAROUSEL', cards }] });
    const bad = await graph(sb, 'POST', `${sb.wabaId}/message_templates`, def([card('IMAGE'), card('VIDEO')]));
    expect(bad.json.error.code).toBe(100);
    const good = await graph(sb, 'POST', `${sb.wabaId}/message_templates`, def([card('IMAGE'), card('IMAGE')]));
    expect(good.json).toMatchObject({ status: 'PENDING', category: 'MARKETING' });
  });

  test('authentication: Meta writes the body; one-tap needs supported_apps', async () => {
    const def = (button: Record<string, unknown>, name: string) => ({
      name, language: 'en_US', category: 'AUTHENTICATION',
      components: [{ type: 'BODY', add_security_recommendation: true }, { type: 'FOOTER', code_expiration_minutes: 10 }, { type: 'BUTTONS', buttons: [{ type: 'OTP', ...button }] }],
    });
    expect((await graph(sb, 'POST', `${sb.wabaId}/message_templates`, def({ otp_type: 'COPY_CODE' }, 'otp_copy'))).json.status).toBe('PENDING');
    const r = await graph(sb, 'POST', `${sb.wabaId}/message_templates`, def({ otp_type: 'ONE_TAP' }, 'otp_one_tap'));
    expect(r.json.error.code).toBe(100);
    expect(r.json.error.error_data.details).toMatch(/supported_apps/);
  });

  test('from the library: approved at once, with the business\'s website filled in', async () => {
    const r = await graph(sb, 'POST', `${sb.wabaId}/message_templates`, {
      name: 'my_delivery_update',
      language: 'en_US',
      category: 'UTILITY',
      library_template_name: 'delivery_update_1',
      library_template_button_inputs: [{ type: 'URL', url: { base_url: 'https://shop.example.com/track/{{1}}', url_suffix_example: 'https://shop.example.com/track/123' } }],
    });
    expect(r.json).toEqual({ id: expect.any(String), status: 'APPROVED', category: 'UTILITY' });
    const got = await graph(sb, 'GET', r.json.id);
    expect(got.json.library_template_name).toBe('delivery_update_1');
    expect(JSON.stringify(got.json.components)).toContain('https://shop.example.com/track/{{1}}');
    const missing = await graph(sb, 'POST', `${sb.wabaId}/message_templates`, { name: 'x_delivery', language: 'en_US', category: 'UTILITY', library_template_name: 'delivery_update_1' });
    expect(missing.json.error.error_data.details).toMatch(/library_template_button_inputs must contain a URL button/);
    const unknown = await graph(sb, 'POST', `${sb.wabaId}/message_templates`, { name: 'x_unknown', language: 'en_US', category: 'UTILITY', library_template_name: 'no_such_1' });
    expect(unknown.json.error.code).toBe(100);
  });
});
