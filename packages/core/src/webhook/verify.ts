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
 * Used only as a second try when the raw bytes do not match (api-facts §1.2).
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
  if (!hasNonAscii(bytes)) return false;
  return timingSafeEqual(hmac(appSecret, escapeUnicode(bytes.toString('utf8'))), expected);
}

function hasNonAscii(bytes: Buffer): boolean {
  for (const byte of bytes) if (byte > 0x7f) return true;
  return false;
}
