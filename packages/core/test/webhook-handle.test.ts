import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { WebhookPayloadError, WebhookSignatureError, WebhookVerificationError } from '../src/errors/error-classes';
import { EventDeduplicator } from '../src/webhook/dedupe';
import { MAX_WEBHOOK_BYTES, WebhookTooLargeError } from '../src/webhook/errors';
import { handleWebhookGet, handleWebhookPost } from '../src/webhook/handle';
import { WindowTracker } from '../src/window/window-tracker';
import { freshTimestamps } from './support/fresh-timestamps';

const SECRET = 'shh';
const sign = (body: Buffer | string) => `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`;
// Captured fixtures with their timestamps set to now: these tests are about handling, not age.
const raw = (file: string) => freshTimestamps(readFileSync(join(__dirname, 'fixtures', 'webhooks', file)));
const HOUR = 60 * 60 * 1000;
const PHONE = '106540352242922';

function messagesBody(messages: unknown[], statuses: unknown[] = [], contacts: unknown[] = []): Buffer {
  return Buffer.from(
    JSON.stringify({
      object: 'whatsapp_business_account',
      entry: [{ id: 'W', changes: [{ field: 'messages', value: { metadata: { phone_number_id: PHONE }, contacts, messages, statuses } }] }],
    }),
  );
}
const at = (ms: number) => String(Math.floor(ms / 1000));

async function rejects(promise: Promise<unknown>): Promise<any> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

describe('handleWebhookPost', () => {
  it('verifies, parses, dedupes: a redelivery is counted as duplicates', async () => {
    const body = raw('DERIVED-batched-three-statuses-one-change.json');
    const deduplicator = new EventDeduplicator();
    const first = await handleWebhookPost({ rawBody: body, headers: { 'X-Hub-Signature-256': sign(body) }, appSecret: SECRET, deduplicator });
    expect(first.events).toHaveLength(3);
    expect(first.duplicates).toBe(0);
    const again = await handleWebhookPost({ rawBody: body.toString(), headers: { 'x-hub-signature-256': sign(body) }, appSecret: SECRET, deduplicator });
    expect(again).toMatchObject({ events: [], duplicates: 3 });
  });

  it('without a deduplicator returns every event', async () => {
    const body = raw('msg-text.json');
    for (let i = 0; i < 2; i++) {
      const result = await handleWebhookPost({ rawBody: body, headers: { 'x-hub-signature-256': sign(body) }, appSecret: SECRET });
      expect(result.events).toHaveLength(1);
    }
  });

  it.each([
    ['missing', {}],
    ['wrong', { 'x-hub-signature-256': sign('other') }],
    ['repeated', { 'x-hub-signature-256': [sign(raw('msg-text.json')), sign(raw('msg-text.json'))] }],
    ['sha1 only', { 'x-hub-signature': `sha1=${createHmac('sha1', SECRET).update(raw('msg-text.json')).digest('hex')}` }],
  ])('rejects a %s signature with WebhookSignatureError (401) before parsing', async (_name, headers) => {
    const error = await rejects(handleWebhookPost({ rawBody: raw('msg-text.json'), headers, appSecret: SECRET }));
    expect(error).toBeInstanceOf(WebhookSignatureError);
    expect(error.status).toBe(401);
  });

  it('signature checked before the body is parsed (garbage with a bad signature is 401, not 400)', async () => {
    const error = await rejects(handleWebhookPost({ rawBody: 'not json', headers: {}, appSecret: SECRET }));
    expect(error).toBeInstanceOf(WebhookSignatureError);
  });

  it('a signed malformed body is WebhookPayloadError (400)', async () => {
    const body = '{"object":"whatsapp_business_account","entry":{}}';
    const error = await rejects(handleWebhookPost({ rawBody: body, headers: { 'x-hub-signature-256': sign(body) }, appSecret: SECRET }));
    expect(error).toBeInstanceOf(WebhookPayloadError);
    expect(error.status).toBe(400);
  });

  it('a body over 3 MB is WebhookTooLargeError (413), even when signed', async () => {
    const body = Buffer.alloc(MAX_WEBHOOK_BYTES + 1, 0x20);
    const error = await rejects(handleWebhookPost({ rawBody: body, headers: { 'x-hub-signature-256': sign(body) }, appSecret: SECRET }));
    expect(error).toBeInstanceOf(WebhookTooLargeError);
    expect(error.status).toBe(413);
  });

  it('a parsed object instead of the raw body is refused, not silently re-serialized', async () => {
    const error = await rejects(handleWebhookPost({ rawBody: { object: 'whatsapp_business_account' } as unknown as Buffer, headers: {}, appSecret: SECRET }));
    expect(error).toBeInstanceOf(WebhookPayloadError);
    expect(error.message).toMatch(/raw body is missing/);
  });

  it('verify: false skips the signature', async () => {
    const result = await handleWebhookPost({ rawBody: raw('msg-text.json'), headers: {}, appSecret: '', verify: false });
    expect(result.events).toHaveLength(1);
  });

  it('signed unicode bodies pass as bytes and as a string', async () => {
    const body = raw('msg-reaction.json'); // contains 👍
    expect((await handleWebhookPost({ rawBody: body, headers: { 'X-HUB-SIGNATURE-256': sign(body) }, appSecret: SECRET })).events).toHaveLength(1);
    expect((await handleWebhookPost({ rawBody: body.toString('utf8'), headers: { 'x-hub-signature-256': sign(body) }, appSecret: SECRET })).events).toHaveLength(1);
  });
});

describe('handleWebhookPost: window tracking', () => {
  const now = Date.now();
  const post = (body: Buffer, windowTracker: WindowTracker, deduplicator?: EventDeduplicator) =>
    handleWebhookPost({ rawBody: body, headers: { 'x-hub-signature-256': sign(body) }, appSecret: SECRET, windowTracker, deduplicator });

  it('opens the window under both the phone number and the BSUID', async () => {
    const tracker = new WindowTracker();
    await post(messagesBody([{ from: '16505551234', from_user_id: 'US.123', id: 'a', timestamp: at(now - HOUR), type: 'text', text: { body: 'x' } }]), tracker);
    const byPhone = await tracker.status(PHONE, '+1 650 555 1234');
    expect(byPhone.open).toBe(true);
    expect(byPhone.expiresAt!.getTime()).toBe(Math.floor((now - HOUR) / 1000) * 1000 + 24 * HOUR);
    expect((await tracker.status(PHONE, 'US.123')).open).toBe(true);
    expect((await tracker.status('other-phone', '16505551234')).open).toBe(false);
  });

  it('username-only users are tracked by BSUID alone', async () => {
    const tracker = new WindowTracker();
    await post(messagesBody([{ from: '', from_user_id: 'user.abc', id: 'a', timestamp: at(now), type: 'text', text: { body: 'x' } }]), tracker);
    expect((await tracker.status(PHONE, 'user.abc')).open).toBe(true);
    expect((await tracker.status(PHONE, '')).open).toBe(false);
  });

  it('request_welcome opens it; a system message does not; a click-to-WhatsApp referral opens 24 h, not 72 h (the free entry point is pricing)', async () => {
    const tracker = new WindowTracker();
    await post(
      messagesBody([
        { from: '1', id: 'a', timestamp: at(now), type: 'request_welcome' },
        { from: '2', id: 'b', timestamp: at(now), type: 'system', system: { type: 'user_changed_number', wa_id: '3' } },
        { from: '4', id: 'c', timestamp: at(now), type: 'text', text: { body: 'ad' }, referral: { source_type: 'ad' } },
      ]),
      tracker,
    );
    expect((await tracker.status(PHONE, '1')).open).toBe(true);
    expect((await tracker.status(PHONE, '2')).open).toBe(false);
    expect((await tracker.status(PHONE, '4')).expiresAt!.getTime()).toBe(Math.floor(now / 1000) * 1000 + 24 * HOUR);
  });

  it('a 131047 failure closes the window', async () => {
    const tracker = new WindowTracker();
    await tracker.recordInbound(PHONE, '16505551234', new Date(now - 2 * HOUR));
    await tracker.recordInbound(PHONE, 'US.9', new Date(now - 2 * HOUR));
    const failed = { id: 'wamid.f', status: 'failed', timestamp: at(now - HOUR), recipient_id: '16505551234', recipient_user_id: 'US.9', errors: [{ code: 131047, title: 'Re-engagement message' }] };
    await post(messagesBody([], [failed]), tracker);
    expect((await tracker.status(PHONE, '16505551234')).open).toBe(false);
    expect((await tracker.status(PHONE, 'US.9')).open).toBe(false);
  });

  it('other failures do not close it', async () => {
    const tracker = new WindowTracker();
    await tracker.recordInbound(PHONE, '16505551234', new Date(now - HOUR));
    await post(messagesBody([], [{ id: 'w', status: 'failed', timestamp: at(now), recipient_id: '16505551234', errors: [{ code: 131026 }] }]), tracker);
    expect((await tracker.status(PHONE, '16505551234')).open).toBe(true);
  });

  it('a late 131047 older than the latest inbound message does not close the window it did not see', async () => {
    const tracker = new WindowTracker();
    const failed = { id: 'w', status: 'failed', timestamp: at(now - 3 * HOUR), recipient_id: '1', errors: [{ code: 131047 }] };
    const inbound = { from: '1', id: 'a', timestamp: at(now - HOUR), type: 'text', text: { body: 'back' } };
    await post(messagesBody([inbound], [failed]), tracker); // same batch, status listed after the message
    expect((await tracker.status(PHONE, '1')).open).toBe(true);
    const tracker2 = new WindowTracker();
    await post(messagesBody([inbound]), tracker2);
    await post(messagesBody([], [failed]), tracker2); // arrives in a later POST
    expect((await tracker2.status(PHONE, '1')).open).toBe(true);
  });

  it('a redelivered 131047 (duplicate) does not close a window reopened since', async () => {
    const tracker = new WindowTracker();
    const deduplicator = new EventDeduplicator();
    const failed = messagesBody([], [{ id: 'w', status: 'failed', timestamp: at(now - 2 * HOUR), recipient_id: '1', errors: [{ code: 131047 }] }]);
    await post(failed, tracker, deduplicator);
    await post(messagesBody([{ from: '1', id: 'a', timestamp: at(now - 3 * HOUR), type: 'text', text: { body: 'x' } }]), tracker, deduplicator);
    await tracker.recordInbound(PHONE, '1', new Date(now - 3 * HOUR));
    const result = await post(failed, tracker, deduplicator);
    expect(result.duplicates).toBe(1);
    expect((await tracker.status(PHONE, '1')).open).toBe(true);
  });
});

describe('handleWebhookGet', () => {
  it('returns the challenge, throws 403 otherwise', () => {
    expect(handleWebhookGet({ 'hub.mode': 'subscribe', 'hub.verify_token': 'v', 'hub.challenge': 'c' }, 'v')).toBe('c');
    expect(() => handleWebhookGet({ 'hub.mode': 'subscribe', 'hub.verify_token': 'x', 'hub.challenge': 'c' }, 'v')).toThrow(WebhookVerificationError);
  });
});
