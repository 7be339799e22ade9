import { WebhookPayloadError } from '../errors/error-classes';
import { arr, isObject, MAX_WEBHOOK_DEPTH, obj, str, unixDate, unsafeNesting, type Json } from './fields';
import { parseMessage } from './parse-message';
import { parseAccountField, parsePreference, parseStatus, parseValueError, type ChangeScope } from './parse-fields';
import type { InboundEvent } from './types';

/** The only `object` a WhatsApp Business Account webhook carries. */
const WABA_OBJECT = 'whatsapp_business_account';

function readBody(body: unknown): unknown {
  const fromText = typeof body === 'string' || Buffer.isBuffer(body);
  let parsed: unknown = body;
  if (fromText) {
    const text = body.toString('utf8');
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new WebhookPayloadError('the body is not JSON');
    }
    // Parsed text can nest no deeper than it has brackets: most bodies need no walk at all.
    if (!hasMoreBrackets(text, MAX_WEBHOOK_DEPTH)) return parsed;
  }
  const unsafe = unsafeNesting(parsed, fromText);
  if (unsafe) throw new WebhookPayloadError(unsafe);
  return parsed;
}

/** Whether `text` has more than `limit` opening brackets (`{` or `[`, inside strings too); stops counting past it. */
function hasMoreBrackets(text: string, limit: number): boolean {
  let count = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if ((c === 0x7b || c === 0x5b) && ++count > limit) return true;
  }
  return false;
}

/** Arrays of items must be arrays of objects; anything else is a broken envelope, not an unknown field. */
function items(value: Json, key: string, where: string): Json[] {
  const list = value[key];
  if (list === undefined) return [];
  if (!Array.isArray(list)) throw new WebhookPayloadError(`${where}.${key} is not a list`);
  return list.map((item, i) => {
    if (!isObject(item)) throw new WebhookPayloadError(`${where}.${key}[${i}] is not an object`);
    return item;
  });
}

function messagesChange(value: Json, scope: ChangeScope, where: string): InboundEvent[] {
  const metadata = obj(value.metadata);
  const phoneNumberId = str(metadata?.phone_number_id);
  const messages = items(value, 'messages', where);
  const statuses = items(value, 'statuses', where);
  const errors = arr(value.errors);
  if (value.errors !== undefined && !errors) throw new WebhookPayloadError(`${where}.errors is not a list`);
  if ((messages.length || statuses.length) && !phoneNumberId) {
    throw new WebhookPayloadError(`${where}.metadata.phone_number_id is missing`);
  }
  const withPhone = { ...scope, phoneNumberId: phoneNumberId ?? '', displayPhoneNumber: str(metadata?.display_phone_number) };
  const events: InboundEvent[] = [];
  if (messages.length) {
    const messageScope = { ...withPhone, contacts: (arr(value.contacts) ?? []).filter(isObject) };
    for (const message of messages) events.push(parseMessage(message, messageScope));
  }
  for (const status of statuses) events.push(parseStatus(status, withPhone));
  if (errors) for (const error of errors) events.push(parseValueError(error, withPhone));
  // A messages change with none of the known lists (a newer shape): keep it rather than lose it.
  if (events.length === 0) events.push({ kind: 'unknown', ...withPhone, phoneNumberId, raw: value });
  return events;
}

function preferencesChange(value: Json, scope: ChangeScope, where: string): InboundEvent[] {
  const metadata = obj(value.metadata);
  const withPhone = { ...scope, phoneNumberId: str(metadata?.phone_number_id), displayPhoneNumber: str(metadata?.display_phone_number) };
  return items(value, 'user_preferences', where).map((item) => parsePreference(item, withPhone));
}

function changeEvents(change: unknown, wabaId: string, entryTime: Date | undefined, where: string): InboundEvent[] {
  if (!isObject(change)) throw new WebhookPayloadError(`${where} is not an object`);
  const field = change.field;
  if (typeof field !== 'string' || field === '') throw new WebhookPayloadError(`${where}.field is missing`);
  const scope: ChangeScope = { wabaId, field, ...(entryTime ? { entryTime } : {}) };
  const value = change.value;
  if (!isObject(value)) {
    if (field === 'messages' || field === 'user_preferences') throw new WebhookPayloadError(`${where}.value is not an object`);
    return [{ kind: 'unknown', field, wabaId, raw: value, ...(entryTime ? { entryTime } : {}) }];
  }
  if (field === 'messages') return messagesChange(value, scope, `${where}.value`);
  if (field === 'user_preferences') return preferencesChange(value, scope, `${where}.value`);
  return [parseAccountField(value, scope)];
}

/**
 * Turns a webhook POST body (parsed JSON, or the raw string/Buffer) into one typed event per
 * item: every entry, every change, every message, status, value error and preference. Many
 * libraries read only the first of each; Meta batches up to 1000 updates per POST.
 *
 * Unknown fields and unknown keys never throw (unknown fields become `unknown` events); a body
 * that is not a WhatsApp Business Account envelope throws.
 *
 * @throws WebhookPayloadError (`status: 400`) when the body is not JSON, is nested deeper than
 *   100 levels (`MAX_WEBHOOK_DEPTH`), `object` is not `whatsapp_business_account`, `entry` is not a
 *   list, or an entry/change is not shaped as Meta sends it.
 * @example
 * for (const event of parseWebhook(rawBody)) if (event.kind === 'message') console.log(event.from, event.text);
 */
export function parseWebhook(body: unknown): InboundEvent[] {
  const envelope = readBody(body);
  if (!isObject(envelope)) throw new WebhookPayloadError('the body is not a JSON object');
  if (envelope.object !== WABA_OBJECT) {
    throw new WebhookPayloadError(`"object" is ${JSON.stringify(envelope.object) ?? 'missing'}, expected "${WABA_OBJECT}"`);
  }
  const entries = envelope.entry;
  if (!Array.isArray(entries)) throw new WebhookPayloadError('"entry" is not a list');
  const events: InboundEvent[] = [];
  entries.forEach((entry, e) => {
    const where = `entry[${e}]`;
    if (!isObject(entry)) throw new WebhookPayloadError(`${where} is not an object`);
    const wabaId = str(entry.id);
    if (!wabaId) throw new WebhookPayloadError(`${where}.id is missing`);
    if (!Array.isArray(entry.changes)) throw new WebhookPayloadError(`${where}.changes is not a list`);
    const entryTime = unixDate(entry.time);
    entry.changes.forEach((change, c) => {
      for (const event of changeEvents(change, wabaId, entryTime, `${where}.changes[${c}]`)) events.push(event);
    });
  });
  return events;
}
