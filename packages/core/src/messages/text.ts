import { z } from 'zod/v4';
import { envelopeFields, messageSchema, type OutboundMessageOptions } from './envelope';
import { LIMITS } from './limits';
import { parseOrThrow, strict, text } from './validate';

/** `text` payload: the body (1–4096 characters) and whether to preview the first URL in it. */
export const OutboundTextSchema = strict({
  body: text(LIMITS.textBody),
  /** Render a preview of the first http(s) URL in `body`. */
  preview_url: z.boolean().optional(),
});
/** Inferred type of `OutboundTextSchema`. */
export type OutboundText = z.infer<typeof OutboundTextSchema>;

/** A whole `type: "text"` message. */
export const OutboundTextMessageSchema = messageSchema('text', OutboundTextSchema);
/** Inferred type of `OutboundTextMessageSchema`. */
export type OutboundTextMessage = z.infer<typeof OutboundTextMessageSchema>;

/** Options of `textMessage`. */
export interface TextMessageOptions extends OutboundMessageOptions {
  /** Show a link preview for the first URL in the body. @default false (Meta's default; the field is left out) */
  previewUrl?: boolean;
}

/**
 * A text message, validated.
 * @throws ValidationError when `body` is empty or longer than 4096 characters, or `to` is not a recipient
 * @example textMessage('+14155551234', 'Your order has shipped', { previewUrl: true })
 */
export function textMessage(to: string, body: string, options: TextMessageOptions = {}): OutboundTextMessage {
  return parseOrThrow(OutboundTextMessageSchema, {
    ...envelopeFields(to, options),
    type: 'text',
    text: { body, ...(options.previewUrl !== undefined ? { preview_url: options.previewUrl } : {}) },
  });
}
