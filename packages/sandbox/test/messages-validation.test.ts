import { startSandbox, type Sandbox } from '../src';
import { send, sendText } from './helpers';

/** Asserts a 400 / code 100 whose details mention `detail`. */
async function expect100(p: Promise<{ status: number; json: any }>, detail: RegExp): Promise<void> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const r = await p;
  expect(r.status).toBe(400);
  expect(r.json.error.code).toBe(100);
  expect(r.json.error.error_data.messaging_product).toBe('whatsapp');
  expect(r.json.error.error_data.details).toMatch(detail);
}

describe('POST /{phone}/messages request shape (code 100 naming the field)', () => {
  let sb: Sandbox;
  const to = '15551230001';
  beforeAll(async () => {
    sb = await startSandbox({ statusDelaysMs: { sent: 5, delivered: null, read: null } });
    sb.setWindow(to);
  });
  afterAll(() => sb.close());

  test('messaging_product is required and must be whatsapp', async () => {
    const r = await fetch(`${sb.url}/v23.0/${sb.phoneNumberId}/messages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${sb.accessToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ to, text: { body: 'x' } }),
    });
    expect(r.status).toBe(400);
    const j = (await r.json()) as { error: unknown };
    expect(j.error).toMatchObject({ code: 100, message: '(#100) The parameter messaging_product is required.' });
    await expect100(send(sb, { messaging_product: 'sms', to, text: { body: 'x' } }), /messaging_product/);
  });

  test('to is required and must be a phone number or BSUID', async () => {
    await expect100(send(sb, { type: 'text', text: { body: 'x' } }), /to is required/);
    await expect100(send(sb, { to: 'not a number!', text: { body: 'x' } }), /Param to/);
  });

  test('unknown type, missing type object', async () => {
    await expect100(send(sb, { to, type: 'fax', fax: {} }), /Param type must be one of/);
    await expect100(send(sb, { to, type: 'image' }), /image is required/);
  });

  test('text body required and ≤ 4096 characters', async () => {
    await expect100(send(sb, { to, type: 'text', text: {} }), /text\['body'\]/);
    await expect100(sendText(sb, to, 'x'.repeat(4097)), /at most 4096/);
    expect((await sendText(sb, to, 'x'.repeat(4096))).status).toBe(200);
  });

  test('media: exactly one of id/link, http(s) link, caption ≤ 1024, no caption on audio', async () => {
    await expect100(send(sb, { to, type: 'image', image: { id: '1', link: 'https://e.com/a.jpg' } }), /exactly one of 'id' or 'link'/);
    await expect100(send(sb, { to, type: 'image', image: { link: 'ftp://e.com/a.jpg' } }), /http\(s\)/);
    await expect100(send(sb, { to, type: 'image', image: { link: 'https://e.com/a.jpg', caption: 'c'.repeat(1025) } }), /1024/);
    await expect100(send(sb, { to, type: 'audio', audio: { link: 'https://e.com/a.ogg', caption: 'no' } }), /caption/);
    expect((await send(sb, { to, type: 'image', image: { link: 'https://e.com/a.jpg', caption: 'ok' } })).status).toBe(200);
  });

  test('interactive buttons: 1–3, title ≤ 20 and unique, body ≤ 1024', async () => {
    const btn = (id: string, title: string) => ({ type: 'reply', reply: { id, title } });
    const base = (buttons: unknown[], body = 'Pick') => ({ to, type: 'interactive', interactive: { type: 'button', body: { text: body }, action: { buttons } } });
    await expect100(send(sb, base([btn('a', 'A'), btn('b', 'B'), btn('c', 'C'), btn('d', 'D')])), /1 to 3 buttons/);
    await expect100(send(sb, base([btn('a', 'x'.repeat(21))])), /at most 20/);
    await expect100(send(sb, base([btn('a', 'Same'), btn('b', 'Same')])), /unique/);
    await expect100(send(sb, base([btn('a', 'A')], 'b'.repeat(1025))), /at most 1024/);
    expect((await send(sb, base([btn('a', 'A'), btn('b', 'B')]))).status).toBe(200);
  });

  test('interactive list: ≤ 10 rows in total, row title ≤ 24, section titles when several', async () => {
    const rows = (n: number, p: string) => Array.from({ length: n }, (_, i) => ({ id: `${p}${i}`, title: `Row ${i}` }));
    const list = (sections: unknown[]) => ({ to, type: 'interactive', interactive: { type: 'list', body: { text: 'Menu' }, action: { button: 'Open', sections } } });
    await expect100(send(sb, list([{ title: 'A', rows: rows(6, 'a') }, { title: 'B', rows: rows(5, 'b') }])), /at most 10 rows/);
    await expect100(send(sb, list([{ title: 'A', rows: [{ id: '1', title: 't'.repeat(25) }] }])), /at most 24/);
    await expect100(send(sb, list([{ rows: rows(1, 'a') }, { title: 'B', rows: rows(1, 'b') }])), /\['title'\]/);
    expect((await send(sb, list([{ title: 'A', rows: rows(10, 'a') }]))).status).toBe(200);
  });

  test('cta_url needs display_text ≤ 20 and an http(s) url', async () => {
    const cta = (p: unknown) => ({ to, type: 'interactive', interactive: { type: 'cta_url', body: { text: 'b' }, action: { name: 'cta_url', parameters: p } } });
    await expect100(send(sb, cta({ display_text: 'x'.repeat(21), url: 'https://e.com' })), /display_text/);
    await expect100(send(sb, cta({ display_text: 'Go', url: 'javascript:alert(1)' })), /url/);
    expect((await send(sb, cta({ display_text: 'Go', url: 'https://e.com' }))).status).toBe(200);
  });

  test('biz_opaque_callback_data ≤ 512; reaction cannot carry context; location needs coordinates', async () => {
    await expect100(sendText(sb, to, 'x', { biz_opaque_callback_data: 'x'.repeat(513) }), /512/);
    await expect100(send(sb, { to, type: 'reaction', reaction: { message_id: 'wamid.x', emoji: '👍' }, context: { message_id: 'wamid.x' } }), /context/);
    await expect100(send(sb, { to, type: 'location', location: { latitude: 'north' } }), /latitude/);
  });

  test('recipient = sender → 131021', async () => {
    const r = await sendText(sb, `+${sb.displayPhoneNumber}`);
    expect(r.status).toBe(400);
    expect(r.json.error.code).toBe(131021);
  });

  test('a valid send answers like Meta: contacts[{input, wa_id}], messages[{id}]', async () => {
    const r = await sendText(sb, '+1 (555) 123-0001');
    expect(r.status).toBe(200);
    expect(r.json).toEqual({
      messaging_product: 'whatsapp',
      contacts: [{ input: '+1 (555) 123-0001', wa_id: '15551230001' }],
      messages: [{ id: expect.stringMatching(/^wamid\./) }],
    });
    const m = sb.messages.find((x) => x.id === r.json.messages[0].id)!;
    expect(m).toMatchObject({ to: '+1 (555) 123-0001', waId: '15551230001', type: 'text' });
  });

  test('mark as read: {success:true} for a received message, 100 for an unknown ID', async () => {
    const id = await sb.inbound({ from: to, text: 'hi' });
    const r = await send(sb, { status: 'read', message_id: id, typing_indicator: { type: 'text' } });
    expect(r).toEqual({ status: 200, json: { success: true } });
    expect(sb.inbounds.find((i) => i.id === id)!.readAt).toBeDefined();
    const bad = await send(sb, { status: 'read', message_id: 'wamid.unknown' });
    expect(bad.status).toBe(400);
    expect(bad.json.error.code).toBe(100);
    const badTyping = await send(sb, { status: 'read', message_id: id, typing_indicator: { type: 'audio' } });
    expect(badTyping.json.error.error_data.details).toMatch(/typing_indicator/);
  });
});
