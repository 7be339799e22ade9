// Measure 3: a template job through n8n's own "WhatsApp Business Cloud" node and through ours,
// in the same real n8n 2.41.1, against the same far side (sandbox: cap 80, 150 ms latency).
// The built-in node's base URL is fixed to https://graph.facebook.com/v13.0: the n8n process
// gets a --require preload that resolves that host to a TLS proxy in front of the sandbox, whose
// self-signed certificate it trusts through NODE_EXTRA_CA_CERTS. The built-in node runs with
// "Retry On Fail" on (n8n's defaults: 3 tries, 1 s apart), as a user would set it.
// "Time to deliver everything" = first send request → the last recipient's first acceptance,
// measured at the far side (n8n's own start-up is the same for both and left out).
import * as path from 'node:path';
import { atLeast, BENCH_DIR, exactly, log, result, round, sleep, startSandboxChild } from '../lib/common.mjs';
import { ACTION, n8nUserFolder, nodeId } from '../lib/n8n-setup.mjs';
import { makeCertificate, startTlsProxy } from '../lib/tls-proxy.mjs';

export const id = 'n8n-builtin';
export const title = "Against n8n's built-in WhatsApp node (real n8n 2.41.1, cap 80, 150 ms latency)";

const CAP = 80;

function recipients(count, base) {
  return `return Array.from({ length: ${count} }, (_, i) => ({ json: { to: '+1555' + String(${base} + i) } }));`;
}

function workflow(name, count, base, sendNode) {
  const manual = { id: nodeId(), name: 'Start', type: 'n8n-nodes-base.manualTrigger', typeVersion: 1, position: [0, 0], parameters: {} };
  const code = { id: nodeId(), name: 'Recipients', type: 'n8n-nodes-base.code', typeVersion: 2, position: [200, 0], parameters: { jsCode: recipients(count, base) } };
  const send = { id: nodeId(), name: 'Send', position: [400, 0], ...sendNode };
  return {
    name,
    nodes: [manual, code, send],
    connections: {
      Start: { main: [[{ node: 'Recipients', type: 'main', index: 0 }]] },
      Recipients: { main: [[{ node: 'Send', type: 'main', index: 0 }]] },
    },
  };
}

function summarize(stats, count, base, cliMs, code) {
  const sends = stats.requests;
  const firstAt = sends.length ? Math.min(...sends.map((r) => r.at)) : NaN;
  const firstAccept = new Map();
  for (const m of stats.messages) {
    const n = Number(String(m.to).replace(/\D/g, '').slice(4));
    if (!(n >= base && n < base + count)) continue;
    if (!firstAccept.has(m.to)) firstAccept.set(m.to, m.at);
  }
  const delivered = firstAccept.size;
  const lastAt = delivered ? Math.max(...firstAccept.values()) : NaN;
  return {
    items: count,
    delivered,
    failed: count - delivered,
    duplicates: stats.messages.length - delivered,
    requests: sends.length,
    rejected130429: sends.filter((r) => r.errorCode === 130429).length,
    deliverSeconds: delivered === count ? (lastAt - firstAt) / 1000 : null,
    lastAcceptSeconds: delivered ? (lastAt - firstAt) / 1000 : null,
    cliWallSeconds: cliMs / 1000,
    exitCode: code,
  };
}

export async function run({ quick }) {
  // 300 in --quick (not 100): fewer than ~100 items fit in the far side's burst of 80 and compare nothing.
  const count = quick ? 300 : 500;
  const { userFolder, h } = await n8nUserFolder();
  const sandbox = await startSandboxChild({ throughput: CAP, latencyMs: 150, allowedHosts: ['graph.facebook.com'] });
  const certificate = makeCertificate();
  const proxy = await startTlsProxy({ targetPort: Number(new URL(sandbox.url).port), certificate });
  try {
    const [builtinCred, oursCred] = await h.importCredentials(userFolder, [
      { name: 'bench built-in', type: 'whatsAppApi', data: { accessToken: sandbox.accessToken, businessAccountId: sandbox.wabaId } },
      {
        name: 'bench ours',
        type: 'whatsAppCloudApi',
        data: { accessToken: sandbox.accessToken, phoneNumberId: sandbox.phoneNumberId, wabaId: sandbox.wabaId, appSecret: sandbox.appSecret, verifyToken: 'bench-verify', apiVersion: 'v25.0', baseUrl: sandbox.url },
      },
    ]);
    const env = {
      NODE_OPTIONS: `--require ${path.join(BENCH_DIR, 'lib', 'dns-preload.cjs')}`,
      BENCH_GRAPH_ADDRESS: proxy.address,
      NODE_EXTRA_CA_CERTS: certificate.cert,
    };
    const jobs = [
      {
        key: 'builtin',
        base: 7_000_000,
        node: {
          type: 'n8n-nodes-base.whatsApp',
          typeVersion: 1.1,
          retryOnFail: true,
          parameters: { resource: 'message', operation: 'sendTemplate', phoneNumberId: sandbox.phoneNumberId, recipientPhoneNumber: '={{ $json.to }}', template: 'hello_world|en_US' },
          credentials: { whatsAppApi: { id: builtinCred, name: 'bench built-in' } },
        },
      },
      {
        key: 'ours',
        base: 8_000_000,
        node: {
          type: ACTION,
          typeVersion: 1,
          parameters: { resource: 'message', operation: 'sendTemplate', to: '={{ $json.to }}', templateName: { __rl: true, mode: 'name', value: 'hello_world' }, languageCode: 'en_US', options: { throughput: CAP } },
          credentials: { whatsAppCloudApi: { id: oursCred, name: 'bench ours' } },
        },
      },
    ];
    // Both workflows in one CLI call: each `n8n import:workflow` boots n8n for seconds.
    const wfIds = await h.importWorkflows(userFolder, jobs.map((job) => workflow(`bench ${job.key}`, count, job.base, job.node)), { env });
    const out = {};
    for (const [i, job] of jobs.entries()) {
      const wfId = wfIds[i];
      await sleep(1500); // the sandbox's bucket is full again
      const mark = await sandbox.mark();
      log(`n8n-builtin: ${count} templates through ${job.key === 'builtin' ? "n8n's built-in node" : 'our node'} …`);
      const t0 = Date.now();
      const res = await h.executeWorkflow(userFolder, wfId, { env, timeoutMs: 15 * 60_000 });
      const cliMs = Date.now() - t0;
      await sleep(500);
      out[job.key] = summarize(await sandbox.stats(mark), count, job.base, cliMs, res.code);
      if (out[job.key].requests === 0) out[job.key].output = res.output.slice(-1500);
    }
    const b = out.builtin;
    const o = out.ours;
    const details = { count, cap: CAP, latencyMs: 150, builtin: roundAll(b), ours: roundAll(o) };
    const results = [
      result('n8n_ours_delivered_pct', (100 * o.delivered) / count, exactly(100), { unit: '%', details }),
      result('n8n_ours_failed', o.failed, exactly(0)),
      result('n8n_ours_deliver_s', o.deliverSeconds, 'report', { unit: 's' }),
      result('n8n_builtin_delivered_pct', (100 * b.delivered) / count, 'report', { unit: '%' }),
      result('n8n_builtin_failed', b.failed, 'report'),
      result('n8n_builtin_duplicates', b.duplicates, 'report'),
      result('n8n_builtin_deliver_s', b.deliverSeconds ?? `never (${b.delivered}/${count} after ${b.requests} requests, ${b.rejected130429} × 130429)`, 'report', { unit: b.deliverSeconds === null ? '' : 's' }),
      result('n8n_cli_wall_s_builtin_vs_ours', `${round(b.cliWallSeconds, 1)} vs ${round(o.cliWallSeconds, 1)}`, 'report'),
    ];
    const goal = '≥ 20× faster, or the built-in never delivers everything';
    if (o.deliverSeconds === null) results.push(result('n8n_speedup_vs_builtin', null, goal, { met: false, note: 'ours did not deliver everything' }));
    else if (b.deliverSeconds === null) results.push(result('n8n_speedup_vs_builtin', 'built-in never delivered everything', goal, { met: true }));
    else results.push(result('n8n_speedup_vs_builtin', b.deliverSeconds / o.deliverSeconds, atLeast(20)));
    return results;
  } finally {
    await proxy.close();
    await sandbox.close();
  }
}

function roundAll(o) {
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, typeof v === 'number' ? round(v, 3) : v]));
}
