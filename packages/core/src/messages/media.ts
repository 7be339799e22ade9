import { z } from 'zod/v4';
import { envelopeFields, messageSchema, type OutboundMessageOptions } from './envelope';
import { LIMITS } from './limits';
import { httpsUrl, parseOrThrow, strict, text } from './validate';

/** The media message types. */
export type OutboundMediaKind = 'image' | 'audio' | 'video' | 'document' | 'sticker';

/** Where media comes from: an uploaded media `id`, or an https `link` Meta downloads. */
export type MediaSource = { id: string } | { link: string };

/** Media `link`: https, and no link shorteners (Meta fetches the file itself). */
export const MediaLinkSchema = httpsUrl({ noShorteners: true });

/** Exactly one of `id` and `link`: Meta refuses both or neither. */
function exactlyOneSource(value: { id?: string; link?: string }, ctx: z.RefinementCtx) {
  if (value.id !== undefined && value.link !== undefined) {
    ctx.addIssue({ code: 'custom', path: ['link'], message: 'given together with id; give exactly one of id (uploaded media) and link' });
  } else if (value.id === undefined && value.link === undefined) {
    ctx.addIssue({ code: 'custom', message: 'needs an id (uploaded media) or a link (https URL)' });
  }
}

const noCaption = (kind: string) => `${kind} messages cannot have a caption (only image, video and document can)`;
const noFilename = (kind: string) => `only documents have a filename, not ${kind}`;

/**
 * Media object shape for `kind`: caption only for image, video and document, filename only for
 * document; other fields are refused with a message that says why.
 * @internal
 */
export function mediaObject(kind: OutboundMediaKind | 'header', options: { caption: boolean; filename: boolean }) {
  return strict(
    {
      id: text().optional(),
      link: MediaLinkSchema.optional(),
      ...(options.caption ? { caption: text(LIMITS.caption).optional() } : {}),
      ...(options.filename ? { filename: text().optional() } : {}),
    },
    {
      caption: kind === 'header' ? 'a header has no caption; put the text in the body' : noCaption(kind),
      filename: noFilename(kind),
    },
  ).superRefine(exactlyOneSource) as z.ZodType<OutboundMediaObject>;
}

/** A media payload as sent: `id` xor `link`, optional `caption` and (documents) `filename`. */
export interface OutboundMediaObject {
  id?: string;
  link?: string;
  caption?: string;
  filename?: string;
}

/** `image` payload: JPEG/PNG, caption ≤ 1024. */
export const OutboundImageSchema = mediaObject('image', { caption: true, filename: false });
/** `video` payload: MP4/3GPP, caption ≤ 1024. */
export const OutboundVideoSchema = mediaObject('video', { caption: true, filename: false });
/** `document` payload: caption ≤ 1024, `filename` sets the name shown. */
export const OutboundDocumentSchema = mediaObject('document', { caption: true, filename: true });
/** `audio` payload: no caption. */
export const OutboundAudioSchema = mediaObject('audio', { caption: false, filename: false });
/** `sticker` payload: WebP, no caption. */
export const OutboundStickerSchema = mediaObject('sticker', { caption: false, filename: false });

/** Whole media messages, one per kind. */
export const OutboundImageMessageSchema = messageSchema('image', OutboundImageSchema);
/** A whole `type: "video"` message. */
export const OutboundVideoMessageSchema = messageSchema('video', OutboundVideoSchema);
/** A whole `type: "document"` message. */
export const OutboundDocumentMessageSchema = messageSchema('document', OutboundDocumentSchema);
/** A whole `type: "audio"` message. */
export const OutboundAudioMessageSchema = messageSchema('audio', OutboundAudioSchema);
/** A whole `type: "sticker"` message. */
export const OutboundStickerMessageSchema = messageSchema('sticker', OutboundStickerSchema);

/** Inferred type of `OutboundImageMessageSchema`. */
export type OutboundImageMessage = z.infer<typeof OutboundImageMessageSchema>;
/** Inferred type of `OutboundVideoMessageSchema`. */
export type OutboundVideoMessage = z.infer<typeof OutboundVideoMessageSchema>;
/** Inferred type of `OutboundDocumentMessageSchema`. */
export type OutboundDocumentMessage = z.infer<typeof OutboundDocumentMessageSchema>;
/** Inferred type of `OutboundAudioMessageSchema`. */
export type OutboundAudioMessage = z.infer<typeof OutboundAudioMessageSchema>;
/** Inferred type of `OutboundStickerMessageSchema`. */
export type OutboundStickerMessage = z.infer<typeof OutboundStickerMessageSchema>;
/** Any media message. */
export type OutboundMediaMessage =
  | OutboundImageMessage
  | OutboundVideoMessage
  | OutboundDocumentMessage
  | OutboundAudioMessage
  | OutboundStickerMessage;

/** @internal Schema per media kind. */
export const MEDIA_MESSAGE_SCHEMAS = {
  image: OutboundImageMessageSchema,
  video: OutboundVideoMessageSchema,
  document: OutboundDocumentMessageSchema,
  audio: OutboundAudioMessageSchema,
  sticker: OutboundStickerMessageSchema,
} as const;

/** Options of `mediaMessage`. */
export interface MediaMessageOptions extends OutboundMessageOptions {
  /** Caption (image, video, document only; ≤ 1024 characters). */
  caption?: string;
  /** File name shown to the user (document only). */
  filename?: string;
}

/**
 * A media message, validated. A caption on audio/sticker or a filename on anything but a document is
 * an error (never dropped).
 * @throws ValidationError naming the field, e.g. `audio.caption: audio messages cannot have a caption …`
 * @example mediaMessage('+14155551234', 'image', { link: 'https://example.com/a.jpg' }, { caption: 'Receipt' })
 */
export function mediaMessage(
  to: string,
  kind: OutboundMediaKind,
  source: MediaSource,
  options: MediaMessageOptions = {},
): OutboundMediaMessage {
  const schema = (MEDIA_MESSAGE_SCHEMAS as Record<string, z.ZodType<OutboundMediaMessage>>)[kind];
  if (!schema) return parseOrThrow(z.enum(Object.keys(MEDIA_MESSAGE_SCHEMAS) as [OutboundMediaKind]), kind, ['type']) as never;
  return parseOrThrow(schema, {
    ...envelopeFields(to, options),
    type: kind,
    [kind]: {
      ...source,
      ...(options.caption !== undefined ? { caption: options.caption } : {}),
      ...(options.filename !== undefined ? { filename: options.filename } : {}),
    },
  });
}
