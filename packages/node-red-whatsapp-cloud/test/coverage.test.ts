/**
 * Send and account operations not covered elsewhere, each asserted on what the sandbox received:
 * contacts, stickers (upload, then send by ID), the mark-as-read typing flag, a template found on
 * Meta's second page of templates, and the account node's template list / create / delete.
 */
import { sharedWindowTracker } from '@wa-cloud/core';
import { DEFAULT_TEMPLATES, type Sandbox } from '../../sandbox/src';
import { collect, configFor, helper, load, nextMessage, sandbox, startServer, stop, uniqueUser, waitFor, type Loaded } from './helpers';

let sb: Sandbox;
let loaded: Loaded | undefined;

beforeEach(async () => {
  await startServer();
});
afterEach(async () => {
  await stop(loaded);
  loaded = undefined;
  await sb?.close();
});

/** `node` (a send or account node) → ok; Catch → err. */
async function run(node: Record<string, unknown>, options: { sandbox?: Parameters<typeof sandbox>[0] } = {}) {
  sb = await sandbox(options.sandbox);
  const config = configFor(sb);
  loaded = await load(
    [
      config.node,
      { id: 'tab', type: 'tab' },
      { id: 'node', z: 'tab', x: 1, y: 1, config: 'cfg', wires: [['ok']], ...node },
      { id: 'ok', z: 'tab', x: 1, y: 1, type: 'helper' },
      { id: 'catch', z: 'tab', x: 1, y: 1, type: 'catch', scope: null, uncaught: false, wires: [['err']] },
      { id: 'err', z: 'tab', x: 1, y: 1, type: 'helper' },
    ],
    config.credentials,
  );
  return { node: helper.getNode('node'), ok: helper.getNode('ok'), err: helper.getNode('err') };
}

/** Sends one msg and resolves with what came out: `{ ok }` or `{ err }`. */
async function exchange(nodes: { node: any; ok: any; err: any }, msg: Record<string, unknown>): Promise<{ ok?: any; err?: any }> {
  const ok = collect(nodes.ok);
  const err = collect(nodes.err);
  nodes.node.receive(msg);
  await waitFor(() => ok.length + err.length > 0, 5000, 'a result');
  return { ok: ok[0], err: err[0] };
}

async function openWindow(user: string): Promise<void> {
  await sb.inbound({ from: user, text: 'hi' });
  await sharedWindowTracker().recordInbound(sb.phoneNumberId, user);
}

const graphPosts = (suffix: string) => sb.requests.filter((r) => r.method === 'POST' && r.path.endsWith(suffix));
const WEBP = Buffer.from('UklGRiIAAABXRUJQVlA4IBYAAAAwAQCdASoBAAEADsD+JaQAA3AAAAAA', 'base64');

describe('whatsapp-cloud-out', () => {
  test('contacts (a Graph-shape payload): the card reaches the sandbox as sent; a card without a name fails naming the field, before any request', async () => {
    const nodes = await run({ type: 'whatsapp-cloud-out', mode: 'auto' });
    const user = uniqueUser();
    await openWindow(user);
    const card = { name: { formatted_name: 'Ana Souza', first_name: 'Ana' }, phones: [{ phone: '+14155550123', type: 'WORK' }], emails: [{ email: 'ana@example.com' }] };
    const { ok } = await exchange(nodes, { to: user, payload: { type: 'contacts', contacts: [card] } });
    expect(ok.whatsapp.messageId).toBe(sb.messages[0]!.id);
    expect(sb.messages[0]!.body).toMatchObject({ type: 'contacts', contacts: [card] });

    const before = sb.requests.length;
    const { err } = await exchange(nodes, { to: user, payload: { type: 'contacts', contacts: [{ phones: [{ phone: '+1415' }] }] } });
    expect(err.error.message).toMatch(/contacts\[0\]\.name/);
    expect(sb.requests.length).toBe(before);
  });

  test('sticker: a WebP Buffer is uploaded, then sent by its media ID; a caption on a sticker is refused, not dropped', async () => {
    const nodes = await run({ type: 'whatsapp-cloud-out', mode: 'media', mediaType: 'sticker' });
    const user = uniqueUser();
    await openWindow(user);
    const { ok } = await exchange(nodes, { to: user, payload: WEBP, mimetype: 'image/webp' });
    const uploads = graphPosts(`/${sb.phoneNumberId}/media`);
    expect(uploads).toHaveLength(1);
    const sent = sb.messages.find((m) => m.type === 'sticker')!;
    expect(ok.whatsapp.messageId).toBe(sent.id);
    expect((sent.body.sticker as { id: string }).id).toMatch(/^\d+$/);
    expect(sent.body.sticker).not.toHaveProperty('caption');

    const before = sb.requests.length;
    const { err } = await exchange(nodes, { to: user, payload: WEBP, mimetype: 'image/webp', caption: 'hello' });
    expect(err.error.message).toMatch(/sticker\.caption/);
    expect(sb.requests.slice(before).filter((r) => r.path.endsWith('/messages'))).toEqual([]);
  });

  test.each([true, false])('mark as read with typing %s: the read receipt carries the typing indicator only when asked', async (typing) => {
    const nodes = await run({ type: 'whatsapp-cloud-out', mode: 'read', typing });
    const user = uniqueUser();
    const wamid = await sb.inbound({ from: user, text: 'hello' });
    const { ok } = await exchange(nodes, { whatsapp: { kind: 'message', messageId: wamid } });
    expect(ok.whatsapp).toMatchObject({ success: true, messageId: wamid });
    const [read] = graphPosts(`/${sb.phoneNumberId}/messages`);
    expect(read!.body).toEqual({ messaging_product: 'whatsapp', status: 'read', message_id: wamid, ...(typing ? { typing_indicator: { type: 'text' } } : {}) });
  });

  test('a template on Meta\'s second page of templates is found, and its parameters filled', async () => {
    // 120 templates whose names all contain "notice" (Meta's name filter matches substrings), the target last.
    const fillers = Array.from({ length: 120 }, (_, i) => ({ name: `notice_filler_${String(i).padStart(3, '0')}`, language: 'en_US', status: 'APPROVED', category: 'UTILITY', components: [{ type: 'BODY', text: 'Filler' }] }));
    const target = { name: 'notice', language: 'en_US', status: 'APPROVED', category: 'UTILITY', components: [{ type: 'BODY', text: 'Hi {{1}}, your appointment is on {{2}}.', example: { body_text: [['Ana', 'Monday']] } }] };
    const nodes = await run(
      { type: 'whatsapp-cloud-out', mode: 'template', template: 'notice', language: 'en_US', parameters: [{ key: 'body.1', value: 'Ana', type: 'str' }, { key: 'body.2', value: 'Monday', type: 'str' }] },
      { sandbox: { templates: [...DEFAULT_TEMPLATES, ...fillers, target] as never } },
    );
    const user = uniqueUser();
    const { ok, err } = await exchange(nodes, { to: user });
    expect(err).toBeUndefined();
    const lookups = sb.requests.filter((r) => r.method === 'GET' && r.path.endsWith(`/${sb.wabaId}/message_templates`));
    expect(lookups.length).toBeGreaterThanOrEqual(2);
    expect(lookups[1]!.query.after).toBeTruthy();
    const sent = sb.messages.find((m) => m.id === ok.whatsapp.messageId)!;
    expect(sent.body.template).toMatchObject({ name: 'notice', language: { code: 'en_US' }, components: [{ type: 'body', parameters: [{ type: 'text', text: 'Ana' }, { type: 'text', text: 'Monday' }] }] });
  });
});

describe('whatsapp-cloud-account templates', () => {
  test('list templates reads every page, with filters; an unknown filter is refused before any request', async () => {
    const fillers = Array.from({ length: 130 }, (_, i) => ({ name: `bulk_${String(i).padStart(3, '0')}`, language: 'en_US', status: i % 2 ? 'APPROVED' : 'REJECTED', category: 'MARKETING', components: [{ type: 'BODY', text: 'Bulk' }] }));
    const nodes = await run({ type: 'whatsapp-cloud-account', operation: 'listTemplates' }, { sandbox: { templates: [...DEFAULT_TEMPLATES, ...fillers] as never } });
    const all = await exchange(nodes, { payload: Date.now() });
    expect(all.ok.payload).toHaveLength(DEFAULT_TEMPLATES.length + 130);
    expect(new Set(all.ok.payload.map((t: { name: string }) => t.name)).size).toBe(DEFAULT_TEMPLATES.length + 130);
    const pages = sb.requests.filter((r) => r.method === 'GET' && r.path.endsWith('/message_templates'));
    expect(pages.length).toBeGreaterThanOrEqual(2);

    const rejected = await exchange(nodes, { payload: { status: 'REJECTED', category: 'MARKETING' } });
    expect(rejected.ok.payload).toHaveLength(65);
    expect(rejected.ok.payload.every((t: { status: string }) => t.status === 'REJECTED')).toBe(true);

    const before = sb.requests.length;
    const bad = await exchange(nodes, { payload: { state: 'APPROVED' } });
    expect(bad.err.error.message).toMatch(/payload\.state: is not a template filter/);
    expect(sb.requests.length).toBe(before);
  });

  test('create, then delete by name: the sandbox has it, then has it no more', async () => {
    sb = await sandbox();
    const config = configFor(sb);
    loaded = await load(
      [
        config.node,
        { id: 'tab', type: 'tab' },
        { id: 'create', z: 'tab', x: 1, y: 1, type: 'whatsapp-cloud-account', config: 'cfg', operation: 'createTemplate', wires: [['ok']] },
        { id: 'delete', z: 'tab', x: 1, y: 1, type: 'whatsapp-cloud-account', config: 'cfg', operation: 'deleteTemplate', wires: [['ok']] },
        { id: 'ok', z: 'tab', x: 1, y: 1, type: 'helper' },
        { id: 'catch', z: 'tab', x: 1, y: 1, type: 'catch', scope: null, uncaught: false, wires: [['err']] },
        { id: 'err', z: 'tab', x: 1, y: 1, type: 'helper' },
      ],
      config.credentials,
    );
    const listed = async () => (await (await fetch(`${sb.url}/v25.0/${sb.wabaId}/message_templates?name=shipping_note&limit=100`, { headers: { authorization: `Bearer ${sb.accessToken}` } })).json()).data as Array<{ name: string }>;
    const ok = helper.getNode('ok');
    const created = nextMessage(ok);
    helper.getNode('create').receive({ payload: { name: 'shipping_note', language: 'en_US', category: 'UTILITY', components: [{ type: 'BODY', text: 'Your parcel {{1}} left the warehouse.', example: { body_text: [['A-1']] } }] } });
    expect((await created).payload).toMatchObject({ id: expect.any(String), status: 'PENDING' });
    expect((await listed()).map((t) => t.name)).toEqual(['shipping_note']);

    const deleted = nextMessage(ok);
    helper.getNode('delete').receive({ payload: 'shipping_note' });
    expect((await deleted).payload).toEqual({ name: 'shipping_note', deleted: true });
    expect(sb.requests.filter((r) => r.method === 'DELETE').map((r) => r.query.name)).toEqual(['shipping_note']);
    expect(await listed()).toEqual([]);

    const caught = nextMessage(helper.getNode('err'));
    helper.getNode('delete').receive({ payload: { id: '123' } });
    expect((await caught).error.message).toMatch(/payload: must be the template name/);
  });
});
