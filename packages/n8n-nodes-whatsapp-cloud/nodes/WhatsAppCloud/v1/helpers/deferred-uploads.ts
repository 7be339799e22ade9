import { createHash } from 'node:crypto';
import { checkMedia, uploadMedia, type WhatsAppClient } from '@wa-cloud/core';

/**
 * Binary files a message will be sent with, uploaded only once the "already sent?" check has passed.
 * Building a message must have no side effect: an upload returns a new media ID each time, so a
 * message built with one could never match the message an earlier try of the node already sent
 * (n8n's Retry On Fail would send it twice). While building, a file stands in the message as a
 * placeholder ID made from its bytes, type and name; `resolve` uploads and swaps in the real IDs.
 */
export interface UploadFile {
  data: Buffer;
  mimeType: string;
  filename?: string;
}

const PREFIX = 'wa-cloud-pending-upload:';

export class DeferredUploads {
  private readonly files = new Map<string, UploadFile>();

  /** A stand-in media ID for `file`, the same for the same bytes; the type and size are checked now (before anything is sent). */
  placeholder(file: UploadFile): string {
    checkMedia(file.mimeType, file.data.byteLength);
    const hash = createHash('sha256').update(file.mimeType).update('\0').update(file.filename ?? '').update('\0').update(file.data).digest('base64url');
    const id = `${PREFIX}${hash}`;
    this.files.set(id, file);
    return id;
  }

  /** `message` with every placeholder replaced by the media ID of its upload (each file uploaded once). */
  async resolve<T>(message: T, client: WhatsAppClient): Promise<T> {
    if (this.files.size === 0) return message;
    const ids = new Map<string, string>();
    for (const [placeholder, file] of this.files) {
      if (!JSON.stringify(message).includes(placeholder)) continue;
      const uploaded = await uploadMedia(client.graph, client.phoneNumberId, {
        data: file.data,
        mimeType: file.mimeType,
        ...(file.filename ? { filename: file.filename } : {}),
      });
      ids.set(placeholder, uploaded.id);
    }
    return replaceStrings(message, ids);
  }
}

function replaceStrings<T>(value: T, ids: ReadonlyMap<string, string>): T {
  if (typeof value === 'string') return (ids.get(value) ?? value) as T;
  if (Array.isArray(value)) return value.map((v) => replaceStrings(v, ids)) as T;
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, replaceStrings(v, ids)])) as T;
  }
  return value;
}
