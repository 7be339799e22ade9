import { ValidationError } from '../errors/error-classes';

/** The media families the Cloud API accepts. */
export type MediaKind = 'image' | 'video' | 'audio' | 'document' | 'sticker';

const MB = 1024 * 1024;

/** Per family: accepted MIME types and the largest file Meta takes (api-facts §2, §3). */
export const MEDIA_LIMITS: Readonly<Record<MediaKind, { mimeTypes: readonly string[]; maxBytes: number }>> = {
  image: { mimeTypes: ['image/jpeg', 'image/png'], maxBytes: 5 * MB },
  video: { mimeTypes: ['video/mp4', 'video/3gpp'], maxBytes: 16 * MB },
  audio: { mimeTypes: ['audio/aac', 'audio/amr', 'audio/mpeg', 'audio/mp4', 'audio/ogg'], maxBytes: 16 * MB },
  document: {
    mimeTypes: [
      'text/plain',
      'application/pdf',
      'application/msword',
      'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
      'application/vnd.ms-excel',
      'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
      'application/vnd.ms-powerpoint',
      'application/vnd.openxmlformats-officedocument.presentationml.presentation',
    ],
    maxBytes: 100 * MB,
  },
  // Static stickers are limited to 100 KB, animated ones to 500 KB; the bytes do not say which, so
  // the larger limit is checked here and Meta rejects an oversized static one (131053).
  sticker: { mimeTypes: ['image/webp'], maxBytes: 500 * 1024 },
};

/** `audio/ogg; codecs=opus` → `audio/ogg` (parameters do not change the family). */
export function baseMimeType(mimeType: string): string {
  return mimeType.split(';')[0]!.trim().toLowerCase();
}

/** The family of a MIME type, or undefined when the Cloud API does not accept it. */
export function mediaKindOf(mimeType: string): MediaKind | undefined {
  const base = baseMimeType(mimeType);
  return (Object.keys(MEDIA_LIMITS) as MediaKind[]).find((kind) => MEDIA_LIMITS[kind].mimeTypes.includes(base));
}

export function formatBytes(bytes: number): string {
  if (bytes >= MB) return `${+(bytes / MB).toFixed(2)} MB`;
  if (bytes >= 1024) return `${+(bytes / 1024).toFixed(1)} KB`;
  return `${bytes} bytes`;
}

/**
 * Checks a MIME type (and a size, when known) before anything is uploaded.
 * @throws ValidationError naming `mimeType` or `data` and the limit.
 */
export function checkMedia(mimeType: string, size?: number): { kind: MediaKind; maxBytes: number } {
  const kind = typeof mimeType === 'string' ? mediaKindOf(mimeType) : undefined;
  if (!kind) {
    const accepted = Object.values(MEDIA_LIMITS).flatMap((limit) => limit.mimeTypes).join(', ');
    throw new ValidationError('mimeType', `"${String(mimeType)}" is not a type WhatsApp accepts (accepted: ${accepted})`);
  }
  const { maxBytes } = MEDIA_LIMITS[kind];
  if (size !== undefined) {
    if (size === 0) throw new ValidationError('data', 'the file is empty');
    if (size > maxBytes) {
      throw new ValidationError('data', `${formatBytes(size)}, the limit for ${kind} (${baseMimeType(mimeType)}) is ${formatBytes(maxBytes)}`);
    }
  }
  return { kind, maxBytes };
}
