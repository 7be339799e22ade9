/**
 * Replay guard of handleWebhookPost (`maxEventAgeMs`): a validly signed POST captured once and
 * replayed after the dedupe store forgot its keys (a restart of an in-memory store, an eviction)
 * must not be handled again. Events older than the horizon are dropped and counted as `stale`; this is
 * the default (`'dedupe'`).
 */
import { createHmac } from 'node:crypto';
import { EventDeduplicator, handleWebhookPost } from '../src';

const SECRET = 'replay-secret';
const DAY = 24 * 60 * 60 * 1000;
const sign = (body: string) => `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`;

function body(messages: Array<{ id: string; at: number }>): string {
  return JSON.stringify({
    object: 'whatsapp_business_account',
    entry: [{ id: '1', changes: [{ field: 'messages', value: { messaging_product: 'whatsapp', metadata: { display_phone_number: '1', phone_number_id: '2' }, messages: messages.map((m) => ({ from: '16505551234', id: m.id, timestamp: String(Math.floor(m.at / 1000)), type: 'text', text: { body: 'hi' } })) } }] }],
  });
}

describe('signed webhook replays', () => {
  const now = Date.UTC(2026, 11, 4);
  const post = (raw: string, extra: Record<string, unknown>) => handleWebhookPost({ rawBody: raw, headers: { 'x-hub-signature-256': sign(raw) }, appSecret: SECRET, now: () => now, ...extra });

  test("an event from 2017, validly signed, is dropped with maxEventAgeMs: 'dedupe' (the dedupe horizon)", async () => {
    const raw = body([{ id: 'wamid.2017', at: Date.UTC(2017, 5, 1) }, { id: 'wamid.fresh', at: now - 60_000 }]);
    const result = await post(raw, { deduplicator: new EventDeduplicator(), maxEventAgeMs: 'dedupe' });
    expect(result.events.map((e) => (e as { messageId?: string }).messageId)).toEqual(['wamid.fresh']);
    expect(result.stale).toBe(1);
  });

  test('after a restart (a new in-memory deduplicator) a replay inside the horizon is a new event, outside it is not', async () => {
    const dedupe = () => new EventDeduplicator(undefined, { ttlMs: 2 * DAY });
    const raw = body([{ id: 'wamid.old', at: now - 3 * DAY }, { id: 'wamid.recent', at: now - DAY }]);
    const first = await post(raw, { deduplicator: dedupe(), maxEventAgeMs: 'dedupe' });
    const replay = await post(raw, { deduplicator: dedupe(), maxEventAgeMs: 'dedupe' });
    for (const result of [first, replay]) expect(result.events.map((e) => (e as { messageId?: string }).messageId)).toEqual(['wamid.recent']);
  });

  test('an explicit age in ms; 0 turns the check off; the default (the dedupe horizon) keeps a 2-hour-old event', async () => {
    const raw = body([{ id: 'wamid.hour', at: now - 2 * 60 * 60 * 1000 }]);
    expect((await post(raw, { maxEventAgeMs: 60 * 60 * 1000 })).stale).toBe(1);
    expect((await post(raw, { maxEventAgeMs: 0 })).events).toHaveLength(1);
    expect((await post(raw, {})).events).toHaveLength(1);
  });

  test('by default (no option) a validly signed event from 2017 is dropped: without a deduplicator (7 days) and with one (its TTL)', async () => {
    const raw = body([{ id: 'wamid.2017', at: Date.UTC(2017, 5, 1) }, { id: 'wamid.week', at: now - 8 * DAY }, { id: 'wamid.fresh', at: now - 60_000 }]);
    const alone = await post(raw, {});
    expect(alone.events.map((e) => (e as { messageId?: string }).messageId)).toEqual(['wamid.fresh']);
    expect(alone.stale).toBe(2);
    const deduplicator = new EventDeduplicator(undefined, { ttlMs: 30 * DAY });
    const withDedupe = await post(raw, { deduplicator });
    expect(withDedupe.events.map((e) => (e as { messageId?: string }).messageId)).toEqual(['wamid.week', 'wamid.fresh']);
    expect(withDedupe.stale).toBe(1);
    // 0 switches the guard off for tests that replay old sample payloads on purpose.
    expect((await post(raw, { maxEventAgeMs: 0 })).events).toHaveLength(3);
  });

  test('events without their own timestamp (template, account updates) are judged by the entry time', async () => {
    const update = (time: number) =>
      JSON.stringify({
        object: 'whatsapp_business_account',
        entry: [{ id: '1', time: Math.floor(time / 1000), changes: [{ field: 'message_template_status_update', value: { event: 'APPROVED', message_template_id: 7, message_template_name: 'order_update', message_template_language: 'en', reason: 'NONE' } }] }],
      });
    expect(await post(update(Date.UTC(2017, 5, 1)), {})).toMatchObject({ events: [], stale: 1 });
    expect((await post(update(now - 60_000), {})).events).toHaveLength(1);
  });
});
