import { ValidationError } from '../errors/error-classes';
import type { GraphApi } from '../http/graph-api';
import type { CreateTemplateResult } from './api';
import { placeholders } from './variables';

/**
 * A template made from Meta's template library: pre-written utility templates that Meta approves
 * at once. Field names as in Meta's template library guide
 * (developers.facebook.com/documentation/business-messaging/whatsapp/templates/template-library):
 * `library_template_name`, `library_template_button_inputs`, `library_template_body_inputs`.
 */
export interface LibraryTemplateDefinition {
  /** Your name for the template: lower case letters, digits and underscores, at most 512. */
  name: string;
  /** e.g. `en_US`. */
  language: string;
  /** The exact name of the library template, e.g. `delivery_update_1`. */
  libraryTemplateName: string;
  /**
   * Your website and/or phone number for the library template's buttons (required by Meta for
   * library templates that have URL or phone number buttons).
   */
  buttonInputs?: LibraryButtonInput[];
  /** Optional extras of the body (`add_contact_number`, `add_security_recommendation`, `code_expiration_minutes`, …). */
  bodyInputs?: Record<string, boolean | number>;
  /** @default 'UTILITY' (Meta: "Must be UTILITY for use with Template Library") */
  category?: 'UTILITY';
}

/** One button input of a library template. */
export type LibraryButtonInput =
  | { type: 'URL'; url: { base_url: string; url_suffix_example?: string } }
  | { type: 'PHONE_NUMBER'; phone_number: string }
  | { type: string; [key: string]: unknown };

const NAME = /^[a-z0-9_]+$/;
const BUTTON_TYPES = ['QUICK_REPLY', 'URL', 'PHONE_NUMBER', 'OTP', 'MPM', 'CATALOG', 'FLOW', 'VOICE_CALL', 'APP'];
const BODY_INPUTS: Record<string, 'boolean' | 'number'> = {
  add_contact_number: 'boolean',
  add_learn_more_link: 'boolean',
  add_security_recommendation: 'boolean',
  add_track_package_link: 'boolean',
  code_expiration_minutes: 'number',
};

function fail(field: string, problem: string): never {
  throw new ValidationError(field, problem, `Change "${field}": Meta refuses a library template request otherwise.`);
}

function checkButton(input: LibraryButtonInput, i: number): void {
  const at = `library_template_button_inputs[${i}]`;
  if (!input || typeof input !== 'object') fail(at, 'must be an object { type, url | phone_number }');
  const type = String(input.type ?? '').toUpperCase();
  if (!BUTTON_TYPES.includes(type)) fail(`${at}.type`, `"${String(input.type)}" is not one of ${BUTTON_TYPES.join(', ')}`);
  if (type === 'URL') {
    const url = (input as { url?: { base_url?: unknown; url_suffix_example?: unknown } }).url;
    const base = url?.base_url;
    if (typeof base !== 'string' || !/^https?:\/\//i.test(base)) fail(`${at}.url.base_url`, 'your website, a full http(s) URL (e.g. https://www.example.com/{{1}})');
    if (base.length > 2000) fail(`${at}.url.base_url`, `${base.length} characters, the limit is 2000`);
    const vars = placeholders(base);
    if (vars.length > 1) fail(`${at}.url.base_url`, 'a URL can have at most 1 variable');
    if (vars.length === 1) {
      if (vars[0]!.end !== base.length) fail(`${at}.url.base_url`, 'the variable must be at the end of the URL');
      if (typeof url?.url_suffix_example !== 'string' || !url.url_suffix_example) fail(`${at}.url.url_suffix_example`, 'an example URL is required when the URL has a variable');
    }
  }
  if (type === 'PHONE_NUMBER') {
    const phone = (input as { phone_number?: unknown }).phone_number;
    if (typeof phone !== 'string' || !/^\+?[\d\s()-]{4,}$/.test(phone)) fail(`${at}.phone_number`, 'your phone number with country code, e.g. +16315551010');
    if (phone.length > 20) fail(`${at}.phone_number`, `${phone.length} characters, the limit is 20`);
  }
}

/**
 * The request body for `POST /{waba}/message_templates` that creates `definition` from the
 * library, checked first.
 * @throws ValidationError naming the field
 */
export function libraryTemplateBody(definition: LibraryTemplateDefinition): Record<string, unknown> {
  if (!definition || typeof definition !== 'object') fail('', 'the library template request must be an object');
  if (typeof definition.name !== 'string' || !NAME.test(definition.name)) fail('name', `"${String(definition.name ?? '')}" may only contain lower-case letters, digits and underscores`);
  if (definition.name.length > 512) fail('name', `${definition.name.length} characters, the limit is 512`);
  if (typeof definition.language !== 'string' || !/^[A-Za-z]{2,3}([_-][A-Za-z0-9]{2,4})?$/.test(definition.language)) fail('language', `"${String(definition.language)}" is not a language code like en_US`);
  if (typeof definition.libraryTemplateName !== 'string' || !NAME.test(definition.libraryTemplateName)) {
    fail('library_template_name', `"${String(definition.libraryTemplateName ?? '')}" is not a library template name (e.g. delivery_update_1); copy it from WhatsApp Manager → Template library`);
  }
  const category = String(definition.category ?? 'UTILITY').toUpperCase();
  if (category !== 'UTILITY') fail('category', `"${category}": templates from the library are UTILITY templates`);
  const buttons = definition.buttonInputs ?? [];
  if (!Array.isArray(buttons)) fail('library_template_button_inputs', 'must be a list of { type, url | phone_number }');
  buttons.forEach(checkButton);
  const body: Record<string, unknown> = {
    name: definition.name,
    language: definition.language,
    category,
    library_template_name: definition.libraryTemplateName,
  };
  if (buttons.length) body.library_template_button_inputs = buttons;
  if (definition.bodyInputs && Object.keys(definition.bodyInputs).length) {
    for (const [key, value] of Object.entries(definition.bodyInputs)) {
      const kind = BODY_INPUTS[key];
      if (!kind) fail(`library_template_body_inputs.${key}`, `is not one of ${Object.keys(BODY_INPUTS).join(', ')}`);
      if (typeof value !== kind) fail(`library_template_body_inputs.${key}`, `must be ${kind === 'boolean' ? 'true or false' : 'a number'}`);
      if (key === 'code_expiration_minutes' && (!Number.isInteger(value) || (value as number) < 1 || (value as number) > 90)) fail(`library_template_body_inputs.${key}`, `${String(value)} is not a whole number of minutes from 1 to 90`);
    }
    body.library_template_body_inputs = definition.bodyInputs;
  }
  return body;
}

/**
 * Creates a template from Meta's template library (pre-approved utility templates: usually
 * APPROVED in the answer, the fastest path to a sendable template).
 *
 * @throws ValidationError before any request; GraphApiError when Meta refuses (e.g. an unknown library name).
 * @example
 * await createTemplateFromLibrary(graph, wabaId, { name: 'my_delivery_update', language: 'en_US',
 *   libraryTemplateName: 'delivery_update_1',
 *   buttonInputs: [{ type: 'URL', url: { base_url: 'https://shop.example.com/track/{{1}}', url_suffix_example: 'https://shop.example.com/track/123' } }] });
 */
export async function createTemplateFromLibrary(graph: GraphApi, wabaId: string, definition: LibraryTemplateDefinition): Promise<CreateTemplateResult> {
  const json = libraryTemplateBody(definition);
  const body = await graph.request<Record<string, unknown>>('POST', `${encodeURIComponent(wabaId)}/message_templates`, { json });
  return { id: String(body.id ?? ''), status: String(body.status ?? ''), category: String(body.category ?? '') };
}
