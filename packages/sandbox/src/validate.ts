/**
 * Shape validation of `POST /{phone}/messages`, written from api-facts §2 and the v23 OpenAPI. It checks
 * the main limits (the ones clients get wrong), not every rule Meta has: each failure is Graph's code 100
 * with `error_data.details` naming the field, as Meta does.
 */
import { invalidParam, missingParam } from './errors';
import type { Json, JsonObject } from './types';

/** A validated send. */
export interface SendRequest {
  kind: 'send';
  to: string;
  /** `to` normalised to digits (or the raw value when it is a BSUID). */
  waId: string;
  /** True when `to` is a business-scoped user ID rather than a phone number. */
  bsuid: boolean;
  type: string;
  body: JsonObject;
}

/** A validated mark-as-read (optionally with a typing indicator). */
export interface ReadRequest {
  kind: 'read';
  messageId: string;
  typing: boolean;
}

/** Message types the sandbox knows (api-facts §2). */
export const MESSAGE_TYPES = [
  'text', 'image', 'video', 'audio', 'document', 'sticker', 'location', 'contacts', 'reaction', 'interactive', 'template',
] as const;

/** Media message types. */
export const MEDIA_TYPES = ['image', 'video', 'audio', 'document', 'sticker'];

const INTERACTIVE_TYPES = [
  'button', 'list', 'cta_url', 'flow', 'location_request_message', 'product', 'product_list', 'catalog_message',
  'carousel', 'address_message', 'call_permission_request',
];

function isObj(v: Json | undefined): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(v: Json | undefined): v is string {
  return typeof v === 'string';
}

/** Requires `o[key]` to be a non-empty string of at most `max` characters. */
function requireText(o: JsonObject, key: string, path: string, max: number): string {
  const v = o[key];
  if (!str(v) || v.length === 0) throw invalidParam(`Param ${path} is required and must be a non-empty string`);
  if (v.length > max) throw invalidParam(`Param ${path} must be at most ${max} characters long (got ${v.length})`);
  return v;
}

/** Checks an optional string's length. */
function optionalText(o: JsonObject, key: string, path: string, max: number): void {
  const v = o[key];
  if (v === undefined) return;
  if (!str(v)) throw invalidParam(`Param ${path} must be a string`);
  if (v.length > max) throw invalidParam(`Param ${path} must be at most ${max} characters long (got ${v.length})`);
}

function isHttpUrl(v: Json | undefined): boolean {
  if (!str(v)) return false;
  try {
    const u = new URL(v);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}

/**
 * Normalises `to` the way Meta accepts it: `+`, spaces, hyphens and parentheses are allowed and dropped.
 * A value with other non-digits is treated as a BSUID (opaque, contains a dot: `US.123…`, `user.<hex>`).
 */
export function normaliseRecipient(to: string): { waId: string; bsuid: boolean } | undefined {
  const digits = to.replace(/[+\s\-()]/g, '');
  if (/^\d{7,15}$/.test(digits)) return { waId: digits, bsuid: false };
  if (/^[A-Za-z0-9]+(\.[A-Za-z0-9]+)+$/.test(to) && to.length <= 256) return { waId: to, bsuid: true };
  return undefined;
}

function validateMedia(type: string, m: JsonObject): void {
  const hasId = m.id !== undefined;
  const hasLink = m.link !== undefined;
  if (hasId === hasLink) throw invalidParam(`Param ${type} must have exactly one of 'id' or 'link'`);
  if (hasId && (!str(m.id) || !m.id)) throw invalidParam(`Param ${type}['id'] must be a non-empty string`);
  if (hasLink && !isHttpUrl(m.link)) throw invalidParam(`Param ${type}['link'] must be an http(s) URL`);
  if (m.caption !== undefined) {
    if (type === 'audio' || type === 'sticker') throw invalidParam(`Param ${type}['caption'] is not allowed for ${type}`);
    optionalText(m, 'caption', `${type}['caption']`, 1024);
  }
  if (m.filename !== undefined && type !== 'document') throw invalidParam(`Param ${type}['filename'] is only allowed for document`);
}

function validateHeader(h: Json | undefined, textOnly: boolean): void {
  if (h === undefined) return;
  if (!isObj(h) || !str(h.type)) throw invalidParam("Param interactive['header']['type'] is required");
  if (h.type === 'text') {
    requireText(h, 'text', "interactive['header']['text']", 60);
    return;
  }
  if (textOnly) throw invalidParam("Param interactive['header']['type'] must be 'text' for this interactive type");
  if (!['image', 'video', 'document'].includes(h.type)) {
    throw invalidParam("Param interactive['header']['type'] must be one of {text, image, video, document}");
  }
  const media = h[h.type];
  if (!isObj(media)) throw invalidParam(`Param interactive['header']['${h.type}'] is required`);
  validateMedia(h.type, media);
}

function validateInteractive(i: JsonObject): void {
  const t = i.type;
  if (!str(t) || !INTERACTIVE_TYPES.includes(t)) {
    throw invalidParam(`Param interactive['type'] must be one of {${INTERACTIVE_TYPES.join(', ')}}`);
  }
  if (['product', 'product_list', 'catalog_message', 'carousel', 'address_message', 'call_permission_request'].includes(t)) {
    return; // catalog/carousel features need a connected catalog; the sandbox accepts them as-is
  }
  const body = i.body;
  if (!isObj(body)) throw invalidParam("Param interactive['body'] is required");
  requireText(body, 'text', "interactive['body']['text']", t === 'list' ? 4096 : 1024);
  if (i.footer !== undefined) {
    if (!isObj(i.footer)) throw invalidParam("Param interactive['footer'] must be an object");
    requireText(i.footer, 'text', "interactive['footer']['text']", 60);
  }
  validateHeader(i.header, t === 'list');
  const action = i.action;
  if (!isObj(action)) throw invalidParam("Param interactive['action'] is required");
  switch (t) {
    case 'button': {
      const buttons = action.buttons;
      if (!Array.isArray(buttons) || buttons.length < 1 || buttons.length > 3) {
        throw invalidParam("Param interactive['action']['buttons'] must have 1 to 3 buttons");
      }
      const titles = new Set<string>();
      const ids = new Set<string>();
      buttons.forEach((b, n) => {
        const path = `interactive['action']['buttons'][${n}]`;
        if (!isObj(b) || b.type !== 'reply' || !isObj(b.reply)) throw invalidParam(`Param ${path} must be {type:'reply', reply:{id, title}}`);
        const id = requireText(b.reply, 'id', `${path}['reply']['id']`, 256);
        const title = requireText(b.reply, 'title', `${path}['reply']['title']`, 20);
        if (titles.has(title)) throw invalidParam(`Param ${path}['reply']['title'] must be unique`);
        if (ids.has(id)) throw invalidParam(`Param ${path}['reply']['id'] must be unique`);
        titles.add(title);
        ids.add(id);
      });
      break;
    }
    case 'list': {
      requireText(action, 'button', "interactive['action']['button']", 20);
      const sections = action.sections;
      if (!Array.isArray(sections) || sections.length < 1 || sections.length > 10) {
        throw invalidParam("Param interactive['action']['sections'] must have 1 to 10 sections");
      }
      let rows = 0;
      const rowIds = new Set<string>();
      sections.forEach((s, n) => {
        const path = `interactive['action']['sections'][${n}]`;
        if (!isObj(s)) throw invalidParam(`Param ${path} must be an object`);
        if (sections.length > 1 || s.title !== undefined) requireText(s, 'title', `${path}['title']`, 24);
        if (!Array.isArray(s.rows) || s.rows.length === 0) throw invalidParam(`Param ${path}['rows'] must be a non-empty array`);
        s.rows.forEach((r, k) => {
          const rp = `${path}['rows'][${k}]`;
          if (!isObj(r)) throw invalidParam(`Param ${rp} must be an object`);
          const id = requireText(r, 'id', `${rp}['id']`, 200);
          if (rowIds.has(id)) throw invalidParam(`Param ${rp}['id'] must be unique`);
          rowIds.add(id);
          requireText(r, 'title', `${rp}['title']`, 24);
          optionalText(r, 'description', `${rp}['description']`, 72);
          rows++;
        });
      });
      if (rows > 10) throw invalidParam(`Param interactive['action']['sections'] must have at most 10 rows in total (got ${rows})`);
      break;
    }
    case 'cta_url': {
      if (action.name !== 'cta_url') throw invalidParam("Param interactive['action']['name'] must be 'cta_url'");
      const p = action.parameters;
      if (!isObj(p)) throw invalidParam("Param interactive['action']['parameters'] is required");
      requireText(p, 'display_text', "interactive['action']['parameters']['display_text']", 20);
      if (!isHttpUrl(p.url)) throw invalidParam("Param interactive['action']['parameters']['url'] must be an http(s) URL");
      break;
    }
    case 'flow': {
      if (action.name !== 'flow') throw invalidParam("Param interactive['action']['name'] must be 'flow'");
      const p = action.parameters;
      if (!isObj(p)) throw invalidParam("Param interactive['action']['parameters'] is required");
      if (p.flow_message_version !== '3') throw invalidParam("Param interactive['action']['parameters']['flow_message_version'] must be '3'");
      if (p.flow_id === undefined && p.flow_name === undefined) {
        throw invalidParam("Param interactive['action']['parameters'] needs 'flow_id' or 'flow_name'");
      }
      requireText(p, 'flow_cta', "interactive['action']['parameters']['flow_cta']", 30);
      break;
    }
    case 'location_request_message': {
      if (action.name !== 'send_location') throw invalidParam("Param interactive['action']['name'] must be 'send_location'");
      break;
    }
  }
}

function validateTypeObject(type: string, o: Json, hasContext: boolean): void {
  if (type === 'contacts') {
    if (!Array.isArray(o) || o.length === 0 || o.length > 257) throw invalidParam("Param contacts must be an array of 1 to 257 contacts");
    o.forEach((c, n) => {
      if (!isObj(c) || !isObj(c.name)) throw invalidParam(`Param contacts[${n}]['name'] is required`);
      requireText(c.name, 'formatted_name', `contacts[${n}]['name']['formatted_name']`, 10_000);
    });
    return;
  }
  if (!isObj(o)) throw invalidParam(`Param ${type} must be an object`);
  switch (type) {
    case 'text':
      requireText(o, 'body', "text['body']", 4096);
      if (o.preview_url !== undefined && typeof o.preview_url !== 'boolean') throw invalidParam("Param text['preview_url'] must be a boolean");
      break;
    case 'location':
      for (const k of ['latitude', 'longitude']) {
        const v = o[k];
        const n = typeof v === 'string' ? Number(v) : v;
        if (typeof n !== 'number' || !Number.isFinite(n)) throw invalidParam(`Param location['${k}'] is required and must be a number`);
      }
      break;
    case 'reaction':
      if (hasContext) throw invalidParam('Param context is not allowed with reaction messages');
      requireText(o, 'message_id', "reaction['message_id']", 512);
      if (!str(o.emoji)) throw invalidParam("Param reaction['emoji'] is required (use \"\" to remove a reaction)");
      break;
    case 'interactive':
      validateInteractive(o);
      break;
    case 'template':
      requireText(o, 'name', "template['name']", 512);
      if (!isObj(o.language) || !str(o.language.code) || !o.language.code) throw invalidParam("Param template['language']['code'] is required");
      if (o.components !== undefined && !Array.isArray(o.components)) throw invalidParam("Param template['components'] must be an array");
      break;
    default:
      if (MEDIA_TYPES.includes(type)) validateMedia(type, o);
  }
}

/** Validates a `POST /{phone}/messages` body; throws a {@link GraphError} (code 100) naming the field. */
export function validateMessagesBody(raw: Json | undefined): SendRequest | ReadRequest {
  const body: JsonObject = isObj(raw) ? raw : {};
  if (body.messaging_product === undefined) throw missingParam('messaging_product');
  if (body.messaging_product !== 'whatsapp') throw invalidParam("Param messaging_product must be 'whatsapp'");

  if (body.status !== undefined) {
    if (body.status !== 'read') throw invalidParam("Param status must be 'read'");
    if (!str(body.message_id) || !body.message_id) throw missingParam('message_id');
    const ti = body.typing_indicator;
    if (ti !== undefined && (!isObj(ti) || ti.type !== 'text')) throw invalidParam("Param typing_indicator['type'] must be 'text'");
    return { kind: 'read', messageId: body.message_id, typing: ti !== undefined };
  }

  // A business-scoped user ID may come in `recipient` instead of (or besides) `to`; with both,
  // `to` is used (Meta's BSUID guide; partner docs: "the `to` field gets the priority").
  if (body.recipient !== undefined) {
    if (!str(body.recipient) || !normaliseRecipient(body.recipient)?.bsuid) throw invalidParam(`Param recipient must be a business-scoped user ID: '${String(body.recipient)}'`);
  }
  if (body.to === undefined && body.recipient === undefined) throw missingParam('to');
  const target = body.to !== undefined ? body.to : body.recipient;
  if (!str(target)) throw invalidParam('Param to must be a string');
  const recipient = normaliseRecipient(target);
  if (!recipient) throw invalidParam(`Param to is not a valid phone number or user ID: '${target}'`);
  if (body.recipient_type !== undefined && body.recipient_type !== 'individual' && body.recipient_type !== 'group') {
    throw invalidParam("Param recipient_type must be one of {individual, group}");
  }
  const type = body.type === undefined ? 'text' : body.type; // Graph defaults the type to text
  if (!str(type) || !(MESSAGE_TYPES as readonly string[]).includes(type)) {
    throw invalidParam(`Param type must be one of {${MESSAGE_TYPES.join(', ')}}`);
  }
  if (body[type] === undefined) throw missingParam(type);
  const ctx = body.context;
  if (ctx !== undefined && (!isObj(ctx) || !str(ctx.message_id))) throw invalidParam("Param context['message_id'] is required");
  if (body.biz_opaque_callback_data !== undefined) {
    if (!str(body.biz_opaque_callback_data)) throw invalidParam('Param biz_opaque_callback_data must be a string');
    if (body.biz_opaque_callback_data.length > 512) throw invalidParam('Param biz_opaque_callback_data must be at most 512 characters long');
  }
  validateTypeObject(type, body[type] as Json, ctx !== undefined);
  return { kind: 'send', to: target, waId: recipient.waId, bsuid: recipient.bsuid, type, body };
}
