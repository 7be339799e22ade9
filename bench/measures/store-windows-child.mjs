// Child of the store measure, run on the Node (and so the SQLite driver) under test: fills an
// embedded store with N windows in one file, closes it, then measures what a restart pays: open
// time (open + schema check + first lookup), lookup latency (p50/p99 over random keys, hits and
// misses), the file size, and the rate of window writes that each wait for their commit.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { core, percentile, serveParent } from '../lib/common.mjs';

const { EmbeddedStateStore } = core();

async function measure(count) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-store-'));
  const file = path.join(dir, 'state.sqlite');
  try {
    const PNID = '106540352242922';
    const now = Date.now();
    let store = new EmbeddedStateStore(file, { sweepIntervalMs: 0 });
    const driver = store.driver;
    const fillStart = performance.now();
    // Filled in transactions of 10,000 (what a busy day writes one by one, in seconds not hours).
    for (let i = 0; i < count; i += 10_000) {
      store.db.transaction(() => {
        for (let j = i; j < Math.min(count, i + 10_000); j++) store.windows.extend(`${PNID}:${1_000_000_000 + j}`, now + 86_400_000);
      });
    }
    const fillS = (performance.now() - fillStart) / 1000;
    // Single writes, each waiting for its own commit (one webhook at a time; concurrent webhooks
    // share commits and go faster).
    const single = 5000;
    const singleStart = performance.now();
    for (let j = 0; j < single; j++) {
      await store.windows.extend(`${PNID}:${2_000_000_000 + j}`, now + 86_400_000);
      await store.flush();
    }
    const singleWritesPerS = single / ((performance.now() - singleStart) / 1000);
    await store.flush();
    store.db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
    await store.close();
    const sizeMB = (fs.statSync(file).size + (fs.existsSync(`${file}-wal`) ? fs.statSync(`${file}-wal`).size : 0)) / 2 ** 20;

    const openStart = performance.now();
    store = new EmbeddedStateStore(file, { sweepIntervalMs: 0 });
    await store.windows.getExpiry(`${PNID}:${1_000_000_000 + Math.floor(count / 2)}`);
    const openMs = performance.now() - openStart;
    const times = [];
    let hits = 0;
    for (let k = 0; k < 20_000; k++) {
      const n = Math.floor(Math.random() * count * 1.1); // ~10 % misses
      const t0 = performance.now();
      if ((await store.windows.getExpiry(`${PNID}:${1_000_000_000 + n}`)) !== undefined) hits++;
      times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    await store.close();
    return { node: process.version, driver, count, fillS, singleWritesPerS, sizeMB, openMs, lookupP50Ms: percentile(times, 50), lookupP99Ms: percentile(times, 99), hitShare: hits / 20_000 };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

serveParent({ measure: ({ count }) => measure(count) });
process.send({ type: 'ready' });
