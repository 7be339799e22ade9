import { ValidationError } from '../errors/error-classes';
import { URL_SHORTENER_HOSTS } from '../messages/limits';
import type { TemplateButton, TemplateComponent, TemplateDefinition } from './types';
import { NAMED_PARAMETER, placeholders, upper, type Placeholder } from './variables';

const CATEGORIES = ['MARKETING', 'UTILITY', 'AUTHENTICATION'];
const HEADER_FORMATS = ['TEXT', 'IMAGE', 'VIDEO', 'DOCUMENT', 'LOCATION'];
const LIMITS = {
  name: 512, header: 60, body: 1024, footer: 60, buttonText: 25, url: 2000, phone: 20, buttons: 10, urlButtons: 2, couponCode: 15,
  // Meta's carousel guides: 2 to 10 cards, card body 160 characters, up to 2 buttons per card.
  cardsMin: 2, cardsMax: 10, cardBody: 160, cardButtons: 2,
  // Meta's limited-time offer guide: offer text 16 characters, body 600.
  offerText: 16, offerBody: 600,
  // Meta's authentication template guides: expiry 1–90 minutes, up to 5 apps, signature hash exactly 11 characters.
  codeExpirationMin: 1, codeExpirationMax: 90, supportedApps: 5, signatureHash: 11, packageName: 224,
};
const OTP_TYPES = ['COPY_CODE', 'ONE_TAP', 'ZERO_TAP'];
const BUTTON_TYPES = ['QUICK_REPLY', 'URL', 'PHONE_NUMBER', 'COPY_CODE', 'FLOW', 'OTP', 'CATALOG', 'MPM', 'SPM', 'VOICE_CALL'];
const COMPONENT_TYPES = ['HEADER', 'BODY', 'FOOTER', 'BUTTONS', 'CAROUSEL', 'LIMITED_TIME_OFFER'];

function fail(field: string, problem: string): never {
  throw new ValidationError(field, problem, `Change "${field}" so Meta accepts the template; Meta rejects it otherwise (usually with a 2388xxx code).`);
}

function checkLength(field: string, text: string, limit: number): void {
  if (text.length > limit) fail(field, `${text.length} characters, the limit is ${limit}`);
}

/**
 * Host names in `text`: a run of letters, digits, dots and hyphens followed by `/`, `?`, `#`,
 * white space or the end, whose last non-empty labels form a domain (`bit.ly`). A linear scan: the
 * former regex (`(?:[a-z0-9-]+\.)+[a-z]{2,}` with a look-ahead) backtracked on long URLs (1.8 s
 * for a 2,000-character button URL).
 */
function hostNames(text: string): string[] {
  const hosts: string[] = [];
  for (const run of text.matchAll(/[a-z0-9.-]+/gi)) {
    const next = text[run.index! + run[0].length];
    if (next !== undefined && !/[/?#\s]/.test(next)) continue;
    const labels = run[0].split('.');
    let first = labels.length;
    while (first > 0 && labels[first - 1] !== '') first--;
    const domain = labels.slice(first);
    if (domain.length >= 2 && /^[a-z]{2,}$/i.test(domain[domain.length - 1]!)) hosts.push(domain.join('.'));
  }
  return hosts;
}

function checkNoShortener(field: string, text: string | undefined): void {
  for (const name of hostNames(text ?? '')) {
    const host = name.toLowerCase().replace(/^www\./, '');
    if (URL_SHORTENER_HOSTS.includes(host)) fail(field, `contains the link shortener ${host}: use the full URL`);
  }
}

/**
 * Placeholders of one text: all positional or all named (and matching `parameter_format`),
 * positional ones numbered 1…n with no gaps, named ones lower case and underscores.
 */
function checkVariables(field: string, list: Placeholder[], format: 'POSITIONAL' | 'NAMED'): void {
  for (const p of list) {
    if (format === 'NAMED' && p.positional) fail(field, `{{${p.name}}} is positional but parameter_format is "named": use names like {{first_name}}`);
    if (format === 'POSITIONAL' && !p.positional) {
      if (!NAMED_PARAMETER.test(p.name)) fail(field, `{{${p.name}}} is not a valid variable: use {{1}}, {{2}}… (or lower-case names with parameter_format "named")`);
      fail(field, `{{${p.name}}} is a named variable but parameter_format is "positional": set parameter_format to "named" or use {{1}}, {{2}}…`);
    }
    if (format === 'NAMED' && !NAMED_PARAMETER.test(p.name)) fail(field, `{{${p.name}}} is not a valid name: lower-case letters, digits and underscores, starting with a letter`);
  }
  if (format === 'POSITIONAL') {
    const numbers = [...new Set(list.map((p) => Number(p.name)))].sort((a, b) => a - b);
    numbers.forEach((n, i) => {
      if (n !== i + 1) fail(field, `variables must be numbered {{1}} to {{${numbers.length}}} with no gaps; found {{${n}}} where {{${i + 1}}} was expected`);
    });
  }
}

function checkBody(field: string, component: TemplateComponent, format: 'POSITIONAL' | 'NAMED', category: string): void {
  const text = component.text;
  if (component.add_security_recommendation !== undefined && typeof component.add_security_recommendation !== 'boolean') {
    fail(`${field}.add_security_recommendation`, 'must be true or false');
  }
  if (typeof text !== 'string' || text.trim() === '') {
    if (category === 'AUTHENTICATION') return; // Meta supplies the authentication body text
    fail(`${field}.text`, 'the body text is required');
  }
  if (category === 'AUTHENTICATION') fail(`${field}.text`, 'authentication templates take no body text: Meta writes it (set add_security_recommendation to add the security line)');
  checkLength(`${field}.text`, text, LIMITS.body);
  checkNoShortener(`${field}.text`, text);
  const list = placeholders(text);
  checkVariables(`${field}.text`, list, format);
  if (list.length === 0) return;
  if (list[0]!.start === text.length - text.trimStart().length) fail(`${field}.text`, 'a variable cannot be at the start of the body: add text before it');
  if (list[list.length - 1]!.end === text.trimEnd().length) fail(`${field}.text`, 'a variable cannot be at the end of the body: add text (a full stop is enough) after it');
  for (let i = 1; i < list.length; i++) {
    if (text.slice(list[i - 1]!.end, list[i]!.start).trim() === '') fail(`${field}.text`, `variables {{${list[i - 1]!.name}}} and {{${list[i]!.name}}} are next to each other: put words or punctuation between them`);
  }
  const names = [...new Set(list.map((p) => p.name))];
  if (format === 'NAMED') {
    const examples = component.example?.body_text_named_params;
    for (const name of names) {
      if (!examples?.some((e) => e.param_name === name && typeof e.example === 'string' && e.example !== '')) fail(`${field}.example.body_text_named_params`, `an example value for {{${name}}} is required`);
    }
  } else {
    const examples = component.example?.body_text?.[0];
    if (!Array.isArray(examples) || examples.length !== names.length || examples.some((e) => typeof e !== 'string' || e === '')) {
      fail(`${field}.example.body_text`, `one example value per variable is required: ${names.length} (as [[${names.map((n) => `"example ${n}"`).join(', ')}]])`);
    }
  }
}

function checkHeader(field: string, component: TemplateComponent, format: 'POSITIONAL' | 'NAMED'): void {
  const headerFormat = upper(component.format);
  if (!HEADER_FORMATS.includes(headerFormat)) fail(`${field}.format`, `"${String(component.format)}" is not one of ${HEADER_FORMATS.join(', ')}`);
  if (headerFormat === 'TEXT') {
    if (typeof component.text !== 'string' || component.text.trim() === '') fail(`${field}.text`, 'a text header needs text');
    checkLength(`${field}.text`, component.text, LIMITS.header);
    checkNoShortener(`${field}.text`, component.text);
    const list = placeholders(component.text);
    checkVariables(`${field}.text`, list, format);
    if (new Set(list.map((p) => p.name)).size > 1) fail(`${field}.text`, 'a header can have at most 1 variable');
    if (list.length > 0 && format === 'POSITIONAL' && !component.example?.header_text?.[0]) fail(`${field}.example.header_text`, 'an example value for the header variable is required');
    if (list.length > 0 && format === 'NAMED' && !component.example?.header_text_named_params?.[0]) fail(`${field}.example.header_text_named_params`, 'an example value for the header variable is required');
  } else if (headerFormat !== 'LOCATION' && !component.example?.header_handle?.[0]) {
    fail(`${field}.example.header_handle`, `a ${headerFormat.toLowerCase()} header needs an example media handle (from the Resumable Upload API)`);
  }
}

function checkButtons(field: string, component: TemplateComponent): void {
  const buttons = component.buttons;
  if (!Array.isArray(buttons) || buttons.length === 0) fail(`${field}.buttons`, 'at least one button is required');
  if (buttons.length > LIMITS.buttons) fail(`${field}.buttons`, `${buttons.length} buttons, the limit is ${LIMITS.buttons}`);
  const count = (type: string) => buttons.filter((b) => upper(b.type) === type).length;
  if (count('URL') > LIMITS.urlButtons) fail(`${field}.buttons`, `${count('URL')} URL buttons, the limit is ${LIMITS.urlButtons}`);
  if (count('PHONE_NUMBER') > 1) fail(`${field}.buttons`, 'at most 1 phone number button');
  if (count('COPY_CODE') > 1) fail(`${field}.buttons`, 'at most 1 copy code button');
  buttons.forEach((button, i) => {
    const at = `${field}.buttons[${i}]`;
    const type = upper(button.type);
    if (['QUICK_REPLY', 'URL', 'PHONE_NUMBER', 'FLOW'].includes(type)) {
      if (typeof button.text !== 'string' || button.text.trim() === '') fail(`${at}.text`, 'the button text is required');
      checkLength(`${at}.text`, button.text, LIMITS.buttonText);
    }
    if (type === 'URL') {
      if (typeof button.url !== 'string' || !/^https?:\/\//i.test(button.url)) fail(`${at}.url`, 'must be a full http(s) URL');
      checkLength(`${at}.url`, button.url, LIMITS.url);
      checkNoShortener(`${at}.url`, button.url);
      const list = placeholders(button.url);
      if (list.length > 1) fail(`${at}.url`, 'a URL button can have at most 1 variable');
      if (list.length === 1) {
        if (list[0]!.end !== button.url.length) fail(`${at}.url`, 'the variable must be at the end of the URL (e.g. https://example.com/order/{{1}})');
        if (!button.example || (Array.isArray(button.example) && button.example.length === 0)) fail(`${at}.example`, 'an example URL is required for a URL with a variable');
      }
    }
    if (type === 'PHONE_NUMBER') {
      if (typeof button.phone_number !== 'string' || button.phone_number === '') fail(`${at}.phone_number`, 'the phone number is required');
      checkLength(`${at}.phone_number`, button.phone_number, LIMITS.phone);
    }
    if (type === 'COPY_CODE') {
      const example = Array.isArray(button.example) ? button.example[0] : button.example;
      if (typeof example !== 'string' || example === '') fail(`${at}.example`, 'an example code is required');
      checkLength(`${at}.example`, example, LIMITS.couponCode);
    }
    if (type === 'OTP') checkOtpButton(at, button);
    if (['CATALOG', 'MPM', 'SPM'].includes(type) && button.text !== undefined) {
      if (typeof button.text !== 'string' || button.text.trim() === '') fail(`${at}.text`, 'the button text cannot be empty');
      checkLength(`${at}.text`, button.text, LIMITS.buttonText);
    }
    if (!BUTTON_TYPES.includes(type)) fail(`${at}.type`, `"${String(button.type)}" is not one of ${BUTTON_TYPES.join(', ')}`);
  });
}

/** An authentication template's one-time-password button (copy code, one-tap or zero-tap autofill). */
function checkOtpButton(at: string, button: TemplateButton): void {
  const otpType = upper(button.otp_type);
  if (!OTP_TYPES.includes(otpType)) fail(`${at}.otp_type`, `"${String(button.otp_type ?? '')}" is not one of ${OTP_TYPES.join(', ')}`);
  for (const key of ['text', 'autofill_text'] as const) {
    if (button[key] !== undefined) {
      if (typeof button[key] !== 'string') fail(`${at}.${key}`, 'must be text');
      checkLength(`${at}.${key}`, button[key] as string, LIMITS.buttonText);
    }
  }
  if (otpType === 'COPY_CODE') return;
  // One-tap and zero-tap hand the code to an Android app: Meta needs the app's package and signing hash.
  const apps = button.supported_apps as Array<{ package_name?: unknown; signature_hash?: unknown }> | undefined;
  if (!Array.isArray(apps) || apps.length === 0) fail(`${at}.supported_apps`, `a ${otpType.toLowerCase().replace('_', '-')} button needs supported_apps: [{ package_name, signature_hash }]`);
  if (apps.length > LIMITS.supportedApps) fail(`${at}.supported_apps`, `${apps.length} apps, the limit is ${LIMITS.supportedApps}`);
  apps.forEach((app, i) => {
    const pkg = app?.package_name;
    if (typeof pkg !== 'string' || !/^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)+$/.test(pkg)) {
      fail(`${at}.supported_apps[${i}].package_name`, 'an Android package name like com.example.app: two or more segments, each starting with a letter');
    }
    checkLength(`${at}.supported_apps[${i}].package_name`, pkg, LIMITS.packageName);
    const hash = app?.signature_hash;
    if (typeof hash !== 'string' || !/^[A-Za-z0-9+/=]+$/.test(hash) || hash.length !== LIMITS.signatureHash) {
      fail(`${at}.supported_apps[${i}].signature_hash`, `must be exactly ${LIMITS.signatureHash} characters of A-Z a-z 0-9 + / = (your app signing key hash)`);
    }
  });
  if (otpType === 'ZERO_TAP' && button.zero_tap_terms_accepted !== true) {
    fail(`${at}.zero_tap_terms_accepted`, 'must be true: zero-tap templates need you to accept Meta\'s zero-tap terms');
  }
}

/** FOOTER of an authentication template: only the code expiry (Meta writes the text). */
function checkAuthFooter(field: string, component: TemplateComponent): void {
  const minutes = component.code_expiration_minutes;
  if (minutes === undefined) return;
  if (typeof minutes !== 'number' || !Number.isInteger(minutes) || minutes < LIMITS.codeExpirationMin || minutes > LIMITS.codeExpirationMax) {
    fail(`${field}.code_expiration_minutes`, `${JSON.stringify(minutes)} is not a whole number of minutes from ${LIMITS.codeExpirationMin} to ${LIMITS.codeExpirationMax}`);
  }
}

/** `limited_time_offer` component: offer text (16) and whether the expiry shows. */
function checkOffer(field: string, component: TemplateComponent, category: string): void {
  if (category !== 'MARKETING') fail(`${field}.type`, 'limited-time offers are only for MARKETING templates');
  const offer = component.limited_time_offer as { text?: unknown; has_expiration?: unknown } | undefined;
  if (!offer || typeof offer !== 'object') fail(`${field}.limited_time_offer`, 'is required: { text, has_expiration? }');
  if (typeof offer.text !== 'string' || offer.text.trim() === '') fail(`${field}.limited_time_offer.text`, 'the offer text is required');
  checkLength(`${field}.limited_time_offer.text`, offer.text, LIMITS.offerText);
  if (offer.has_expiration !== undefined && typeof offer.has_expiration !== 'boolean') fail(`${field}.limited_time_offer.has_expiration`, 'must be true or false');
}

/** How a card's buttons are laid out (types in order): Meta wants it the same on every card. */
function cardButtons(card: TemplateComponent[]): string {
  return (card.find((c) => upper(c.type) === 'BUTTONS')?.buttons ?? []).map((b) => upper(b.type)).join(',');
}

/** `carousel` component: 2–10 cards with the same header format, body presence and buttons. */
function checkCarousel(field: string, component: TemplateComponent, format: 'POSITIONAL' | 'NAMED', category: string): void {
  if (category !== 'MARKETING') fail(`${field}.type`, 'carousels are only for MARKETING templates');
  const cards = component.cards as Array<{ components?: TemplateComponent[] }> | undefined;
  if (!Array.isArray(cards) || cards.length < LIMITS.cardsMin) fail(`${field}.cards`, `${Array.isArray(cards) ? cards.length : 0} cards, at least ${LIMITS.cardsMin} needed`);
  if (cards.length > LIMITS.cardsMax) fail(`${field}.cards`, `${cards.length} cards, the limit is ${LIMITS.cardsMax}`);
  let first: { header: string; body: boolean; buttons: string } | undefined;
  cards.forEach((card, n) => {
    const at = `${field}.cards[${n}]`;
    const parts = card?.components;
    if (!Array.isArray(parts) || parts.length === 0) fail(`${at}.components`, 'a card needs its components (header, optional body, buttons)');
    const header = parts.find((c) => upper(c.type) === 'HEADER');
    const headerFormat = upper(header?.format);
    if (!['IMAGE', 'VIDEO', 'PRODUCT'].includes(headerFormat)) fail(`${at}.components`, `a card needs a header of format IMAGE, VIDEO or PRODUCT${header ? ` (got "${String(header.format)}")` : ''}`);
    if (headerFormat !== 'PRODUCT' && !header!.example?.header_handle?.[0]) fail(`${at}.components.header.example.header_handle`, `a ${headerFormat.toLowerCase()} card header needs an example media handle`);
    parts.forEach((part, i) => {
      const type = upper(part.type);
      if (!['HEADER', 'BODY', 'BUTTONS'].includes(type)) fail(`${at}.components[${i}].type`, `"${String(part.type)}" is not a card component (HEADER, BODY, BUTTONS)`);
      if (type === 'BODY') {
        if (typeof part.text !== 'string' || part.text.trim() === '') fail(`${at}.components[${i}].text`, 'the card body text is required when a card has a body');
        checkLength(`${at}.components[${i}].text`, part.text, LIMITS.cardBody);
        checkVariables(`${at}.components[${i}].text`, placeholders(part.text), format);
      }
      if (type === 'BUTTONS') {
        checkButtons(`${at}.components[${i}]`, part);
        if ((part.buttons ?? []).length > LIMITS.cardButtons) fail(`${at}.components[${i}].buttons`, `${part.buttons!.length} buttons, the limit is ${LIMITS.cardButtons} per card`);
      }
    });
    const shape = { header: headerFormat, body: parts.some((c) => upper(c.type) === 'BODY'), buttons: cardButtons(parts) };
    if (!first) first = shape;
    else {
      if (shape.header !== first.header) fail(`${at}.components`, `header ${shape.header} differs from card 0 (${first.header}); all cards have the same header format`);
      if (shape.body !== first.body) fail(`${at}.components`, 'if one card has a body text, every card must (Meta keeps card heights equal)');
      if (shape.buttons !== first.buttons) fail(`${at}.components`, `buttons (${shape.buttons || 'none'}) differ from card 0 (${first.buttons || 'none'}); all cards have the same buttons`);
    }
  });
}

/**
 * Meta's time-to-live ranges per category (time-to-live guide): authentication 30–900 s, utility
 * 30–43200 s (both also -1 for 30 days), marketing 43200–2592000 s (marketing TTL applies through
 * the Marketing Messages API).
 */
const TTL_RANGES: Record<string, [number, number, boolean]> = { AUTHENTICATION: [30, 900, true], UTILITY: [30, 43200, true], MARKETING: [43200, 2592000, false] };

function checkTtl(ttl: unknown, category: string): void {
  const [min, max, thirtyDays] = TTL_RANGES[category]!;
  const ok = typeof ttl === 'number' && Number.isInteger(ttl) && ((ttl >= min && ttl <= max) || (thirtyDays && ttl === -1));
  if (!ok) fail('message_send_ttl_seconds', `${JSON.stringify(ttl)} is outside ${min} to ${max} seconds for a ${category} template${thirtyDays ? ' (or -1 for 30 days)' : ''}`);
}

/**
 * Checks a template definition against Meta's rejection rules before it is submitted: name
 * format, category, one body, lengths (header 60, body 1024, footer 60, button text 25, URL 2000),
 * variables `{{1}}…` numbered with no gaps or lower-case names (never mixed, matching
 * `parameter_format`), no variable at the start or end of the body or next to another one,
 * example values for every variable, no link shorteners, button counts.
 *
 * @throws ValidationError naming the field and the rule (e.g. `components[1].text: a variable cannot be at the start of the body`).
 */
export function validateTemplateDefinition(def: TemplateDefinition): void {
  if (!def || typeof def !== 'object') fail('', 'the template definition must be an object');
  if (typeof def.name !== 'string' || def.name === '') fail('name', 'the template name is required');
  if (!/^[a-z0-9_]+$/.test(def.name)) fail('name', `"${def.name}" may only contain lower-case letters, digits and underscores`);
  checkLength('name', def.name, LIMITS.name);
  if (typeof def.language !== 'string' || !/^[A-Za-z]{2,3}([_-][A-Za-z0-9]{2,4})?$/.test(def.language)) fail('language', `"${String(def.language)}" is not a language code like en_US or pt_BR`);
  const category = upper(def.category);
  if (!CATEGORIES.includes(category)) fail('category', `"${String(def.category)}" is not one of ${CATEGORIES.join(', ')}`);
  const format = def.parameter_format === undefined ? 'POSITIONAL' : upper(def.parameter_format);
  if (format !== 'POSITIONAL' && format !== 'NAMED') fail('parameter_format', `"${String(def.parameter_format)}" is not "positional" or "named"`);
  if (!Array.isArray(def.components) || def.components.length === 0) fail('components', 'at least a BODY component is required');
  if (def.message_send_ttl_seconds !== undefined) checkTtl(def.message_send_ttl_seconds, category);

  const seen = new Map<string, number>();
  def.components.forEach((component, i) => {
    const field = `components[${i}]`;
    if (!component || typeof component !== 'object') fail(field, 'must be an object');
    const type = upper(component.type);
    if (!COMPONENT_TYPES.includes(type)) fail(`${field}.type`, `"${String(component.type)}" is not one of ${COMPONENT_TYPES.join(', ')}`);
    if (seen.has(type)) fail(`${field}.type`, `a template has at most one ${type}`);
    seen.set(type, i);
    if (type === 'HEADER') checkHeader(field, component, format);
    else if (type === 'BODY') checkBody(field, component, format, category);
    else if (type === 'LIMITED_TIME_OFFER') checkOffer(field, component, category);
    else if (type === 'CAROUSEL') checkCarousel(field, component, format, category);
    else if (type === 'FOOTER') {
      if (category === 'AUTHENTICATION') checkAuthFooter(field, component);
      if (typeof component.text === 'string') {
        checkLength(`${field}.text`, component.text, LIMITS.footer);
        checkNoShortener(`${field}.text`, component.text);
        if (placeholders(component.text).length > 0) fail(`${field}.text`, 'a footer cannot have variables');
      } else if (category !== 'AUTHENTICATION') fail(`${field}.text`, 'the footer text is required');
    } else if (type === 'BUTTONS') checkButtons(field, component);
  });
  if (!seen.has('BODY')) fail('components', 'a BODY component is required');
  if (seen.has('LIMITED_TIME_OFFER')) {
    if (seen.has('FOOTER')) fail(`components[${seen.get('FOOTER')}].type`, 'a limited-time offer template cannot have a footer');
    const body = def.components[seen.get('BODY')!]!;
    if (typeof body.text === 'string') checkLength(`components[${seen.get('BODY')}].text`, body.text, LIMITS.offerBody);
  }
  if (category === 'AUTHENTICATION') {
    const buttons = seen.has('BUTTONS') ? def.components[seen.get('BUTTONS')!]!.buttons ?? [] : [];
    if (!buttons.some((b) => upper(b.type) === 'OTP')) fail('components', 'an authentication template needs a BUTTONS component with one OTP button (otp_type COPY_CODE, ONE_TAP or ZERO_TAP)');
  }
}
