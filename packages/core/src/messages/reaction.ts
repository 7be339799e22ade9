import { z } from 'zod/v4';
import { envelopeFields, envelopeShape } from './envelope';
import { parseOrThrow, strict, text } from './validate';

/** `reaction` payload: the message reacted to and the emoji (`""` removes an earlier reaction). */
export const OutboundReactionSchema = strict({
  message_id: text(),
  emoji: z.string(),
});
/** Inferred type of `OutboundReactionSchema`. */
export type OutboundReaction = z.infer<typeof OutboundReactionSchema>;

/** A whole `type: "reaction"` message. It has no `context`: a reaction names its target itself. */
export const OutboundReactionMessageSchema = strict(
  { ...envelopeShape, type: z.literal('reaction'), reaction: OutboundReactionSchema },
  { context: 'a reaction cannot be a reply; the message it reacts to goes in reaction.message_id' },
);
/** Inferred type of `OutboundReactionMessageSchema`. */
export type OutboundReactionMessage = z.infer<typeof OutboundReactionMessageSchema>;

/**
 * A reaction to `messageId`, validated. Pass `""` as `emoji` to remove your reaction.
 * Meta reports a reaction to a message older than 30 days (or deleted) only later, as a failed status.
 * @throws ValidationError when `messageId` is empty or `to` is not a recipient
 * @example reactionMessage('+14155551234', 'wamid.HBgL…', '👍')
 */
export function reactionMessage(to: string, messageId: string, emoji: string): OutboundReactionMessage {
  return parseOrThrow(OutboundReactionMessageSchema, {
    ...envelopeFields(to),
    type: 'reaction',
    reaction: { message_id: messageId, emoji },
  });
}
