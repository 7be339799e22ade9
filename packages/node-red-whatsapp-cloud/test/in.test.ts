import express from 'express';
import * as http from 'node:http';
import supertest from 'supertest';
import { signBody, type Sandbox } from '../../sandbox/src';
import { collect, configFor, helper, load, nextMessage, sandbox, startServer, stop, uniqueUser, waitFor, type Loaded } from './helpers';

const PATH = '/wa-hook';

function webhookBody(sb: Sandbox, items: { messages?: object[]; statuses?: object[]; contacts?: object[] }, field = 'messages') {
  return JSON.stringify({
    object: 'whatsapp_business_account',
    entry: [
      {
        id: sb.wabaId,
        changes: [{ field, value: { messaging_product: 'whatsapp', metadata: { display_phone_number: sb.displayPhoneNumber, phone_number_id: sb.phoneNumberId }, ...items } }],
      },
    ],
  });
}

function textMessage(from: string, id: string, body = 'hello') {
  return { from, id, timestamp: String(Math.floor(Date.now() / 1000)), type: 'text', text: { body } };
}

describe('whatsapp-cloud-in', () => {
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

  /** in → messages, statuses, others helpers. */
  async function run(inProps: Record<string, unknown> = {}, extra: object[] = []) {
    const config = configFor(sb);
    loaded = await load(
      [
        config.node,
        { id: 'in', type: 'whatsapp-cloud-in', config: 'cfg', path: PATH, wires: [['messages', ...(extra.length ? ['reply'] : [])], ['statuses'], ['others']], ...inProps },
        { id: 'messages', type: 'helper' },
        { id: 'statuses', type: 'helper' },
        { id: 'others', type: 'helper' },
        ...extra,
      ],
      config.credentials,
    );
    return loaded;
  }

  test('GET answers the challenge as plain text with the right verify token, 403 otherwise', async () => {
    const { RED } = await run();
    const ok = await supertest(RED.httpNode).get(PATH).query({ 'hub.mode': 'subscribe', 'hub.verify_token': sb.verifyToken, 'hub.challenge': '1158201444' });
    expect(ok.status).toBe(200);
    expect(ok.headers['content-type']).toMatch(/^text\/plain/);
    expect(ok.text).toBe('1158201444');
    const bad = await supertest(RED.httpNode).get(PATH).query({ 'hub.mode': 'subscribe', 'hub.verify_token': 'nope', 'hub.challenge': '1158201444' });
    expect(bad.status).toBe(403);
    expect(bad.text).not.toContain('1158201444');
  });

  test('a signed POST is answered 200 and split into one msg per event on three outputs', async () => {
    const { RED } = await run();
    const messages = collect(helper.getNode('messages'));
    const statuses = collect(helper.getNode('statuses'));
    const others = collect(helper.getNode('others'));
    const a = uniqueUser();
    const b = uniqueUser();
    const body = webhookBody(sb, {
      contacts: [{ wa_id: a, profile: { name: 'Ada' } }, { wa_id: b, profile: { name: 'Bob' } }],
      messages: [textMessage(a, `wamid.split-${a}`), textMessage(b, `wamid.split-${b}`, 'second')],
      statuses: [{ id: `wamid.out-${a}`, status: 'delivered', timestamp: String(Math.floor(Date.now() / 1000)), recipient_id: a, biz_opaque_callback_data: 'order-7' }],
    });
    const res = await supertest(RED.httpNode).post(PATH).set('content-type', 'application/json').set('x-hub-signature-256', signBody(body, sb.appSecret)).send(body);
    expect(res.status).toBe(200);
    await waitFor(() => messages.length === 2 && statuses.length === 1, 2000, 'events');
    expect(messages.map((m) => m.payload.text)).toEqual(['hello', 'second']);
    expect(messages[0]).toMatchObject({ to: a, topic: 'message/text', whatsapp: { kind: 'message', from: a, contactName: 'Ada', messageId: `wamid.split-${a}` } });
    expect(statuses[0]).toMatchObject({ topic: 'status', whatsapp: { status: 'delivered', bizOpaqueCallbackData: 'order-7' } });
    expect(others).toHaveLength(0);

    const template = webhookBody(sb, {}, 'message_template_status_update');
    const templateEvent = JSON.stringify({
      object: 'whatsapp_business_account',
      entry: [{ id: sb.wabaId, time: Math.floor(Date.now() / 1000), changes: [{ field: 'message_template_status_update', value: { event: 'APPROVED', message_template_id: 1, message_template_name: 'order_update', message_template_language: 'en', reason: 'NONE' } }] }],
    });
    void template;
    const res2 = await supertest(RED.httpNode).post(PATH).set('x-hub-signature-256', signBody(templateEvent, sb.appSecret)).set('content-type', 'application/json').send(templateEvent);
    expect(res2.status).toBe(200);
    await waitFor(() => others.length === 1, 2000, 'other event');
    expect(others[0].whatsapp).toMatchObject({ kind: 'template_status', event: 'APPROVED', templateName: 'order_update' });

    // A redelivery of the same POST is answered 200 and starts nothing.
    const again = await supertest(RED.httpNode).post(PATH).set('content-type', 'application/json').set('x-hub-signature-256', signBody(body, sb.appSecret)).send(body);
    expect(again.status).toBe(200);
    await new Promise((r) => setTimeout(r, 100));
    expect(messages).toHaveLength(2);
  });

  test('a bad or missing signature is answered 401 and starts nothing', async () => {
    const { RED } = await run();
    const messages = collect(helper.getNode('messages'));
    const user = uniqueUser();
    const body = webhookBody(sb, { messages: [textMessage(user, `wamid.bad-${user}`)] });
    const wrong = await supertest(RED.httpNode).post(PATH).set('content-type', 'application/json').set('x-hub-signature-256', signBody(body, 'another-secret')).send(body);
    expect(wrong.status).toBe(401);
    const none = await supertest(RED.httpNode).post(PATH).set('content-type', 'application/json').send(body);
    expect(none.status).toBe(401);
    // The exact bytes are signed: the same JSON re-serialised differently does not pass.
    const reformatted = JSON.stringify(JSON.parse(body), null, 2);
    const changed = await supertest(RED.httpNode).post(PATH).set('content-type', 'application/json').set('x-hub-signature-256', signBody(body, sb.appSecret)).send(reformatted);
    expect(changed.status).toBe(401);
    await new Promise((r) => setTimeout(r, 100));
    expect(messages).toHaveLength(0);
  });

  test('not a webhook → 400; over 3 MB → 413 (declared or streamed)', async () => {
    const { RED, nodeUrl } = await run();
    const junk = '{"hello":"world"}';
    const bad = await supertest(RED.httpNode).post(PATH).set('content-type', 'application/json').set('x-hub-signature-256', signBody(junk, sb.appSecret)).send(junk);
    expect(bad.status).toBe(400);
    const big = Buffer.alloc(3 * 1024 * 1024 + 1, 0x20);
    const declared = await supertest(RED.httpNode).post(PATH).set('content-type', 'application/json').send(big).catch((e: { response?: { status: number } }) => e.response);
    expect(declared?.status).toBe(413);
    // Chunked, no Content-Length: refused while reading.
    const status = await new Promise<number>((resolve, reject) => {
      const req = http.request(`${nodeUrl}${PATH}`, { method: 'POST', headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      const chunk = Buffer.alloc(256 * 1024, 0x20);
      let sent = 0;
      const write = () => {
        while (sent < 4 * 1024 * 1024) {
          sent += chunk.length;
          if (!req.write(chunk)) return void req.once('drain', write);
        }
        req.end();
      };
      write();
    }).catch((e) => (String(e).includes('EPIPE') || String(e).includes('ECONNRESET') ? 413 : Promise.reject(e)));
    expect(status).toBe(413);
  });

  test('a body already consumed by httpNodeMiddleware fails closed (500) with a clear error', async () => {
    const { RED } = await run();
    // What a user's settings.js httpNodeMiddleware body parser would do: it runs before every route.
    RED.httpNode.use(express.json());
    const stack = RED.httpNode._router.stack;
    stack.unshift(stack.pop());
    const inNode = helper.getNode('in');
    const errors: string[] = [];
    inNode.on('call:error', (call: any) => errors.push(String(call.args[0])));
    const user = uniqueUser();
    const body = webhookBody(sb, { messages: [textMessage(user, `wamid.mw-${user}`)] });
    const res = await supertest(RED.httpNode).post(PATH).set('content-type', 'application/json').set('x-hub-signature-256', signBody(body, sb.appSecret)).send(body);
    expect(res.status).toBe(500);
    expect(errors.join()).toMatch(/httpNodeMiddleware/);
  });

  test('as in a real runtime: an admin app with a JSON parser on the same root does not get the body first', async () => {
    // Node-RED mounts the admin app and RED.httpNode under one root app, both at "/" by default.
    const root = express();
    const admin = express();
    admin.use(express.json());
    root.use('/', admin);
    const config = configFor(sb);
    // Mount a fresh node app before the nodes load, as Node-RED does before starting flows.
    const nodeApp = express();
    root.use('/', nodeApp);
    const RED = { httpNode: nodeApp };
    const { captureRawBodies } = require('../src/lib/raw-body');
    const release = captureRawBodies(RED.httpNode, PATH);
    nodeApp.post(PATH, (req: any, res: any) => res.status(200).send(Buffer.isBuffer(req.whatsappRawBody) ? req.whatsappRawBody.toString('utf8') : 'no raw body'));
    const body = '{ "spaced":  "exactly as sent" }';
    const res = await supertest(root).post(PATH).set('content-type', 'application/json').send(body);
    expect(res.text).toBe(body);
    release();
    const after = await supertest(root).post(PATH).set('content-type', 'application/json').send(body);
    expect(after.text).toBe('no raw body');
    void config;
  });

  test('the route matches in any letter case, as Express does: POST /WA-HOOK is captured and verified too', async () => {
    const root = express();
    const admin = express();
    admin.use(express.json());
    root.use('/', admin);
    const nodeApp = express();
    root.use('/', nodeApp);
    const { captureRawBodies } = require('../src/lib/raw-body');
    const release = captureRawBodies(nodeApp, PATH);
    nodeApp.post(PATH, (req: any, res: any) => res.status(200).send(Buffer.isBuffer(req.whatsappRawBody) ? req.whatsappRawBody.toString('utf8') : 'no raw body'));
    const body = '{ "spaced":  "exactly as sent" }';
    const upper = await supertest(root).post(PATH.toUpperCase()).set('content-type', 'application/json').send(body);
    expect(upper.text).toBe(body);
    release();
  });

  test('a signed POST to the path in other letter case is handled, with no middleware error in the log', async () => {
    const { RED } = await run();
    const messages = collect(helper.getNode('messages'));
    const errors: string[] = [];
    helper.getNode('in').on('call:error', (call: { args: unknown[] }) => errors.push(String(call.args[0])));
    const user = uniqueUser();
    const body = webhookBody(sb, { messages: [textMessage(user, `wamid.case-${user}`)] });
    const res = await supertest(RED.httpNode).post('/WA-Hook').set('content-type', 'application/json').set('x-hub-signature-256', signBody(body, sb.appSecret)).send(body);
    expect(res.status).toBe(200);
    await waitFor(() => messages.length === 1, 3000, 'the message');
    expect(errors).toEqual([]);
  });

  test('routes are removed on close', async () => {
    const { RED } = await run();
    const before = await supertest(RED.httpNode).get(PATH).query({ 'hub.mode': 'subscribe', 'hub.verify_token': sb.verifyToken, 'hub.challenge': 'x' });
    expect(before.status).toBe(200);
    await helper.getNode('in').close(true);
    const after = await supertest(RED.httpNode).get(PATH).query({ 'hub.mode': 'subscribe', 'hub.verify_token': sb.verifyToken, 'hub.challenge': 'x' });
    expect(after.status).toBe(404);
    const post = await supertest(RED.httpNode).post(PATH).send('{}');
    expect(post.status).toBe(404);
  });

  test('with the sandbox: inbound message → reply within the window, marked read, media downloaded, statuses out', async () => {
    const config = configFor(sb);
    loaded = await load(
      [
        config.node,
        { id: 'in', type: 'whatsapp-cloud-in', config: 'cfg', path: PATH, markRead: 'typing', downloadMedia: true, wires: [['messages', 'reply'], ['statuses'], ['others']] },
        { id: 'messages', type: 'helper' },
        { id: 'statuses', type: 'helper' },
        { id: 'others', type: 'helper' },
        { id: 'reply', type: 'whatsapp-cloud-out', config: 'cfg', mode: 'choices', prompt: 'How can we help?', options: [{ id: 'track', title: 'Track order' }, { id: 'agent', title: 'Talk to us' }], wires: [['sent']] },
        { id: 'sent', type: 'helper' },
      ],
      config.credentials,
    );
    sb.setWebhookUrl(`${loaded.nodeUrl}${PATH}`);
    const messages = collect(helper.getNode('messages'));
    const statuses = collect(helper.getNode('statuses'));
    const sent = collect(helper.getNode('sent'));
    const user = uniqueUser();
    const wamid = await sb.inbound({ from: user, text: 'where is my order?' }, { name: 'Ada' });
    await waitFor(() => sent.length === 1, 5000, 'reply sent');
    expect(messages[0]).toMatchObject({ payload: { text: 'where is my order?' }, whatsapp: { messageId: wamid, contactName: 'Ada' } });
    expect(sb.messages[0]!.body).toMatchObject({ to: expect.stringContaining(user), type: 'interactive', interactive: { type: 'button' } });
    await waitFor(() => sb.inbounds.find((i) => i.id === wamid)?.readAt, 2000, 'marked read');
    await waitFor(() => statuses.filter((s) => s.whatsapp.messageId === sent[0].whatsapp.messageId).length >= 3, 5000, 'sent/delivered/read statuses');
    expect(sb.webhookDeliveries.every((d) => d.status === 200)).toBe(true);

    const png = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');
    await sb.inbound({ from: user, type: 'image', payload: { data: png, mime_type: 'image/png', caption: 'my parcel' } });
    await waitFor(() => messages.length === 2, 5000, 'image message');
    expect(Buffer.isBuffer(messages[1].payload)).toBe(true);
    expect(messages[1].payload.equals(png)).toBe(true);
    expect(messages[1]).toMatchObject({ mimetype: 'image/png', whatsapp: { type: 'image', media: { caption: 'my parcel' } } });
  });

  test('downloaded media is checked against the webhook\'s sha256: tampered bytes are not handed on', async () => {
    const config = configFor(sb);
    loaded = await load(
      [config.node, { id: 'in', type: 'whatsapp-cloud-in', config: 'cfg', path: PATH, markRead: 'off', downloadMedia: true, wires: [['messages'], [], []] }, { id: 'messages', type: 'helper' }],
      config.credentials,
    );
    sb.setWebhookUrl(`${loaded.nodeUrl}${PATH}`);
    const messages = collect(helper.getNode('messages'));
    const png = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');
    await sb.inbound({ from: uniqueUser(), type: 'image', payload: { data: png, mime_type: 'image/png' } });
    await waitFor(() => messages.length === 1, 5000, 'image message');
    expect(messages[0].payload.equals(png)).toBe(true);
    // The same media, announced with another hash (as if the bytes had been swapped on the way).
    const delivered = JSON.parse(sb.webhookDeliveries.at(-1)!.body);
    const message = delivered.entry[0].changes[0].value.messages[0];
    message.id = `${message.id}.tampered`;
    message.image.sha256 = Buffer.alloc(32, 7).toString('base64');
    const body = JSON.stringify(delivered);
    const res = await supertest(loaded.RED.httpNode).post(PATH).set('content-type', 'application/json').set('x-hub-signature-256', signBody(body, sb.appSecret)).send(body);
    expect(res.status).toBe(200);
    await waitFor(() => messages.length === 2, 5000, 'tampered image message');
    expect(Buffer.isBuffer(messages[1].payload)).toBe(false);
    expect(messages[1].mediaError).toMatchObject({ code: 'media_checksum_mismatch' });
  });

  test('without an app secret nothing is accepted (fail closed)', async () => {
    const config = configFor(sb);
    (config.credentials.cfg as any).appSecret = '';
    loaded = await load([config.node, { id: 'in', type: 'whatsapp-cloud-in', config: 'cfg', path: PATH, wires: [[], [], []] }], config.credentials);
    const body = webhookBody(sb, { messages: [] });
    const res = await supertest(loaded.RED.httpNode).post(PATH).set('x-hub-signature-256', signBody(body, '')).send(body);
    expect(res.status).toBe(500);
    void nextMessage;
  });

  // A validly signed message from 2017 is a replay of a captured webhook (Meta redelivers for 7 days):
  // what an attacker posts again after the dedupe store forgot its key.
  const replayBody = (sb: Sandbox, user: string) => webhookBody(sb, { messages: [{ ...textMessage(user, `wamid.replay-${user}`), timestamp: '1504902988' }] });

  test('a replay older than the dedupe horizon is answered 200, sends no msg and is logged without secrets', async () => {
    const { RED } = await run();
    const messages = collect(helper.getNode('messages'));
    const user = uniqueUser();
    const body = replayBody(sb, user);
    const res = await supertest(RED.httpNode).post(PATH).set('content-type', 'application/json').set('x-hub-signature-256', signBody(body, sb.appSecret)).send(body);
    expect(res.status).toBe(200);
    await new Promise((r) => setTimeout(r, 200));
    expect(messages).toHaveLength(0);
    const logged = helper.log().args.map((a: unknown[]) => JSON.stringify(a[0]));
    expect(logged.some((line: string) => line.includes('Dropped 1 replayed event older than the dedupe horizon'))).toBe(true);
    for (const secret of [sb.appSecret, sb.accessToken, sb.verifyToken]) expect(logged.join('\n')).not.toContain(secret);
  });

  test('with "Drop replayed events" unticked the same old message is sent on', async () => {
    const { RED } = await run({ dropReplays: false });
    const messages = collect(helper.getNode('messages'));
    const user = uniqueUser();
    const body = replayBody(sb, user);
    const res = await supertest(RED.httpNode).post(PATH).set('content-type', 'application/json').set('x-hub-signature-256', signBody(body, sb.appSecret)).send(body);
    expect(res.status).toBe(200);
    await waitFor(() => messages.length === 1, 2000, 'the old message');
    expect(messages[0].whatsapp).toMatchObject({ messageId: `wamid.replay-${user}` });
  });
});
