import { ValidationError } from '../errors/error-classes';
import { LIMITS } from '../messages/limits';
import type { MessageTemplate, TemplateButton, TemplateComponent } from './types';
import { distinctVariables, upper } from './variables';

/** What kind of value a template parameter takes. */
export type TemplateParameterFormat =
  | 'text'
  | 'image'
  | 'video'
  | 'document'
  | 'location'
  | 'product'
  | 'payload'
  | 'coupon_code'
  | 'action'
  | 'expiration'
  | 'otp';

/** Where a parameter goes in the send. */
export type TemplateParameterComponent = 'header' | 'body' | 'button' | 'limited_time_offer' | 'otp';

/** One value a send of this template needs (or may take). Adapters build forms from these. */
export interface TemplateParameterSpec {
  /**
   * The key in `values` for {@link buildTemplateComponents}: `header`, `header.1`, `body.2`,
   * `body.first_name`, `button.0`, `limited_time_offer`, `code` (authentication), and for carousel
   * cards `card.0.header`, `card.0.body.1`, `card.0.button.1`.
   */
  key: string;
  component: TemplateParameterComponent;
  /** Carousel templates: the card (0-based) this parameter belongs to. */
  card?: number;
  /** Buttons: the button's index in the template (in its card, for carousels). */
  index?: number;
  /** Named templates: the parameter name. */
  name?: string;
  /** Positional templates: the variable number (`{{2}}` → 2). */
  position?: number;
  format: TemplateParameterFormat;
  /** Buttons: Meta's send `sub_type` (`url`, `quick_reply`, `copy_code`, `flow`, `catalog`, `mpm`). */
  subType?: string;
  /** Buttons: the button's label. */
  label?: string;
  /** Meta's example value, when the template has one. */
  example?: string;
  /** A send without it fails (132000); optional ones are only sent when given. */
  required: boolean;
}

const MEDIA_HEADERS: Record<string, TemplateParameterFormat> = { IMAGE: 'image', VIDEO: 'video', DOCUMENT: 'document', LOCATION: 'location' };
/** Carousel card headers (Meta: media cards take an image or video, product cards a product). */
const CARD_HEADERS: Record<string, TemplateParameterFormat> = { IMAGE: 'image', VIDEO: 'video', PRODUCT: 'product' };
/** Components a send never fills: their text is fixed at creation. */
const FIXED_COMPONENTS = new Set(['FOOTER']);
/** Buttons whose content is fixed at creation: a send gives them nothing. */
const FIXED_BUTTONS = new Set(['PHONE_NUMBER', 'VOICE_CALL', 'SPM']);
/** Meta: "An approved template with two product cards can be used to send up to 10 cards". */
export const MAX_CAROUSEL_CARDS = 10;

function isNamed(template: MessageTemplate): boolean {
  return upper(template.parameter_format) === 'NAMED';
}

/** A template this version cannot fill: say which part, never send without it (Meta would answer 132000). */
function notUnderstood(template: MessageTemplate, where: string, what: string): never {
  throw new ValidationError(
    `template.${where}`,
    `template "${template.name}" has ${what}, which this version cannot fill; sending it without that part would fail at Meta (132000)`,
    'Send this template with its components written out in Graph shape (msg.template.components in Node-RED, the JSON mode in n8n), or pick another template.',
  );
}

/**
 * Longest template text read from Meta: above each of Meta's own limits (body 1,024, header and
 * footer 60), so only a broken or hostile answer is refused, before any parsing work.
 */
export const MAX_TEMPLATE_TEXT = 4096;

function textSpecs(component: TemplateComponent, where: 'header' | 'body', named: boolean, prefix = '', card?: number): TemplateParameterSpec[] {
  const length = typeof component.text === 'string' ? component.text.length : 0;
  if (length > MAX_TEMPLATE_TEXT) {
    throw new ValidationError(`${prefix}${where}.text`, `${length} characters, more than any template Meta accepts (${MAX_TEMPLATE_TEXT})`, 'Check the base URL: Meta\'s templates are never this long.');
  }
  const example = component.example;
  const positional = where === 'header' ? example?.header_text : example?.body_text?.[0];
  const namedExamples = where === 'header' ? example?.header_text_named_params : example?.body_text_named_params;
  return distinctVariables(component.text).map((variable, i) => {
    const spec: TemplateParameterSpec = { key: `${prefix}${where}.${variable.name}`, component: where, format: 'text', required: true };
    if (card !== undefined) spec.card = card;
    if (named || !variable.positional) {
      spec.name = variable.name;
      const found = namedExamples?.find((e) => e.param_name === variable.name)?.example;
      if (found !== undefined) spec.example = found;
    } else {
      spec.position = Number(variable.name);
      const found = positional?.[i];
      if (typeof found === 'string') spec.example = found;
    }
    return spec;
  });
}

function exampleOf(button: TemplateButton): string | undefined {
  const value = Array.isArray(button.example) ? button.example[0] : button.example;
  return typeof value === 'string' ? value : undefined;
}

/** Buttons that take a value at send time; fixed ones (phone number, static URL, SPM) take none. */
function buttonSpec(template: MessageTemplate, button: TemplateButton, index: number, prefix: string, card?: number): TemplateParameterSpec | undefined {
  const base = {
    key: `${prefix}button.${index}`,
    component: 'button' as const,
    index,
    ...(card !== undefined ? { card } : {}),
    ...(button.text ? { label: button.text } : {}),
  };
  const example = exampleOf(button);
  const withExample = example === undefined ? {} : { example };
  const type = upper(button.type);
  switch (type) {
    case 'URL':
      return /\{\{[^{}]*\}\}/.test(button.url ?? '') ? { ...base, format: 'text', subType: 'url', required: true, ...withExample } : undefined;
    case 'QUICK_REPLY':
      return { ...base, format: 'payload', subType: 'quick_reply', required: false };
    case 'COPY_CODE':
      return { ...base, format: 'coupon_code', subType: 'copy_code', required: true, ...withExample };
    case 'FLOW':
      return { ...base, format: 'action', subType: 'flow', required: false };
    case 'CATALOG':
      return { ...base, format: 'action', subType: 'catalog', required: false };
    case 'MPM':
      return { ...base, format: 'action', subType: 'mpm', required: true };
    default:
      if (FIXED_BUTTONS.has(type)) return undefined;
      return notUnderstood(template, `${prefix}buttons[${index}]`, `a button of type "${String(button.type)}"`);
  }
}

function headerSpec(template: MessageTemplate, component: TemplateComponent, named: boolean): TemplateParameterSpec[] {
  const format = upper(component.format) || 'TEXT';
  const media = MEDIA_HEADERS[format];
  if (media) {
    const example = component.example?.header_handle?.[0];
    return [{ key: 'header', component: 'header', format: media, required: true, ...(example ? { example } : {}) }];
  }
  if (format !== 'TEXT') notUnderstood(template, 'header', `a header of format "${String(component.format)}"`);
  return textSpecs(component, 'header', named);
}

/** Whether a limited-time offer shows its expiry: then the send must give `expiration_time_ms`. */
function offerHasExpiration(component: TemplateComponent): boolean {
  const offer = component.limited_time_offer as { has_expiration?: unknown } | undefined;
  return offer?.has_expiration === true;
}

/** The components of one carousel card, or a failure naming the card. */
function cardComponents(template: MessageTemplate, card: unknown, n: number): TemplateComponent[] {
  const components = (card as { components?: unknown } | undefined)?.components;
  if (!Array.isArray(components)) notUnderstood(template, `carousel.cards[${n}]`, `a carousel card ${n} without components`);
  return components as TemplateComponent[];
}

/** A carousel's cards: each card's header, body variables and button values, keyed `card.N.…`. */
function carouselSpecs(template: MessageTemplate, component: TemplateComponent, named: boolean): TemplateParameterSpec[] {
  const cards = Array.isArray(component.cards) ? (component.cards as unknown[]) : [];
  if (cards.length === 0) notUnderstood(template, 'carousel', 'a carousel without cards');
  const layout = cardComponents(template, cards[0], 0);
  const productCards = layout.some((c) => upper(c.type) === 'HEADER' && upper(c.format) === 'PRODUCT');
  // Media carousels are sent with exactly the approved number of cards; product carousels approved
  // with two cards may send up to ten (Meta's carousel template guides), the extra ones optional.
  const count = productCards ? MAX_CAROUSEL_CARDS : cards.length;
  const specs: TemplateParameterSpec[] = [];
  for (let n = 0; n < count; n++) {
    const components = n < cards.length ? cardComponents(template, cards[n], n) : layout;
    const optionalCard = n >= cards.length;
    const prefix = `card.${n}.`;
    for (const part of components) {
      const type = upper(part.type);
      const cardSpecs: TemplateParameterSpec[] = [];
      if (type === 'HEADER') {
        const format = CARD_HEADERS[upper(part.format)];
        if (!format) notUnderstood(template, `carousel.cards[${n}].header`, `a card header of format "${String(part.format)}" (cards take IMAGE, VIDEO or PRODUCT)`);
        const example = part.example?.header_handle?.[0];
        cardSpecs.push({ key: `${prefix}header`, component: 'header', card: n, format, required: true, ...(example ? { example } : {}) });
      } else if (type === 'BODY') cardSpecs.push(...textSpecs(part, 'body', named, prefix, n));
      else if (type === 'BUTTONS') {
        (part.buttons ?? []).forEach((button, index) => {
          const spec = buttonSpec(template, button, index, prefix, n);
          if (spec) cardSpecs.push(spec);
        });
      } else if (!FIXED_COMPONENTS.has(type)) notUnderstood(template, `carousel.cards[${n}]`, `a card component of type "${String(part.type)}"`);
      specs.push(...cardSpecs.map((spec) => (optionalCard ? { ...spec, required: false } : spec)));
    }
  }
  return specs;
}

/** An authentication template's one-time-password button, if it has one. */
function otpButton(template: MessageTemplate): TemplateButton | undefined {
  if (upper(template.category) !== 'AUTHENTICATION') return undefined;
  const buttons = template.components?.find((c) => upper(c.type) === 'BUTTONS')?.buttons ?? [];
  return buttons.find((b) => upper(b.type) === 'OTP');
}

/**
 * Lists the parameters a send of `template` takes: header (text variable or media/location),
 * body variables (positional or named), the limited-time offer's expiry, carousel cards (each
 * card's header media or product, body variables and button values) and button values, in send
 * order. Authentication templates take one `code` (Meta wants it in the body and in the button).
 *
 * @throws ValidationError naming the part when the template has a component, header format or
 *   button this version cannot fill: a send without it would fail at Meta, so nothing is dropped.
 * @example
 * templateParameters(template).map((p) => p.key); // ['header', 'body.1', 'body.2', 'button.0']
 */
export function templateParameters(template: MessageTemplate): TemplateParameterSpec[] {
  const named = isNamed(template);
  const otp = otpButton(template);
  if (otp) {
    // Copy code, one-tap and zero-tap all send the code twice: as the body's {{1}} and as the
    // url button's parameter (Meta's authentication template guides).
    return [{ key: 'code', component: 'otp', format: 'otp', subType: String(otp.otp_type ?? 'COPY_CODE').toUpperCase(), required: true }];
  }
  const specs: TemplateParameterSpec[] = [];
  for (const component of template.components ?? []) {
    const type = upper(component.type);
    if (type === 'HEADER') specs.push(...headerSpec(template, component, named));
    else if (type === 'BODY') specs.push(...textSpecs(component, 'body', named));
    else if (type === 'LIMITED_TIME_OFFER') {
      specs.push({ key: 'limited_time_offer', component: 'limited_time_offer', format: 'expiration', required: offerHasExpiration(component) });
    } else if (type === 'CAROUSEL') specs.push(...carouselSpecs(template, component, named));
    else if (type === 'BUTTONS') {
      (component.buttons ?? []).forEach((button, index) => {
        const spec = buttonSpec(template, button, index, '');
        if (spec) specs.push(spec);
      });
    } else if (!FIXED_COMPONENTS.has(type)) notUnderstood(template, `components[${template.components.indexOf(component)}]`, `a component of type "${String(component.type)}"`);
  }
  return specs;
}

/** One parameter object of Meta's send format. */
export type OutboundTemplateParameter = Record<string, unknown> & { type: string };

/** One entry of a template send's `components` array (a carousel holds cards of these). */
export interface OutboundTemplateComponent {
  type: 'header' | 'body' | 'button' | 'limited_time_offer' | 'carousel';
  sub_type?: string;
  index?: string;
  parameters?: OutboundTemplateParameter[];
  cards?: Array<{ card_index: number; components: OutboundTemplateComponent[] }>;
}

function isEmpty(value: unknown): boolean {
  return value === undefined || value === null || (typeof value === 'string' && value.trim() === '');
}

function asObject(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

/** An object given as such or as JSON text (form fields are text). */
function objectOrJson(value: unknown): Record<string, unknown> | undefined {
  const object = asObject(value);
  if (object || typeof value !== 'string' || !value.trim().startsWith('{')) return object;
  try {
    return asObject(JSON.parse(value));
  } catch {
    return undefined;
  }
}

function textParameter(spec: TemplateParameterSpec, value: unknown): OutboundTemplateParameter {
  const object = asObject(value);
  let parameter: OutboundTemplateParameter;
  if (object && typeof object.type === 'string') parameter = { ...object, type: object.type }; // already in Meta's form
  else if (object && 'amount_1000' in object) parameter = { type: 'currency', currency: object };
  else if (object && 'fallback_value' in object) parameter = { type: 'date_time', date_time: object };
  else if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
    const text = String(value);
    // Meta refuses these in parameters (error 100 / 132007); say so before sending.
    if (/[\n\t]/.test(text) || / {5,}/.test(text)) {
      throw new ValidationError(`components.${spec.key}`, 'a template parameter cannot contain new lines, tabs or more than 4 spaces in a row');
    }
    parameter = { type: 'text', text };
  } else throw new ValidationError(`components.${spec.key}`, `expected text, got ${Array.isArray(value) ? 'a list' : typeof value}`);
  if (spec.name) parameter.parameter_name = spec.name;
  return parameter;
}

function mediaParameter(spec: TemplateParameterSpec, value: unknown): OutboundTemplateParameter {
  if (spec.format === 'location') {
    const location = asObject(value);
    if (!location || typeof location.latitude !== 'number' || typeof location.longitude !== 'number') {
      throw new ValidationError(`components.${spec.key}`, 'a location header needs { latitude, longitude, name?, address? } with numeric coordinates');
    }
    return { type: 'location', location };
  }
  if (spec.format === 'product') {
    const product = objectOrJson(value);
    if (!product || typeof product.product_retailer_id !== 'string' || !product.product_retailer_id || typeof product.catalog_id !== 'string' || !product.catalog_id) {
      throw new ValidationError(`components.${spec.key}`, 'a product card header needs { product_retailer_id, catalog_id } (text, from the connected catalog)');
    }
    return { type: 'product', product };
  }
  const object = asObject(value);
  let media: Record<string, unknown>;
  if (typeof value === 'string') media = /^https?:\/\//i.test(value) ? { link: value } : { id: value };
  else if (object && (typeof object.id === 'string' || typeof object.link === 'string')) media = object;
  else throw new ValidationError(`components.${spec.key}`, `a ${spec.format} header needs a media ID, an https link, or { id | link }`);
  return { type: spec.format, [spec.format]: media };
}

function buttonParameter(spec: TemplateParameterSpec, value: unknown): OutboundTemplateParameter {
  switch (spec.format) {
    case 'payload':
      return { type: 'payload', payload: String(value) };
    case 'coupon_code': {
      const code = String(value);
      if (code.length > LIMITS.couponCode) throw new ValidationError(`components.${spec.key}`, `${code.length} characters, the limit is ${LIMITS.couponCode} for a coupon code`);
      return { type: 'coupon_code', coupon_code: code };
    }
    case 'action': {
      const object = objectOrJson(value);
      if (spec.subType === 'flow') return { type: 'action', action: object ?? { flow_token: String(value) } };
      if (spec.subType === 'catalog') return { type: 'action', action: object ?? { thumbnail_product_retailer_id: String(value) } };
      if (!object) throw new ValidationError(`components.${spec.key}`, 'a multi-product button needs its action object ({ thumbnail_product_retailer_id, sections })');
      return { type: 'action', action: object };
    }
    default:
      return textParameter({ ...spec, name: undefined }, value);
  }
}

/** A limited-time offer's expiry: milliseconds since the epoch, a Date, or an ISO date-time text. */
function expirationParameter(spec: TemplateParameterSpec, value: unknown): OutboundTemplateParameter {
  let ms: number;
  if (value instanceof Date) ms = value.getTime();
  else if (typeof value === 'number') ms = value;
  else if (typeof value === 'string' && /^\d+$/.test(value.trim())) ms = Number(value.trim());
  else if (typeof value === 'string') ms = Date.parse(value);
  else ms = Number.NaN;
  if (!Number.isSafeInteger(ms) || ms <= 0) {
    throw new ValidationError(`components.${spec.key}`, `${JSON.stringify(value)} is not an expiry: give milliseconds since 1970 (expiration_time_ms), a Date, or an ISO date-time such as 2026-12-31T23:59:00Z`);
  }
  return { type: 'limited_time_offer', limited_time_offer: { expiration_time_ms: ms } };
}

/** The one-time password of an authentication template, checked once and used twice. */
function otpComponents(spec: TemplateParameterSpec, value: unknown): OutboundTemplateComponent[] {
  const code = String(value);
  if (code.length > LIMITS.couponCode) throw new ValidationError(`components.${spec.key}`, `${code.length} characters, the limit is ${LIMITS.couponCode} for a one-time password`);
  if (/\s/.test(code)) throw new ValidationError(`components.${spec.key}`, 'a one-time password cannot contain spaces, tabs or new lines');
  return [
    { type: 'body', parameters: [{ type: 'text', text: code }] },
    { type: 'button', sub_type: 'url', index: '0', parameters: [{ type: 'text', text: code }] },
  ];
}

/** Header, body and buttons of one level (the message, or one carousel card), in Meta's order. */
class ComponentGroup {
  readonly header: OutboundTemplateParameter[] = [];
  readonly body: OutboundTemplateParameter[] = [];
  readonly buttons: OutboundTemplateComponent[] = [];

  add(spec: TemplateParameterSpec, value: unknown): void {
    if (spec.component === 'header') this.header.push(spec.format === 'text' ? textParameter(spec, value) : mediaParameter(spec, value));
    else if (spec.component === 'body') this.body.push(textParameter(spec, value));
    else this.buttons.push({ type: 'button', sub_type: spec.subType!, index: String(spec.index), parameters: [buttonParameter(spec, value)] });
  }

  components(): OutboundTemplateComponent[] {
    const out: OutboundTemplateComponent[] = [];
    if (this.header.length) out.push({ type: 'header', parameters: this.header });
    if (this.body.length) out.push({ type: 'body', parameters: this.body });
    return [...out, ...this.buttons];
  }
}

function missing(template: MessageTemplate, spec: TemplateParameterSpec): ValidationError {
  const label = spec.name ? `{{${spec.name}}}` : spec.position ? `{{${spec.position}}}` : spec.format;
  const where = spec.card !== undefined ? `card ${spec.card} ${spec.component}` : spec.component.replace(/_/g, ' ');
  return new ValidationError(`components.${spec.key}`, `a value for ${where} ${label} is required by template "${template.name}"`);
}

/**
 * Builds the `components` array of a template send from `values` keyed as
 * {@link templateParameters} lists them. Text values may be strings or numbers; a currency or
 * date_time object, or a parameter already in Meta's form, is passed through. Carousel values
 * (`card.N.…`) become the `carousel` component with one card per card index; a product carousel
 * sends the cards whose header (product) is given, which must be the first ones.
 *
 * @throws ValidationError naming the parameter when a required value is missing, a key is not a
 *   parameter of the template, a value has the wrong shape, or the template has a part this
 *   version cannot fill.
 * @example
 * buildTemplateComponents(template, { 'body.1': 'Ana', 'body.2': '#123', 'button.0': 'order/123' });
 */
export function buildTemplateComponents(template: MessageTemplate, values: Record<string, unknown> = {}): OutboundTemplateComponent[] {
  const specs = templateParameters(template);
  const known = new Set(specs.map((s) => s.key));
  for (const key of Object.keys(values)) {
    if (!known.has(key)) {
      const list = [...known];
      const shown = list.length > 40 ? `${list.slice(0, 40).join(', ')}, …` : list.join(', ') || 'none';
      throw new ValidationError(`components.${key}`, `template "${template.name}" has no parameter "${key}" (it has: ${shown})`);
    }
  }
  const main = new ComponentGroup();
  const cards = new Map<number, ComponentGroup>();
  const offer: OutboundTemplateComponent[] = [];
  let otp: OutboundTemplateComponent[] = [];
  // Optional (product) cards are sent only when their header is given.
  const givenCards = new Set(specs.filter((s) => s.card !== undefined && s.component === 'header' && !isEmpty(values[s.key])).map((s) => s.card!));
  for (const spec of specs) {
    const value = values[spec.key];
    if (spec.card !== undefined && !spec.required && !givenCards.has(spec.card)) {
      if (!isEmpty(value)) throw new ValidationError(`components.card.${spec.card}.header`, `card ${spec.card} has values but no header (product); give the card's product or leave the card out`);
      continue;
    }
    if (isEmpty(value)) {
      // In an optional card that is sent, every value but a quick-reply payload or flow/catalog action is needed.
      const neededInCard = spec.card !== undefined && givenCards.has(spec.card) && spec.format !== 'payload' && spec.format !== 'action';
      if (spec.required || neededInCard) throw missing(template, spec);
      continue;
    }
    if (spec.component === 'otp') otp = otpComponents(spec, value);
    else if (spec.component === 'limited_time_offer') offer.push({ type: 'limited_time_offer', parameters: [expirationParameter(spec, value)] });
    else if (spec.card !== undefined) {
      if (!cards.has(spec.card)) cards.set(spec.card, new ComponentGroup());
      cards.get(spec.card)!.add(spec, value);
    } else main.add(spec, value);
  }
  const indexes = [...givenCards].sort((a, b) => a - b);
  indexes.forEach((n, i) => {
    if (n !== i) throw new ValidationError(`components.card.${i}.header`, `cards are sent in order from card 0: card ${n} is given but card ${i} is not`);
  });
  const built = main.components();
  const headerAndBody = built.filter((c) => c.type !== 'button');
  const buttons = built.filter((c) => c.type === 'button');
  const carousel: OutboundTemplateComponent[] = indexes.length
    ? [{ type: 'carousel', cards: indexes.map((n) => ({ card_index: n, components: cards.get(n)?.components() ?? [] })) }]
    : [];
  return [...otp, ...headerAndBody, ...offer, ...carousel, ...buttons];
}
