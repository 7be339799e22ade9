// Measure 4, n8n part: our trigger, published in real n8n 2.41.1 (Node 24), against a bare
// node:http server on that same Node 24. The trigger is set as a user would: messages and
// statuses, with its default status filter (failed only: other statuses are acknowledged
// without starting an execution); both outputs go to a No Op node.
import { log } from '../lib/common.mjs';
import { n8nUserFolder, nodeId, TRIGGER } from '../lib/n8n-setup.mjs';
import * as path from 'node:path';
import { core } from '../lib/common.mjs';
import { APP_SECRET, PHONE_NUMBER_ID, WABA_ID, statusBody } from '../lib/webhook-payloads.mjs';

export async function n8nIngest({ duration, load, bare }) {
  const { userFolder, h } = await n8nUserFolder();
  const runtime = await h.ensureN8n();
  const [credId] = await h.importCredentials(userFolder, [
    {
      name: 'bench trigger',
      type: 'whatsAppCloudApi',
      data: { accessToken: 'bench-token', phoneNumberId: PHONE_NUMBER_ID, wabaId: WABA_ID, appSecret: APP_SECRET, verifyToken: 'bench-verify', apiVersion: 'v25.0', baseUrl: 'http://127.0.0.1:9' },
    },
  ]);
  const webhookId = `c0c0c0c0-0000-4000-8000-${String(Date.now()).slice(-12).padStart(12, '0')}`;
  const plainId = `d0d0d0d0-0000-4000-8000-${String(Date.now()).slice(-12).padStart(12, '0')}`;
  const wfId = await h.importWorkflow(userFolder, {
    name: 'bench trigger',
    nodes: [
      {
        id: nodeId(),
        name: 'WhatsApp Trigger',
        type: TRIGGER,
        typeVersion: 1,
        position: [0, 0],
        webhookId,
        parameters: { registration: 'verifyOnly', events: ['messages', 'statuses'], options: {} },
        credentials: { whatsAppCloudApi: { id: credId, name: 'bench trigger' } },
      },
      { id: nodeId(), name: 'No Op', type: 'n8n-nodes-base.noOp', typeVersion: 1, position: [300, 0], parameters: {} },
      // Context: n8n's own Webhook node (answers on receipt) in the same instance.
      { id: nodeId(), name: 'Plain Webhook', type: 'n8n-nodes-base.webhook', typeVersion: 2, position: [0, 200], webhookId: plainId, parameters: { httpMethod: 'POST', path: plainId, responseMode: 'onReceived', options: {} } },
      { id: nodeId(), name: 'No Op 2', type: 'n8n-nodes-base.noOp', typeVersion: 1, position: [300, 200], parameters: {} },
    ],
    connections: {
      'WhatsApp Trigger': { main: [[{ node: 'No Op', type: 'main', index: 0 }], [{ node: 'No Op', type: 'main', index: 0 }], []] },
      'Plain Webhook': { main: [[{ node: 'No Op 2', type: 'main', index: 0 }]] },
    },
  });
  await h.publishWorkflow(userFolder, wfId);

  log(`webhook: bare node:http on Node 24 …`);
  const before = await bare(duration, runtime.nodeBin);
  log('webhook: n8n trigger …');
  const n8n = await h.startN8n({ userFolder });
  let result;
  let plain;
  let absorbed;
  let plainStatuses;
  try {
    const url = `${n8n.url}/webhook/${webhookId}/whatsapp`;
    // Ready is not yet active: wait until the trigger answers its GET challenge.
    const deadline = Date.now() + 60_000;
    for (;;) {
      const r = await fetch(`${url}?hub.mode=subscribe&hub.verify_token=bench-verify&hub.challenge=ok`).catch(() => undefined);
      await r?.arrayBuffer();
      if (r?.status === 200) break;
      if (Date.now() > deadline) throw new Error(`the trigger never became active (last answer ${r?.status})`);
      await new Promise((res) => setTimeout(res, 250));
    }
    result = await load(url, duration);
    log("webhook: n8n's own Webhook node …");
    plain = await load(`${n8n.url}/webhook/${plainId}`, duration);
    // A campaign's statuses only (sent/delivered/read: absorbed into the ledger, no execution),
    // and the same bodies through n8n's own Webhook node.
    log('webhook: n8n trigger, statuses absorbed into the ledger …');
    absorbed = await load(url, duration, { body: statusBody, eventsPerBody: 1 });
    log("webhook: the same statuses through n8n's own Webhook node …");
    plainStatuses = await load(`${n8n.url}/webhook/${plainId}`, duration, { body: statusBody, eventsPerBody: 1 });
  } finally {
    await n8n.stop();
  }
  // Every acknowledged status must be in the ledger (the embedded store in n8n's folder).
  const db = core().openSqlite(path.join(userFolder, '.n8n', 'wa-cloud', 'state.sqlite'));
  let ledgerRows = 0;
  try {
    ledgerRows = Number(db.prepare("SELECT count(*) AS n FROM ledger WHERE id LIKE 'wamid.bench.absorbed.%'").get().n);
  } finally {
    db.close();
  }
  log(`webhook: bare node:http on Node 24 again …`);
  const after = await bare(duration, runtime.nodeBin);
  const base = { eventsPerS: (before.eventsPerS + after.eventsPerS) / 2, p50: (before.p50 + after.p50) / 2, p99: (before.p99 + after.p99) / 2 };
  return { load: result, plain, absorbed, plainStatuses, ledgerRows, base, info: { n8n: '2.41.1', node: 'v24', trigger: 'messages + statuses (failed only), verifyOnly' } };
}
