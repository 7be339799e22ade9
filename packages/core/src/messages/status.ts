import { z } from 'zod/v4';
import { parseOrThrow, strict, text } from './validate';

/**
 * The body that marks an inbound message as read, optionally with a typing indicator. It goes to the
 * same `/messages` endpoint but is not a message: it has no `to` and no `type`.
 */
export const OutboundMarkAsReadSchema = strict({
  messaging_product: z.literal('whatsapp'),
  status: z.literal('read'),
  /** The inbound `wamid`; all earlier messages in the chat are marked read too. */
  message_id: text(),
  /** Shows "typing…" until you reply or for 25 seconds. */
  typing_indicator: strict({ type: z.literal('text') }).optional(),
});
/** Inferred type of `OutboundMarkAsReadSchema`. */
export type OutboundMarkAsRead = z.infer<typeof OutboundMarkAsReadSchema>;

/**
 * The Graph body that marks `messageId` read; with `typing: true` the user also sees "typing…"
 * (only ask for it when you are about to answer).
 * @throws ValidationError `message_id: is empty` when no id is given
 * @example markAsReadBody('wamid.HBgL…', { typing: true })
 */
export function markAsReadBody(messageId: string, options: { typing?: boolean } = {}): OutboundMarkAsRead {
  return parseOrThrow(OutboundMarkAsReadSchema, {
    messaging_product: 'whatsapp',
    status: 'read',
    message_id: messageId,
    ...(options.typing ? { typing_indicator: { type: 'text' } } : {}),
  });
}
