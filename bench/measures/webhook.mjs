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
import { atLeast, atMost, BENCH_DIR, forkChild, log, median, percentile, result, round } from '../lib/common.mjs';
import { autocannon } from '../lib/tools.mjs';
import { MEAN_EVENTS, sign, webhookBody } from '../lib/webhook-payloads.mjs';

export const id = 'webhook';
export const title = 'Webhook ingest (signed POSTs, autocannon on loopback)';

const CONNECTIONS = 10;
let seq = 0;

/** autocannon against `url` for `duration` s (after a 1 s warm-up); every request a fresh signed body. */
export async function load(url, duration, { secret, body: makeBody = webhookBody, eventsPerBody = MEAN_EVENTS, warmUp = true } = {}) {
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
  if (warmUp) await runOnce(ac, opts(duration < 5 ? 0.5 : 1));
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
    seconds,
    times,
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
 * Load on fresh servers of `modes`, in `rounds` alternated rounds of `duration / rounds` s each
 * (the order rotated each round), so a change of the machine's load during the run falls on
 * every mode alike instead of on whichever ran then. Each mode gets its totals (events/s over all
 * its rounds, latency percentiles over all its responses), its rate in each round (`roundRates`,
 * for same-round ratios), its server's counts and its CPU µs per POST (warm-up included; on a
 * shared machine the figure that moves least with the load). Servers stay up between rounds:
 * the embedded file keeps growing as in one long run.
 */
async function serveAlternated(modes, duration, rounds) {
  const servers = [];
  try {
    for (const mode of modes) servers.push(await startServer(mode));
    const cpuBefore = servers.map((s) => cpuMs(s.pid));
    const runs = modes.map(() => []);
    for (let round = 0; round < rounds; round++) {
      for (let k = 0; k < modes.length; k++) {
        const i = (k + round) % modes.length;
        runs[i][round] = await load(servers[i].url, duration / rounds, { warmUp: round === 0 });
      }
    }
    const out = {};
    for (let i = 0; i < modes.length; i++) {
      const own = runs[i];
      const after = cpuMs(servers[i].pid);
      const times = own.flatMap((r) => r.times).sort((a, b) => a - b);
      const sum = (field) => own.reduce((total, r) => total + r[field], 0);
      const counts = await servers[i].counts();
      const requestsPerS = sum('ok') / sum('seconds');
      out[modes[i]] = {
        requestsPerS,
        eventsPerS: requestsPerS * MEAN_EVENTS,
        p50: percentile(times, 50),
        p99: percentile(times, 99),
        ok: sum('ok'),
        non2xx: sum('non2xx'),
        errors: sum('errors'),
        timeouts: sum('timeouts'),
        roundRates: own.map((r) => r.eventsPerS),
        serverCounts: counts,
        serverCpuUsPerPost: cpuBefore[i] === undefined || after === undefined ? undefined : ((after - cpuBefore[i]) * 1000) / Math.max(1, counts.requests),
      };
    }
    return out;
  } finally {
    for (const s of servers) await s.stop();
  }
}

/** Runs one mode alone (the bare server after Node-RED). */
async function serve(mode, duration) {
  return (await serveAlternated([mode], duration, 1))[mode];
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

/**
 * `target`'s rate ÷ `base`'s: the median of same-round ratios when both ran in the same rounds
 * (serveAlternated), else the ratio of their rates; with what it is made of, for the details.
 */
function rateRatio(target, base) {
  const overall = target.eventsPerS / base.eventsPerS;
  if (!target.roundRates || target.roundRates.length !== base.roundRates?.length) return { ratio: overall, details: {} };
  const each = target.roundRates.map((rate, i) => rate / base.roundRates[i]);
  return { ratio: median(each), details: { roundRatios: each.map((r) => round(r, 3)), overall: round(overall, 3) } };
}

function ratios(prefix, target, base, goal, extra = {}) {
  const events = rateRatio(target, base);
  const details = { target: roundAll(target), bare: roundAll(base), ...events.details, ...extra };
  const clean = target.non2xx === 0 && target.errors === 0;
  const note = clean ? undefined : `${target.non2xx} non-2xx, ${target.errors} errors`;
  return [
    result(`${prefix}_events_per_s`, target.eventsPerS, 'report', { unit: 'events/s', details, note }),
    result(`${prefix}_events_ratio`, clean ? events.ratio : 0, goal),
    result(`${prefix}_ack_p50_ms`, target.p50, 'report', { unit: 'ms' }),
    result(`${prefix}_ack_p99_ms`, target.p99, 'report', { unit: 'ms' }),
    result(`${prefix}_latency_ratio_p50`, clean ? base.p50 / target.p50 : 0, goal),
    result(`${prefix}_latency_ratio_p99`, clean ? base.p99 / target.p99 : 0, goal),
  ];
}

/** The figures of a load, rounded for results.json (every response time left out). */
function roundAll(o) {
  return Object.fromEntries(
    Object.entries(o)
      .filter(([k]) => k !== 'times')
      .map(([k, v]) => [k, Array.isArray(v) ? v.map((x) => round(x, 2)) : round(v, 2)]),
  );
}

export async function run({ quick, coreOnly }) {
  // Core modes: `rounds` rounds of 1 s each; Node-RED, n8n and the bare run after them: `duration` s.
  const duration = quick ? 2 : 12;
  const out = [];

  // The bare server, the core inbound call alone, then with the state the adapters use (core's
  // sharedState: window + quality updates, keys acknowledged before the 200), in memory and in the
  // embedded SQLite file: as the Node-RED in-node calls it (one commit a webhook), then as the n8n
  // trigger does (two); and the floors. Alternated in rounds: see serveAlternated.
  const modes = ['bare', 'core', 'state-memory', 'state-embedded', 'state-embedded-two-commits', 'floor-journal', 'floor-keyed'];
  const rounds = quick ? 5 : 15;
  log(`webhook: bare node:http (${process.version}), core, memory and embedded state, floors: ${rounds} alternated rounds …`);
  const loads = await serveAlternated(modes, rounds, rounds);
  const bareBefore = loads.bare;
  out.push(result('webhook_bare_events_per_s', bareBefore.eventsPerS, 'report', { unit: 'events/s', details: roundAll(bareBefore) }));
  const coreLoad = loads.core;
  const memoryLoad = loads['state-memory'];
  const embeddedLoad = loads['state-embedded'];
  const twoCommitsLoad = loads['state-embedded-two-commits'];
  const journalLoad = loads['floor-journal'];
  const keyedLoad = loads['floor-keyed'];

  const { nodeRedIngest } = await import('./webhook-node-red.mjs');
  const nodeRed = coreOnly ? { skipped: true } : await nodeRedIngest({ duration, load }).catch((e) => ({ error: e }));

  // The core rows are against the bare server of the same rounds; Node-RED's against the mean of
  // that one and one run after Node-RED.
  let base20 = bareBefore;
  if (!coreOnly) {
    log('webhook: bare node:http again …');
    base20 = mean(bareBefore, await serve('bare', duration));
  }
  out.push(...ratios('webhook_core', coreLoad, bareBefore, atLeast(0.4), { serverCounts: coreLoad.serverCounts, meanEventsPerPost: MEAN_EVENTS, connections: CONNECTIONS, rounds, secondsPerRound: 1 }));
  const clean = (r) => r.non2xx === 0 && r.errors === 0;
  out.push(
    result('webhook_core_memory_state_events_ratio', clean(memoryLoad) ? rateRatio(memoryLoad, bareBefore).ratio : 0, 'report: with sharedState memory', {
      details: { target: roundAll(memoryLoad), ...rateRatio(memoryLoad, bareBefore).details, serverCounts: memoryLoad.serverCounts },
    }),
  );
  out.push(...ratios('webhook_core_embedded', embeddedLoad, bareBefore, atLeast(0.4), { serverCounts: embeddedLoad.serverCounts }));
  const cpu = (r) => (r.serverCpuUsPerPost === undefined ? 'n/a' : round(r.serverCpuUsPerPost, 0));
  out.push(
    result('webhook_core_server_cpu_us_per_post', coreLoad.serverCpuUsPerPost ?? null, 'report: the server process, core / memory / embedded state / bare', {
      unit: 'µs',
      note: `core ${cpu(coreLoad)}, memory ${cpu(memoryLoad)}, embedded ${cpu(embeddedLoad)}, bare ${cpu(bareBefore)}`,
    }),
  );
  // Against the memory state: the median of the same-round ratios (their list in the details).
  const vsMemory = (name, r, goal, extra = {}) => {
    const { ratio, details } = rateRatio(r, memoryLoad);
    return result(name, clean(r) && clean(memoryLoad) ? ratio : 0, goal, { details: { ...details, target: roundAll(r), serverCpuUsPerPost: cpu(r), ...extra } });
  };
  out.push(vsMemory('webhook_core_embedded_vs_memory', embeddedLoad, atLeast(0.8), { memoryServerCpuUsPerPost: cpu(memoryLoad) }));
  out.push(vsMemory('webhook_core_embedded_two_commits_vs_memory', twoCommitsLoad, "report: the n8n trigger's way (keys in flight, then acknowledged)"));
  // Floors (webhook-server.mjs): the memory state plus the least a store writing each webhook
  // before its 200 (the rule) can write on this Node and driver: one appended row a POST
  // (a journal), or one keyed row an event (the embedded store's layout, nothing else).
  const floor = (name, r, what) => vsMemory(name, r, `report: memory state + ${what}`);
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
