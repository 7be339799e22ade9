/**
 * The template kinds beyond header/body/buttons, as Meta's Cloud API checks them: media and
 * product card carousels, limited-time offers with a copy-code coupon, authentication templates
 * (copy code, one-tap, zero-tap) and templates created from Meta's template library. Shapes and
 * limits follow Meta's template guides (developers.facebook.com/documentation/business-messaging/
 * whatsapp/templates/…): carousels 2–10 cards, same components on every card; offer text ≤ 16,
 * `expiration_time_ms` on send; OTP code ≤ 15, sent as body {{1}} and url button parameter.
 */
import { GraphError, invalidParam } from './errors';
import type { Json, JsonObject, TemplateComponent, TemplateDefinition } from './types';

function isObj(v: Json | undefined): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const upper = (v: Json | undefined): string => (typeof v === 'string' ? v.toUpperCase() : '');
const lower = (v: Json | undefined): string => (typeof v === 'string' ? v.toLowerCase() : '');

function placeholderCount(text: Json | undefined): number {
  if (typeof text !== 'string') return 0;
  return new Set([...text.matchAll(/\{\{\s*([A-Za-z0-9_]+)\s*\}\}/g)].map((m) => m[1])).size;
}

const card = (image: string, body: string): JsonObject => ({
  components: [
    { type: 'HEADER', format: 'IMAGE', example: { header_handle: [image] } },
    { type: 'BODY', text: body, example: { body_text: [['aloe']] } },
    {
      type: 'BUTTONS',
      buttons: [
        { type: 'QUICK_REPLY', text: 'Send more like this' },
        { type: 'URL', text: 'Shop', url: 'https://shop.example.com/plants/{{1}}', example: ['https://shop.example.com/plants/aloe'] },
      ],
    },
  ],
});

const productCard: JsonObject = { components: [{ type: 'HEADER', format: 'PRODUCT' }, { type: 'BUTTONS', buttons: [{ type: 'SPM', text: 'View' }] }] };

/** Approved templates of the newer kinds, so every send path can be tried at once. */
export const KIND_TEMPLATES: TemplateDefinition[] = [
  {
    name: 'succulent_carousel',
    language: 'en_US',
    status: 'APPROVED',
    category: 'MARKETING',
    components: [
      { type: 'BODY', text: 'Rare succulents for you, {{1}}! Use code {{2}} at checkout.', example: { body_text: [['Pablo', '20OFF']] } },
      { type: 'CAROUSEL', cards: [card('https://example.com/aloe.jpg', 'Plant {{1}}, our bestseller.'), card('https://example.com/buddha.jpg', 'Plant {{1}}, just in.'), card('https://example.com/prince.jpg', 'Plant {{1}}, rare find.')] },
    ] as unknown as TemplateComponent[],
  },
  {
    name: 'product_carousel',
    language: 'en_US',
    status: 'APPROVED',
    category: 'MARKETING',
    components: [{ type: 'BODY', text: 'Picked for you, {{1}}.', example: { body_text: [['Ana']] } }, { type: 'CAROUSEL', cards: [productCard, productCard] }] as unknown as TemplateComponent[],
  },
  {
    name: 'caribbean_offer',
    language: 'en_US',
    status: 'APPROVED',
    category: 'MARKETING',
    components: [
      { type: 'HEADER', format: 'IMAGE', example: { header_handle: ['https://example.com/beach.jpg'] } },
      { type: 'LIMITED_TIME_OFFER', limited_time_offer: { text: 'Expiring offer!', has_expiration: true } },
      { type: 'BODY', text: 'Good news, {{1}}! Use code {{2}} to get 25% off all Caribbean packages!', example: { body_text: [['Pablo', 'CARIBE25']] } },
      {
        type: 'BUTTONS',
        buttons: [
          { type: 'COPY_CODE', example: 'CARIBE25' },
          { type: 'URL', text: 'Book now!', url: 'https://example.com/offers?code={{1}}', example: ['https://example.com/offers?code=n3mtql'] },
        ],
      },
    ] as unknown as TemplateComponent[],
  },
  {
    name: 'verification_code',
    language: 'en_US',
    status: 'APPROVED',
    category: 'AUTHENTICATION',
    components: [
      { type: 'BODY', text: '*{{1}}* is your verification code. For your security, do not share this code.', add_security_recommendation: true },
      { type: 'FOOTER', text: 'This code expires in 10 minutes.', code_expiration_minutes: 10 },
      { type: 'BUTTONS', buttons: [{ type: 'OTP', otp_type: 'COPY_CODE', text: 'Copy code' }] },
    ] as unknown as TemplateComponent[],
  },
];

/** Stand-ins for Meta's utility template library (names and content as the sandbox knows them). */
export const LIBRARY: Record<string, { components: TemplateComponent[]; buttonInputs: Array<'URL' | 'PHONE_NUMBER'> }> = {
  delivery_update_1: {
    components: [
      { type: 'BODY', text: 'Good news! Your order #{{1}} is on its way. Expected delivery: {{2}}.', example: { body_text: [['12345', 'Jan 1']] } },
      { type: 'BUTTONS', buttons: [{ type: 'URL', text: 'Track order', url: '' }] },
    ],
    buttonInputs: ['URL'],
  },
  payment_reminder_1: {
    components: [
      { type: 'BODY', text: 'Hi {{1}}, this is a reminder that {{2}} is due on {{3}}.', example: { body_text: [['Ana', '$20.00', 'Jan 1']] } },
      { type: 'BUTTONS', buttons: [{ type: 'PHONE_NUMBER', text: 'Call us', phone_number: '' }] },
    ],
    buttonInputs: ['PHONE_NUMBER'],
  },
  appointment_reminder_1: {
    components: [{ type: 'BODY', text: 'Hi {{1}}, you have an appointment on {{2}} at {{3}}.', example: { body_text: [['Ana', 'Jan 1', '10:00']] } }],
    buttonInputs: [],
  },
};

/** The template's carousel, if any. */
function carouselOf(t: TemplateDefinition): JsonObject | undefined {
  return t.components.find((c) => upper(c.type) === 'CAROUSEL') as unknown as JsonObject | undefined;
}

const paramsOf = (c: JsonObject | undefined): Json[] => (c && Array.isArray(c.parameters) ? c.parameters : []);

/**
 * Checks what a send gives for the newer template parts, the way Cloud API refuses them:
 * carousel cards (count, index, header kind, body and url button values), the limited-time
 * offer's expiry, and the one-time password of authentication templates (132000 / 132012 / 100).
 */
export function checkKindComponents(t: TemplateDefinition, comps: JsonObject[]): void {
  const sent = (type: string) => comps.find((c) => lower(c.type) === type);
  for (const c of comps) {
    if (!['header', 'body', 'button', 'carousel', 'limited_time_offer'].includes(lower(c.type))) {
      throw invalidParam(`Parameter 'type' of component has an invalid value: ${String(c.type)}`);
    }
  }

  const offer = t.components.find((c) => upper(c.type) === 'LIMITED_TIME_OFFER') as unknown as JsonObject | undefined;
  const sentOffer = sent('limited_time_offer');
  if (sentOffer && !offer) throw new GraphError(132000, 'limited_time_offer: the template has no limited-time offer component');
  if (offer && isObj(offer.limited_time_offer) && offer.limited_time_offer.has_expiration === true) {
    const p = paramsOf(sentOffer)[0];
    const ms = isObj(p) && isObj(p.limited_time_offer) ? p.limited_time_offer.expiration_time_ms : undefined;
    if (typeof ms !== 'number') throw new GraphError(132000, "limited_time_offer: parameter 'expiration_time_ms' is required by this template");
  }

  if (upper(t.category) === 'AUTHENTICATION') {
    const button = comps.find((c) => lower(c.type) === 'button' && Number(c.index) === 0);
    const p = paramsOf(button)[0];
    const code = isObj(p) && typeof p.text === 'string' ? p.text : undefined;
    if (!code) throw new GraphError(132000, 'button 0: the one-time password must also be sent as the url button parameter');
    if (code.length > 15) throw invalidParam('The one-time password must be at most 15 characters');
    const bodyCode = paramsOf(sent('body'))[0];
    if (!isObj(bodyCode) || bodyCode.text !== code) throw new GraphError(132000, 'body: the one-time password in the body must equal the button parameter');
  }

  const carousel = carouselOf(t);
  const sentCarousel = sent('carousel');
  if (!carousel) {
    if (sentCarousel) throw new GraphError(132000, 'carousel: the template has no carousel');
    return;
  }
  const defined = Array.isArray(carousel.cards) ? carousel.cards.filter(isObj) : [];
  const layout = Array.isArray(defined[0]?.components) ? (defined[0]!.components as Json[]).filter(isObj) : [];
  const product = layout.some((c) => upper(c.type) === 'HEADER' && upper(c.format) === 'PRODUCT');
  const cards = isObj(sentCarousel) && Array.isArray(sentCarousel.cards) ? sentCarousel.cards.filter(isObj) : [];
  // Media carousels go out with exactly the approved cards; product carousels with up to 10.
  if (product ? cards.length < 1 || cards.length > 10 : cards.length !== defined.length) {
    throw new GraphError(132000, `carousel: number of cards (${cards.length}) does not match the expected number of cards (${product ? '1 to 10' : defined.length})`);
  }
  const indexes = new Set<number>();
  cards.forEach((sentCard, i) => {
    const index = sentCard.card_index;
    if (typeof index !== 'number' || index < 0 || index >= cards.length || indexes.has(index)) throw invalidParam(`carousel card ${i}: card_index must be unique, 0 to ${cards.length - 1}`);
    indexes.add(index);
    const cardDef = defined[index] ?? defined[0]!;
    const parts = Array.isArray(cardDef.components) ? (cardDef.components as Json[]).filter(isObj) : [];
    const sentParts = Array.isArray(sentCard.components) ? sentCard.components.filter(isObj) : [];
    const find = (type: string) => sentParts.find((c) => lower(c.type) === type);
    const header = parts.find((c) => upper(c.type) === 'HEADER');
    const want = lower(header?.format);
    const p = paramsOf(find('header'))[0];
    const got = isObj(p) && typeof p.type === 'string' ? p.type : 'none';
    if (got !== want) throw new GraphError(132012, `card ${index} header: Format mismatch, expected ${want.toUpperCase()}, received ${got.toUpperCase()}`);
    const media = isObj(p) ? p[want] : undefined;
    if (want === 'product') {
      if (!isObj(media) || typeof media.product_retailer_id !== 'string' || typeof media.catalog_id !== 'string') throw invalidParam(`card ${index}: Parameter 'product' needs product_retailer_id and catalog_id`);
    } else if (!isObj(media) || (media.id === undefined && media.link === undefined)) throw invalidParam(`card ${index}: Parameter '${want}' needs 'id' or 'link'`);
    const body = parts.find((c) => upper(c.type) === 'BODY');
    const expected = placeholderCount(body?.text);
    const given = paramsOf(find('body')).length;
    if (given !== expected) throw new GraphError(132000, `card ${index} body: number of localizable_params (${given}) does not match the expected number of params (${expected})`);
    const buttons = (parts.find((c) => upper(c.type) === 'BUTTONS')?.buttons as Json[] | undefined)?.filter(isObj) ?? [];
    buttons.forEach((b, bi) => {
      if (upper(b.type) !== 'URL' || placeholderCount(b.url) === 0) return;
      const c = sentParts.find((x) => lower(x.type) === 'button' && Number(x.index) === bi);
      if (paramsOf(c).length !== 1) throw new GraphError(132000, `card ${index} button ${bi}: Parameter value for URL was expected but was not found`);
    });
  });
}

/** Whether a send of `t` is checked by {@link checkKindComponents} alone at the top level's buttons. */
export function hasKindParts(t: TemplateDefinition): boolean {
  return upper(t.category) === 'AUTHENTICATION' || t.components.some((c) => ['CAROUSEL', 'LIMITED_TIME_OFFER'].includes(upper(c.type)));
}

/**
 * Extra checks on `POST /message_templates` for the newer kinds (code 100, Meta's wording style):
 * carousel card count and sameness, offer text length, OTP button settings.
 */
export function checkKindDefinition(category: string, components: TemplateComponent[]): void {
  const raw = components as unknown as JsonObject[];
  for (const c of raw) {
    const type = upper(c.type);
    if (type === 'CAROUSEL') {
      const cards = Array.isArray(c.cards) ? c.cards.filter(isObj) : [];
      if (cards.length < 2 || cards.length > 10) throw invalidParam('Param components CAROUSEL must have 2 to 10 cards');
      const shape = (x: JsonObject) =>
        (Array.isArray(x.components) ? x.components.filter(isObj) : [])
          .map((p) => `${upper(p.type)}:${upper(p.format)}:${(Array.isArray(p.buttons) ? p.buttons.filter(isObj) : []).map((b) => upper(b.type)).join('+')}`)
          .join('|');
      if (cards.some((x) => shape(x) !== shape(cards[0]!))) throw invalidParam('Param components CAROUSEL cards must all have the same components');
    }
    if (type === 'LIMITED_TIME_OFFER') {
      const text = isObj(c.limited_time_offer) ? c.limited_time_offer.text : undefined;
      if (typeof text !== 'string' || !text || text.length > 16) throw invalidParam('Param limited_time_offer text is required and must be at most 16 characters');
    }
    if (type === 'BUTTONS') {
      for (const b of (Array.isArray(c.buttons) ? c.buttons : []).filter(isObj)) {
        if (upper(b.type) !== 'OTP') continue;
        const otp = upper(b.otp_type);
        if (!['COPY_CODE', 'ONE_TAP', 'ZERO_TAP'].includes(otp)) throw invalidParam('Param otp_type must be one of {COPY_CODE, ONE_TAP, ZERO_TAP}');
        if (otp !== 'COPY_CODE' && (!Array.isArray(b.supported_apps) || b.supported_apps.length === 0)) throw invalidParam('Param supported_apps is required for ONE_TAP and ZERO_TAP buttons');
        if (otp === 'ZERO_TAP' && b.zero_tap_terms_accepted !== true) throw invalidParam('Param zero_tap_terms_accepted must be true for ZERO_TAP buttons');
      }
    }
    if (type === 'FOOTER' && c.code_expiration_minutes !== undefined) {
      const m = c.code_expiration_minutes;
      if (typeof m !== 'number' || !Number.isInteger(m) || m < 1 || m > 90) throw invalidParam('Param code_expiration_minutes must be an integer from 1 to 90');
    }
  }
  if (category === 'AUTHENTICATION' && !raw.some((c) => upper(c.type) === 'BUTTONS' && Array.isArray(c.buttons) && c.buttons.some((b) => isObj(b) && upper(b.type) === 'OTP'))) {
    throw invalidParam('Param components of an AUTHENTICATION template must contain an OTP button');
  }
}

/**
 * A template from the library (`library_template_name` + `library_template_button_inputs`):
 * its components with the business's website and phone number filled in. Meta approves these
 * instantly (template library guide: the response says `"status": "APPROVED"`).
 */
export function libraryComponents(libraryName: string, inputs: Json | undefined): TemplateComponent[] {
  const entry = LIBRARY[libraryName];
  if (!entry) throw invalidParam(`Param library_template_name: no template named ${libraryName} in the template library`);
  let list: Json[] = [];
  if (typeof inputs === 'string') {
    try {
      list = JSON.parse(inputs) as Json[];
    } catch {
      throw invalidParam('Param library_template_button_inputs must be a JSON array');
    }
  } else if (Array.isArray(inputs)) list = inputs;
  else if (inputs !== undefined) throw invalidParam('Param library_template_button_inputs must be an array');
  const byType = new Map(list.filter(isObj).map((b) => [upper(b.type), b]));
  for (const needed of entry.buttonInputs) {
    if (!byType.has(needed)) throw invalidParam(`Param library_template_button_inputs must contain a ${needed} button for ${libraryName}`);
  }
  return entry.components.map((c) => {
    if (!c.buttons) return { ...c };
    return {
      ...c,
      buttons: c.buttons.map((b) => {
        const input = byType.get(upper(b.type));
        if (upper(b.type) === 'URL' && isObj(input) && isObj(input.url) && typeof input.url.base_url === 'string') {
          return { ...b, url: input.url.base_url, ...(typeof input.url.url_suffix_example === 'string' ? { example: [input.url.url_suffix_example] } : {}) };
        }
        if (upper(b.type) === 'PHONE_NUMBER' && isObj(input) && typeof input.phone_number === 'string') return { ...b, phone_number: input.phone_number };
        return { ...b };
      }),
    };
  });
}
