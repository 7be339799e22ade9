import supertest from 'supertest';
import type { Sandbox } from '../../sandbox/src';
import { encryptFlowCall, flowKeyPair } from '../../../test/support/meta-flow-client';
import { collect, configFor, helper, load, nextMessage, sandbox, startServer, stop, waitFor, type Loaded } from './helpers';

const PATH = '/wa-flow';
const keys = flowKeyPair('nr passphrase');

describe('whatsapp-cloud-flow + whatsapp-cloud-flow-response', () => {
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

  async function run(secrets: Record<string, string> = { flowPrivateKey: keys.privateKeyPem, flowPrivateKeyPassphrase: 'nr passphrase' }, mode = 'screen') {
    const config = configFor(sb);
    Object.assign(config.credentials.cfg, secrets);
    loaded = await load(
      [
        config.node,
        { id: 'flow', type: 'whatsapp-cloud-flow', config: 'cfg', path: PATH, wires: [['requests']] },
        { id: 'requests', type: 'helper' },
        { id: 'answer', type: 'whatsapp-cloud-flow-response', mode, wires: [['answered']] },
        { id: 'answered', type: 'helper' },
      ],
      config.credentials,
    );
    return loaded;
  }

  const post = (RED: any, raw: Buffer, signature: string) =>
    supertest(RED.httpNode).post(PATH).set('content-type', 'application/json').set('x-hub-signature-256', signature).send(raw.toString());

  test('a data_exchange request goes out decrypted; the response node answers it encrypted for WhatsApp', async () => {
    const { RED } = await run();
    const call = await encryptFlowCall({ version: '3.0', action: 'data_exchange', screen: 'DATE', data: { date: '2026-12-05' }, flow_token: 'nr-1' }, keys.publicKeyPem, sb.appSecret);
    const requests = helper.getNode('requests');
    const pending = post(RED, call.raw, call.signature).then((r) => r);
    const msg = await nextMessage(requests);
    expect(msg.payload).toEqual({ action: 'data_exchange', screen: 'DATE', data: { date: '2026-12-05' }, flowToken: 'nr-1', version: '3.0' });
    expect(msg.flowToken).toBe('nr-1');
    expect(JSON.stringify(msg)).not.toMatch(/aesKey|encrypted_aes_key/);
    const answered = nextMessage(helper.getNode('answered'));
    helper.getNode('answer').receive({ ...msg, payload: { screen: 'TIME', data: { slots: ['09:00'] } } });
    const res = await pending;
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(await call.decryptResponse(res.text)).toEqual({ screen: 'TIME', data: { slots: ['09:00'] } });
    const out = await answered;
    expect(out).toMatchObject({ statusCode: 200, flowResponse: { screen: 'TIME', data: { slots: ['09:00'] } } });
  });

  test('complete mode closes the Flow with the flow token; msg.invalidFlowToken answers 427', async () => {
    const { RED } = await run(undefined, 'complete');
    const requests = helper.getNode('requests');
    const call = await encryptFlowCall({ version: '3.0', action: 'data_exchange', screen: 'TIME', data: { slot: '09:00' }, flow_token: 'nr-2' }, keys.publicKeyPem, sb.appSecret);
    const pending = post(RED, call.raw, call.signature).then((r) => r);
    const msg = await nextMessage(requests);
    helper.getNode('answer').receive({ ...msg, payload: { booking: 'B-1' } });
    expect(await call.decryptResponse((await pending).text)).toEqual({ screen: 'SUCCESS', data: { extension_message_response: { params: { flow_token: 'nr-2', booking: 'B-1' } } } });

    const stale = await encryptFlowCall({ version: '3.0', action: 'INIT', flow_token: 'expired' }, keys.publicKeyPem, sb.appSecret);
    const pendingStale = post(RED, stale.raw, stale.signature).then((r) => r);
    const staleMsg = await nextMessage(requests);
    helper.getNode('answer').receive({ ...staleMsg, invalidFlowToken: 'This booking link expired' });
    const res = await pendingStale;
    expect(res.status).toBe(427);
    expect(await stale.decryptResponse(res.text)).toEqual({ error_msg: 'This booking link expired' });
  });

  test('ping is answered by the node itself; nothing goes out', async () => {
    const { RED } = await run();
    const seen = collect(helper.getNode('requests'));
    const ping = await encryptFlowCall({ version: '3.0', action: 'ping' }, keys.publicKeyPem, sb.appSecret);
    const res = await post(RED, ping.raw, ping.signature);
    expect(res.status).toBe(200);
    expect(await ping.decryptResponse(res.text)).toEqual({ data: { status: 'active' } });
    await new Promise((r) => setTimeout(r, 100));
    expect(seen).toHaveLength(0);
  });

  test('another key → 421, a bad signature → 432, no key configured → 500; nothing goes out', async () => {
    const { RED } = await run();
    const seen = collect(helper.getNode('requests'));
    const stale = await encryptFlowCall({ version: '3.0', action: 'INIT' }, flowKeyPair().publicKeyPem, sb.appSecret);
    expect((await post(RED, stale.raw, stale.signature)).status).toBe(421);
    const forged = await encryptFlowCall({ version: '3.0', action: 'INIT' }, keys.publicKeyPem, 'wrong-secret');
    expect((await post(RED, forged.raw, forged.signature)).status).toBe(432);
    expect(seen).toHaveLength(0);
    await stop(loaded);
    await startServer();
    const again = await run({});
    const call = await encryptFlowCall({ version: '3.0', action: 'INIT' }, keys.publicKeyPem, sb.appSecret);
    expect((await post(again.RED, call.raw, call.signature)).status).toBe(500);
  });

  test('an invalid answer is refused with the field named (Catch gets it) and WhatsApp gets 500 at once', async () => {
    const { RED } = await run();
    const call = await encryptFlowCall({ version: '3.0', action: 'INIT', flow_token: 'nr-3' }, keys.publicKeyPem, sb.appSecret);
    const pending = post(RED, call.raw, call.signature).then((r) => r);
    const msg = await nextMessage(helper.getNode('requests'));
    const answer = helper.getNode('answer');
    const errors: unknown[] = [];
    answer.on('call:error', (call: { args: unknown[] }) => errors.push(call.args[0]));
    answer.receive({ ...msg, payload: { screen: 'TIME', data: 'not an object' } });
    expect((await pending).status).toBe(500);
    await waitFor(() => errors.length > 0, 2000, 'the error');
    expect(String(errors[0])).toContain('flowResponse.data: must be an object');
    // Answered once: the same msg again finds nothing waiting.
    answer.receive({ ...msg, payload: { screen: 'TIME', data: {} } });
    await waitFor(() => errors.length > 1, 2000, 'the second error');
    expect(String(errors[1])).toContain('msg.flowRequestId');
  });
});
