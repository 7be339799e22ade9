import { Blob } from 'node:buffer';
import type { Readable } from 'node:stream';
import { ValidationError } from '../errors/error-classes';
import type { GraphApi } from '../http/graph-api';
import { FormData } from '../http/transport';
import { baseMimeType, checkMedia, formatBytes, type MediaKind } from './limits';

export interface UploadMediaInput {
  /** The file: bytes, or a stream read with a size cap (never buffered past the limit). */
  data: Buffer | Uint8Array | Readable | AsyncIterable<Uint8Array>;
  /** e.g. `image/jpeg`; decides the size limit. */
  mimeType: string;
  /** File name sent with the upload (documents show it). @default `file` */
  filename?: string;
}

export interface UploadMediaResult {
  /** Media ID to send with `{ id }`; Meta keeps uploads for 30 days. */
  id: string;
  kind: MediaKind;
  size: number;
}

/** Reads a stream into memory, failing as soon as it passes `maxBytes`. */
async function readCapped(source: AsyncIterable<Uint8Array>, maxBytes: number, kind: MediaKind, mimeType: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of source) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    size += bytes.length;
    if (size > maxBytes) {
      (source as Partial<Readable>).destroy?.();
      throw new ValidationError('data', `more than ${formatBytes(maxBytes)}, the limit for ${kind} (${mimeType})`);
    }
    chunks.push(bytes);
  }
  return Buffer.concat(chunks, size);
}

/**
 * Uploads a file to `POST /{phoneNumberId}/media` (multipart) and returns its media ID.
 * The MIME type and size are checked against Meta's limits first (image ≤ 5 MB, video and audio
 * ≤ 16 MB, documents ≤ 100 MB, stickers ≤ 500 KB).
 *
 * @throws ValidationError for a type WhatsApp does not accept, an empty file or one over the limit.
 * @example
 * const { id } = await uploadMedia(graph, phoneNumberId, { data: readFileSync('a.pdf'), mimeType: 'application/pdf', filename: 'a.pdf' });
 */
export async function uploadMedia(graph: GraphApi, phoneNumberId: string, input: UploadMediaInput): Promise<UploadMediaResult> {
  const { data, mimeType } = input;
  const isBytes = data instanceof Uint8Array;
  const { kind, maxBytes } = checkMedia(mimeType, isBytes ? data.byteLength : undefined);
  if (!isBytes && !(data && typeof (data as AsyncIterable<Uint8Array>)[Symbol.asyncIterator] === 'function')) {
    throw new ValidationError('data', 'must be a Buffer or a readable stream');
  }
  const bytes = isBytes ? data : await readCapped(data, maxBytes, kind, baseMimeType(mimeType));
  checkMedia(mimeType, bytes.byteLength); // a stream may turn out empty

  const form = new FormData();
  form.append('messaging_product', 'whatsapp');
  form.append('type', baseMimeType(mimeType));
  form.append('file', new Blob([bytes], { type: baseMimeType(mimeType) }), input.filename || 'file');
  const response = await graph.request<{ id?: string }>('POST', `${encodeURIComponent(phoneNumberId)}/media`, { form });
  if (!response.id) throw new ValidationError('', 'Meta accepted the upload but returned no media ID');
  return { id: String(response.id), kind, size: bytes.byteLength };
}
