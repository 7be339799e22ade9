import { ERROR_CATALOG } from '../src';
import { graph, send, sendText, setup, statusesOf } from './helpers';

const USER = '15551230001';
const marketing = (to: string) => ({ to, type: 'template', template: { name: 'spring_sale', language: { code: 'en' }, components: [{ type: 'body', parameters: [{ type: 'text', text: '20%' }] }, { type: 'button', sub_type: 'url', index: '0', parameters: [{ type: 'text', text: 'spring' }] }] } });
const utility = (to: string) => ({ to, type: 'template', template: { name: 'hello_world', language: { code: 'en_US' } } });

describe('quality rules', () => {
  test('the catalog knows 131048, 131049 and 131050', () => {
    expect(ERROR_CATALOG[131048]).toEqual({ title: 'Spam rate limit hit', http: 400 });
    expect(ERROR_CATALOG[131049]!.title).toMatch(/healthy ecosystem engagement/);
    expect(ERROR_CATALOG[131050]!.title).toMatch(/stop receiving marketing messages/);
  });

  test('setQualityRating: quality_rating and status follow; FLAGGED / UNFLAGGED webhooks only around RED', async () => {
    const { sb, rx, close } = await setup();
    try {
      const read = async () => (await graph(sb, 'GET', `${sb.phoneNumberId}?fields=quality_rating,status`)).json;
      expect(await read()).toMatchObject({ quality_rating: 'GREEN', status: 'CONNECTED' });
      expect(await sb.setQualityRating('YELLOW')).toBeUndefined();
      expect(await read()).toMatchObject({ quality_rating: 'YELLOW', status: 'CONNECTED' });
      expect(rx.posts()).toHaveLength(0);
      expect(await sb.setQualityRating('RED')).toBe(200);
      expect(await read()).toMatchObject({ quality_rating: 'RED', status: 'FLAGGED' });
      expect(await sb.setQualityRating('GREEN')).toBe(200);
      const changes = rx.posts().map((h) => h.json.entry[0].changes[0]);
      expect(changes.map((c) => c.field)).toEqual(['phone_number_quality_update', 'phone_number_quality_update']);
      expect(changes.map((c) => c.value.event)).toEqual(['FLAGGED', 'UNFLAGGED']);
      expect(changes[0].value).toEqual({ display_phone_number: sb.displayPhoneNumber, event: 'FLAGGED', current_limit: 'TIER_2K', max_daily_conversations_per_business: 'TIER_2K' });
      expect(rx.posts()[0]!.json.entry[0].time).toEqual(expect.any(Number));
      expect(() => sb.setQualityRating('PURPLE' as never)).toThrow(/GREEN, YELLOW or RED/);
    } finally {
      await close();
    }
  });

  test('marketing opt-out: user_preferences webhook; MARKETING templates fail 131050, utility goes; resume lifts it', async () => {
    const { sb, rx, close } = await setup();
    try {
      expect(await sb.setMarketingPreference('+1 555 123 0001', 'stop')).toBe(200);
      const [pref] = rx.posts();
      expect(pref!.json.entry[0].changes[0]).toEqual({
        field: 'user_preferences',
        value: {
          messaging_product: 'whatsapp',
          metadata: { display_phone_number: sb.displayPhoneNumber, phone_number_id: sb.phoneNumberId },
          contacts: [{ wa_id: USER }],
          user_preferences: [{ wa_id: USER, detail: 'User requested to stop marketing messages', category: 'marketing_messages', value: 'stop', timestamp: expect.any(Number) }],
        },
      });
      expect((await send(sb, marketing(USER))).status).toBe(200);
      expect((await send(sb, utility(USER))).status).toBe(200);
      await rx.waitFor(() => statusesOf(rx).some((s) => s.status === 'failed') && statusesOf(rx).some((s) => s.status === 'sent'));
      const failed = statusesOf(rx).filter((s) => s.status === 'failed');
      expect(failed).toHaveLength(1);
      expect(failed[0].id).toBe(sb.messages[0]!.id);
      expect(failed[0].errors[0]).toMatchObject({ code: 131050 });
      expect(await sb.setMarketingPreference(USER, 'resume', { webhook: false })).toBeUndefined();
      expect((await send(sb, marketing(USER))).status).toBe(200);
      await sb.waitFor(() => sb.messages[2]!.statuses.length > 0);
      expect(sb.messages[2]!.statuses[0]!.status).toBe('sent');
    } finally {
      await close();
    }
  });

  test('failSends: synchronous (nothing accepted, no quota) and on the status webhook, by recipient and category, consumed', async () => {
    const { sb, rx, close } = await setup();
    try {
      sb.failSends({ code: 131048, sync: true, category: 'MARKETING' });
      sb.failSends({ code: 131049, to: '+1 555 123 0002', category: 'MARKETING', times: 2 });
      const spam = await send(sb, marketing(USER));
      expect(spam.status).toBe(400);
      expect(spam.json.error).toMatchObject({ code: 131048, message: '(#131048) Spam rate limit hit', error_data: { details: expect.stringContaining('injected') } });
      expect(sb.messages).toHaveLength(0);
      expect((await send(sb, marketing(USER))).status).toBe(200); // consumed after one hit
      expect((await sendText(sb, '15551230002', 'hi')).status).toBe(200); // not a template: no match
      expect((await send(sb, utility('15551230002'))).status).toBe(200); // utility: no match
      expect((await send(sb, marketing('15551230002'))).status).toBe(200);
      expect((await send(sb, marketing('15551230002'))).status).toBe(200);
      expect((await send(sb, marketing('15551230002'))).status).toBe(200);
      await rx.waitFor(() => statusesOf(rx).filter((s) => s.status === 'failed').length >= 3, 3000);
      const codes = sb.messages.map((m) => m.statuses.find((s) => s.status === 'failed')?.errors?.[0]?.code);
      // text → 131047 (window closed); the 2 marketing hits → 131049; the third marketing send goes through.
      expect(codes).toEqual([undefined, 131047, undefined, 131049, 131049, undefined]);
      sb.failSends({ code: 131026, sync: true, times: Infinity });
      expect((await send(sb, utility(USER))).json.error.code).toBe(131026);
      expect((await send(sb, utility(USER))).json.error.code).toBe(131026);
      sb.clearSendFailures();
      expect((await send(sb, utility(USER))).status).toBe(200);
      expect(() => sb.failSends({ code: 0 })).toThrow(/code/);
    } finally {
      await close();
    }
  });
});
