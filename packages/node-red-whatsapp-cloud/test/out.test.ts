import { sharedWindowTracker } from '@wa-cloud/core';
import type { Sandbox } from '../../sandbox/src';
import { collect, configFor, helper, load, nextMessage, sandbox, startServer, stop, uniqueUser, waitFor, type Loaded } from './helpers';

/** out → helper (success), catch → helper (errors). */
function flow(sb: Sandbox, out: Record<string, unknown>, configProps: Record<string, unknown> = {}) {
  const config = configFor(sb, configProps);
  return {
    nodes: [
      config.node,
      { id: 'tab', type: 'tab' },
      { id: 'out', z: 'tab', x: 100, y: 100, type: 'whatsapp-cloud-out', config: 'cfg', wires: [['ok']], ...out },
      { id: 'ok', z: 'tab', x: 100, y: 100, type: 'helper' },
      { id: 'catch', z: 'tab', x: 100, y: 100, type: 'catch', scope: null, uncaught: false, wires: [['err']] },
      { id: 'err', z: 'tab', x: 100, y: 100, type: 'helper' },
    ],
    credentials: config.credentials,
  };
}

// The helper loads the core Catch node itself when a flow has one.
const loadWithCatch = load;

async function openWindow(sb: Sandbox, user: string): Promise<void> {
  await sb.inbound({ from: user, text: 'hi' });
  await sharedWindowTracker().recordInbound(sb.phoneNumberId, user);
}

describe('whatsapp-cloud-out', () => {
  let sb: Sandbox;
  let loaded: Loaded | undefined;

  beforeEach(async () => {
    await startServer();
    sb = await sandbox();
  });
  afterEach(async () => {
    await stop(loaded);
    loaded = undefined;
    await sb.close();
  });

  async function run(out: Record<string, unknown>, configProps?: Record<string, unknown>) {
    const f = flow(sb, out, configProps);
    loaded = await loadWithCatch(f.nodes, f.credentials);
    return { out: helper.getNode('out'), ok: helper.getNode('ok'), err: helper.getNode('err') };
  }

  test('a string payload is sent as text to msg.to; the result is on msg.whatsapp', async () => {
    const user = uniqueUser();
    await openWindow(sb, user);
    const { out, ok } = await run({});
    const result = nextMessage(ok);
    out.receive({ payload: 'Your order shipped', to: user, bizOpaqueCallbackData: 'order-42' });
    const msg = await result;
    expect(sb.messages).toHaveLength(1);
    expect(sb.messages[0]!.body).toMatchObject({ to: '+' + user, type: 'text', text: { body: 'Your order shipped' }, biz_opaque_callback_data: 'order-42' });
    expect(msg.whatsapp).toMatchObject({ messageId: sb.messages[0]!.id, attempts: 1 });
    expect(msg.payload).toBe('Your order shipped');
  });

  test('the node\'s To wins over msg.to; a Graph-shape object is sent as given', async () => {
    const user = uniqueUser();
    await openWindow(sb, user);
    const { out, ok } = await run({ to: user });
    const result = nextMessage(ok);
    out.receive({ to: '15550000000', payload: { type: 'location', location: { latitude: 52.52, longitude: 13.405, name: 'Office' } } });
    await result;
    expect(sb.messages[0]!.body).toMatchObject({ to: '+' + user, type: 'location', location: { name: 'Office' } });
  });

  test('outside the window a text fails before any request, into Catch with code, category and hint', async () => {
    const { out, err } = await run({});
    const caught = nextMessage(err);
    out.receive({ payload: 'hello?', to: uniqueUser() });
    const msg = await caught;
    expect(msg.error.code).toBe('window_closed');
    expect(msg.error.cause).toMatchObject({ code: 'window_closed', category: 'window' });
    expect(msg.error.cause.hint).toMatch(/template/);
    expect(msg.error.message).toMatch(/24-hour window/);
    expect(sb.messages).toHaveLength(0);
  });

  test('window policy fallback-template sends the fallback instead and says so', async () => {
    const { out, ok } = await run({}, { windowPolicy: 'fallback-template', fallbackTemplate: 'hello_world', fallbackLanguage: 'en_US' });
    const result = nextMessage(ok);
    out.receive({ payload: 'free text', to: uniqueUser() });
    const msg = await result;
    expect(sb.messages[0]!.body).toMatchObject({ type: 'template', template: { name: 'hello_world' } });
    expect(msg.whatsapp.fallback).toEqual({ reason: 'window_closed', template: 'hello_world' });
  });

  test('template mode fills the parameters from typed values, checked against the template', async () => {
    const { out, ok } = await run({
      mode: 'template',
      template: 'order_update',
      language: 'en',
      parameters: [
        { key: 'body.1', value: 'payload.name', type: 'msg' },
        { key: 'body.2', value: '#1042', type: 'str' },
      ],
    });
    const result = nextMessage(ok);
    const user = uniqueUser();
    out.receive({ payload: { name: 'Ada' }, to: user });
    await result;
    expect(sb.messages[0]!.body).toMatchObject({
      to: '+' + user,
      type: 'template',
      template: { name: 'order_update', language: { code: 'en' }, components: [{ type: 'body', parameters: [{ type: 'text', text: 'Ada' }, { type: 'text', text: '#1042' }] }] },
    });
  });

  test('a missing template parameter fails before sending, naming it', async () => {
    const { out, err } = await run({ mode: 'template', template: 'order_update', language: 'en', parameters: [{ key: 'body.1', value: 'Ada', type: 'str' }] });
    const caught = nextMessage(err);
    out.receive({ to: uniqueUser() });
    const msg = await caught;
    expect(msg.error.code).toBe('validation_failed');
    expect(msg.error.message).toMatch(/body.2|\{\{2\}\}/);
    expect(sb.messages).toHaveLength(0);
  });

  test('msg.template overrides name, language and parameters', async () => {
    const { out, ok } = await run({ mode: 'template' });
    const result = nextMessage(ok);
    out.receive({ to: uniqueUser(), template: { name: 'order_confirmation', language: 'en_US', parameters: { 'body.first_name': 'Ada', 'body.order_number': '77' } } });
    await result;
    expect(sb.messages[0]!.body).toMatchObject({
      template: { name: 'order_confirmation', components: [{ type: 'body', parameters: [{ type: 'text', parameter_name: 'first_name', text: 'Ada' }, { type: 'text', parameter_name: 'order_number', text: '77' }] }] },
    });
  });

  test('choices: up to 3 options become reply buttons, 4-10 a list, 11 an error naming the field and the limit', async () => {
    const user = uniqueUser();
    await openWindow(sb, user);
    const options = (n: number) => Array.from({ length: n }, (_, i) => ({ id: `o${i}`, title: `Option ${i}` }));
    const { out, ok, err } = await run({ mode: 'choices', prompt: 'Pick one', options: options(3) });
    const first = nextMessage(ok);
    out.receive({ to: user });
    await first;
    expect(sb.messages[0]!.body).toMatchObject({ type: 'interactive', interactive: { type: 'button', body: { text: 'Pick one' } } });

    const loadedNode = helper.getNode('out');
    expect(loadedNode).toBeTruthy();
    // msg.options is used when the node has none: here the node has 3, so build a second flow.
    await helper.unload();
    await loaded!.close();
    const f = flow(sb, { mode: 'choices', prompt: 'Pick one' });
    loaded = await loadWithCatch(f.nodes, f.credentials);
    const out2 = helper.getNode('out');
    const second = nextMessage(helper.getNode('ok'));
    out2.receive({ to: user, options: options(5) });
    await second;
    expect(sb.messages[1]!.body).toMatchObject({ type: 'interactive', interactive: { type: 'list', action: { button: 'Choose' } } });
    expect((sb.messages[1]!.body as any).interactive.action.sections[0].rows).toHaveLength(5);

    const caught = nextMessage(helper.getNode('err'));
    out2.receive({ to: user, options: options(11) });
    const failure = await caught;
    expect(failure.error.message).toMatch(/options: 11 options, the limit is 10/);
    expect(sb.messages).toHaveLength(2);
    void ok;
    void err;
  });

  test('choices: a title over 20 characters on a button is an error naming options[i].title', async () => {
    const user = uniqueUser();
    await openWindow(sb, user);
    const { out, err } = await run({ mode: 'choices', prompt: 'Pick', options: [{ id: 'a', title: 'A' }, { id: 'b', title: 'This title is far too long' }] });
    const caught = nextMessage(err);
    out.receive({ to: user });
    const msg = await caught;
    expect(msg.error.message).toMatch(/options\[1\]\.title: 26 characters, the limit is 20/);
    expect(sb.messages).toHaveLength(0);
  });

  test('a Buffer payload with msg.mimetype is uploaded and sent as media', async () => {
    const user = uniqueUser();
    await openWindow(sb, user);
    const { out, ok } = await run({ caption: 'ignored outside media mode' });
    const result = nextMessage(ok);
    const png = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000', 'hex');
    out.receive({ to: user, payload: png, mimetype: 'image/png', filename: 'dot.png' });
    const msg = await result;
    const upload = sb.requests.find((r) => r.method === 'POST' && r.path.endsWith('/media'));
    expect(upload?.status).toBe(200);
    expect(sb.messages[0]!.body).toMatchObject({ type: 'image', image: { id: expect.any(String) } });
    expect(msg.whatsapp.messageId).toBe(sb.messages[0]!.id);
  });

  test('media mode sends a link with the node\'s caption', async () => {
    const user = uniqueUser();
    await openWindow(sb, user);
    const { out, ok } = await run({ mode: 'media', mediaType: 'document', caption: 'Invoice', filename: 'invoice.pdf' });
    const result = nextMessage(ok);
    out.receive({ to: user, payload: 'https://example.com/invoice.pdf' });
    await result;
    expect(sb.messages[0]!.body).toMatchObject({ type: 'document', document: { link: 'https://example.com/invoice.pdf', caption: 'Invoice', filename: 'invoice.pdf' } });
  });

  test('interactive mode wraps msg.payload; reaction and mark-as-read use the inbound message id', async () => {
    const user = uniqueUser();
    await sharedWindowTracker().recordInbound(sb.phoneNumberId, user);
    const wamid = await sb.inbound({ from: user, text: 'hello' });
    const f = flow(sb, { mode: 'interactive' });
    f.nodes.push(
      { id: 'react', z: 'tab', x: 100, y: 100, type: 'whatsapp-cloud-out', config: 'cfg', mode: 'reaction', emoji: '👍', wires: [['ok']] } as never,
      { id: 'read', z: 'tab', x: 100, y: 100, type: 'whatsapp-cloud-out', config: 'cfg', mode: 'read', typing: true, wires: [['ok']] } as never,
    );
    loaded = await loadWithCatch(f.nodes, f.credentials);
    const seen = collect(helper.getNode('ok'));
    const inboundMsg = { to: user, whatsapp: { kind: 'message', messageId: wamid } };
    helper.getNode('out').receive({ to: user, payload: { type: 'cta_url', body: { text: 'Track it' }, action: { name: 'cta_url', parameters: { display_text: 'Track', url: 'https://example.com/t/1' } } } });
    helper.getNode('react').receive({ ...inboundMsg });
    helper.getNode('read').receive({ ...inboundMsg });
    await waitFor(() => seen.length === 3, 5000, 'three results');
    expect(sb.messages.map((m) => m.type).sort()).toEqual(['interactive', 'reaction']);
    expect(sb.messages.find((m) => m.type === 'reaction')!.body).toMatchObject({ reaction: { message_id: wamid, emoji: '👍' } });
    expect(sb.inbounds.find((i) => i.id === wamid)?.readAt).toBeDefined();
    expect(seen.find((m) => m.whatsapp.success === true)).toMatchObject({ whatsapp: { success: true, messageId: wamid } });
  });

  test('a rejected token fails into Catch with Meta\'s code and shows on every node of the config', async () => {
    const f = flow(sb, {});
    f.credentials.cfg = { ...f.credentials.cfg, accessToken: 'wrong-token' } as never;
    f.nodes.push({ id: 'in', z: 'tab', x: 100, y: 100, type: 'whatsapp-cloud-in', config: 'cfg', path: '/wa-auth', wires: [[], [], []] } as never);
    loaded = await loadWithCatch(f.nodes, f.credentials);
    const inNode = helper.getNode('in');
    const statuses: any[] = [];
    inNode.on('call:status', (call: any) => statuses.push(call.args[0]));
    const caught = nextMessage(helper.getNode('err'));
    helper.getNode('out').receive({ to: uniqueUser(), payload: { type: 'template', template: { name: 'hello_world', language: { code: 'en_US' } } } });
    const msg = await caught;
    expect(msg.error.cause).toMatchObject({ category: 'auth', graphCode: 190 });
    expect(JSON.stringify(msg)).not.toContain('wrong-token');
    await waitFor(() => statuses.some((s) => s.fill === 'red'), 2000, 'status fan-out');
  });

  test('status shows queued/sending, and close lets in-flight sends finish through done', async () => {
    await sb.close();
    sb = await sandbox({ latencyMs: 300 });
    const user = uniqueUser();
    const f = flow(sb, { mode: 'template', template: 'hello_world', language: 'en_US' }, { throughput: 1 });
    loaded = await loadWithCatch(f.nodes, f.credentials);
    const out = helper.getNode('out');
    const statuses: any[] = [];
    out.on('call:status', (call: any) => statuses.push(call.args[0]));
    const results = collect(helper.getNode('ok'));
    const completions: unknown[] = [];
    out.on('call:send', () => completions.push('send'));
    out.on('call:error', () => completions.push('error'));
    out.receive({ to: user });
    out.receive({ to: user });
    await waitFor(() => statuses.some((s) => /sending|queued/.test(s.text ?? '')), 2000, 'progress status');
    // Close while both are in flight: close waits, each ends in send or error.
    expect(completions).toHaveLength(0);
    await out.close(false);
    // Node-RED delivers messages asynchronously: the second one lands a tick after close.
    await waitFor(() => results.length === 2, 1000, 'both results');
    expect(completions.filter((c) => c === 'error')).toHaveLength(0);
    expect(sb.messages).toHaveLength(2);
    expect(statuses.map((s) => s.text)).toEqual(expect.arrayContaining([expect.stringMatching(/sending \(\d\)|queued \(\d\)/)]));
  });
});
