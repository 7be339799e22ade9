import { expectedSignature, manualClock, send, sendText, setup, statusesOf } from './helpers';

const HOUR = 3_600_000;

describe('24 h window and status webhooks', () => {
  test('no inbound → 200 with a wamid, then a failed status with 131047 (and no sent)', async () => {
    const { sb, rx, close } = await setup();
    try {
      const r = await sendText(sb, '15551230001', 'are you there?');
      expect(r.status).toBe(200);
      const id = r.json.messages[0].id;
      await rx.waitFor(() => statusesOf(rx).length >= 1);
      await new Promise((res) => setTimeout(res, 40)); // nothing else may follow
      const sts = statusesOf(rx);
      expect(sts).toHaveLength(1);
      expect(sts[0]).toMatchObject({ id, status: 'failed', recipient_id: '15551230001' });
      expect(sts[0].errors).toEqual([
        {
          code: 131047,
          title: 'Re-engagement message',
          message: 'Re-engagement message',
          error_data: { details: expect.stringContaining('more than 24 hours') },
          href: expect.any(String),
        },
      ]);
      expect(sts[0].pricing).toBeUndefined();
      expect(sb.messages[0].errors[0].code).toBe(131047);
      expect(sb.messages[0].statuses.map((s) => s.status)).toEqual(['failed']);
    } finally {
      await close();
    }
  });

  test('inbound opens the window: sent → delivered → read, with biz_opaque_callback_data, pricing, recipient_id; signed', async () => {
    const { sb, rx, close } = await setup();
    try {
      await sb.inbound({ from: '15551230001', text: 'hi' }, { name: 'Ana' });
      const r = await sendText(sb, '+15551230001', 'hello Ana', { biz_opaque_callback_data: 'order-42' });
      const id = r.json.messages[0].id;
      await rx.waitFor(() => statusesOf(rx).length === 3);
      const sts = statusesOf(rx);
      expect(sts.map((s) => s.status)).toEqual(['sent', 'delivered', 'read']);
      for (const s of sts) expect(s).toMatchObject({ id, recipient_id: '15551230001', biz_opaque_callback_data: 'order-42', timestamp: expect.stringMatching(/^\d+$/) });
      expect(sts[0].pricing).toEqual({ billable: false, pricing_model: 'PMP', category: 'service', type: 'free_customer_service' });
      expect(sts[2].pricing).toBeUndefined();
      expect(sts[0].conversation).toBeDefined(); // v23 still carries `conversation`
      for (const h of rx.posts()) {
        expect(h.headers['x-hub-signature-256']).toBe(expectedSignature(h.raw, sb.appSecret));
        expect(h.headers['content-type']).toBe('application/json');
      }
      const env = rx.posts()[1].json;
      expect(env).toMatchObject({ object: 'whatsapp_business_account', entry: [{ id: sb.wabaId, changes: [{ field: 'messages', value: { messaging_product: 'whatsapp', metadata: { phone_number_id: sb.phoneNumberId, display_phone_number: sb.displayPhoneNumber } } }] }] });
    } finally {
      await close();
    }
  });

  test('v24+ sends drop `conversation` from statuses', async () => {
    const { sb, rx, close } = await setup({ statusDelaysMs: { sent: 2, delivered: null, read: null } });
    try {
      sb.setWindow('15551230001');
      const res = await fetch(`${sb.url}/v24.0/${sb.phoneNumberId}/messages`, {
        method: 'POST',
        headers: { authorization: `Bearer ${sb.accessToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ messaging_product: 'whatsapp', to: '15551230001', text: { body: 'x' } }),
      });
      expect(res.status).toBe(200);
      await rx.waitFor(() => statusesOf(rx).length === 1);
      expect(statusesOf(rx)[0].conversation).toBeUndefined();
      expect(statusesOf(rx)[0].pricing).toBeDefined();
    } finally {
      await close();
    }
  });

  test('the window closes after 24 h; after a referral too (its 72 h free entry point is pricing: templates free, free-form still 131047)', async () => {
    const clock = manualClock();
    const { sb, rx, close } = await setup({ now: clock.now, statusDelaysMs: { sent: 2, delivered: null, read: null } });
    try {
      await sb.inbound({ from: '15551230001', text: 'hi' });
      clock.advance(23 * HOUR);
      await sendText(sb, '15551230001');
      clock.advance(2 * HOUR);
      await sendText(sb, '15551230001');
      await sb.inbound({ from: '15551230002', text: 'I saw your ad', referral: { source_type: 'ad', source_id: '1', source_url: 'https://fb.me/x', ctwa_clid: 'c' } });
      clock.advance(23 * HOUR);
      await sendText(sb, '15551230002');
      clock.advance(2 * HOUR); // 25 h after the referral: inside the free entry point, outside the window
      await sendText(sb, '15551230002');
      await send(sb, { to: '15551230002', type: 'template', template: { name: 'order_update', language: { code: 'en' }, components: [{ type: 'body', parameters: [{ type: 'text', text: 'Ana' }, { type: 'text', text: 'A-1' }] }] } });
      await rx.waitFor(() => statusesOf(rx).length === 5);
      const [first, second, third, fourth, fifth] = statusesOf(rx);
      expect(first.status).toBe('sent');
      expect(second).toMatchObject({ status: 'failed', errors: [{ code: 131047 }] });
      expect(third).toMatchObject({ status: 'sent', pricing: { type: 'free_entry_point', billable: false } });
      expect(fourth).toMatchObject({ status: 'failed', errors: [{ code: 131047 }] });
      expect(fifth).toMatchObject({ status: 'sent', pricing: { type: 'free_entry_point', billable: false } });
      const inboundMsg = rx.posts().find((h) => h.json.entry[0].changes[0].value.messages?.[0]?.referral)!;
      expect(inboundMsg.json.entry[0].changes[0].value.messages[0].referral.ctwa_clid).toBe('c');
    } finally {
      await close();
    }
  });

  test('clearWindow / setWindow helpers', async () => {
    const { sb, rx, close } = await setup({ statusDelaysMs: { sent: 2, delivered: null, read: null } });
    try {
      await sb.inbound({ from: '15551230001', text: 'hi' });
      sb.clearWindow('15551230001');
      await sendText(sb, '15551230001');
      sb.setWindow('+1 555 123 0001');
      await sendText(sb, '15551230001');
      await rx.waitFor(() => statusesOf(rx).length === 2);
      expect(statusesOf(rx).map((s) => s.status)).toEqual(['failed', 'sent']);
    } finally {
      await close();
    }
  });

  test('undeliverable numbers fail asynchronously with 131026, templates included', async () => {
    const { sb, rx, close } = await setup({ undeliverable: ['+1 555 000 9999'] });
    try {
      const r = await send(sb, { to: '15550009999', type: 'template', template: { name: 'hello_world', language: { code: 'en_US' } } });
      expect(r.status).toBe(200);
      await rx.waitFor(() => statusesOf(rx).length === 1);
      await new Promise((res) => setTimeout(res, 30));
      expect(statusesOf(rx)).toHaveLength(1);
      expect(statusesOf(rx)[0]).toMatchObject({ status: 'failed', errors: [{ code: 131026, title: 'Message undeliverable' }] });
    } finally {
      await close();
    }
  });

  test('reactions only produce sent; a reaction to an unknown message fails with 131009', async () => {
    const { sb, rx, close } = await setup();
    try {
      const inId = await sb.inbound({ from: '15551230001', text: 'hi' });
      await send(sb, { to: '15551230001', type: 'reaction', reaction: { message_id: inId, emoji: '👍' } });
      await send(sb, { to: '15551230001', type: 'reaction', reaction: { message_id: 'wamid.gone', emoji: '👍' } });
      await rx.waitFor(() => statusesOf(rx).length >= 2);
      await new Promise((res) => setTimeout(res, 40));
      expect(statusesOf(rx).map((s) => `${s.status}${s.errors ? s.errors[0].code : ''}`).sort()).toEqual(['failed131009', 'sent']);
    } finally {
      await close();
    }
  });

  test('statusDelaysMs read:null disables the automatic read', async () => {
    const { sb, rx, close } = await setup({ statusDelaysMs: { sent: 2, delivered: 4, read: null } });
    try {
      sb.setWindow('15551230001');
      await sendText(sb, '15551230001');
      await rx.waitFor(() => statusesOf(rx).length === 2);
      await new Promise((res) => setTimeout(res, 40));
      expect(statusesOf(rx).map((s) => s.status)).toEqual(['sent', 'delivered']);
    } finally {
      await close();
    }
  });

  test('inbound builds Meta\'s messages webhook with contacts and a wamid; non-ASCII is \\u-escaped and the signature covers the bytes sent', async () => {
    const { sb, rx, close } = await setup();
    try {
      const id = await sb.inbound({ from: '+1 555 123 0001', text: 'Olá 👋 @home' }, { name: 'Zoë' });
      expect(id).toMatch(/^wamid\./);
      const [h] = await rx.waitFor((p) => p.length === 1);
      const text = h.raw.toString('utf8');
      expect(text).toContain('Ol\\u00e1 \\ud83d\\udc4b');
      expect(/[^\x00-\x7f]/.test(text)).toBe(false);
      expect(h.headers['x-hub-signature-256']).toBe(expectedSignature(h.raw, sb.appSecret));
      const value = h.json.entry[0].changes[0].value;
      expect(value.contacts).toEqual([{ profile: { name: 'Zoë' }, wa_id: '15551230001' }]);
      expect(value.messages[0]).toMatchObject({ from: '15551230001', id, type: 'text', text: { body: 'Olá 👋 @home' }, timestamp: expect.stringMatching(/^\d+$/) });
      expect(h.json.entry[0].time).toBeUndefined();
    } finally {
      await close();
    }
  });

  test('interactive replies, with context pointing at the business message', async () => {
    const { sb, rx, close } = await setup();
    try {
      await sb.inbound({ from: '15551230001', type: 'interactive', payload: { type: 'button_reply', button_reply: { id: 'yes', title: 'Yes' } }, context: { id: 'wamid.biz' } });
      const [h] = await rx.waitFor((p) => p.length === 1);
      const m = h.json.entry[0].changes[0].value.messages[0];
      expect(m).toMatchObject({ type: 'interactive', interactive: { type: 'button_reply', button_reply: { id: 'yes', title: 'Yes' } }, context: { from: sb.displayPhoneNumber, id: 'wamid.biz' } });
    } finally {
      await close();
    }
  });
});
