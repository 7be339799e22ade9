// Measure 4, n8n part: our trigger, published in real n8n 2.41.1 (Node 24), against a bare
// node:http server on that same Node 24. The trigger is set as a user would: messages and
// statuses, with its default status filter (failed only: other statuses are acknowledged
// without starting an execution); both outputs go to a No Op node.
//
// Statuses absorbed into the ledger are measured twice: in n8n as installed (its expression engine
// builds an isolated-vm isolate for every webhook POST to a node other than its own Webhook node,
// before our trigger runs), and in n8n with N8N_EXPRESSION_ENGINE_LAZY_ACQUIRE=true (an isolate only
// when an expression needs one: none does for an absorbed status at trigger version 2). Each time
// next to n8n's own Webhook node given the same bodies, with the n8n process's CPU per request.
// Then the same statuses to the High-Volume Trigger of the same workflow, which listens on its own
// port (no n8n webhook route per POST), next to the Webhook node again, in n8n as installed.
import * as fs from 'node:fs';
import { log } from '../lib/common.mjs';
import { HIGH_VOLUME_TRIGGER, n8nUserFolder, nodeId, TRIGGER } from '../lib/n8n-setup.mjs';
import * as net from 'node:net';
import * as path from 'node:path';
import { core } from '../lib/common.mjs';
import { APP_SECRET, PHONE_NUMBER_ID, WABA_ID, statusBody } from '../lib/webhook-payloads.mjs';

/** CPU time (user + system) the process has used so far, in ms; undefined where /proc is missing. */
function cpuMs(pid) {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // clock ticks (USER_HZ 100)
  } catch {
    return undefined;
  }
}

/** `load`, plus the n8n process's CPU ms per acknowledged request over it. */
async function loadWithCpu(load, pid, url, duration, options) {
  const before = cpuMs(pid);
  const r = await load(url, duration, options);
  const after = cpuMs(pid);
  return { ...r, cpuMsPerRequest: before === undefined || after === undefined || r.ok === 0 ? undefined : (after - before) / r.ok };
}

/** Signed status webhooks to our trigger, then the same bodies to n8n's own Webhook node. */
async function statusesSideBySide(load, n8n, url, plainUrl, duration) {
  const pid = n8n.process.pid;
  log('webhook: n8n trigger, statuses absorbed into the ledger …');
  const absorbed = await loadWithCpu(load, pid, url, duration, { body: statusBody, eventsPerBody: 1 });
  log("webhook: the same statuses through n8n's own Webhook node …");
  const plain = await loadWithCpu(load, pid, plainUrl, duration, { body: statusBody, eventsPerBody: 1 });
  return { absorbed, plain };
}

async function freePort() {
  const probe = net.createServer();
  await new Promise((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address();
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

async function waitActive(url) {
  // Ready is not yet active: wait until the trigger answers its GET challenge.
  const deadline = Date.now() + 60_000;
  for (;;) {
    const r = await fetch(`${url}?hub.mode=subscribe&hub.verify_token=bench-verify&hub.challenge=ok`).catch(() => undefined);
    await r?.arrayBuffer();
    if (r?.status === 200) return;
    if (Date.now() > deadline) throw new Error(`the trigger never became active (last answer ${r?.status})`);
    await new Promise((res) => setTimeout(res, 250));
  }
}

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
  const highVolumePort = await freePort();
  const wfId = await h.importWorkflow(userFolder, {
    name: 'bench trigger',
    nodes: [
      {
        id: nodeId(),
        name: 'WhatsApp Trigger',
        type: TRIGGER,
        typeVersion: 2,
        position: [0, 0],
        webhookId,
        parameters: { registration: 'verifyOnly', events: ['messages', 'statuses'], options: {} },
        credentials: { whatsAppCloudApi: { id: credId, name: 'bench trigger' } },
      },
      { id: nodeId(), name: 'No Op', type: 'n8n-nodes-base.noOp', typeVersion: 1, position: [300, 0], parameters: {} },
      // Context: n8n's own Webhook node (answers on receipt) in the same instance.
      { id: nodeId(), name: 'Plain Webhook', type: 'n8n-nodes-base.webhook', typeVersion: 2, position: [0, 200], webhookId: plainId, parameters: { httpMethod: 'POST', path: plainId, responseMode: 'onReceived', options: {} } },
      { id: nodeId(), name: 'No Op 2', type: 'n8n-nodes-base.noOp', typeVersion: 1, position: [300, 200], parameters: {} },
      // The same settings on the High-Volume Trigger (its own port).
      {
        id: nodeId(),
        name: 'WhatsApp High-Volume Trigger',
        type: HIGH_VOLUME_TRIGGER,
        typeVersion: 1,
        position: [0, 400],
        parameters: { port: highVolumePort, path: 'whatsapp', registration: 'verifyOnly', events: ['messages', 'statuses'], options: { listenAddress: '127.0.0.1' } },
        credentials: { whatsAppCloudApi: { id: credId, name: 'bench trigger' } },
      },
      { id: nodeId(), name: 'No Op 3', type: 'n8n-nodes-base.noOp', typeVersion: 1, position: [300, 400], parameters: {} },
    ],
    connections: {
      'WhatsApp Trigger': { main: [[{ node: 'No Op', type: 'main', index: 0 }], [{ node: 'No Op', type: 'main', index: 0 }], []] },
      'Plain Webhook': { main: [[{ node: 'No Op 2', type: 'main', index: 0 }]] },
      'WhatsApp High-Volume Trigger': { main: [[{ node: 'No Op 3', type: 'main', index: 0 }], [{ node: 'No Op 3', type: 'main', index: 0 }], []] },
    },
  });
  await h.publishWorkflow(userFolder, wfId);

  log(`webhook: bare node:http on Node 24 …`);
  const before = await bare(duration, runtime.nodeBin);
  log('webhook: n8n trigger …');
  const n8n = await h.startN8n({ userFolder });
  let result;
  let plain;
  let statuses;
  let lazy;
  let highVolume;
  const url = `${n8n.url}/webhook/${webhookId}/whatsapp`;
  try {
    await waitActive(url);
    result = await load(url, duration);
    log("webhook: n8n's own Webhook node …");
    plain = await load(`${n8n.url}/webhook/${plainId}`, duration);
    // A campaign's statuses only (sent/delivered/read: absorbed into the ledger, no execution).
    statuses = await statusesSideBySide(load, n8n, url, `${n8n.url}/webhook/${plainId}`, duration);
    const highVolumeUrl = `http://127.0.0.1:${highVolumePort}/whatsapp`;
    await waitActive(highVolumeUrl);
    log('webhook: High-Volume Trigger (its own port), statuses absorbed …');
    highVolume = await statusesSideBySide(load, n8n, highVolumeUrl, `${n8n.url}/webhook/${plainId}`, duration);
  } finally {
    await n8n.stop();
  }
  log('webhook: n8n again, with N8N_EXPRESSION_ENGINE_LAZY_ACQUIRE=true …');
  const lazyN8n = await h.startN8n({ userFolder, env: { N8N_EXPRESSION_ENGINE_LAZY_ACQUIRE: 'true' } });
  try {
    const lazyUrl = `${lazyN8n.url}/webhook/${webhookId}/whatsapp`;
    await waitActive(lazyUrl);
    lazy = await statusesSideBySide(load, lazyN8n, lazyUrl, `${lazyN8n.url}/webhook/${plainId}`, duration);
  } finally {
    await lazyN8n.stop();
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
  return { load: result, plain, absorbed: statuses.absorbed, plainStatuses: statuses.plain, lazyAbsorbed: lazy.absorbed, lazyPlainStatuses: lazy.plain, highVolumeAbsorbed: highVolume.absorbed, highVolumePlainStatuses: highVolume.plain, ledgerRows, base, info: { n8n: '2.41.1', node: 'v24', trigger: 'version 2, messages + statuses (failed only), verifyOnly' } };
}
