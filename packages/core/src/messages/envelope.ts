import { z } from 'zod/v4';
import { recipientProblem } from '../recipient';
import { LIMITS } from './limits';
import { strict, text } from './validate';

/** `context`: the message this one replies to (quoted in the chat). */
export const OutboundContextSchema = strict({
  /** The `wamid…` of the message being answered. */
  message_id: text(),
});
/** Inferred type of `OutboundContextSchema`. */
export type OutboundContext = z.infer<typeof OutboundContextSchema>;

/** `to`: a phone number with country code or a business-scoped user id (see `normalizeRecipient`). */
export const RecipientSchema = z.string().superRefine((value, ctx) => {
  const problem = recipientProblem(value);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

/**
 * Fields every outbound message has besides `type` and its payload. `messaging_product` and
 * `recipient_type` may be given (as Meta's own examples do) but `toGraphBody` sets them anyway.
 * @internal
 */
export const envelopeShape = {
  messaging_product: z.literal('whatsapp').optional(),
  // Group messages ("group") are a different product with other rules; not covered here.
  recipient_type: z.literal('individual').optional(),
  to: RecipientSchema,
  biz_opaque_callback_data: text(LIMITS.bizOpaqueCallbackData).optional(),
};

/**
 * The schema of a whole message of `type` whose payload (under the key `type`) is `payload`.
 * @internal
 */
export function messageSchema<T extends string, S extends z.ZodType>(type: T, payload: S) {
  const typed = { [type]: payload } as { [K in T]: S };
  return strict({
    ...envelopeShape,
    type: z.literal(type),
    context: OutboundContextSchema.optional(),
    ...typed,
  });
}

/** Options every message builder accepts. */
export interface OutboundMessageOptions {
  /** `wamid` of the message to reply to (sent as `context.message_id`; the chat quotes it). */
  replyTo?: string;
  /** Up to 512 characters Meta echoes back in this message's status webhooks (`biz_opaque_callback_data`). */
  bizOpaqueCallbackData?: string;
}

/**
 * `to`, `context` and `biz_opaque_callback_data` for a builder, leaving out what was not given.
 * @internal
 */
export function envelopeFields(to: string, options: OutboundMessageOptions = {}) {
  return {
    to,
    ...(options.replyTo !== undefined ? { context: { message_id: options.replyTo } } : {}),
    ...(options.bizOpaqueCallbackData !== undefined ? { biz_opaque_callback_data: options.bizOpaqueCallbackData } : {}),
  };
}
