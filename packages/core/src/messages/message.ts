import { z } from 'zod/v4';
import { normalizeRecipient } from '../recipient';
import { OutboundContactsMessageSchema } from './contacts';
import { OutboundInteractiveMessageSchema } from './interactive';
import { OutboundLocationMessageSchema } from './location';
import {
  OutboundAudioMessageSchema,
  OutboundDocumentMessageSchema,
  OutboundImageMessageSchema,
  OutboundStickerMessageSchema,
  OutboundVideoMessageSchema,
} from './media';
import { OutboundReactionMessageSchema } from './reaction';
import { OutboundTemplateMessageSchema, type OutboundTemplateMessage } from './template';
import { OutboundTextMessageSchema } from './text';
import { byKey, parseOrThrow } from './validate';

/** The message `type`s this library sends (group messages are not covered; carousels go as templates). */
export const OUTBOUND_MESSAGE_TYPES = [
  'text',
  'image',
  'audio',
  'video',
  'document',
  'sticker',
  'location',
  'contacts',
  'reaction',
  'interactive',
  'template',
] as const;

/**
 * Any outbound message in Graph shape, without `messaging_product` (`toGraphBody` adds it):
 * `{ to, type, [type]: {...}, context?, biz_opaque_callback_data? }`.
 */
export const OutboundMessageSchema = byKey('type', OUTBOUND_MESSAGE_TYPES, [
  OutboundTextMessageSchema,
  OutboundImageMessageSchema,
  OutboundAudioMessageSchema,
  OutboundVideoMessageSchema,
  OutboundDocumentMessageSchema,
  OutboundStickerMessageSchema,
  OutboundLocationMessageSchema,
  OutboundContactsMessageSchema,
  OutboundReactionMessageSchema,
  OutboundInteractiveMessageSchema,
  OutboundTemplateMessageSchema,
]);
/** Inferred type of `OutboundMessageSchema`. */
export type OutboundMessage = z.infer<typeof OutboundMessageSchema>;

/**
 * Checks a message against every rule we know of the Cloud API before it is sent, and returns it
 * unchanged in content. Nothing is truncated or dropped: the first broken rule throws.
 * `messaging_product` and `recipient_type` may be present ("whatsapp" / "individual" only).
 * @throws ValidationError whose `field` is the path, e.g.
 *   `interactive.action.buttons[1].reply.title: 23 characters, the limit is 20`
 * @example validateOutboundMessage({ to: '+14155551234', type: 'text', text: { body: 'Hi' } })
 */
export function validateOutboundMessage(input: unknown): OutboundMessage {
  return parseOrThrow(OutboundMessageSchema, input);
}

/** True for template messages: the only kind Meta delivers outside the 24-hour window. */
export function isTemplateMessage(message: OutboundMessage): message is OutboundTemplateMessage {
  return message.type === 'template';
}

/**
 * The JSON body for `POST /{phone-number-id}/messages`: adds `messaging_product: "whatsapp"` and
 * `recipient_type: "individual"`, addresses the user and keeps everything else as given. A phone
 * number goes in `to` (`+` and digits, as `normalizeRecipient` writes it); a business-scoped user
 * ID goes in `recipient`, unchanged and without `to` — Meta's docs: "The `recipient` field lets you
 * identify the WhatsApp user by their BSUID instead of, or in addition to, their phone number in
 * `to`" (developers.facebook.com/documentation/business-messaging/whatsapp/business-scoped-user-ids).
 * @throws ValidationError when `to` is not a phone number or user id
 * @example toGraphBody(textMessage('+1 (415) 555-1234', 'Hi')) // { messaging_product: 'whatsapp', recipient_type: 'individual', to: '+14155551234', type: 'text', text: { body: 'Hi' } }
 * @example toGraphBody(textMessage('US.13491208655302741918', 'Hi')) // { …, recipient: 'US.13491208655302741918', type: 'text', … }
 */
export function toGraphBody(message: OutboundMessage): Record<string, unknown> {
  const { messaging_product: _product, recipient_type: _recipientType, to, ...rest } = message;
  const recipient = normalizeRecipient(to);
  const address = recipient.kind === 'bsuid' ? { recipient: recipient.to } : { to: recipient.to };
  return { messaging_product: 'whatsapp', recipient_type: 'individual', ...address, ...rest };
}
