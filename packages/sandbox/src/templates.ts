/**
 * The WABA's message templates: the defaults a user can try at once, lookup and parameter checks for
 * template sends (132001 / 132000 / 132012 / 132015 / 132016), rendering for the chat page, and the
 * template-management rules (create → PENDING → APPROVED or REJECTED; delete by name or hsm_id).
 */
import { GraphError, invalidParam } from './errors';
import { checkKindComponents, checkKindDefinition, KIND_TEMPLATES, libraryComponents } from './template-kinds';
import type { Json, JsonObject, TemplateComponent, TemplateDefinition } from './types';

/** Templates available when the caller passes none: enough to try every send path at once. */
export const DEFAULT_TEMPLATES: TemplateDefinition[] = [
  {
    name: 'hello_world',
    language: 'en_US',
    status: 'APPROVED',
    category: 'UTILITY',
    components: [
      { type: 'HEADER', format: 'TEXT', text: 'Hello World' },
      {
        type: 'BODY',
        text:
          'Welcome and congratulations!! This message demonstrates your ability to send a WhatsApp message notification ' +
          'from the Cloud API, hosted by Meta. Thank you for taking the time to test with us.',
      },
      { type: 'FOOTER', text: 'WhatsApp Business Platform sample message' },
    ],
  },
  {
    name: 'order_update',
    language: 'en',
    status: 'APPROVED',
    category: 'UTILITY',
    parameter_format: 'POSITIONAL',
    components: [
      { type: 'BODY', text: 'Hi {{1}}, your order {{2}} has shipped and is on its way.', example: { body_text: [['Ana', 'A-1042']] } },
      { type: 'FOOTER', text: 'Reply STOP to opt out' },
    ],
  },
  {
    name: 'order_confirmation',
    language: 'en_US',
    status: 'APPROVED',
    category: 'UTILITY',
    parameter_format: 'NAMED',
    components: [
      {
        type: 'BODY',
        text: 'Thank you, {{first_name}}! Your order {{order_number}} is confirmed.',
        example: { body_text_named_params: [{ param_name: 'first_name', example: 'Jessica' }, { param_name: 'order_number', example: 'SKBUP2-4CPIG9' }] },
      },
    ],
  },
  {
    name: 'appointment_reminder',
    language: 'en',
    status: 'APPROVED',
    category: 'UTILITY',
    components: [
      { type: 'HEADER', format: 'IMAGE', example: { header_handle: ['https://example.com/clinic.jpg'] } },
      { type: 'BODY', text: 'Hi {{1}}, this is a reminder of your appointment on {{2}}. Will you make it?' },
      { type: 'BUTTONS', buttons: [{ type: 'QUICK_REPLY', text: 'Confirm' }, { type: 'QUICK_REPLY', text: 'Reschedule' }] },
    ],
  },
  {
    name: 'spring_sale',
    language: 'en',
    status: 'APPROVED',
    category: 'MARKETING',
    components: [
      { type: 'HEADER', format: 'TEXT', text: 'Spring sale' },
      { type: 'BODY', text: 'Everything is {{1}} off this week. Tap below to see the collection.' },
      {
        type: 'BUTTONS',
        buttons: [
          { type: 'URL', text: 'Shop now', url: 'https://shop.example.com/sale/{{1}}' },
          { type: 'QUICK_REPLY', text: 'Stop promotions' },
        ],
      },
    ],
  },
  {
    name: 'new_feature_announcement',
    language: 'en',
    status: 'PENDING',
    category: 'MARKETING',
    components: [{ type: 'BODY', text: 'We just launched something new for you. Take a look!' }],
  },
  // Carousel (media and product cards), limited-time offer with a coupon, authentication.
  ...KIND_TEMPLATES,
];

/** Placeholders in order of appearance, deduplicated: `{{1}}` → "1", `{{first_name}}` → "first_name". */
export function placeholders(text: string | undefined): string[] {
  if (!text) return [];
  const out: string[] = [];
  for (const m of text.matchAll(/\{\{\s*([A-Za-z0-9_]+)\s*\}\}/g)) if (!out.includes(m[1])) out.push(m[1]);
  return out;
}

const SHORTENERS = ['bit.ly', 'tinyurl.com', 'goo.gl', 't.co', 'ow.ly', 'is.gd', 'buff.ly', 'rebrand.ly', 'cutt.ly', 'shorturl.at', 'tiny.cc', 'rb.gy'];

function isObj(v: Json | undefined): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function component(t: TemplateDefinition, type: string): TemplateComponent | undefined {
  return t.components.find((c) => c.type.toUpperCase() === type);
}

function isNamed(t: TemplateDefinition): boolean {
  return (t.parameter_format ?? 'POSITIONAL').toUpperCase() === 'NAMED';
}

/** The displayed value of a send parameter (currency and date_time render their fallback, as on Cloud API). */
function paramValue(p: Json): string {
  if (!isObj(p)) return '';
  if (typeof p.text === 'string') return p.text;
  if (isObj(p.currency) && typeof p.currency.fallback_value === 'string') return p.currency.fallback_value;
  if (isObj(p.date_time) && typeof p.date_time.fallback_value === 'string') return p.date_time.fallback_value;
  return '';
}

/** Checks one text-like parameter object the way Graph does (code 100, Meta's wording). */
function checkParam(p: Json, where: string): void {
  if (!isObj(p) || typeof p.type !== 'string') throw invalidParam(`${where}: parameter 'type' is required`);
  switch (p.type) {
    case 'text':
      if (typeof p.text !== 'string') throw invalidParam("Parameter 'text' is mandatory for component parameter type 'text'");
      break;
    case 'currency':
      if (!isObj(p.currency) || typeof p.currency.fallback_value !== 'string' || typeof p.currency.code !== 'string' || typeof p.currency.amount_1000 !== 'number') {
        throw invalidParam("Parameter 'currency' needs fallback_value, code and amount_1000");
      }
      break;
    case 'date_time':
      if (!isObj(p.date_time) || typeof p.date_time.fallback_value !== 'string') throw invalidParam("Parameter 'date_time' needs fallback_value");
      break;
  }
}

/** A rendered template, for the chat page. */
export interface RenderedTemplate {
  header?: { text?: string; media?: { type: string; link?: string; id?: string } };
  body: string;
  footer?: string;
  buttons: Array<{ kind: 'quick_reply' | 'url' | 'other'; title: string; payload?: string; url?: string }>;
}

/** In-memory template store for one WABA. */
export class TemplateStore {
  private readonly list: Array<TemplateDefinition & { id: string; rejected_reason?: string }> = [];

  constructor(
    initial: TemplateDefinition[],
    private readonly newId: () => string,
  ) {
    for (const t of initial) this.list.push({ ...t, id: t.id ?? newId(), parameter_format: (t.parameter_format ?? 'POSITIONAL').toUpperCase() as 'POSITIONAL' | 'NAMED' });
  }

  /** All templates (live objects). */
  all(): Array<TemplateDefinition & { id: string; rejected_reason?: string }> {
    return this.list;
  }

  /** A template by ID. */
  byId(id: string): (TemplateDefinition & { id: string; rejected_reason?: string }) | undefined {
    return this.list.find((t) => t.id === id);
  }

  /** The template for a send, or the Graph error Meta returns (132001 / 132015 / 132016). */
  resolveForSend(name: string, language: string): TemplateDefinition & { id: string } {
    const t = this.list.find((x) => x.name === name && x.language === language);
    if (!t) throw new GraphError(132001, `template name (${name}) does not exist in ${language}`);
    if (t.status === 'PAUSED') throw new GraphError(132015, `template (${name}) in ${language} is paused`);
    if (t.status === 'DISABLED') throw new GraphError(132016, `template (${name}) in ${language} is disabled`);
    if (t.status !== 'APPROVED') throw new GraphError(132001, `template name (${name}) does not exist in ${language} (status ${t.status}, not APPROVED)`);
    return t;
  }

  /**
   * Checks the send's components against the template: placeholder counts in header/body text must
   * match the parameters sent (132000), media headers need a media parameter of the right type
   * (132012), named templates need `parameter_name` on every body parameter (132012) matching the
   * template's names (132000).
   */
  checkSendComponents(t: TemplateDefinition, sent: Json | undefined): void {
    const comps = Array.isArray(sent) ? sent.filter(isObj) : [];
    checkKindComponents(t, comps);
    const find = (type: string): JsonObject | undefined => comps.find((c) => typeof c.type === 'string' && c.type.toLowerCase() === type);
    const paramsOf = (c: JsonObject | undefined): Json[] => (c && Array.isArray(c.parameters) ? c.parameters : []);

    const header = component(t, 'HEADER');
    const sentHeader = find('header');
    if (header && header.format && ['IMAGE', 'VIDEO', 'DOCUMENT', 'LOCATION'].includes(header.format.toUpperCase())) {
      const want = header.format.toLowerCase();
      const p = paramsOf(sentHeader)[0];
      const got = isObj(p) && typeof p.type === 'string' ? p.type : 'UNKNOWN';
      if (got !== want) throw new GraphError(132012, `header: Format mismatch, expected ${want.toUpperCase()}, received ${got.toUpperCase()}`);
      const media = isObj(p) ? p[want] : undefined;
      if (want !== 'location' && (!isObj(media) || (media.id === undefined && media.link === undefined))) {
        throw invalidParam(`Parameter '${want}' needs 'id' or 'link'`);
      }
    } else {
      const expected = placeholders(header?.text).length;
      const params = paramsOf(sentHeader);
      params.forEach((p) => checkParam(p, 'header'));
      if (params.length !== expected) {
        throw new GraphError(132000, `header: number of localizable_params (${params.length}) does not match the expected number of params (${expected})`);
      }
    }

    const body = component(t, 'BODY');
    const names = placeholders(body?.text);
    const params = paramsOf(find('body'));
    params.forEach((p) => checkParam(p, 'body'));
    if (params.length !== names.length) {
      throw new GraphError(132000, `body: number of localizable_params (${params.length}) does not match the expected number of params (${names.length})`);
    }
    if (isNamed(t)) {
      const sentNames = params.map((p) => (isObj(p) && typeof p.parameter_name === 'string' ? p.parameter_name : ''));
      if (sentNames.some((n) => !n)) throw new GraphError(132012, 'body: the template uses named parameters; parameter_name is missing');
      const missing = names.filter((n) => !sentNames.includes(n));
      if (missing.length) throw new GraphError(132000, `body: missing named parameters: ${missing.join(', ')}`);
    }

    const buttons = component(t, 'BUTTONS')?.buttons ?? [];
    for (const c of comps.filter((x) => typeof x.type === 'string' && x.type.toLowerCase() === 'button')) {
      const index = Number(c.index);
      const b = buttons[index];
      if (!Number.isInteger(index) || !b) throw new GraphError(131009, `button at index ${String(c.index)} does not exist in the template`);
    }
    buttons.forEach((b, index) => {
      if (b.type.toUpperCase() !== 'URL' || placeholders(b.url).length === 0) return;
      const c = comps.find((x) => typeof x.type === 'string' && x.type.toLowerCase() === 'button' && Number(x.index) === index);
      const n = paramsOf(c).length;
      if (n !== 1) throw new GraphError(132000, `button ${index}: number of localizable_params (${n}) does not match the expected number of params (1)`);
    });
  }

  /** Renders a template send with its parameters substituted (for the chat page). */
  render(t: TemplateDefinition, sent: Json | undefined): RenderedTemplate {
    const comps = Array.isArray(sent) ? sent.filter(isObj) : [];
    const paramsOf = (type: string): Json[] => {
      const c = comps.find((x) => typeof x.type === 'string' && x.type.toLowerCase() === type);
      return c && Array.isArray(c.parameters) ? c.parameters : [];
    };
    const fill = (text: string | undefined, params: Json[]): string => {
      if (!text) return '';
      const names = placeholders(text);
      return text.replace(/\{\{\s*([A-Za-z0-9_]+)\s*\}\}/g, (whole, key: string) => {
        const byName = params.find((p) => isObj(p) && p.parameter_name === key);
        const p = byName ?? params[names.indexOf(key)];
        return p === undefined ? whole : paramValue(p);
      });
    };
    const out: RenderedTemplate = { body: '', buttons: [] };
    const header = component(t, 'HEADER');
    if (header) {
      const fmt = (header.format ?? 'TEXT').toUpperCase();
      if (fmt === 'TEXT') out.header = { text: fill(header.text, paramsOf('header')) };
      else {
        const p = paramsOf('header')[0];
        const m = isObj(p) ? p[fmt.toLowerCase()] : undefined;
        out.header = {
          media: {
            type: fmt.toLowerCase(),
            link: isObj(m) && typeof m.link === 'string' ? m.link : undefined,
            id: isObj(m) && typeof m.id === 'string' ? m.id : undefined,
          },
        };
      }
    }
    out.body = fill(component(t, 'BODY')?.text, paramsOf('body'));
    const footer = component(t, 'FOOTER');
    if (footer?.text) out.footer = footer.text;
    (component(t, 'BUTTONS')?.buttons ?? []).forEach((b, index) => {
      const c = comps.find((x) => typeof x.type === 'string' && x.type.toLowerCase() === 'button' && Number(x.index) === index);
      const p = c && Array.isArray(c.parameters) ? c.parameters[0] : undefined;
      const type = b.type.toUpperCase();
      if (type === 'QUICK_REPLY') {
        out.buttons.push({ kind: 'quick_reply', title: b.text, payload: isObj(p) && typeof p.payload === 'string' ? p.payload : b.text });
      } else if (type === 'URL') {
        out.buttons.push({ kind: 'url', title: b.text, url: (b.url ?? '').replace(/\{\{\s*1\s*\}\}/, isObj(p) ? paramValue(p) : '') });
      } else out.buttons.push({ kind: 'other', title: b.text });
    });
    return out;
  }

  /**
   * Validates a `POST /{WABA}/message_templates` body synchronously (code 100) and stores the template
   * as PENDING. Returns the template and, when a review rule is broken, the rejection reason to apply
   * after the review delay.
   */
  create(body: JsonObject): { template: TemplateDefinition & { id: string; rejected_reason?: string }; rejection?: Rejection; approved?: boolean } {
    const name = body.name;
    if (typeof name !== 'string' || !name) throw invalidParam('Param name is required');
    if (!/^[a-z0-9_]{1,512}$/.test(name)) throw invalidParam('Param name must contain only lowercase letters, digits and underscores (max 512)');
    const language = body.language;
    if (typeof language !== 'string' || !language) throw invalidParam('Param language is required');
    const category = typeof body.category === 'string' ? body.category.toUpperCase() : '';
    if (!['MARKETING', 'UTILITY', 'AUTHENTICATION'].includes(category)) {
      throw invalidParam('Param category must be one of {MARKETING, UTILITY, AUTHENTICATION}');
    }
    const fmt = body.parameter_format === undefined ? 'POSITIONAL' : String(body.parameter_format).toUpperCase();
    if (fmt !== 'POSITIONAL' && fmt !== 'NAMED') throw invalidParam('Param parameter_format must be one of {positional, named}');
    const library = typeof body.library_template_name === 'string' ? body.library_template_name : undefined;
    if (library !== undefined && category !== 'UTILITY') throw invalidParam('Param category must be UTILITY for a template from the template library');
    if (library === undefined && (!Array.isArray(body.components) || body.components.length === 0)) throw invalidParam('Param components is required');
    const components: TemplateComponent[] =
      library !== undefined
        ? libraryComponents(library, body.library_template_button_inputs)
        : (body.components as Json[]).map((c, n) => {
            if (!isObj(c) || typeof c.type !== 'string') throw invalidParam(`Param components[${n}]['type'] is required`);
            return c as unknown as TemplateComponent;
          });
    const bodies = components.filter((c) => c.type.toUpperCase() === 'BODY');
    // Authentication bodies are written by Meta (the code line, optional security recommendation).
    if (category === 'AUTHENTICATION' && bodies.length === 1 && !bodies[0].text) {
      bodies[0].text = `*{{1}}* is your verification code.${(bodies[0] as unknown as JsonObject).add_security_recommendation === true ? ' For your security, do not share this code.' : ''}`;
    }
    if (bodies.length !== 1 || typeof bodies[0].text !== 'string' || !bodies[0].text) {
      throw invalidParam('Param components must contain exactly one BODY component with text');
    }
    if (bodies[0].text.length > 1024) throw invalidParam('Param components BODY text must be at most 1024 characters long');
    checkKindDefinition(category, components);
    const header = components.find((c) => c.type.toUpperCase() === 'HEADER');
    if (header?.text && header.text.length > 60) throw invalidParam('Param components HEADER text must be at most 60 characters long');
    const footer = components.find((c) => c.type.toUpperCase() === 'FOOTER');
    if (footer?.text && footer.text.length > 60) throw invalidParam('Param components FOOTER text must be at most 60 characters long');
    if (this.list.some((t) => t.name === name && t.language === language)) {
      throw new GraphError(100, `Content in this language already exists for template ${name} (${language})`, { subcode: 2388024 });
    }
    const template: TemplateDefinition & { id: string; rejected_reason?: string; library_template_name?: string } = {
      id: this.newId(), name, language, category, status: 'PENDING', components, parameter_format: fmt as 'POSITIONAL' | 'NAMED',
    };
    if (library !== undefined) template.library_template_name = library;
    this.list.push(template);
    // Library templates are pre-approved: no review, no rejection.
    if (library !== undefined) {
      template.status = 'APPROVED';
      return { template };
    }
    return { template, rejection: reviewRejection(template) };
  }

  /** Deletes by name (all languages) or by `hsm_id` + name; returns what was deleted. */
  delete(name: string | undefined, hsmId: string | undefined): Array<TemplateDefinition & { id: string }> {
    if (!name) throw invalidParam('Param name is required');
    const victims = this.list.filter((t) => t.name === name && (hsmId === undefined || t.id === hsmId));
    if (!victims.length) throw invalidParam(`Message template "${name}" not found`);
    if (victims.some((t) => t.status === 'DISABLED')) throw invalidParam('Disabled templates cannot be deleted');
    for (const v of victims) this.list.splice(this.list.indexOf(v), 1);
    return victims;
  }
}

/** Why a created template is rejected, in the shape of the webhook's `rejection_info`. */
export interface Rejection {
  reason: 'INVALID_FORMAT';
  detail: string;
  recommendation: string;
}

/**
 * Review rules a human reviewer at Meta applies (api-facts §4 and template guidelines): variables must be
 * sequential ({{1}}, {{2}}, … or valid lowercase names for named templates), the body may not start or end
 * with a variable, and URL shorteners are not allowed. Returns the rejection, or undefined.
 */
export function reviewRejection(t: TemplateDefinition): Rejection | undefined {
  const reject = (detail: string, recommendation: string): Rejection => ({ reason: 'INVALID_FORMAT', detail, recommendation });
  const body = t.components.find((c) => c.type.toUpperCase() === 'BODY')?.text ?? '';
  for (const c of t.components) {
    if (!c.text) continue;
    const vars = placeholders(c.text);
    if (isNamed(t)) {
      if (vars.some((v) => !/^[a-z_][a-z0-9_]*$/.test(v))) {
        return reject('Your template uses named parameters that are not lowercase letters, digits and underscores.', 'Use names like {{first_name}}.');
      }
    } else if (vars.some((v, i) => v !== String(i + 1))) {
      return reject(`Your template's ${c.type.toLowerCase()} has parameters that are not sequential ({{1}}, {{2}}, …).`, 'Number the parameters in order without gaps or repeats.');
    }
  }
  if (/^\s*\{\{[^}]*\}\}/.test(body) || /\{\{[^}]*\}\}\s*$/.test(body)) {
    return reject('Your template body starts or ends with a parameter.', 'Add text before the first and after the last parameter.');
  }
  const texts = t.components.flatMap((c) => [c.text ?? '', ...(c.buttons ?? []).map((b) => `${b.text} ${b.url ?? ''}`)]);
  const hosts = texts.join(' ').match(/\b(?:https?:\/\/)?[a-z0-9.-]+\.[a-z]{2,}(?=\/|\s|$)/gi) ?? [];
  for (const h of hosts) {
    const host = h.replace(/^https?:\/\//i, '').toLowerCase();
    if (SHORTENERS.includes(host)) {
      return reject(`Your template contains a shortened URL (${host}).`, 'Use the full URL of your own domain.');
    }
  }
  return undefined;
}

/** Projects a template onto the requested `fields` (Graph returns `id` always). */
export function projectTemplate(t: TemplateDefinition & { id: string; rejected_reason?: string }, fields: string[] | undefined): JsonObject {
  const full: JsonObject = {
    name: t.name,
    parameter_format: (t.parameter_format ?? 'POSITIONAL').toUpperCase(),
    components: t.components as unknown as Json,
    language: t.language,
    status: t.status,
    category: t.category,
    id: t.id,
  };
  const library = (t as { library_template_name?: string }).library_template_name;
  if (library) full.library_template_name = library;
  const extra: JsonObject = {
    quality_score: { score: t.status === 'APPROVED' ? 'GREEN' : 'UNKNOWN' },
    rejected_reason: t.rejected_reason ?? 'NONE',
    sub_category: t.category === 'UTILITY' ? 'CUSTOM' : null,
  };
  if (!fields) return full;
  const out: JsonObject = {};
  for (const f of fields) {
    if (f in full) out[f] = full[f];
    else if (f in extra) out[f] = extra[f];
  }
  out.id = t.id;
  return out;
}
