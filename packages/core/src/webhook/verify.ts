import { isAscii } from 'node:buffer';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { WebhookVerificationError } from '../errors/error-classes';

/** The query of Meta's verification GET (`hub.mode`, `hub.verify_token`, `hub.challenge`). */
export type SubscriptionQuery = Record<string, string | string[] | undefined>;

function single(value: string | string[] | undefined): string | undefined {
  // A repeated parameter is not something Meta sends: treat it as absent.
  return typeof value === 'string' ? value : undefined;
}

/** Constant-time string equality (lengths are compared through fixed-size digests). */
function safeEqual(a: string, b: string): boolean {
  const digestA = createHmac('sha256', 'compare').update(a).digest();
  const digestB = createHmac('sha256', 'compare').update(b).digest();
  return timingSafeEqual(digestA, digestB) && a.length === b.length;
}

/**
 * Answers Meta's webhook verification GET. Returns `hub.challenge` exactly as received (send it
 * back as a 200 text/plain body) when `hub.mode` is `subscribe` and `hub.verify_token` matches.
 *
 * @throws WebhookVerificationError (`status: 403`) for a wrong mode, a wrong or empty token, or a
 *   missing challenge.
 * @example
 * const body = verifySubscription(req.query, credentials.verifyToken); // res.status(200).send(body)
 */
export function verifySubscription(query: SubscriptionQuery, verifyToken: string): string {
  const mode = single(query['hub.mode']);
  const token = single(query['hub.verify_token']);
  const challenge = single(query['hub.challenge']);
  if (mode !== 'subscribe') throw new WebhookVerificationError(`hub.mode is ${mode === undefined ? 'missing' : `"${mode}"`}, expected "subscribe"`);
  // An empty configured token would accept an empty hub.verify_token: refuse instead.
  if (!verifyToken) throw new WebhookVerificationError('no verify token is configured');
  if (token === undefined || !safeEqual(token, verifyToken)) throw new WebhookVerificationError('hub.verify_token does not match');
  if (challenge === undefined || challenge === '') throw new WebhookVerificationError('hub.challenge is missing');
  return challenge;
}

const SIGNATURE_PATTERN = /^sha256=([0-9a-fA-F]{64})$/;

/**
 * Meta's documented signing form: non-ASCII characters as lowercase `\uXXXX` UTF-16 units.
 * (For tests and tools; {@link verifySignature} hashes the same form without building it.)
 */
export function escapeUnicode(text: string): string {
  return text.replace(/[^\x00-\x7f]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function hmac(appSecret: string, data: Buffer | string): Buffer {
  return createHmac('sha256', appSecret).update(data).digest();
}

/**
 * Checks `X-Hub-Signature-256` against the POST body. HMAC-SHA256 with the app secret over the
 * raw body exactly as received; if that does not match and the body has non-ASCII bytes, once more
 * over its unicode-escaped form. Never re-serialize parsed JSON to call this: the bytes differ.
 *
 * The second try can only matter for a body that is valid UTF-8 with non-ASCII characters (Meta
 * signs text; an ASCII body escapes to itself), and it is hashed in one streaming pass over the
 * bytes: an unauthenticated sender must not be able to buy CPU with wrong signatures (a regex
 * replace over 3 MB of non-ASCII text cost 25 times the plain check).
 *
 * Returns false (never throws) for a missing, malformed, truncated or `sha1=` header, or an empty
 * app secret.
 */
export function verifySignature(rawBody: Buffer | string, signatureHeader: string | undefined | null, appSecret: string): boolean {
  if (typeof signatureHeader !== 'string' || typeof appSecret !== 'string' || appSecret === '') return false;
  if (typeof rawBody !== 'string' && !Buffer.isBuffer(rawBody)) return false;
  const match = SIGNATURE_PATTERN.exec(signatureHeader.trim());
  if (!match) return false;
  const expected = Buffer.from(match[1]!, 'hex');
  const bytes = typeof rawBody === 'string' ? Buffer.from(rawBody, 'utf8') : rawBody;
  if (timingSafeEqual(hmac(appSecret, bytes), expected)) return true;
  if (isAscii(bytes)) return false;
  const escaped = escapedHmac(appSecret, bytes);
  return escaped !== undefined && timingSafeEqual(escaped, expected);
}

const HEX_BYTES = Buffer.from('0123456789abcdef');
const CHUNK = 64 * 1024;

/** Writes `\uXXXX` (lowercase hex) for one UTF-16 unit at `o`; returns the next offset. */
function writeUnit(out: Buffer, o: number, u: number): number {
  out[o] = 0x5c; // backslash
  out[o + 1] = 0x75; // u
  out[o + 2] = HEX_BYTES[(u >> 12) & 15]!;
  out[o + 3] = HEX_BYTES[(u >> 8) & 15]!;
  out[o + 4] = HEX_BYTES[(u >> 4) & 15]!;
  out[o + 5] = HEX_BYTES[u & 15]!;
  return o + 6;
}

/**
 * HMAC of the unicode-escaped form of UTF-8 `bytes`, decoded and escaped chunk by chunk into one
 * reused buffer (never the whole escaped text in memory). Undefined when `bytes` is not valid
 * UTF-8: such a body was not text Meta signed.
 */
function escapedHmac(appSecret: string, bytes: Buffer): Buffer | undefined {
  const mac = createHmac('sha256', appSecret);
  const out = Buffer.allocUnsafe(CHUNK);
  let o = 0;
  const n = bytes.length;
  let i = 0;
  while (i < n) {
    if (o > CHUNK - 64) {
      mac.update(out.subarray(0, o));
      o = 0;
    }
    let b = bytes[i]!;
    if (b < 0x80) {
      // A run of ASCII, copied in a tight loop that stops before the buffer is full.
      const stop = Math.min(n, i + (CHUNK - 64 - o));
      do {
        out[o++] = b;
        i += 1;
      } while (i < stop && (b = bytes[i]!) < 0x80);
      continue;
    }
    let cp: number;
    if (b >= 0xc2 && b <= 0xdf && i + 1 < n && (bytes[i + 1]! & 0xc0) === 0x80) {
      cp = ((b & 0x1f) << 6) | (bytes[i + 1]! & 0x3f);
      i += 2;
    } else if (b >= 0xe0 && b <= 0xef && i + 2 < n && (bytes[i + 1]! & 0xc0) === 0x80 && (bytes[i + 2]! & 0xc0) === 0x80) {
      cp = ((b & 0x0f) << 12) | ((bytes[i + 1]! & 0x3f) << 6) | (bytes[i + 2]! & 0x3f);
      if (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff)) return undefined;
      i += 3;
    } else if (b >= 0xf0 && b <= 0xf4 && i + 3 < n && (bytes[i + 1]! & 0xc0) === 0x80 && (bytes[i + 2]! & 0xc0) === 0x80 && (bytes[i + 3]! & 0xc0) === 0x80) {
      cp = ((b & 0x07) << 18) | ((bytes[i + 1]! & 0x3f) << 12) | ((bytes[i + 2]! & 0x3f) << 6) | (bytes[i + 3]! & 0x3f);
      if (cp < 0x10000 || cp > 0x10ffff) return undefined;
      i += 4;
    } else {
      return undefined;
    }
    if (cp < 0x10000) {
      o = writeUnit(out, o, cp);
    } else {
      const v = cp - 0x10000;
      o = writeUnit(out, writeUnit(out, o, 0xd800 + (v >> 10)), 0xdc00 + (v & 0x3ff));
    }
  }
  mac.update(out.subarray(0, o));
  return mac.digest();
}
