// Measure 5: 1,000,000 tracked 24-hour windows in the memory store (heap growth after GC, in a
// fresh child process), and whether a lookup stays as fast at 1M entries as at 10k.
import { fork } from 'node:child_process';
import * as path from 'node:path';
import { atMost, BENCH_DIR, log, result, round } from '../lib/common.mjs';

export const id = 'memory';
export const title = 'Memory: 1,000,000 tracked windows (memory store)';

export async function run({ quick }) {
  const n = 1_000_000; // the same in --quick: the goal is about 1M
  log(`memory: ${n} windows…`);
  const r = await new Promise((resolve, reject) => {
    const child = fork(path.join(BENCH_DIR, 'measures', 'memory-child.mjs'), [String(n), quick ? 'quick' : 'full'], { execArgv: ['--expose-gc', '--max-old-space-size=2048'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let got;
    child.on('message', (m) => (got = m));
    child.on('exit', (code) => (got ? resolve(got) : reject(new Error(`memory child exited ${code}`))));
  });
  const details = Object.fromEntries(Object.entries(r).map(([k, v]) => [k, round(v, 2)]));
  return [
    result('memory_1m_windows_heap_mb', r.heapMB, atMost(150), { unit: 'MB', details }),
    result('memory_1m_windows_rss_mb', r.rssMB, 'report', { unit: 'MB' }),
    result('window_lookup_ns_10k', r.nsPerLookup10k, 'report', { unit: 'ns' }),
    result('window_lookup_ns_1m', r.nsPerLookupN, 'report', { unit: 'ns' }),
    result('window_lookup_ratio_1m_vs_10k', r.nsPerLookupN / r.nsPerLookup10k, 'report: raw, includes CPU cache misses'),
    result('bare_map_lookup_ratio_1m_vs_10k', r.mapNsN / r.mapNs10k, 'report: the same lookups in a plain Map'),
    // "Flat" means the store adds no growth of its own: a plain Map slows down from 10k to 1M too,
    // once 1M entries no longer fit the CPU cache, so the store's growth is judged against the Map's.
    result('window_lookup_growth_vs_map', r.nsPerLookupN / r.nsPerLookup10k / (r.mapNsN / r.mapNs10k), atMost(1.5)),
    result('window_lookup_vs_bare_map_1m', r.nsPerLookupN / r.mapNsN, 'report: store overhead at 1M'),
    // Full store: every write also evicts the oldest key. O(1) means a small constant factor.
    result('window_write_ns_at_bound', r.writeNsAtBound, 'report', { unit: 'ns' }),
    result('window_write_at_bound_vs_below', r.writeNsAtBound / r.writeNsBelowBound, atMost(3)),
  ];
}
