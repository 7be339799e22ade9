import { envelopeFields, type OutboundMessageOptions } from './envelope';
import { OutboundInteractiveMessageSchema, type OutboundInteractiveHeader, type OutboundInteractiveMessage } from './interactive';
import { parseOrThrow } from './validate';

// Builders for interactive messages: adapters pass plain values, these assemble the Graph JSON and
// validate it, so every error names the Graph path (e.g. `interactive.action.buttons[1].reply.title`).

/** A header: a string is a text header; media headers are given in Graph shape. */
export type InteractiveHeaderInput = string | OutboundInteractiveHeader;

function headerField(header: InteractiveHeaderInput | undefined) {
  if (header === undefined) return {};
  return { header: typeof header === 'string' ? { type: 'text', text: header } : header };
}

function footerField(footer: string | undefined) {
  return footer === undefined ? {} : { footer: { text: footer } };
}

function interactive(to: string, payload: Record<string, unknown>, options: OutboundMessageOptions | undefined): OutboundInteractiveMessage {
  return parseOrThrow(OutboundInteractiveMessageSchema, { ...envelopeFields(to, options), type: 'interactive', interactive: payload });
}

/** Content of `buttonsMessage`. */
export interface ButtonsContent {
  /** Message text, 1–1024 characters. */
  body: string;
  /** 1–3 buttons; ids (≤ 256) and titles (≤ 20) unique. The tapped button's id comes back in the webhook. */
  buttons: Array<{ id: string; title: string }>;
  /** Text (≤ 60) or an image/video/document header. */
  header?: InteractiveHeaderInput;
  /** Footer text, ≤ 60. */
  footer?: string;
}

/**
 * Reply buttons (`interactive.type: "button"`), validated.
 * @throws ValidationError e.g. `interactive.action.buttons[1].reply.title: 23 characters, the limit is 20`
 * @example buttonsMessage('+14155551234', { body: 'Keep the booking?', buttons: [{ id: 'yes', title: 'Yes' }, { id: 'no', title: 'No' }] })
 */
export function buttonsMessage(to: string, content: ButtonsContent, options?: OutboundMessageOptions): OutboundInteractiveMessage {
  return interactive(
    to,
    {
      type: 'button',
      ...headerField(content.header),
      body: { text: content.body },
      ...footerField(content.footer),
      action: { buttons: (content.buttons ?? []).map((b) => ({ type: 'reply', reply: { id: b.id, title: b.title } })) },
    },
    options,
  );
}

/** Content of `listMessage`. */
export interface ListContent {
  /** Message text, 1–1024 characters. */
  body: string;
  /** Label of the button that opens the list, 1–20 characters. */
  button: string;
  /** 1–10 sections, 10 rows in all; a title (≤ 24) is required when there are several sections. */
  sections: Array<{ title?: string; rows: Array<{ id: string; title: string; description?: string }> }>;
  /** Text header, ≤ 60 (lists take no media header). */
  header?: string;
  /** Footer text, ≤ 60. */
  footer?: string;
}

/**
 * A list message (`interactive.type: "list"`), validated.
 * @throws ValidationError e.g. `interactive.action.sections: 11 rows in all sections, the limit is 10`
 * @example listMessage('+14155551234', { body: 'Pick a slot', button: 'Slots', sections: [{ rows: [{ id: 'am', title: 'Morning' }] }] })
 */
export function listMessage(to: string, content: ListContent, options?: OutboundMessageOptions): OutboundInteractiveMessage {
  return interactive(
    to,
    {
      type: 'list',
      ...headerField(content.header),
      body: { text: content.body },
      ...footerField(content.footer),
      action: { button: content.button, sections: content.sections },
    },
    options,
  );
}

/** Content of `ctaUrlMessage`. */
export interface CtaUrlContent {
  /** Message text, 1–1024 characters. */
  body: string;
  /** Button label, 1–20 characters. */
  displayText: string;
  /** https URL the button opens. */
  url: string;
  /** Text (≤ 60) or an image/video/document header. */
  header?: InteractiveHeaderInput;
  /** Footer text, ≤ 60. */
  footer?: string;
}

/**
 * A call-to-action URL button (`interactive.type: "cta_url"`), validated.
 * @example ctaUrlMessage('+14155551234', { body: 'Your invoice is ready', displayText: 'Open invoice', url: 'https://example.com/i/1' })
 */
export function ctaUrlMessage(to: string, content: CtaUrlContent, options?: OutboundMessageOptions): OutboundInteractiveMessage {
  return interactive(
    to,
    {
      type: 'cta_url',
      ...headerField(content.header),
      body: { text: content.body },
      ...footerField(content.footer),
      action: { name: 'cta_url', parameters: { display_text: content.displayText, url: content.url } },
    },
    options,
  );
}

/** Content of `flowMessage`. Give exactly one of `flowId` and `flowName`. */
export interface FlowContent {
  /** Message text, 1–1024 characters. */
  body: string;
  /** Label of the button that opens the flow, ≤ 30 characters. */
  cta: string;
  flowId?: string;
  flowName?: string;
  /** Identifies the session at your endpoint. @default Meta uses "unused" */
  flowToken?: string;
  /** @default 'published' (Meta's default; the field is left out) */
  mode?: 'draft' | 'published';
  /** @default 'navigate' (Meta's default; the field is left out) */
  flowAction?: 'navigate' | 'data_exchange';
  /** First screen id (navigate only). */
  screen?: string;
  /** Data for the first screen (navigate only; a non-empty object). */
  data?: Record<string, unknown>;
  /** Text header, ≤ 60. */
  header?: string;
  /** Footer text, ≤ 60. */
  footer?: string;
}

/**
 * A WhatsApp Flow message (`interactive.type: "flow"`, `flow_message_version` "3"), validated.
 * @example flowMessage('+14155551234', { body: 'Book a table', cta: 'Book', flowId: '1234567890', screen: 'WELCOME' })
 */
export function flowMessage(to: string, content: FlowContent, options?: OutboundMessageOptions): OutboundInteractiveMessage {
  const payload =
    content.screen !== undefined || content.data !== undefined
      ? { flow_action_payload: { ...(content.screen !== undefined ? { screen: content.screen } : {}), ...(content.data !== undefined ? { data: content.data } : {}) } }
      : {};
  return interactive(
    to,
    {
      type: 'flow',
      ...headerField(content.header),
      body: { text: content.body },
      ...footerField(content.footer),
      action: {
        name: 'flow',
        parameters: {
          flow_message_version: '3',
          ...(content.flowId !== undefined ? { flow_id: content.flowId } : {}),
          ...(content.flowName !== undefined ? { flow_name: content.flowName } : {}),
          flow_cta: content.cta,
          ...(content.flowToken !== undefined ? { flow_token: content.flowToken } : {}),
          ...(content.mode !== undefined ? { mode: content.mode } : {}),
          ...(content.flowAction !== undefined ? { flow_action: content.flowAction } : {}),
          ...payload,
        },
      },
    },
    options,
  );
}

/**
 * Asks the user to share their location (`interactive.type: "location_request_message"`), validated.
 * The answer arrives as a normal `location` message with `context` pointing at this one.
 * @example locationRequestMessage('+14155551234', 'Where should we deliver?')
 */
export function locationRequestMessage(to: string, body: string, options?: OutboundMessageOptions): OutboundInteractiveMessage {
  return interactive(to, { type: 'location_request_message', body: { text: body }, action: { name: 'send_location' } }, options);
}

/**
 * Asks the user's permission to call them (`interactive.type: "call_permission_request"`, WhatsApp
 * Business Calling), validated. The answer arrives on the webhook as a message with
 * `callPermissionReply` (`accept` or `reject`, permanent or until `expiresAt`).
 * @example callPermissionRequestMessage('+14155551234', 'May we call you about your order?')
 */
export function callPermissionRequestMessage(to: string, body: string, options?: OutboundMessageOptions): OutboundInteractiveMessage {
  return interactive(to, { type: 'call_permission_request', body: { text: body }, action: { name: 'call_permission_request' } }, options);
}

/** Content of `productMessage`. */
export interface ProductContent {
  catalogId: string;
  productRetailerId: string;
  /** Optional text, ≤ 1024. */
  body?: string;
  /** Optional footer, ≤ 60. */
  footer?: string;
}

/**
 * One product from a connected catalog (`interactive.type: "product"`), validated.
 * @example productMessage('+14155551234', { catalogId: '146265584024623', productRetailerId: 'SKU-1' })
 */
export function productMessage(to: string, content: ProductContent, options?: OutboundMessageOptions): OutboundInteractiveMessage {
  return interactive(
    to,
    {
      type: 'product',
      ...(content.body !== undefined ? { body: { text: content.body } } : {}),
      ...footerField(content.footer),
      action: { catalog_id: content.catalogId, product_retailer_id: content.productRetailerId },
    },
    options,
  );
}

/** Content of `productListMessage`. */
export interface ProductListContent {
  catalogId: string;
  /** Text header (required), ≤ 60. */
  header: string;
  /** Message text, 1–1024 characters. */
  body: string;
  /** Footer text, ≤ 60. */
  footer?: string;
  /** 1–10 sections, 30 products in all; a title (≤ 24) is required when there are several sections. */
  sections: Array<{ title?: string; productRetailerIds: string[] }>;
}

/**
 * Several products from a connected catalog (`interactive.type: "product_list"`), validated.
 * @example productListMessage('+14155551234', { catalogId: '1462', header: 'Deals', body: 'This week', sections: [{ title: 'Fruit', productRetailerIds: ['SKU-1', 'SKU-2'] }] })
 */
export function productListMessage(to: string, content: ProductListContent, options?: OutboundMessageOptions): OutboundInteractiveMessage {
  return interactive(
    to,
    {
      type: 'product_list',
      header: { type: 'text', text: content.header },
      body: { text: content.body },
      ...footerField(content.footer),
      action: {
        catalog_id: content.catalogId,
        sections: (content.sections ?? []).map((section) => ({
          ...(section.title !== undefined ? { title: section.title } : {}),
          product_items: (section.productRetailerIds ?? []).map((id) => ({ product_retailer_id: id })),
        })),
      },
    },
    options,
  );
}

/** Content of `catalogMessage`. */
export interface CatalogContent {
  /** Message text, 1–1024 characters. */
  body: string;
  /** Product whose image is the thumbnail. */
  thumbnailProductRetailerId: string;
  /** Footer text, ≤ 60. */
  footer?: string;
}

/**
 * A button that opens the business's catalog (`interactive.type: "catalog_message"`), validated.
 * @example catalogMessage('+14155551234', { body: 'Browse our catalog', thumbnailProductRetailerId: 'SKU-1' })
 */
export function catalogMessage(to: string, content: CatalogContent, options?: OutboundMessageOptions): OutboundInteractiveMessage {
  return interactive(
    to,
    {
      type: 'catalog_message',
      body: { text: content.body },
      ...footerField(content.footer),
      action: { name: 'catalog_message', parameters: { thumbnail_product_retailer_id: content.thumbnailProductRetailerId } },
    },
    options,
  );
}
