import { ValidationError } from '../errors/error-classes';
import type { MessageTemplate, TemplateButton, TemplateComponent } from './types';
import { distinctVariables, upper } from './variables';

/** What kind of value a template parameter takes. */
export type TemplateParameterFormat = 'text' | 'image' | 'video' | 'document' | 'location' | 'payload' | 'coupon_code' | 'action';

/** One value a send of this template needs (or may take). Adapters build forms from these. */
export interface TemplateParameterSpec {
  /** The key in `values` for {@link buildTemplateComponents}: `header`, `header.1`, `body.2`, `body.first_name`, `button.0`. */
  key: string;
  component: 'header' | 'body' | 'button';
  /** Buttons: the button's index in the template. */
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

function isNamed(template: MessageTemplate): boolean {
  return upper(template.parameter_format) === 'NAMED';
}

function textSpecs(component: TemplateComponent, where: 'header' | 'body', named: boolean): TemplateParameterSpec[] {
  const example = component.example;
  const positional = where === 'header' ? example?.header_text : example?.body_text?.[0];
  const namedExamples = where === 'header' ? example?.header_text_named_params : example?.body_text_named_params;
  return distinctVariables(component.text).map((variable, i) => {
    const spec: TemplateParameterSpec = { key: `${where}.${variable.name}`, component: where, format: 'text', required: true };
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

/** Buttons that take a value at send time; others (phone number, static URL) take none. */
function buttonSpec(button: TemplateButton, index: number): TemplateParameterSpec | undefined {
  const base = { key: `button.${index}`, component: 'button' as const, index, ...(button.text ? { label: button.text } : {}) };
  const example = exampleOf(button);
  const withExample = example === undefined ? {} : { example };
  switch (upper(button.type)) {
    case 'URL':
      return /\{\{[^{}]*\}\}/.test(button.url ?? '') ? { ...base, format: 'text', subType: 'url', required: true, ...withExample } : undefined;
    case 'OTP':
      // One-time-password buttons carry the code as the url parameter of the send.
      return { ...base, format: 'text', subType: 'url', required: true };
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
      return undefined;
  }
}

/**
 * Lists the parameters a send of `template` takes: header (text variable or media/location),
 * body variables (positional or named) and button values, in send order.
 *
 * @example
 * templateParameters(template).map((p) => p.key); // ['header', 'body.1', 'body.2', 'button.0']
 */
export function templateParameters(template: MessageTemplate): TemplateParameterSpec[] {
  const named = isNamed(template);
  const specs: TemplateParameterSpec[] = [];
  for (const component of template.components ?? []) {
    const type = upper(component.type);
    if (type === 'HEADER') {
      const media = MEDIA_HEADERS[upper(component.format)];
      if (media) {
        const example = component.example?.header_handle?.[0];
        specs.push({ key: 'header', component: 'header', format: media, required: true, ...(example ? { example } : {}) });
      } else specs.push(...textSpecs(component, 'header', named));
    } else if (type === 'BODY') specs.push(...textSpecs(component, 'body', named));
    else if (type === 'BUTTONS') {
      (component.buttons ?? []).forEach((button, index) => {
        const spec = buttonSpec(button, index);
        if (spec) specs.push(spec);
      });
    }
  }
  return specs;
}

/** One parameter object of Meta's send format. */
export type OutboundTemplateParameter = Record<string, unknown> & { type: string };

/** One entry of a template send's `components` array. */
export interface OutboundTemplateComponent {
  type: 'header' | 'body' | 'button';
  sub_type?: string;
  index?: string;
  parameters: OutboundTemplateParameter[];
}

function isEmpty(value: unknown): boolean {
  return value === undefined || value === null || (typeof value === 'string' && value.trim() === '');
}

function asObject(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
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
    case 'coupon_code':
      return { type: 'coupon_code', coupon_code: String(value) };
    case 'action': {
      const object = asObject(value);
      if (spec.subType === 'flow') return { type: 'action', action: object ?? { flow_token: String(value) } };
      if (spec.subType === 'catalog') return { type: 'action', action: object ?? { thumbnail_product_retailer_id: String(value) } };
      if (!object) throw new ValidationError(`components.${spec.key}`, 'a multi-product button needs its action object ({ thumbnail_product_retailer_id, sections })');
      return { type: 'action', action: object };
    }
    default:
      return textParameter({ ...spec, name: undefined }, value);
  }
}

/**
 * Builds the `components` array of a template send from `values` keyed as
 * {@link templateParameters} lists them. Text values may be strings or numbers; a currency or
 * date_time object, or a parameter already in Meta's form, is passed through.
 *
 * @throws ValidationError naming the parameter when a required value is missing, a key is not a
 *   parameter of the template, or a value has the wrong shape.
 * @example
 * buildTemplateComponents(template, { 'body.1': 'Ana', 'body.2': '#123', 'button.0': 'order/123' });
 */
export function buildTemplateComponents(template: MessageTemplate, values: Record<string, unknown> = {}): OutboundTemplateComponent[] {
  const specs = templateParameters(template);
  const known = new Set(specs.map((s) => s.key));
  for (const key of Object.keys(values)) {
    if (!known.has(key)) {
      throw new ValidationError(`components.${key}`, `template "${template.name}" has no parameter "${key}" (it has: ${[...known].join(', ') || 'none'})`);
    }
  }
  const header: OutboundTemplateParameter[] = [];
  const body: OutboundTemplateParameter[] = [];
  const buttons: OutboundTemplateComponent[] = [];
  for (const spec of specs) {
    const value = values[spec.key];
    if (isEmpty(value)) {
      if (spec.required) {
        const label = spec.name ? `{{${spec.name}}}` : spec.position ? `{{${spec.position}}}` : spec.format;
        throw new ValidationError(`components.${spec.key}`, `a value for ${spec.component} ${label} is required by template "${template.name}"`);
      }
      continue;
    }
    if (spec.component === 'header') header.push(spec.format === 'text' ? textParameter(spec, value) : mediaParameter(spec, value));
    else if (spec.component === 'body') body.push(textParameter(spec, value));
    else buttons.push({ type: 'button', sub_type: spec.subType!, index: String(spec.index), parameters: [buttonParameter(spec, value)] });
  }
  const components: OutboundTemplateComponent[] = [];
  if (header.length) components.push({ type: 'header', parameters: header });
  if (body.length) components.push({ type: 'body', parameters: body });
  return [...components, ...buttons];
}
