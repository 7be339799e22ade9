import { ValidationError } from '../errors/error-classes';
import { URL_SHORTENER_HOSTS } from '../messages/limits';
import type { TemplateComponent, TemplateDefinition } from './types';
import { NAMED_PARAMETER, placeholders, upper, type Placeholder } from './variables';

const CATEGORIES = ['MARKETING', 'UTILITY', 'AUTHENTICATION'];
const HEADER_FORMATS = ['TEXT', 'IMAGE', 'VIDEO', 'DOCUMENT', 'LOCATION'];
const LIMITS = { name: 512, header: 60, body: 1024, footer: 60, buttonText: 25, url: 2000, phone: 20, buttons: 10, urlButtons: 2, couponCode: 15 };

function fail(field: string, problem: string): never {
  throw new ValidationError(field, problem, `Change "${field}" so Meta accepts the template; Meta rejects it otherwise (usually with a 2388xxx code).`);
}

function checkLength(field: string, text: string, limit: number): void {
  if (text.length > limit) fail(field, `${text.length} characters, the limit is ${limit}`);
}

function checkNoShortener(field: string, text: string | undefined): void {
  for (const match of (text ?? '').matchAll(/(?:https?:\/\/)?((?:[a-z0-9-]+\.)+[a-z]{2,})(?=[/?#\s]|$)/gi)) {
    const host = match[1]!.toLowerCase().replace(/^www\./, '');
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
  if (typeof text !== 'string' || text.trim() === '') {
    if (category === 'AUTHENTICATION') return; // Meta supplies the authentication body text
    fail(`${field}.text`, 'the body text is required');
  }
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
  });
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

  const seen = new Map<string, number>();
  def.components.forEach((component, i) => {
    const field = `components[${i}]`;
    if (!component || typeof component !== 'object') fail(field, 'must be an object');
    const type = upper(component.type);
    if (seen.has(type) && ['HEADER', 'BODY', 'FOOTER', 'BUTTONS'].includes(type)) fail(`${field}.type`, `a template has at most one ${type}`);
    seen.set(type, i);
    if (type === 'HEADER') checkHeader(field, component, format);
    else if (type === 'BODY') checkBody(field, component, format, category);
    else if (type === 'FOOTER') {
      if (typeof component.text === 'string') {
        checkLength(`${field}.text`, component.text, LIMITS.footer);
        checkNoShortener(`${field}.text`, component.text);
        if (placeholders(component.text).length > 0) fail(`${field}.text`, 'a footer cannot have variables');
      } else if (category !== 'AUTHENTICATION') fail(`${field}.text`, 'the footer text is required');
    } else if (type === 'BUTTONS') checkButtons(field, component);
  });
  if (!seen.has('BODY')) fail('components', 'a BODY component is required');
}
