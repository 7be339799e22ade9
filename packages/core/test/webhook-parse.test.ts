import { WebhookPayloadError } from '../src/errors/error-classes';
import { parseWebhook } from '../src/webhook/parse';
import type { InboundMessageEvent, InboundStatusEvent } from '../src/webhook/types';

const metadata = { display_phone_number: '15550001111', phone_number_id: '111' };
const text = (id: string, from = '16505551234', body = 'hi') => ({ from, id, timestamp: '1750000000', type: 'text', text: { body } });
const status = (id: string, s: string) => ({ id, status: s, timestamp: '1750000001', recipient_id: '16505551234' });
const envelope = (entry: unknown[]) => ({ object: 'whatsapp_business_account', entry });

describe('parseWebhook: batches', () => {
  it('returns every entry, change, message, status, error and preference', () => {
    const body = envelope([
      {
        id: 'WABA1',
        changes: [
          { field: 'messages', value: { messaging_product: 'whatsapp', metadata, messages: [text('m1'), text('m2'), text('m3')], statuses: [status('s1', 'sent')] } },
          { field: 'messages', value: { metadata: { phone_number_id: '222' }, statuses: [status('s2', 'delivered'), status('s3', 'read')], errors: [{ code: 131000 }] } },
        ],
      },
      {
        id: 'WABA2',
        time: 1750000000,
        changes: [
          { field: 'user_preferences', value: { metadata, user_preferences: [{ wa_id: '1', value: 'stop', category: 'marketing_messages', timestamp: 1 }, { wa_id: '2', value: 'resume', category: 'marketing_messages', timestamp: 2 }] } },
          { field: 'message_template_quality_update', value: { message_template_id: 7, message_template_name: 't', message_template_language: 'en', previous_quality_score: 'GREEN', new_quality_score: 'YELLOW' } },
        ],
      },
    ]);
    const events = parseWebhook(body);
    expect(events.map((e) => e.kind)).toEqual([
      'message', 'message', 'message', 'status', 'status', 'status', 'error', 'user_preferences', 'user_preferences', 'template_quality',
    ]);
    expect((events[4] as InboundStatusEvent).phoneNumberId).toBe('222');
    expect(events[7]!.wabaId).toBe('WABA2');
    expect(events[9]).toMatchObject({ templateId: '7', previousQualityScore: 'GREEN', newQualityScore: 'YELLOW' });
  });

  it('keeps unknown fields and unknown message types, never throws on extra keys', () => {
    const events = parseWebhook(
      envelope([
        {
          id: 'W',
          extra: { anything: true },
          changes: [
            { field: 'security', value: { event: 'PIN_RESET_REQUEST' }, extra: 1 },
            { field: 'history', value: 'not-an-object' },
            { field: 'messages', value: { metadata, messages: [{ from: '1', id: 'x', timestamp: '1', type: 'hologram', hologram: { z: 1 }, new_key: 2 }] } },
            { field: 'messages', value: { metadata, calls: [{ id: 'c' }] } },
          ],
        },
      ]),
    );
    expect(events.map((e) => e.kind)).toEqual(['unknown', 'unknown', 'message', 'unknown']);
    expect(events[0]).toMatchObject({ field: 'security', raw: { event: 'PIN_RESET_REQUEST' } });
    expect((events[2] as InboundMessageEvent).type).toBe('hologram');
    expect((events[2] as InboundMessageEvent).raw).toMatchObject({ hologram: { z: 1 } });
    expect(events[3]).toMatchObject({ field: 'messages', phoneNumberId: '111', raw: { calls: [{ id: 'c' }] } });
  });

  it('request_welcome and reactions removed (empty emoji)', () => {
    const [welcome, unreact] = parseWebhook(
      envelope([{ id: 'W', changes: [{ field: 'messages', value: { metadata, messages: [
        { from: '1', id: 'a', timestamp: '1', type: 'request_welcome' },
        { from: '1', id: 'b', timestamp: '1', type: 'reaction', reaction: { message_id: 'wamid.X' } },
      ] } }] }]),
    ) as InboundMessageEvent[];
    expect(welcome!.type).toBe('request_welcome');
    expect(unreact!.reaction).toEqual({ messageId: 'wamid.X', emoji: '' });
  });

  it('an empty entry list is no events', () => {
    expect(parseWebhook(envelope([]))).toEqual([]);
  });
});

describe('parseWebhook: malformed envelopes throw WebhookPayloadError (400)', () => {
  it.each([
    ['not JSON', '{"object":'],
    ['JSON but not an object', '[1,2]'],
    ['null', 'null'],
    ['another object', { object: 'page', entry: [] }],
    ['no object', { entry: [] }],
    ['entry not a list', { object: 'whatsapp_business_account', entry: {} }],
    ['entry item not an object', envelope([1])],
    ['entry without id', envelope([{ changes: [] }])],
    ['changes not a list', envelope([{ id: 'W', changes: {} }])],
    ['change without field', envelope([{ id: 'W', changes: [{ value: {} }] }])],
    ['messages value not an object', envelope([{ id: 'W', changes: [{ field: 'messages', value: 3 }] }])],
    ['messages not a list', envelope([{ id: 'W', changes: [{ field: 'messages', value: { metadata, messages: {} } }] }])],
    ['message not an object', envelope([{ id: 'W', changes: [{ field: 'messages', value: { metadata, messages: ['x'] } }] }])],
    ['statuses without metadata', envelope([{ id: 'W', changes: [{ field: 'messages', value: { statuses: [status('s', 'sent')] } }] }])],
    ['errors not a list', envelope([{ id: 'W', changes: [{ field: 'messages', value: { metadata, errors: 'x' } }] }])],
  ])('%s', (_name, body) => {
    let thrown: unknown;
    try {
      parseWebhook(body);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(WebhookPayloadError);
    expect((thrown as WebhookPayloadError).status).toBe(400);
  });

  it('names where the envelope broke', () => {
    expect(() => parseWebhook(envelope([{ id: 'W', changes: [] }, { id: 'X', changes: [{ field: 'messages', value: { metadata, messages: [1] } }] }]))).toThrow(
      /entry\[1\]\.changes\[0\]\.value\.messages\[0\]/,
    );
  });
});
