/**
 * Template kinds beyond header/body/buttons: carousels (media and product cards), limited-time
 * offers with a coupon code, authentication (copy code, one-tap, zero-tap), catalog and
 * multi-product buttons — parameters derived from the template, the send built and validated,
 * and the definitions checked before they are submitted.
 */
import { ValidationError } from '../src/errors/error-classes';
import { templateMessage, validateOutboundMessage } from '../src/messages';
import { buildTemplateComponents, templateParameters, validateTemplateDefinition, type MessageTemplate, type TemplateDefinition } from '../src/templates';

const mediaCard = (n: number) => ({
  components: [
    { type: 'HEADER', format: 'IMAGE', example: { header_handle: [`https://example.com/card${n}.jpg`] } },
    { type: 'BODY', text: 'Card {{1}} of the sale.', example: { body_text: [['1']] } },
    {
      type: 'BUTTONS',
      buttons: [
        { type: 'QUICK_REPLY', text: 'More like this' },
        { type: 'URL', text: 'Shop', url: 'https://shop.example.com/p/{{1}}', example: ['https://shop.example.com/p/aloe'] },
      ],
    },
  ],
});

/** A media card carousel template with three cards, as Meta returns it. */
export const carousel: MessageTemplate = {
  id: '10',
  name: 'succulents_carousel',
  language: 'en_US',
  status: 'APPROVED',
  category: 'MARKETING',
  components: [
    { type: 'BODY', text: 'Rare succulents, {{1}}! Use code {{2}}.', example: { body_text: [['Pablo', '20OFF']] } },
    { type: 'CAROUSEL', cards: [mediaCard(0), mediaCard(1), mediaCard(2)] },
  ],
};

const threeCards = {
  'body.1': 'Ana',
  'body.2': 'SPRING',
  'card.0.header': 'https://cdn.example.com/a.jpg',
  'card.0.body.1': 'one',
  'card.0.button.0': 'more-aloe',
  'card.0.button.1': 'aloe',
  'card.1.header': '1558081531584829',
  'card.1.body.1': 'two',
  'card.1.button.1': 'buddha',
  'card.2.header': { link: 'https://cdn.example.com/c.jpg' },
  'card.2.body.1': 'three',
  'card.2.button.1': 'black-prince',
};

describe('carousel templates', () => {
  it('lists every card\'s header, body variables and buttons', () => {
    const keys = templateParameters(carousel).map((s) => `${s.key}${s.required ? '' : '?'}`);
    expect(keys).toEqual([
      'body.1', 'body.2',
      'card.0.header', 'card.0.body.1', 'card.0.button.0?', 'card.0.button.1',
      'card.1.header', 'card.1.body.1', 'card.1.button.0?', 'card.1.button.1',
      'card.2.header', 'card.2.body.1', 'card.2.button.0?', 'card.2.button.1',
    ]);
    const header = templateParameters(carousel).find((s) => s.key === 'card.1.header')!;
    expect(header).toMatchObject({ component: 'header', card: 1, format: 'image', required: true });
  });

  it('builds the carousel component with one card per index, and Meta\'s schema accepts it', () => {
    const components = buildTemplateComponents(carousel, threeCards);
    expect(components).toEqual([
      { type: 'body', parameters: [{ type: 'text', text: 'Ana' }, { type: 'text', text: 'SPRING' }] },
      {
        type: 'carousel',
        cards: [
          {
            card_index: 0,
            components: [
              { type: 'header', parameters: [{ type: 'image', image: { link: 'https://cdn.example.com/a.jpg' } }] },
              { type: 'body', parameters: [{ type: 'text', text: 'one' }] },
              { type: 'button', sub_type: 'quick_reply', index: '0', parameters: [{ type: 'payload', payload: 'more-aloe' }] },
              { type: 'button', sub_type: 'url', index: '1', parameters: [{ type: 'text', text: 'aloe' }] },
            ],
          },
          {
            card_index: 1,
            components: [
              { type: 'header', parameters: [{ type: 'image', image: { id: '1558081531584829' } }] },
              { type: 'body', parameters: [{ type: 'text', text: 'two' }] },
              { type: 'button', sub_type: 'url', index: '1', parameters: [{ type: 'text', text: 'buddha' }] },
            ],
          },
          {
            card_index: 2,
            components: [
              { type: 'header', parameters: [{ type: 'image', image: { link: 'https://cdn.example.com/c.jpg' } }] },
              { type: 'body', parameters: [{ type: 'text', text: 'three' }] },
              { type: 'button', sub_type: 'url', index: '1', parameters: [{ type: 'text', text: 'black-prince' }] },
            ],
          },
        ],
      },
    ]);
    // The whole message passes the send validation (it used to be refused: "carousel" is not supported).
    expect(() => templateMessage('+14155551234', carousel.name, 'en_US', components as never)).not.toThrow();
  });

  it('a card missing its header or button value fails naming the card', () => {
    const { ['card.2.header']: _header, ...noHeader } = threeCards;
    expect(() => buildTemplateComponents(carousel, noHeader)).toThrow(/components\.card\.2\.header: a value for card 2 header image is required/);
    const { ['card.1.button.1']: _button, ...noButton } = threeCards;
    expect(() => buildTemplateComponents(carousel, noButton)).toThrow(/components\.card\.1\.button\.1/);
    expect(() => buildTemplateComponents(carousel, { ...threeCards, 'card.3.header': 'x' })).toThrow(/no parameter "card\.3\.header"/);
  });

  it('never drops a component it does not understand: it fails naming it (regression: the cards were dropped)', () => {
    const unknown: MessageTemplate = { ...carousel, components: [{ type: 'BODY', text: 'Hi' }, { type: 'HOLOGRAM', frames: 3 }] };
    expect(() => templateParameters(unknown)).toThrow(ValidationError);
    expect(() => buildTemplateComponents(unknown, {})).toThrow(/template\.components\[1\].*"HOLOGRAM"/);
    const oddButton: MessageTemplate = { ...carousel, components: [{ type: 'BODY', text: 'Hi' }, { type: 'BUTTONS', buttons: [{ type: 'TELEPORT', text: 'Go' }] }] };
    expect(() => buildTemplateComponents(oddButton, {})).toThrow(/"TELEPORT"/);
    const oddCard: MessageTemplate = { ...carousel, components: [{ type: 'BODY', text: 'Hi' }, { type: 'CAROUSEL', cards: [{ components: [{ type: 'HEADER', format: 'DOCUMENT' }] }] }] };
    expect(() => buildTemplateComponents(oddCard, {})).toThrow(/carousel\.cards\[0\]\.header.*"DOCUMENT"/);
  });

  it('product card carousels: two approved cards send up to ten, the extra cards optional and in order', () => {
    const productCard = { components: [{ type: 'HEADER', format: 'PRODUCT' }, { type: 'BUTTONS', buttons: [{ type: 'SPM', text: 'View' }] }] };
    const products: MessageTemplate = { ...carousel, name: 'product_carousel', components: [{ type: 'BODY', text: 'Picked for you.' }, { type: 'CAROUSEL', cards: [productCard, productCard] }] };
    const specs = templateParameters(products);
    expect(specs.map((s) => s.key)).toEqual(Array.from({ length: 10 }, (_, n) => `card.${n}.header`));
    expect(specs.filter((s) => s.required).map((s) => s.key)).toEqual(['card.0.header', 'card.1.header']);
    const product = (id: string) => ({ product_retailer_id: id, catalog_id: '194836987003835' });
    const built = buildTemplateComponents(products, { 'card.0.header': product('a'), 'card.1.header': JSON.stringify(product('b')), 'card.2.header': product('c') });
    expect(built).toEqual([
      {
        type: 'carousel',
        cards: ['a', 'b', 'c'].map((id, n) => ({ card_index: n, components: [{ type: 'header', parameters: [{ type: 'product', product: product(id) }] }] })),
      },
    ]);
    expect(() => validateOutboundMessage({ to: '+14155551234', type: 'template', template: { name: 'product_carousel', language: { code: 'en_US' }, components: built } })).not.toThrow();
    expect(() => buildTemplateComponents(products, { 'card.0.header': product('a'), 'card.1.header': product('b'), 'card.3.header': product('d') })).toThrow(/card 3 is given but card 2 is not/);
    expect(() => buildTemplateComponents(products, { 'card.0.header': 'just-an-id', 'card.1.header': product('b') })).toThrow(/card\.0\.header: a product card header needs \{ product_retailer_id, catalog_id \}/);
  });

  it('the send schema checks card count, card positions, header kinds and the same buttons on every card', () => {
    const card = (n: number, extra: object[] = []) => ({
      card_index: n,
      components: [{ type: 'header', parameters: [{ type: 'image', image: { id: `m${n}` } }] }, ...extra],
    });
    const send = (cards: unknown[]) =>
      validateOutboundMessage({ to: '+14155551234', type: 'template', template: { name: 'c', language: { code: 'en' }, components: [{ type: 'carousel', cards }] } });
    expect(() => send(Array.from({ length: 11 }, (_, n) => card(n % 10)))).toThrow(/template\.components\[0\]\.cards: 11 cards, the limit is 10/);
    expect(() => send([card(0), card(0)])).toThrow(/cards\[1\]\.card_index: card_index 0 is already used by cards\[0\]/);
    expect(() => send([card(0), card(10)])).toThrow(/cards\[1\]\.card_index: 10 is not a card position; it must be 0 to 9/);
    const url = { type: 'button', sub_type: 'url', index: 1, parameters: [{ type: 'text', text: 'x' }] };
    expect(() => send([card(0, [url]), card(1)])).toThrow(/cards\[1\]\.components: buttons \(none\) differ from cards\[0\] \(url@1\)/);
    const video = { card_index: 1, components: [{ type: 'header', parameters: [{ type: 'video', video: { id: 'v' } }] }] };
    expect(() => send([card(0), video])).toThrow(/has a video header while cards\[0\] has image/);
    expect(() => send([{ card_index: 0, components: [{ type: 'header', parameters: [{ type: 'document', document: { id: 'd' } }] }] }])).toThrow(/"document"/);
  });
});

describe('limited-time offers and coupon codes', () => {
  const offer: MessageTemplate = {
    id: '11',
    name: 'caribbean_offer',
    language: 'en_US',
    status: 'APPROVED',
    category: 'MARKETING',
    components: [
      { type: 'HEADER', format: 'IMAGE', example: { header_handle: ['4::aW'] } },
      { type: 'LIMITED_TIME_OFFER', limited_time_offer: { text: 'Expiring offer!', has_expiration: true } },
      { type: 'BODY', text: 'Good news, {{1}}! Use code {{2}} to get 25% off.', example: { body_text: [['Pablo', 'CARIBE25']] } },
      {
        type: 'BUTTONS',
        buttons: [
          { type: 'COPY_CODE', example: 'CARIBE25' },
          { type: 'URL', text: 'Book now!', url: 'https://example.com/offers?code={{1}}', example: ['https://example.com/offers?code=n3'] },
        ],
      },
    ],
  };

  it('lists the expiry and the coupon code, and builds them as Meta documents', () => {
    expect(templateParameters(offer).map((s) => [s.key, s.format, s.required])).toEqual([
      ['header', 'image', true],
      ['limited_time_offer', 'expiration', true],
      ['body.1', 'text', true],
      ['body.2', 'text', true],
      ['button.0', 'coupon_code', true],
      ['button.1', 'text', true],
    ]);
    const components = buildTemplateComponents(offer, {
      header: '1602186516975000',
      limited_time_offer: '2026-12-31T23:00:00Z',
      'body.1': 'Pablo',
      'body.2': 'CARIBE25',
      'button.0': 'CARIBE25',
      'button.1': 'n3mtql',
    });
    expect(components).toEqual([
      { type: 'header', parameters: [{ type: 'image', image: { id: '1602186516975000' } }] },
      { type: 'body', parameters: [{ type: 'text', text: 'Pablo' }, { type: 'text', text: 'CARIBE25' }] },
      { type: 'limited_time_offer', parameters: [{ type: 'limited_time_offer', limited_time_offer: { expiration_time_ms: Date.parse('2026-12-31T23:00:00Z') } }] },
      { type: 'button', sub_type: 'copy_code', index: '0', parameters: [{ type: 'coupon_code', coupon_code: 'CARIBE25' }] },
      { type: 'button', sub_type: 'url', index: '1', parameters: [{ type: 'text', text: 'n3mtql' }] },
    ]);
    expect(() => templateMessage('+14155551234', offer.name, 'en_US', components as never)).not.toThrow();
  });

  it('refuses a missing or unreadable expiry and a coupon code over 15 characters, naming the field', () => {
    const base = { header: 'h', 'body.1': 'a', 'body.2': 'b', 'button.0': 'C', 'button.1': 'x' };
    expect(() => buildTemplateComponents(offer, base)).toThrow(/components\.limited_time_offer: a value for limited time offer expiration is required/);
    expect(() => buildTemplateComponents(offer, { ...base, limited_time_offer: 'soon' })).toThrow(/components\.limited_time_offer: "soon" is not an expiry/);
    expect(() => buildTemplateComponents(offer, { ...base, limited_time_offer: 1, 'button.0': 'ABCDEFGHIJKLMNOP' })).toThrow(/components\.button\.0: 16 characters, the limit is 15 for a coupon code/);
    const seconds = { type: 'limited_time_offer', parameters: [{ type: 'limited_time_offer', limited_time_offer: { expiration_time_ms: 1767222000 } }] };
    expect(() => templateMessage('+14155551234', 'o', 'en', [seconds] as never)).toThrow(/expiration_time_ms: 1767222000 looks like seconds/);
  });

  it('definitions: offer text ≤ 16, marketing only, no footer', () => {
    const def = (components: TemplateDefinition['components'], category: TemplateDefinition['category'] = 'MARKETING'): TemplateDefinition => ({ name: 'offer', language: 'en_US', category, components });
    const lto = (text: string) => ({ type: 'LIMITED_TIME_OFFER', limited_time_offer: { text, has_expiration: true } });
    const body = { type: 'BODY', text: 'Use the code below.' };
    const copy = { type: 'BUTTONS', buttons: [{ type: 'COPY_CODE', example: 'CARIBE25' }] };
    expect(() => validateTemplateDefinition(def([lto('Expiring offer!'), body, copy]))).not.toThrow();
    expect(() => validateTemplateDefinition(def([lto('This offer expires soon'), body, copy]))).toThrow(/components\[0\]\.limited_time_offer\.text: 23 characters, the limit is 16/);
    expect(() => validateTemplateDefinition(def([lto('Soon'), body, copy], 'UTILITY'))).toThrow(/only for MARKETING/);
    expect(() => validateTemplateDefinition(def([lto('Soon'), body, { type: 'FOOTER', text: 'x' }, copy]))).toThrow(/cannot have a footer/);
  });
});

describe('authentication templates', () => {
  const otp = (otpType: string): MessageTemplate => ({
    id: '12',
    name: `otp_${otpType.toLowerCase()}`,
    language: 'en_US',
    status: 'APPROVED',
    category: 'AUTHENTICATION',
    components: [
      { type: 'BODY', text: '*{{1}}* is your verification code.', add_security_recommendation: true },
      { type: 'FOOTER', text: 'This code expires in 10 minutes.', code_expiration_minutes: 10 },
      { type: 'BUTTONS', buttons: [{ type: 'OTP', otp_type: otpType, text: 'Copy code' }] },
    ],
  });

  it.each(['COPY_CODE', 'ONE_TAP', 'ZERO_TAP'])('%s: one code, sent in the body and in the button', (otpType) => {
    expect(templateParameters(otp(otpType)).map((s) => [s.key, s.subType])).toEqual([['code', otpType]]);
    expect(buildTemplateComponents(otp(otpType), { code: 'J$FpnYnP' })).toEqual([
      { type: 'body', parameters: [{ type: 'text', text: 'J$FpnYnP' }] },
      { type: 'button', sub_type: 'url', index: '0', parameters: [{ type: 'text', text: 'J$FpnYnP' }] },
    ]);
  });

  it('a code over 15 characters or missing is refused naming the field', () => {
    expect(() => buildTemplateComponents(otp('COPY_CODE'), { code: '1234567890123456' })).toThrow(/components\.code: 16 characters, the limit is 15/);
    expect(() => buildTemplateComponents(otp('COPY_CODE'), {})).toThrow(/components\.code: a value for otp otp is required/);
  });

  it('create: otp_type, code_expiration_minutes, add_security_recommendation, supported apps', () => {
    const def = (button: Record<string, unknown>, footer: { type: string; [field: string]: unknown } = { type: 'FOOTER', code_expiration_minutes: 10 }): TemplateDefinition => ({
      name: 'otp',
      language: 'en_US',
      category: 'AUTHENTICATION',
      components: [{ type: 'BODY', add_security_recommendation: true }, footer, { type: 'BUTTONS', buttons: [{ type: 'OTP', ...button }] }],
    });
    const app = { package_name: 'com.example.luckyshrub', signature_hash: 'K8a/AINcGX7' };
    expect(() => validateTemplateDefinition(def({ otp_type: 'COPY_CODE' }))).not.toThrow();
    expect(() => validateTemplateDefinition(def({ otp_type: 'ONE_TAP', supported_apps: [app] }))).not.toThrow();
    expect(() => validateTemplateDefinition(def({ otp_type: 'ZERO_TAP', zero_tap_terms_accepted: true, supported_apps: [app] }))).not.toThrow();
    expect(() => validateTemplateDefinition(def({ otp_type: 'TWO_TAP' }))).toThrow(/buttons\[0\]\.otp_type: "TWO_TAP" is not one of COPY_CODE, ONE_TAP, ZERO_TAP/);
    expect(() => validateTemplateDefinition(def({ otp_type: 'ONE_TAP' }))).toThrow(/buttons\[0\]\.supported_apps: a one-tap button needs supported_apps/);
    expect(() => validateTemplateDefinition(def({ otp_type: 'ONE_TAP', supported_apps: [{ ...app, signature_hash: 'short' }] }))).toThrow(/signature_hash: must be exactly 11 characters/);
    expect(() => validateTemplateDefinition(def({ otp_type: 'ZERO_TAP', supported_apps: [app] }))).toThrow(/zero_tap_terms_accepted: must be true/);
    expect(() => validateTemplateDefinition(def({ otp_type: 'COPY_CODE' }, { type: 'FOOTER', code_expiration_minutes: 91 }))).toThrow(/code_expiration_minutes: 91 is not a whole number of minutes from 1 to 90/);
    expect(() => validateTemplateDefinition({ ...def({ otp_type: 'COPY_CODE' }), components: [{ type: 'BODY', add_security_recommendation: 'yes' }, { type: 'BUTTONS', buttons: [{ type: 'OTP', otp_type: 'COPY_CODE' }] }] })).toThrow(/add_security_recommendation: must be true or false/);
    expect(() => validateTemplateDefinition({ ...def({ otp_type: 'COPY_CODE' }), components: [{ type: 'BODY' }] })).toThrow(/needs a BUTTONS component with one OTP button/);
  });
});

describe('catalog, multi-product and product card buttons', () => {
  const withButtons = (buttons: Array<Record<string, unknown>>): MessageTemplate => ({
    id: '13', name: 'catalog_t', language: 'en', status: 'APPROVED', category: 'MARKETING',
    components: [{ type: 'BODY', text: 'See our catalog.' }, { type: 'BUTTONS', buttons: buttons as never }],
  });

  it('catalog: an optional thumbnail; mpm: a required action with sections', () => {
    expect(buildTemplateComponents(withButtons([{ type: 'CATALOG', text: 'View catalog' }]), { 'button.0': 'SKU-1' })).toEqual([
      { type: 'button', sub_type: 'catalog', index: '0', parameters: [{ type: 'action', action: { thumbnail_product_retailer_id: 'SKU-1' } }] },
    ]);
    expect(buildTemplateComponents(withButtons([{ type: 'CATALOG', text: 'View catalog' }]), {})).toEqual([]);
    const mpm = withButtons([{ type: 'MPM', text: 'View items' }]);
    expect(() => buildTemplateComponents(mpm, {})).toThrow(/components\.button\.0: a value for button action is required/);
    const action = { thumbnail_product_retailer_id: 'SKU-1', sections: [{ title: 'Top', product_items: [{ product_retailer_id: 'SKU-1' }] }] };
    const built = buildTemplateComponents(mpm, { 'button.0': JSON.stringify(action) });
    expect(built).toEqual([{ type: 'button', sub_type: 'mpm', index: '0', parameters: [{ type: 'action', action }] }]);
    expect(() => templateMessage('+14155551234', 'catalog_t', 'en', built as never)).not.toThrow();
  });

  it('definitions: carousels need 2–10 cards with the same header, body and buttons', () => {
    const card = (format = 'IMAGE', buttons: Array<Record<string, string>> = [{ type: 'QUICK_REPLY', text: 'More' }], body = true) => ({
      components: [
        { type: 'HEADER', format, ...(format === 'PRODUCT' ? {} : { example: { header_handle: ['4::h'] } }) },
        ...(body ? [{ type: 'BODY', text: 'A rare plant.' }] : []),
        { type: 'BUTTONS', buttons },
      ],
    });
    const def = (cards: unknown[]): TemplateDefinition => ({ name: 'c', language: 'en_US', category: 'MARKETING', components: [{ type: 'BODY', text: 'Our picks for you.' }, { type: 'CAROUSEL', cards }] });
    expect(() => validateTemplateDefinition(def([card(), card()]))).not.toThrow();
    expect(() => validateTemplateDefinition(def([card('PRODUCT', [{ type: 'SPM', text: 'View' }], false), card('PRODUCT', [{ type: 'SPM', text: 'View' }], false)]))).not.toThrow();
    expect(() => validateTemplateDefinition(def([card()]))).toThrow(/components\[1\]\.cards: 1 cards, at least 2 needed/);
    expect(() => validateTemplateDefinition(def(Array.from({ length: 11 }, () => card())))).toThrow(/11 cards, the limit is 10/);
    expect(() => validateTemplateDefinition(def([card(), card('VIDEO')]))).toThrow(/cards\[1\]\.components: header VIDEO differs from card 0 \(IMAGE\)/);
    expect(() => validateTemplateDefinition(def([card(), card('IMAGE', [{ type: 'URL', text: 'Shop', url: 'https://example.com' }])]))).toThrow(/buttons \(URL\) differ from card 0 \(QUICK_REPLY\)/);
    expect(() => validateTemplateDefinition(def([card(), card('IMAGE', undefined, false)]))).toThrow(/every card must/);
    expect(() => validateTemplateDefinition(def([card('DOCUMENT'), card('DOCUMENT')]))).toThrow(/header of format IMAGE, VIDEO or PRODUCT/);
    const three = [{ type: 'QUICK_REPLY', text: 'a' }, { type: 'QUICK_REPLY', text: 'b' }, { type: 'QUICK_REPLY', text: 'c' }];
    expect(() => validateTemplateDefinition(def([card('IMAGE', three), card('IMAGE', three)]))).toThrow(/3 buttons, the limit is 2 per card/);
    expect(() => validateTemplateDefinition({ ...def([card(), card()]), components: [{ type: 'BODY', text: 'x' }, { type: 'HOLOGRAM' }] })).toThrow(/components\[1\]\.type: "HOLOGRAM" is not one of/);
  });
});

describe('template library and time-to-live', () => {
  it('libraryTemplateBody: Meta\'s field names, checked first', async () => {
    const { libraryTemplateBody } = await import('../src/templates');
    const url = { type: 'URL', url: { base_url: 'https://shop.example.com/track/{{1}}', url_suffix_example: 'https://shop.example.com/track/1' } };
    expect(libraryTemplateBody({ name: 'my_delivery', language: 'en_US', libraryTemplateName: 'delivery_update_1', buttonInputs: [url, { type: 'PHONE_NUMBER', phone_number: '+16315551010' }] })).toEqual({
      name: 'my_delivery',
      language: 'en_US',
      category: 'UTILITY',
      library_template_name: 'delivery_update_1',
      library_template_button_inputs: [url, { type: 'PHONE_NUMBER', phone_number: '+16315551010' }],
    });
    expect(() => libraryTemplateBody({ name: 'x', language: 'en_US', libraryTemplateName: 'Delivery Update' })).toThrow(/library_template_name: "Delivery Update" is not a library template name/);
    expect(() => libraryTemplateBody({ name: 'x', language: 'en_US', libraryTemplateName: 'a_1', buttonInputs: [{ type: 'URL', url: { base_url: 'ftp://x' } }] })).toThrow(/library_template_button_inputs\[0\]\.url\.base_url/);
    expect(() => libraryTemplateBody({ name: 'x', language: 'en_US', libraryTemplateName: 'a_1', buttonInputs: [{ type: 'URL', url: { base_url: 'https://x.com/{{1}}' } }] })).toThrow(/url_suffix_example: an example URL is required/);
    expect(() => libraryTemplateBody({ name: 'x', language: 'en_US', libraryTemplateName: 'a_1', buttonInputs: [{ type: 'PHONE_NUMBER', phone_number: '+1 631 555 1010 123456789' }] })).toThrow(/phone_number: 25 characters, the limit is 20/);
    expect(() => libraryTemplateBody({ name: 'x', language: 'en_US', libraryTemplateName: 'a_1', bodyInputs: { code_expiration_minutes: 120 } })).toThrow(/code_expiration_minutes: 120 is not a whole number of minutes from 1 to 90/);
  });

  it('message_send_ttl_seconds within Meta\'s range per category', () => {
    const def = (category: TemplateDefinition['category'], ttl: number): TemplateDefinition => ({ name: 't', language: 'en', category, message_send_ttl_seconds: ttl, components: [{ type: 'BODY', text: 'Hello there.' }] });
    expect(() => validateTemplateDefinition(def('UTILITY', 3600))).not.toThrow();
    expect(() => validateTemplateDefinition(def('UTILITY', -1))).not.toThrow();
    expect(() => validateTemplateDefinition(def('MARKETING', 86400))).not.toThrow();
    expect(() => validateTemplateDefinition(def('MARKETING', 3600))).toThrow(/message_send_ttl_seconds: 3600 is outside 43200 to 2592000 seconds for a MARKETING template/);
    expect(() => validateTemplateDefinition(def('UTILITY', 50000))).toThrow(/outside 30 to 43200 seconds for a UTILITY template \(or -1 for 30 days\)/);
  });
});
