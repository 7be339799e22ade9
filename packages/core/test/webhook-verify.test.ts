import { createHmac } from 'node:crypto';
import { WebhookVerificationError } from '../src/errors/error-classes';
import { isWhatsAppError } from '../src/errors/whatsapp-error';
import { escapeUnicode, verifySignature, verifySubscription } from '../src/webhook/verify';

const SECRET = 'app-secret-123';
const sign = (body: Buffer | string, secret = SECRET) => `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

describe('verifySubscription', () => {
  const query = { 'hub.mode': 'subscribe', 'hub.verify_token': 'tok-1', 'hub.challenge': '1158201444' };

  it('returns hub.challenge exactly as a string', () => {
    expect(verifySubscription(query, 'tok-1')).toBe('1158201444');
    expect(verifySubscription({ ...query, 'hub.challenge': '  00x y' }, 'tok-1')).toBe('  00x y');
  });

  it.each([
    ['a wrong token', { ...query, 'hub.verify_token': 'tok-2' }],
    ['a token prefix', { ...query, 'hub.verify_token': 'tok-' }],
    ['a missing token', { 'hub.mode': 'subscribe', 'hub.challenge': '1' }],
    ['a wrong mode', { ...query, 'hub.mode': 'unsubscribe' }],
    ['no mode', { 'hub.verify_token': 'tok-1', 'hub.challenge': '1' }],
    ['a repeated token', { ...query, 'hub.verify_token': ['tok-1', 'tok-1'] }],
    ['no challenge', { 'hub.mode': 'subscribe', 'hub.verify_token': 'tok-1' }],
  ])('throws WebhookVerificationError (403) for %s', (_name, q) => {
    let thrown: unknown;
    try {
      verifySubscription(q, 'tok-1');
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(WebhookVerificationError);
    expect((thrown as WebhookVerificationError).status).toBe(403);
    expect(isWhatsAppError(thrown)).toBe(true);
  });

  it('refuses everything when no verify token is configured', () => {
    expect(() => verifySubscription({ ...query, 'hub.verify_token': '' }, '')).toThrow(WebhookVerificationError);
  });
});

describe('verifySignature', () => {
  const body = Buffer.from('{"object":"whatsapp_business_account","entry":[]}');

  it('accepts the HMAC-SHA256 of the raw bytes, as Buffer or string, any hex case', () => {
    expect(verifySignature(body, sign(body), SECRET)).toBe(true);
    expect(verifySignature(body.toString(), sign(body), SECRET)).toBe(true);
    expect(verifySignature(body, sign(body).toUpperCase().replace('SHA256=', 'sha256='), SECRET)).toBe(true);
  });

  it('signs raw unicode bytes (emoji, accents, @) exactly as received', () => {
    const text = '{"text":{"body":"Olá 👍 äöå @ 日本"}}';
    const raw = Buffer.from(text, 'utf8');
    expect(verifySignature(raw, sign(raw), SECRET)).toBe(true);
    expect(verifySignature(text, sign(raw), SECRET)).toBe(true);
    // Re-serialized JSON is different bytes and must not be needed: a mutated body fails.
    const reserialized = JSON.stringify(JSON.parse(text), null, 1);
    expect(verifySignature(reserialized, sign(raw), SECRET)).toBe(false);
  });

  it('falls back once to the unicode-escaped form Meta documents', () => {
    const text = '{"body":"äöå 👍"}';
    expect(escapeUnicode(text)).toBe('{"body":"\\u00e4\\u00f6\\u00e5 \\ud83d\\udc4d"}');
    expect(verifySignature(Buffer.from(text), sign(escapeUnicode(text)), SECRET)).toBe(true);
    // The streaming escape equals the documented one on every kind of character (1- to 4-byte
    // UTF-8, long runs across the internal 64 kB chunks).
    const mixed = 'a'.repeat(70_000) + 'é€😀'.repeat(20_000) + '"\\/\n' + 'ü'.repeat(30_000);
    expect(verifySignature(Buffer.from(mixed), sign(escapeUnicode(mixed)), SECRET)).toBe(true);
    expect(verifySignature(Buffer.from(mixed), sign(escapeUnicode(mixed) + ' '), SECRET)).toBe(false);
  });

  it('does not try the escaped form of bytes that are not UTF-8 text (Meta signs text)', () => {
    const invalid = Buffer.from([0x7b, 0xc3, 0x28, 0x7d]); // {, a broken 2-byte sequence, }
    expect(verifySignature(invalid, sign(escapeUnicode(invalid.toString('utf8'))), SECRET)).toBe(false);
    expect(verifySignature(invalid, sign(invalid), SECRET)).toBe(true);
  });

  it.each([
    ['missing', undefined],
    ['empty', ''],
    ['no prefix', createHmac('sha256', SECRET).update(body).digest('hex')],
    ['sha1', `sha1=${createHmac('sha1', SECRET).update(body).digest('hex')}`],
    ['truncated', sign(body).slice(0, -2)],
    ['too long', `${sign(body)}00`],
    ['not hex', `sha256=${'z'.repeat(64)}`],
    ['another secret', sign(body, 'other')],
    ['another body', sign('{}')],
  ])('returns false (never throws) for a %s header', (_name, header) => {
    expect(verifySignature(body, header as string | undefined, SECRET)).toBe(false);
  });

  it('returns false for an empty app secret or a non-body', () => {
    expect(verifySignature(body, sign(body, ''), '')).toBe(false);
    expect(verifySignature({} as unknown as Buffer, sign(body), SECRET)).toBe(false);
  });
});
