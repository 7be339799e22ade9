import { createHash } from 'node:crypto';
import { GraphApiError } from '../errors/error-classes';
import { WhatsAppError } from '../errors/whatsapp-error';
import type { GraphApi } from '../http/graph-api';

/** What `GET /{mediaId}` returns. */
export interface MediaInfo {
  id: string;
  /** Download URL: needs the access token, valid for 5 minutes. */
  url: string;
  mimeType: string;
  sha256?: string;
  fileSize?: number;
}

export interface MediaOptions {
  /** Meta checks the media belongs to this number when given. */
  phoneNumberId?: string;
}

/**
 * Looks a media ID up: its short-lived download URL, MIME type, hash and size.
 * @example
 * const { url } = await getMedia(graph, event.media.id);
 */
export async function getMedia(graph: GraphApi, mediaId: string, options: MediaOptions = {}): Promise<MediaInfo> {
  const body = await graph.request<Record<string, unknown>>('GET', encodeURIComponent(mediaId), {
    query: { phone_number_id: options.phoneNumberId },
  });
  const size = Number(body.file_size);
  return {
    id: String(body.id ?? mediaId),
    url: String(body.url ?? ''),
    mimeType: String(body.mime_type ?? ''),
    ...(typeof body.sha256 === 'string' ? { sha256: body.sha256 } : {}),
    ...(Number.isFinite(size) && body.file_size !== undefined ? { fileSize: size } : {}),
  };
}

/**
 * Deletes uploaded media. Resolves true when Meta confirms.
 * @example
 * await deleteMedia(graph, mediaId);
 */
export async function deleteMedia(graph: GraphApi, mediaId: string, options: MediaOptions = {}): Promise<boolean> {
  const body = await graph.request<{ success?: boolean }>('DELETE', encodeURIComponent(mediaId), {
    query: { phone_number_id: options.phoneNumberId },
  });
  return body.success === true;
}

export interface DownloadMediaOptions extends MediaOptions {
  /**
   * A download URL already known (an inbound message's `media.url`). Tried first when it points at
   * Meta's media hosts; an expired one falls back to a fresh URL. The token is never sent elsewhere.
   */
  url?: string;
  /** The hash an inbound message gave (`media.sha256`), checked when the bytes come from `url`. */
  sha256?: string;
}

export interface DownloadedMedia {
  data: Buffer;
  mimeType: string;
  sha256?: string;
  fileSize: number;
  /** From the response's Content-Disposition, when Meta sends one. */
  filename?: string;
}

/** Hosts Meta serves media from; our bearer token is only ever sent there (or to the Graph base URL). */
const MEDIA_HOST_SUFFIXES = ['.fbsbx.com', '.facebook.com', '.fbcdn.net', '.whatsapp.net'];

function trustedUrl(graph: GraphApi, url: string): boolean {
  try {
    const parsed = new URL(url);
    if (parsed.origin === new URL(graph.baseUrl).origin) return true;
    return parsed.protocol === 'https:' && MEDIA_HOST_SUFFIXES.some((suffix) => parsed.hostname.endsWith(suffix));
  } catch {
    return false;
  }
}

/** An expired or revoked URL answers one of these; a fresh URL fixes it. */
function isStaleUrl(error: unknown): boolean {
  return error instanceof GraphApiError && [401, 403, 404, 410].includes(error.status);
}

function filenameOf(disposition: string | undefined): string | undefined {
  if (!disposition) return undefined;
  const star = /filename\*\s*=\s*[^']*'[^']*'([^;]+)/i.exec(disposition);
  if (star) {
    try {
      return decodeURIComponent(star[1]!.trim());
    } catch {
      // fall through to the plain form
    }
  }
  return /filename\s*=\s*"?([^";]+)"?/i.exec(disposition)?.[1]?.trim();
}

/** Meta gives sha256 as hex on `GET /{mediaId}` and as base64 in webhooks; accept either. */
function matchesSha256(data: Buffer, expected: string): boolean {
  const digest = createHash('sha256').update(data).digest();
  const value = expected.trim();
  return /^[0-9a-f]{64}$/i.test(value) ? digest.toString('hex') === value.toLowerCase() : digest.toString('base64') === value;
}

/**
 * Downloads media bytes with the access token (and our User-Agent: Meta's CDN refuses some
 * downloads without one). Download URLs live 5 minutes: a known `url` is tried first, and a fresh
 * one is fetched when it has expired. The bytes are checked against Meta's sha256.
 *
 * @throws GraphApiError from Meta (an expired media ID: 7 days for inbound, 30 days for uploads),
 *   WhatsAppError `media_checksum_mismatch` when the bytes do not match Meta's hash.
 * @example
 * const file = await downloadMedia(graph, event.media.id, { url: event.media.url });
 */
export async function downloadMedia(graph: GraphApi, mediaId: string, options: DownloadMediaOptions = {}): Promise<DownloadedMedia> {
  let info: MediaInfo | undefined;
  let response;
  if (options.url && trustedUrl(graph, options.url)) {
    try {
      response = await graph.raw('GET', options.url);
    } catch (error) {
      if (!isStaleUrl(error)) throw error;
    }
  }
  if (!response) {
    info = await getMedia(graph, mediaId, options);
    if (!trustedUrl(graph, info.url)) {
      throw new WhatsAppError(`Meta returned a media URL on an unexpected host for media ${mediaId}`, {
        code: 'media_url_untrusted',
        category: 'media',
        hint: 'The access token is only sent to Meta\'s media hosts; check the base URL setting.',
      });
    }
    response = await graph.raw('GET', info.url);
  }
  const data = response.body;
  // Meta's hash for these bytes: from GET /{media-id} when it was asked, else the webhook's.
  const sha256 = info?.sha256 ?? options.sha256;
  if (sha256 && !matchesSha256(data, sha256)) {
    throw new WhatsAppError(`Media ${mediaId} does not match the sha256 Meta gave for it (${data.length} bytes received)`, {
      code: 'media_checksum_mismatch',
      category: 'media',
      retryable: true,
      hint: 'The download was corrupted or cut short: download it again.',
    });
  }
  const filename = filenameOf(response.headers['content-disposition']);
  const mimeType = info?.mimeType || (response.headers['content-type'] ?? '').split(';')[0]!.trim() || 'application/octet-stream';
  return { data, mimeType, ...(sha256 ? { sha256 } : {}), fileSize: data.length, ...(filename ? { filename } : {}) };
}
