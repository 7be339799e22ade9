import { startSandbox, type Sandbox } from '../src';
import { graph, send, sendText, setup, statusesOf } from './helpers';

describe('templates API', () => {
  test('list with paging (limit, after, paging.next) and filters status/name/language', async () => {
    const sb = await startSandbox();
    try {
      const all = await graph(sb, 'GET', `${sb.wabaId}/message_templates`);
      expect(all.status).toBe(200);
      expect(all.json.data.length).toBe(10);
      expect(all.json.data[0]).toEqual(expect.objectContaining({ id: expect.any(String), name: 'hello_world', status: 'APPROVED', language: 'en_US', category: 'UTILITY', components: expect.any(Array) }));
      const seen: string[] = [];
      let page = await graph(sb, 'GET', `${sb.wabaId}/message_templates?limit=4&fields=name,status`);
      seen.push(...page.json.data.map((t: { name: string }) => t.name));
      expect(page.json.data[0]).toEqual({ name: 'hello_world', status: 'APPROVED', id: expect.any(String) });
      expect(page.json.paging.cursors).toEqual({ before: expect.any(String), after: expect.any(String) });
      expect(page.json.paging.next).toContain('after=');
      for (let pages = 1; page.json.paging.next; pages++) {
        expect(pages).toBeLessThan(3); // 10 templates, 4 a page
        const res = await fetch(page.json.paging.next, { headers: { authorization: `Bearer ${sb.accessToken}` } });
        page = { status: res.status, json: await res.json() };
        seen.push(...page.json.data.map((t: { name: string }) => t.name));
      }
      expect(page.json.paging.next).toBeUndefined();
      expect(seen).toHaveLength(10);
      expect(new Set(seen).size).toBe(10);
      const approved = await graph(sb, 'GET', `${sb.wabaId}/message_templates?status=APPROVED`);
      expect(approved.json.data.every((t: { status: string }) => t.status === 'APPROVED')).toBe(true);
      expect(approved.json.data.length).toBe(9);
      expect((await graph(sb, 'GET', `${sb.wabaId}/message_templates?name=order`)).json.data.map((t: { name: string }) => t.name)).toEqual(['order_update', 'order_confirmation']);
      expect((await graph(sb, 'GET', `${sb.wabaId}/message_templates?language=en_US`)).json.data).toHaveLength(6);
      expect((await graph(sb, 'GET', `${sb.wabaId}/message_templates?after=garbage`)).json.error.code).toBe(131059);
      const one = await graph(sb, 'GET', all.json.data[1].id);
      expect(one.json).toMatchObject({ name: 'order_update', id: all.json.data[1].id });
    } finally {
      await sb.close();
    }
  });

  test('create → PENDING, then APPROVED with a status webhook, then sendable', async () => {
    // The send right after the create must find the template still PENDING: with a 20 ms review a
    // loaded machine approved it first (132000 instead of 132001). 2 s is far beyond one local request.
    const { sb, rx, close } = await setup({ templateReviewMs: 2000 });
    try {
      const r = await graph(sb, 'POST', `${sb.wabaId}/message_templates`, {
        name: 'shipping_notice', language: 'en_US', category: 'UTILITY',
        components: [{ type: 'BODY', text: 'Hello {{1}}, your parcel {{2}} ships today.' }],
      });
      expect(r.json).toEqual({ id: expect.any(String), status: 'PENDING', category: 'UTILITY' });
      expect((await send(sb, { to: '15551230001', type: 'template', template: { name: 'shipping_notice', language: { code: 'en_US' } } })).json.error.code).toBe(132001);
      const [h] = await rx.waitFor((p) => p.length === 1, 15_000);
      expect(h.json.entry[0].changes[0]).toEqual({
        field: 'message_template_status_update',
        value: { event: 'APPROVED', message_template_id: Number(r.json.id), message_template_name: 'shipping_notice', message_template_language: 'en_US', reason: 'NONE', message_template_category: 'UTILITY' },
      });
      expect((await graph(sb, 'GET', r.json.id)).json.status).toBe('APPROVED');
      const ok = await send(sb, { to: '15551230001', type: 'template', template: { name: 'shipping_notice', language: { code: 'en_US' }, components: [{ type: 'body', parameters: [{ type: 'text', text: 'a' }, { type: 'text', text: 'b' }] }] } });
      expect(ok.status).toBe(200);
    } finally {
      await close();
    }
  });

  test.each([
    ['variables not sequential', 'Hi {{1}}, order {{3}} is ready.'],
    ['variable at the start', '{{1}} your order is ready.'],
    ['variable at the end', 'Your order is ready, {{1}}'],
    ['URL shortener', 'Track it at https://bit.ly/abc123 today.'],
  ])('create with %s → REJECTED (INVALID_FORMAT) webhook', async (_label, text) => {
    const { sb, rx, close } = await setup({ templateReviewMs: 5 });
    try {
      const r = await graph(sb, 'POST', `${sb.wabaId}/message_templates`, { name: 'bad_one', language: 'en', category: 'MARKETING', components: [{ type: 'BODY', text }] });
      expect(r.json.status).toBe('PENDING');
      const [h] = await rx.waitFor((p) => p.length === 1);
      expect(h.json.entry[0].changes[0].value).toMatchObject({ event: 'REJECTED', reason: 'INVALID_FORMAT', message_template_name: 'bad_one', rejection_info: { reason: expect.any(String) } });
      expect((await graph(sb, 'GET', `${r.json.id}?fields=status,rejected_reason`)).json).toEqual({ status: 'REJECTED', rejected_reason: 'INVALID_FORMAT', id: r.json.id });
    } finally {
      await close();
    }
  });

  test('create validation (100) and duplicates', async () => {
    const sb = await startSandbox();
    try {
      const bad = (b: Record<string, unknown>) => graph(sb, 'POST', `${sb.wabaId}/message_templates`, b);
      const body = { type: 'BODY', text: 'Hello there' };
      expect((await bad({ name: 'Bad Name', language: 'en', category: 'UTILITY', components: [body] })).json.error.code).toBe(100);
      expect((await bad({ name: 'x', language: 'en', category: 'PROMO', components: [body] })).json.error.error_data.details).toMatch(/category/);
      expect((await bad({ name: 'x', language: 'en', category: 'UTILITY', components: [] })).json.error.code).toBe(100);
      expect((await bad({ name: 'hello_world', language: 'en_US', category: 'UTILITY', components: [body] })).json.error).toMatchObject({ code: 100, error_subcode: 2388024 });
    } finally {
      await sb.close();
    }
  });

  test('delete by name (all languages) and by hsm_id + name', async () => {
    const sb = await startSandbox({
      templates: [
        { name: 'multi', language: 'en', status: 'APPROVED', category: 'UTILITY', components: [{ type: 'BODY', text: 'a' }] },
        { name: 'multi', language: 'fr', status: 'APPROVED', category: 'UTILITY', components: [{ type: 'BODY', text: 'b' }] },
        { name: 'multi', language: 'de', status: 'APPROVED', category: 'UTILITY', components: [{ type: 'BODY', text: 'c' }] },
        { name: 'other', language: 'en', status: 'APPROVED', category: 'UTILITY', components: [{ type: 'BODY', text: 'd' }] },
      ],
    });
    try {
      const list = (await graph(sb, 'GET', `${sb.wabaId}/message_templates`)).json.data;
      const fr = list.find((t: { language: string }) => t.language === 'fr');
      expect((await graph(sb, 'DELETE', `${sb.wabaId}/message_templates?name=multi&hsm_id=${fr.id}`)).json).toEqual({ success: true });
      expect((await graph(sb, 'GET', `${sb.wabaId}/message_templates?name=multi`)).json.data.map((t: { language: string }) => t.language)).toEqual(['en', 'de']);
      expect((await graph(sb, 'DELETE', `${sb.wabaId}/message_templates?name=multi`)).json).toEqual({ success: true });
      expect((await graph(sb, 'GET', `${sb.wabaId}/message_templates`)).json.data.map((t: { name: string }) => t.name)).toEqual(['other']);
      expect((await graph(sb, 'DELETE', `${sb.wabaId}/message_templates?name=multi`)).json.error.code).toBe(100);
      expect((await graph(sb, 'DELETE', `${sb.wabaId}/message_templates`)).json.error.code).toBe(100);
    } finally {
      await sb.close();
    }
  });
});

describe('phone number, registration, profile, blocking, tokens', () => {
  let sb: Sandbox;
  beforeAll(async () => {
    sb = await startSandbox({ statusDelaysMs: { sent: 2, delivered: null, read: null } });
  });
  afterAll(() => sb.close());

  test('GET /{phone}?fields=… returns exactly the requested fields; unknown field → 100', async () => {
    const fields = 'display_phone_number,verified_name,quality_rating,status,code_verification_status,name_status,throughput{level},platform_type,account_mode,health_status,whatsapp_business_manager_messaging_limit';
    const r = await graph(sb, 'GET', `${sb.phoneNumberId}?fields=${fields}`);
    expect(r.status).toBe(200);
    expect(Object.keys(r.json).sort()).toEqual([...fields.replace('{level}', '').split(','), 'id'].sort());
    expect(r.json).toMatchObject({
      display_phone_number: '+1 555-000-1234', quality_rating: 'GREEN', status: 'CONNECTED', throughput: { level: 'STANDARD' },
      platform_type: 'CLOUD_API', account_mode: 'LIVE', health_status: { can_send_message: 'AVAILABLE' }, whatsapp_business_manager_messaging_limit: 'TIER_2K',
    });
    expect((await graph(sb, 'GET', `${sb.phoneNumberId}?fields=bogus`)).json.error.code).toBe(100);
    const list = await graph(sb, 'GET', `${sb.wabaId}/phone_numbers`);
    expect(list.json.data).toEqual([expect.objectContaining({ id: sb.phoneNumberId, display_phone_number: '+1 555-000-1234' })]);
  });

  test('deregister → sends fail with 133010; register needs a 6-digit pin and matches the two-step PIN (133005)', async () => {
    expect((await graph(sb, 'POST', `${sb.phoneNumberId}/deregister`, {})).json).toEqual({ success: true });
    sb.setWindow('15551230001');
    const blocked = await sendText(sb, '15551230001');
    expect(blocked.json.error.code).toBe(133010);
    expect((await graph(sb, 'GET', `${sb.phoneNumberId}?fields=status`)).json.status).toBe('DISCONNECTED');
    expect((await graph(sb, 'POST', `${sb.phoneNumberId}/register`, { messaging_product: 'whatsapp' })).json.error.code).toBe(100);
    expect((await graph(sb, 'POST', `${sb.phoneNumberId}/register`, { messaging_product: 'whatsapp', pin: '12ab56' })).json.error.code).toBe(100);
    expect((await graph(sb, 'POST', sb.phoneNumberId, { pin: '654321' })).json).toEqual({ success: true });
    expect((await graph(sb, 'POST', `${sb.phoneNumberId}/register`, { messaging_product: 'whatsapp', pin: '123456' })).json.error.code).toBe(133005);
    expect((await graph(sb, 'POST', `${sb.phoneNumberId}/register`, { messaging_product: 'whatsapp', pin: '654321' })).json).toEqual({ success: true });
    expect((await sendText(sb, '15551230001')).status).toBe(200);
    expect((await graph(sb, 'POST', sb.phoneNumberId, { pin: '12' })).json.error.code).toBe(100);
  });

  test('register/deregister limit: 10 per 72 h → 133016', async () => {
    const s2 = await startSandbox();
    try {
      for (let i = 0; i < 10; i++) expect((await graph(s2, 'POST', `${s2.phoneNumberId}/deregister`, {})).status).toBe(200);
      expect((await graph(s2, 'POST', `${s2.phoneNumberId}/register`, { messaging_product: 'whatsapp', pin: '111111' })).json.error.code).toBe(133016);
    } finally {
      await s2.close();
    }
  });

  test('debug_token reports validity and scopes', async () => {
    const ok = await graph(sb, 'GET', `debug_token?input_token=${sb.accessToken}`);
    expect(ok.json.data).toMatchObject({ is_valid: true, expires_at: 0, app_id: expect.any(String), scopes: expect.arrayContaining(['whatsapp_business_messaging', 'whatsapp_business_management']) });
    expect(ok.json.data.granular_scopes).toEqual(expect.arrayContaining([{ scope: 'whatsapp_business_messaging', target_ids: [sb.wabaId] }]));
    expect((await graph(sb, 'GET', 'debug_token?input_token=other')).json.data.is_valid).toBe(false);
    expect((await graph(sb, 'GET', 'debug_token')).json.error.code).toBe(100);
    expect(sb.requests[sb.requests.length - 1].query).toEqual({});
    expect(JSON.stringify(sb.requests)).not.toContain(`input_token":"${sb.accessToken}`);
  });

  test('business profile GET/POST with limits', async () => {
    const g = await graph(sb, 'GET', `${sb.phoneNumberId}/whatsapp_business_profile?fields=about,vertical`);
    expect(g.json).toEqual({ data: [{ about: expect.any(String), vertical: 'PROF_SERVICES', messaging_product: 'whatsapp' }] });
    expect((await graph(sb, 'POST', `${sb.phoneNumberId}/whatsapp_business_profile`, { messaging_product: 'whatsapp', about: 'x'.repeat(140) })).json.error.code).toBe(100);
    expect((await graph(sb, 'POST', `${sb.phoneNumberId}/whatsapp_business_profile`, { messaging_product: 'whatsapp', vertical: 'SPACESHIPS' })).json.error.code).toBe(100);
    expect((await graph(sb, 'POST', `${sb.phoneNumberId}/whatsapp_business_profile`, { messaging_product: 'whatsapp', websites: ['https://a.com', 'https://b.com', 'https://c.com'] })).json.error.code).toBe(100);
    expect((await graph(sb, 'POST', `${sb.phoneNumberId}/whatsapp_business_profile`, { messaging_product: 'whatsapp', about: 'New about', vertical: 'RETAIL' })).json).toEqual({ success: true });
    expect((await graph(sb, 'GET', `${sb.phoneNumberId}/whatsapp_business_profile`)).json.data[0]).toMatchObject({ about: 'New about', vertical: 'RETAIL' });
  });

  test('block users: only recent contacts (139100 otherwise); blocked users get 131026 and cannot reach the business', async () => {
    const { sb: s, rx, close } = await setup();
    try {
      const blockBody = (user: string) => ({ messaging_product: 'whatsapp', block_users: [{ user }] });
      expect((await graph(s, 'POST', `${s.phoneNumberId}/block_users`, blockBody('+15551239999'))).json.error.code).toBe(139100);
      await s.inbound({ from: '15551230005', text: 'spam' });
      const b = await graph(s, 'POST', `${s.phoneNumberId}/block_users`, blockBody('+1 555 123 0005'));
      expect(b.json).toEqual({ messaging_product: 'whatsapp', block_users: { added_users: [{ input: '+1 555 123 0005', wa_id: '15551230005' }] } });
      expect((await graph(s, 'GET', `${s.phoneNumberId}/block_users`)).json.data).toEqual([{ messaging_product: 'whatsapp', wa_id: '15551230005' }]);
      await sendText(s, '15551230005');
      await rx.waitFor(() => statusesOf(rx).length === 1);
      expect(statusesOf(rx)[0].errors[0].code).toBe(131026);
      await s.inbound({ from: '15551230005', text: 'still there?' });
      expect(rx.posts().filter((h) => h.json.entry[0].changes[0].value.messages)).toHaveLength(1);
      const u = await graph(s, 'DELETE', `${s.phoneNumberId}/block_users`, blockBody('15551230005'));
      expect(u.json.block_users.removed_users).toEqual([{ input: '15551230005', wa_id: '15551230005' }]);
      expect((await graph(s, 'GET', `${s.phoneNumberId}/block_users`)).json.data).toEqual([]);
    } finally {
      await close();
    }
  });

  test('GET /{WABA}', async () => {
    const r = await graph(sb, 'GET', sb.wabaId);
    expect(r.json).toMatchObject({ id: sb.wabaId, name: expect.any(String) });
  });
});
