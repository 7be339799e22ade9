// Measure 4: webhook ingest. Signed POSTs (the BATCH_MIX of realistic batch sizes, fresh ids)
// from autocannon on loopback at: a bare node:http server (reads the body, answers 200), the core
// inbound call, the Node-RED in-node in real Node-RED, and the n8n trigger in real n8n.
// Each figure is a ratio to the bare server on the same Node in the same run:
//   events ratio  = target events/s ÷ bare events/s           (1.0 = as fast as bare)
//   latency ratio = bare ack latency ÷ target ack latency      (1.0 = as fast as bare)
// so "≥ 0.4" reads the same way for both. The bare server runs before and after the targets and
// its mean is used, which evens out drift on a shared machine.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { atLeast, atMost, BENCH_DIR, forkChild, log, percentile, result, round } from '../lib/common.mjs';
import { autocannon } from '../lib/tools.mjs';
import { MEAN_EVENTS, sign, webhookBody } from '../lib/webhook-payloads.mjs';

export const id = 'webhook';
export const title = 'Webhook ingest (signed POSTs, autocannon on loopback)';

const CONNECTIONS = 10;
let seq = 0;

/** autocannon against `url` for `duration` s (after a 1 s warm-up); every request a fresh signed body. */
export async function load(url, duration, { secret, body: makeBody = webhookBody, eventsPerBody = MEAN_EVENTS } = {}) {
  const ac = await autocannon();
  const opts = (d) => ({
    url,
    connections: CONNECTIONS,
    duration: d,
    method: 'POST',
    requests: [
      {
        method: 'POST',
        setupRequest: (req) => {
          const body = makeBody(seq++);
          return { ...req, body, headers: { ...req.headers, 'content-type': 'application/json', 'x-hub-signature-256': sign(body, secret) } };
        },
      },
    ],
  });
  await runOnce(ac, opts(duration < 5 ? 0.5 : 1));
  // autocannon's own percentiles are whole milliseconds; loopback acks are sub-millisecond, so
  // keep every response time (float ms, from hrtime) and take the percentiles here.
  const times = [];
  const r = await runOnce(ac, opts(duration), (time) => times.push(time));
  times.sort((a, b) => a - b);
  const ok = r['2xx'];
  const seconds = r.duration || duration;
  return {
    requestsPerS: ok / seconds,
    eventsPerS: (ok / seconds) * eventsPerBody,
    p50: percentile(times, 50),
    p99: percentile(times, 99),
    ok,
    non2xx: r.non2xx,
    errors: r.errors,
    timeouts: r.timeouts,
  };
}

function runOnce(ac, opts, onTime) {
  return new Promise((resolve, reject) => {
    const instance = ac(opts, (err, res) => (err ? reject(err) : resolve(res)));
    if (onTime) instance.on('response', (_client, _status, _bytes, time) => onTime(time));
  });
}

async function startServer(mode, execPath) {
  // The embedded store's file goes in a fresh folder, removed with the server.
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-webhook-'));
  const h = forkChild(path.join(BENCH_DIR, 'measures', 'webhook-server.mjs'), [mode, folder], execPath ? { execPath } : {});
  const stop = async () => {
    await h.stop();
    fs.rmSync(folder, { recursive: true, force: true });
  };
  try {
    const { url } = await h.wait('ready', 30_000);
    return { url, pid: h.child.pid, counts: () => h.request({ type: 'counts' }), stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

/** CPU time (user + system) a process has used so far, in ms; undefined where /proc is missing. */
function cpuMs(pid) {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // clock ticks (USER_HZ 100)
  } catch {
    return undefined;
  }
}

/**
 * Load on a fresh server of `mode`, with the server's own counts and its CPU µs per POST (warm-up
 * included on both sides): on a shared machine the figure that moves least with the load.
 */
async function serve(mode, duration) {
  const server = await startServer(mode);
  try {
    const before = cpuMs(server.pid);
    const r = await load(server.url, duration);
    const after = cpuMs(server.pid);
    r.serverCounts = await server.counts();
    r.serverCpuUsPerPost = before === undefined || after === undefined ? undefined : ((after - before) * 1000) / Math.max(1, r.serverCounts.requests);
    return r;
  } finally {
    await server.stop();
  }
}

/** Runs the bare server on `execPath` (undefined = this Node). */
async function bare(duration, execPath) {
  const s = await startServer('bare', execPath);
  try {
    return await load(s.url, duration);
  } finally {
    await s.stop();
  }
}

function mean(a, b) {
  return { eventsPerS: (a.eventsPerS + b.eventsPerS) / 2, p50: (a.p50 + b.p50) / 2, p99: (a.p99 + b.p99) / 2 };
}

function ratios(prefix, target, base, goal, extra = {}) {
  const details = { target: roundAll(target), bare: roundAll(base), ...extra };
  const clean = target.non2xx === 0 && target.errors === 0;
  const note = clean ? undefined : `${target.non2xx} non-2xx, ${target.errors} errors`;
  return [
    result(`${prefix}_events_per_s`, target.eventsPerS, 'report', { unit: 'events/s', details, note }),
    result(`${prefix}_events_ratio`, clean ? target.eventsPerS / base.eventsPerS : 0, goal),
    result(`${prefix}_ack_p50_ms`, target.p50, 'report', { unit: 'ms' }),
    result(`${prefix}_ack_p99_ms`, target.p99, 'report', { unit: 'ms' }),
    result(`${prefix}_latency_ratio_p50`, clean ? base.p50 / target.p50 : 0, goal),
    result(`${prefix}_latency_ratio_p99`, clean ? base.p99 / target.p99 : 0, goal),
  ];
}

function roundAll(o) {
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, round(v, 2)]));
}

export async function run({ quick, coreOnly }) {
  const duration = quick ? 2 : 12;
  const out = [];

  log(`webhook: bare node:http (${process.version}) …`);
  const bareBefore = await serve('bare', duration);
  out.push(result('webhook_bare_events_per_s', bareBefore.eventsPerS, 'report', { unit: 'events/s', details: roundAll(bareBefore) }));

  // The core inbound call alone, then with the state the adapters use (core's sharedState: window
  // + quality updates, keys acknowledged before the 200), in memory and in the embedded SQLite file:
  // as the Node-RED in-node calls it (one commit a webhook), then as the n8n trigger does (two).
  log('webhook: core inbound call, then with the memory and the embedded state …');
  const coreLoad = await serve('core', duration);
  const memoryLoad = await serve('state-memory', duration);
  const embeddedLoad = await serve('state-embedded', duration);
  const twoCommitsLoad = await serve('state-embedded-two-commits', duration);
  const journalLoad = await serve('floor-journal', duration);
  const keyedLoad = await serve('floor-keyed', duration);

  const { nodeRedIngest } = await import('./webhook-node-red.mjs');
  const nodeRed = coreOnly ? { skipped: true } : await nodeRedIngest({ duration, load }).catch((e) => ({ error: e }));

  log('webhook: bare node:http again …');
  const bareAfter = await serve('bare', duration);
  const base20 = mean(bareBefore, bareAfter);
  out.push(...ratios('webhook_core', coreLoad, base20, atLeast(0.4), { serverCounts: coreLoad.serverCounts, meanEventsPerPost: MEAN_EVENTS, connections: CONNECTIONS, duration }));
  const clean = (r) => r.non2xx === 0 && r.errors === 0;
  out.push(
    result('webhook_core_memory_state_events_ratio', clean(memoryLoad) ? memoryLoad.eventsPerS / base20.eventsPerS : 0, 'report: with sharedState memory', {
      details: { target: roundAll(memoryLoad), serverCounts: memoryLoad.serverCounts },
    }),
  );
  out.push(...ratios('webhook_core_embedded', embeddedLoad, base20, atLeast(0.4), { serverCounts: embeddedLoad.serverCounts }));
  const cpu = (r) => (r.serverCpuUsPerPost === undefined ? 'n/a' : round(r.serverCpuUsPerPost, 0));
  out.push(
    result('webhook_core_server_cpu_us_per_post', coreLoad.serverCpuUsPerPost ?? null, 'report: the server process, core / memory / embedded state / bare', {
      unit: 'µs',
      note: `core ${cpu(coreLoad)}, memory ${cpu(memoryLoad)}, embedded ${cpu(embeddedLoad)}, bare ${cpu(bareBefore)} / ${cpu(bareAfter)}`,
    }),
  );
  out.push(result('webhook_core_embedded_vs_memory', clean(embeddedLoad) && clean(memoryLoad) ? embeddedLoad.eventsPerS / memoryLoad.eventsPerS : 0, atLeast(0.8)));
  out.push(
    result('webhook_core_embedded_two_commits_vs_memory', clean(twoCommitsLoad) && clean(memoryLoad) ? twoCommitsLoad.eventsPerS / memoryLoad.eventsPerS : 0, "report: the n8n trigger's way (keys in flight, then acknowledged)", {
      details: { target: roundAll(twoCommitsLoad), serverCounts: twoCommitsLoad.serverCounts, serverCpuUsPerPost: cpu(twoCommitsLoad) },
    }),
  );
  // Floors (webhook-server.mjs): the memory state plus the least a store writing each webhook
  // before its 200 (the rule) can write on this Node and driver: one appended row a POST
  // (a journal), or one keyed row an event (the embedded store's layout, nothing else).
  const floor = (name, r, what) =>
    result(name, clean(r) && clean(memoryLoad) ? r.eventsPerS / memoryLoad.eventsPerS : 0, `report: memory state + ${what}`, {
      details: { target: roundAll(r), serverCounts: r.serverCounts, serverCpuUsPerPost: cpu(r) },
    });
  out.push(floor('webhook_core_floor_journal_vs_memory', journalLoad, 'one appended SQLite row a POST'));
  out.push(floor('webhook_core_floor_keyed_rows_vs_memory', keyedLoad, 'one SQLite row an event, keyed by its dedupe key'));
  if (nodeRed.skipped) return out;
  if (nodeRed.error) out.push(result('webhook_node_red_events_ratio', null, atLeast(0.4), { note: `not done: ${String(nodeRed.error.message).split('\n')[0].slice(0, 200)}` }));
  else {
    out.push(...ratios('webhook_node_red', nodeRed.load, base20, atLeast(0.4), { nodeRed: nodeRed.info }));
    out.push(result('webhook_node_red_plain_http_in_events_ratio', nodeRed.httpIn.eventsPerS / base20.eventsPerS, "report: Node-RED's own http in → http response", { details: roundAll(nodeRed.httpIn) }));
  }

  const { n8nIngest } = await import('./webhook-n8n.mjs');
  const n8n = await n8nIngest({ duration, load, bare }).catch((e) => ({ error: e }));
  if (n8n.error) out.push(result('webhook_n8n_events_ratio', null, 'report', { note: `not done: ${String(n8n.error.message).split('\n')[0].slice(0, 200)}` }));
  else {
    out.push(...ratios('webhook_n8n', n8n.load, n8n.base, 'report', { n8n: n8n.info }));
    out.push(result('webhook_n8n_plain_webhook_node_events_ratio', n8n.plain.eventsPerS / n8n.base.eventsPerS, "report: n8n's own Webhook node", { details: roundAll(n8n.plain) }));
    // Issue "delivery ledger": a campaign's statuses absorbed into the ledger (no execution) vs
    // n8n's own Webhook node (an execution per POST), same instance, one status per POST; first in
    // n8n as installed, then with N8N_EXPRESSION_ENGINE_LAZY_ACQUIRE=true (webhook-n8n.mjs says why).
    const absorbedRows = (prefix, absorbed, plainStatuses, note) => {
      const clean = absorbed.non2xx === 0 && absorbed.errors === 0;
      return [
        result(`${prefix}_statuses_events_per_s`, clean ? absorbed.eventsPerS : 0, atLeast(300), { unit: 'events/s', note, details: roundAll(absorbed) }),
        result(`${prefix}_statuses_ack_p99_ms`, absorbed.p99, atMost(200), { unit: 'ms' }),
        result(`${prefix}_vs_plain_webhook_node`, clean ? absorbed.eventsPerS / plainStatuses.eventsPerS : 0, atLeast(10), { details: { plainWebhookNode: roundAll(plainStatuses) } }),
        result(`${prefix}_n8n_cpu_ms_per_status`, absorbed.cpuMsPerRequest ?? null, 'report', { unit: 'ms', note: `n8n's own Webhook node: ${round(plainStatuses.cpuMsPerRequest ?? NaN, 1)} ms` }),
      ];
    };
    out.push(...absorbedRows('webhook_n8n_absorbed', n8n.absorbed, n8n.plainStatuses, 'n8n as installed: an isolate per POST'));
    out.push(...absorbedRows('webhook_n8n_lazy_absorbed', n8n.lazyAbsorbed, n8n.lazyPlainStatuses, 'N8N_EXPRESSION_ENGINE_LAZY_ACQUIRE=true'));
    out.push(...absorbedRows('webhook_n8n_high_volume_absorbed', n8n.highVolumeAbsorbed, n8n.highVolumePlainStatuses, 'High-Volume Trigger: its own port, n8n as installed'));
    const acknowledged = n8n.absorbed.ok + n8n.lazyAbsorbed.ok + n8n.highVolumeAbsorbed.ok;
    out.push(result('webhook_n8n_absorbed_statuses_in_ledger', n8n.ledgerRows >= acknowledged ? 1 : n8n.ledgerRows / Math.max(1, acknowledged), atLeast(1), { note: `${n8n.ledgerRows} ledger rows for ${acknowledged} acknowledged statuses` }));
  }
  return out;
}
