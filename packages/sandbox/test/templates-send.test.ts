import { startSandbox, DEFAULT_TEMPLATES, type Sandbox } from '../src';
import { send, setup, statusesOf } from './helpers';

const body = (...texts: string[]) => ({ type: 'body', parameters: texts.map((text) => ({ type: 'text', text })) });

describe('template sends: 132001, 132000, 132012, pricing', () => {
  let sb: Sandbox;
  const to = '15551230001';
  beforeAll(async () => {
    sb = await startSandbox({ statusDelaysMs: { sent: 2, delivered: null, read: null } });
  });
  afterAll(() => sb.close());
  const tpl = (name: string, code: string, components?: unknown[]) => send(sb, { to, type: 'template', template: { name, language: { code }, components } });

  test('defaults include the documented templates', () => {
    const names = DEFAULT_TEMPLATES.map((t) => `${t.name}/${t.language}/${t.status}/${t.category}`);
    expect(names).toEqual(expect.arrayContaining(['hello_world/en_US/APPROVED/UTILITY', 'order_update/en/APPROVED/UTILITY', 'spring_sale/en/APPROVED/MARKETING']));
    expect(DEFAULT_TEMPLATES.some((t) => t.status === 'PENDING')).toBe(true);
    expect(DEFAULT_TEMPLATES.some((t) => t.parameter_format === 'NAMED')).toBe(true);
    expect(DEFAULT_TEMPLATES.some((t) => t.components.some((c) => c.format === 'IMAGE'))).toBe(true);
  });

  test('hello_world en_US goes out outside any window, answered with message_status accepted', async () => {
    const r = await tpl('hello_world', 'en_US');
    expect(r.status).toBe(200);
    expect(r.json.messages[0]).toMatchObject({ id: expect.stringMatching(/^wamid\./), message_status: 'accepted' });
  });

  test('unknown name or wrong language → HTTP 404, code 132001 with Meta details', async () => {
    const a = await tpl('nope', 'en_US');
    expect(a.status).toBe(404);
    expect(a.json.error).toMatchObject({ code: 132001, message: '(#132001) Template name does not exist in the translation', error_data: { details: 'template name (nope) does not exist in en_US' } });
    const b = await tpl('hello_world', 'en'); // en vs en_US
    expect(b.json.error.code).toBe(132001);
  });

  test('a template that is not APPROVED → 132001', async () => {
    const r = await tpl('new_feature_announcement', 'en');
    expect(r.json.error.code).toBe(132001);
    expect(r.json.error.error_data.details).toMatch(/PENDING/);
  });

  test('paused / disabled → 132015 / 132016', async () => {
    const s2 = await startSandbox({
      templates: [
        { name: 'p', language: 'en', status: 'PAUSED', category: 'MARKETING', components: [{ type: 'BODY', text: 'x' }] },
        { name: 'd', language: 'en', status: 'DISABLED', category: 'MARKETING', components: [{ type: 'BODY', text: 'x' }] },
      ],
    });
    try {
      const p = await send(s2, { to, type: 'template', template: { name: 'p', language: { code: 'en' } } });
      const d = await send(s2, { to, type: 'template', template: { name: 'd', language: { code: 'en' } } });
      expect([p.json.error.code, d.json.error.code]).toEqual([132015, 132016]);
    } finally {
      await s2.close();
    }
  });

  test('parameter count mismatch on body → 132000; right count → 200', async () => {
    const few = await tpl('order_update', 'en', [body('Ana')]);
    expect(few.status).toBe(400);
    expect(few.json.error.code).toBe(132000);
    expect(few.json.error.error_data.details).toBe('body: number of localizable_params (1) does not match the expected number of params (2)');
    expect((await tpl('order_update', 'en')).json.error.code).toBe(132000);
    expect((await tpl('order_update', 'en', [body('Ana', 'A-1', 'extra')])).json.error.code).toBe(132000);
    expect((await tpl('hello_world', 'en_US', [body('unexpected')])).json.error.code).toBe(132000);
    expect((await tpl('order_update', 'en', [body('Ana', 'A-1')])).status).toBe(200);
  });

  test('text parameter without text → 100 with Meta wording', async () => {
    const r = await tpl('order_update', 'en', [{ type: 'body', parameters: [{ type: 'text' }, { type: 'text', text: 'x' }] }]);
    expect(r.json.error.code).toBe(100);
    expect(r.json.error.error_data.details).toBe("Parameter 'text' is mandatory for component parameter type 'text'");
  });

  test('named template: parameter_name required (132012) and must match the names (132000)', async () => {
    const named = (params: unknown[]) => tpl('order_confirmation', 'en_US', [{ type: 'body', parameters: params }]);
    expect((await named([{ type: 'text', text: 'Jo' }, { type: 'text', text: 'X1' }])).json.error.code).toBe(132012);
    expect((await named([{ type: 'text', parameter_name: 'first_name', text: 'Jo' }, { type: 'text', parameter_name: 'order_id', text: 'X1' }])).json.error.code).toBe(132000);
    const ok = await named([{ type: 'text', parameter_name: 'order_number', text: 'X1' }, { type: 'text', parameter_name: 'first_name', text: 'Jo' }]);
    expect(ok.status).toBe(200);
  });

  test('image header: missing media parameter → 132012; with image → 200', async () => {
    const b = body('Ana', 'Monday');
    expect((await tpl('appointment_reminder', 'en', [b])).json.error.code).toBe(132012);
    const ok = await tpl('appointment_reminder', 'en', [
      { type: 'header', parameters: [{ type: 'image', image: { link: 'https://example.com/x.jpg' } }] },
      b,
      { type: 'button', sub_type: 'quick_reply', index: '0', parameters: [{ type: 'payload', payload: 'CONFIRM' }] },
    ]);
    expect(ok.status).toBe(200);
  });

  test('button index that does not exist → 131009; dynamic URL button needs its parameter → 132000', async () => {
    expect((await tpl('order_update', 'en', [body('a', 'b'), { type: 'button', sub_type: 'quick_reply', index: '5', parameters: [] }])).json.error.code).toBe(131009);
    expect((await tpl('spring_sale', 'en', [body('20%')])).json.error.code).toBe(132000);
    expect((await tpl('spring_sale', 'en', [body('20%'), { type: 'button', sub_type: 'url', index: 0, parameters: [{ type: 'text', text: 'spring' }] }])).status).toBe(200);
  });
});

describe('template pricing on status webhooks', () => {
  test('marketing is billable regular; utility inside the window is free_customer_service', async () => {
    const { sb, rx, close } = await setup({ statusDelaysMs: { sent: 2, delivered: null, read: null } });
    try {
      const to = '15551230009';
      const m = await send(sb, { to, type: 'template', template: { name: 'spring_sale', language: { code: 'en' }, components: [body('20%'), { type: 'button', sub_type: 'url', index: '0', parameters: [{ type: 'text', text: 's' }] }] } });
      await rx.waitFor(() => statusesOf(rx).length === 1);
      expect(statusesOf(rx)[0]).toMatchObject({ id: m.json.messages[0].id, status: 'sent', pricing: { billable: true, pricing_model: 'PMP', category: 'marketing', type: 'regular' } });
      await sb.inbound({ from: to, text: 'hi' });
      await send(sb, { to, type: 'template', template: { name: 'order_update', language: { code: 'en' }, components: [body('a', 'b')] } });
      await rx.waitFor(() => statusesOf(rx).length === 2);
      expect(statusesOf(rx)[1].pricing).toEqual({ billable: false, pricing_model: 'PMP', category: 'utility', type: 'free_customer_service' });
    } finally {
      await close();
    }
  });
});
