// Measure 7: the embedded state store (issue "durable by default"), each figure side by side in
// one run:
//  - webhook ingest through core with the embedded store vs the memory store vs a bare node:http
//    server (same Node, same load; the store's writes are committed before each 200);
//  - 1,000,000 windows in one file (quick: 100,000): file size, open time after a restart, lookup
//    p50/p99, single-commit write rate; on each driver: libsql (this Node 20) and
//    node:sqlite (Node 24 from the e2e harness, when it is installed);
//  - template sends/s through the client with the embedded store vs memory (the guard reads its
//    records from the file on every send).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { atLeast, atMost, BENCH_DIR, forkChild, log, result, round, startSandboxChild, core } from '../lib/common.mjs';
import { load } from './webhook.mjs';
import { farSide, sendBatch } from './throughput.mjs';

export const id = 'store';
export const title = 'Embedded state store (SQLite): webhook ingest, 1M windows, sends';

async function ingest(mode, duration, execPath) {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-ingest-'));
  const h = forkChild(path.join(BENCH_DIR, 'measures', 'webhook-server.mjs'), [mode, folder], execPath ? { execPath } : {});
  try {
    const { url } = await h.wait('ready', 30_000);
    return await load(url, duration);
  } finally {
    await h.stop();
    fs.rmSync(folder, { recursive: true, force: true });
  }
}

async function windows(count, execPath) {
  const h = forkChild(path.join(BENCH_DIR, 'measures', 'store-windows-child.mjs'), [], execPath ? { execPath } : {});
  try {
    await h.wait('ready', 30_000);
    return await h.request({ type: 'measure', count });
  } finally {
    await h.stop();
  }
}

async function node24() {
  try {
    const { loadHarness } = await import('../lib/harness.mjs');
    return await (await loadHarness()).ensureNode24();
  } catch (e) {
    log(`store: no Node 24 for node:sqlite (${String(e?.message ?? e).split('\n')[0]})`);
    return undefined;
  }
}

async function sends(kind, count) {
  const { sharedState } = core();
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-sends-'));
  const state = sharedState(kind === 'memory' ? { kind } : { kind, folder });
  const sandbox = await startSandboxChild({ throughput: 1000, latencyMs: 150 });
  try {
    const mark = await sandbox.mark();
    await sendBatch({ sandbox, count, cap: 1000, prefix: kind === 'memory' ? 4_000_000 : 5_000_000, clientOptions: { window: { tracker: state.windowTracker }, quality: { guard: state.qualityGuard } } });
    return farSide(await sandbox.stats(mark), count);
  } finally {
    await sandbox.close();
    await state.store.close?.();
    fs.rmSync(folder, { recursive: true, force: true });
  }
}

export async function run({ quick }) {
  const out = [];
  const duration = quick ? 1 : 10;

  // Interleaved (bare, memory, embedded, embedded, memory, bare) and averaged in pairs, so drift
  // on a shared machine weighs on all three alike.
  log('store: webhook ingest, bare / memory / embedded, interleaved …');
  const runs = {};
  for (const mode of ['bare', 'state-memory', 'state-embedded', 'state-embedded', 'state-memory', 'bare']) (runs[mode] ??= []).push(await ingest(mode, duration));
  const avg = (list) => ({
    eventsPerS: list.reduce((t, r) => t + r.eventsPerS, 0) / list.length,
    p99: list.reduce((t, r) => t + r.p99, 0) / list.length,
    non2xx: list.reduce((t, r) => t + r.non2xx, 0),
    errors: list.reduce((t, r) => t + r.errors, 0),
  });
  const bare = avg(runs.bare);
  const memory = avg(runs['state-memory']);
  const embedded = avg(runs['state-embedded']);
  const clean = (r) => r.non2xx === 0 && r.errors === 0;
  const details = { bare: round(bare.eventsPerS), memory: round(memory.eventsPerS), embedded: round(embedded.eventsPerS), embeddedP99Ms: round(embedded.p99), memoryP99Ms: round(memory.p99), node: process.version };
  out.push(result('store_ingest_embedded_vs_memory', clean(embedded) ? embedded.eventsPerS / memory.eventsPerS : 0, atLeast(0.8), { details }));
  out.push(result('store_ingest_embedded_vs_bare_http', clean(embedded) ? embedded.eventsPerS / bare.eventsPerS : 0, atLeast(0.4)));
  out.push(result('store_ingest_embedded_events_per_s', embedded.eventsPerS, 'report', { unit: 'events/s' }));

  const count = quick ? 100_000 : 1_000_000;
  const drivers = [[process.version, undefined]];
  const n24 = await node24();
  if (n24) drivers.push(['Node 24', n24]);
  for (const [label, execPath] of drivers) {
    log(`store: ${count} windows on ${label} …`);
    const w = await windows(count, execPath);
    const tag = w.driver === 'node:sqlite' ? 'node_sqlite' : 'libsql';
    out.push(result(`store_${tag}_windows_open_ms`, w.openMs, atMost(2000), { unit: 'ms', details: { ...Object.fromEntries(Object.entries(w).map(([k, v]) => [k, round(v, 3)])) } }));
    out.push(result(`store_${tag}_windows_file_mb`, w.sizeMB, 'report', { unit: 'MB', note: `${count} windows` }));
    out.push(result(`store_${tag}_lookup_p99_ms`, w.lookupP99Ms, 'report', { unit: 'ms' }));
    out.push(result(`store_${tag}_committed_writes_per_s`, w.singleWritesPerS, 'report', { unit: 'writes/s' }));
  }

  const sendCount = quick ? 300 : 2000;
  log(`store: ${sendCount} template sends, memory vs embedded …`);
  const sMemory = await sends('memory', sendCount);
  const sEmbedded = await sends('embedded', sendCount);
  out.push(
    result('store_sends_embedded_vs_memory', sEmbedded.lost === 0 ? sEmbedded.rate / sMemory.rate : 0, atLeast(0.95), {
      details: { memoryRate: round(sMemory.rate, 1), embeddedRate: round(sEmbedded.rate, 1), lostMemory: sMemory.lost, lostEmbedded: sEmbedded.lost },
    }),
  );
  return out;
}
