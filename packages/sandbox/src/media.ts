/**
 * Media objects: multipart upload with Meta's MIME/size rules (api-facts §2/§3, 131053 otherwise),
 * media-ID lookup returning a short-lived download URL on the sandbox itself, authenticated download,
 * and delete. Inbound media (user → business) is stored here too so flows can download it.
 */
import { createHash, createHmac } from 'node:crypto';
import { GraphError, invalidParam, missingParam } from './errors';
import type { JsonObject } from './types';

const MB = 1024 * 1024;

/** Supported MIME types and size limits per media type (api-facts §2). */
export const MEDIA_RULES: Record<string, { mimes: string[]; maxBytes: number }> = {
  image: { mimes: ['image/jpeg', 'image/png'], maxBytes: 5 * MB },
  video: { mimes: ['video/mp4', 'video/3gpp'], maxBytes: 16 * MB },
  audio: { mimes: ['audio/aac', 'audio/amr', 'audio/mpeg', 'audio/mp4', 'audio/ogg'], maxBytes: 16 * MB },
  document: {
    mimes: [
      'text/plain', 'application/pdf', 'application/msword', 'application/vnd.ms-excel', 'application/vnd.ms-powerpoint',
      'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
      'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
      'application/vnd.openxmlformats-officedocument.presentationml.presentation',
    ],
    maxBytes: 100 * MB,
  },
  // Meta: static stickers ≤100 KB, animated ≤500 KB; the sandbox cannot tell them apart, so it uses the larger.
  sticker: { mimes: ['image/webp'], maxBytes: 500 * 1024 },
};

/** The media type (image, video…) a MIME type belongs to, or undefined when Meta does not support it. */
export function mediaTypeOf(mime: string): string | undefined {
  const m = mime.split(';')[0].trim().toLowerCase();
  return Object.keys(MEDIA_RULES).find((k) => MEDIA_RULES[k].mimes.includes(m));
}

/** A stored media object. */
export interface MediaObject {
  id: string;
  mimeType: string;
  data: Buffer;
  sha256Hex: string;
  filename?: string;
  createdAt: number;
}

/** The media store plus the signed, expiring download URLs. */
export class MediaStore {
  private readonly items = new Map<string, MediaObject>();

  constructor(
    private readonly newId: () => string,
    private readonly now: () => number,
    private readonly urlKey: string,
    private readonly urlTtlMs: number,
  ) {}

  /** Stores bytes and returns the new media object. */
  put(data: Buffer, mimeType: string, filename?: string): MediaObject {
    const obj: MediaObject = {
      id: this.newId(),
      mimeType: mimeType.split(';')[0].trim().toLowerCase(),
      data,
      sha256Hex: createHash('sha256').update(data).digest('hex'),
      filename,
      createdAt: this.now(),
    };
    this.items.set(obj.id, obj);
    return obj;
  }

  /** A media object by ID. */
  get(id: string): MediaObject | undefined {
    return this.items.get(id);
  }

  /** Deletes; returns whether it existed. */
  delete(id: string): boolean {
    return this.items.delete(id);
  }

  /** Parses and checks a multipart upload (`messaging_product`, `file`, `type`) and stores it. */
  async upload(body: Buffer, contentType: string | undefined): Promise<{ media: MediaObject; summary: JsonObject }> {
    if (!contentType || !/^multipart\/form-data/i.test(contentType)) {
      throw invalidParam('Media upload must be multipart/form-data with fields messaging_product, file and type');
    }
    let form: FormData;
    try {
      // The global Response parses multipart bodies: no dependency needed.
      form = await new Response(body, { headers: { 'content-type': contentType } }).formData();
    } catch {
      throw invalidParam('Could not parse the multipart body');
    }
    const product = form.get('messaging_product');
    const file = form.get('file');
    const typeField = form.get('type');
    const summary: JsonObject = {
      messaging_product: typeof product === 'string' ? product : null,
      type: typeof typeField === 'string' ? typeField : null,
      file: file && typeof file !== 'string' ? { name: (file as File).name ?? null, type: file.type, size: file.size } : null,
    };
    if (product === null) throw missingParam('messaging_product');
    if (product !== 'whatsapp') throw invalidParam("Param messaging_product must be 'whatsapp'");
    if (!file || typeof file === 'string') throw missingParam('file');
    // Meta reads the MIME type from the `type` field and the file part; a mismatch or an unsupported type is 131053.
    const mime = (typeof typeField === 'string' && typeField ? typeField : file.type).split(';')[0].trim().toLowerCase();
    const fileMime = (file.type || mime).split(';')[0].trim().toLowerCase();
    const kind = mediaTypeOf(mime);
    if (!kind) throw new GraphError(131053, `Param file must be a file with one of the following types: ${Object.values(MEDIA_RULES).flatMap((r) => r.mimes).join(', ')}. Received file of type '${mime}'.`);
    if (fileMime !== mime && fileMime !== 'application/octet-stream') {
      throw new GraphError(131053, `The MIME type of the file part ('${fileMime}') does not match the type field ('${mime}')`);
    }
    if (file.size === 0) throw new GraphError(131053, 'The uploaded file is empty');
    const max = MEDIA_RULES[kind].maxBytes;
    if (file.size > max) throw new GraphError(131053, `${kind} files must be at most ${max} bytes (got ${file.size})`);
    const data = Buffer.from(await file.arrayBuffer());
    const media = this.put(data, mime, (file as File).name || undefined);
    return { media, summary };
  }

  /** A download path valid for `urlTtlMs`, signed so it cannot be forged or extended. */
  downloadPath(id: string): string {
    const exp = this.now() + this.urlTtlMs;
    return `/_media/${encodeURIComponent(id)}?ext=${exp}&hash=${this.sign(id, exp)}`;
  }

  private sign(id: string, exp: number): string {
    return createHmac('sha256', this.urlKey).update(`${id}:${exp}`).digest('hex').slice(0, 32);
  }

  /** Checks a download URL's signature and expiry; returns the object or a reason. */
  checkDownload(id: string, ext: string | undefined, hash: string | undefined): MediaObject | 'expired' | 'invalid' {
    const exp = Number(ext);
    if (!Number.isFinite(exp) || !hash || hash !== this.sign(id, exp)) return 'invalid';
    if (exp <= this.now()) return 'expired';
    return this.items.get(id) ?? 'invalid';
  }
}
