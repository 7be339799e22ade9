#!/usr/bin/env node
// `npm run bench [-- --quick] [-- --only=throughput,memory]`: runs every measure, prints one line
// per figure (`name: value (goal)`, MISSED next to a missed goal) and writes bench/results.json.
// Always exits 0 when the measures ran: this is a report, not a test.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BENCH_DIR, formatLine, log, result } from './lib/common.mjs';

const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const only = argv.find((a) => a.startsWith('--only='))?.slice('--only='.length).split(',');
const writeReadme = argv.includes('--readme');
// --core-only: measure 4 without Node-RED and n8n (the core inbound call and its state stores only).
const coreOnly = argv.includes('--core-only');

const MEASURES = ['throughput', 'multiprocess', 'slower', 'n8n-builtin', 'webhook', 'memory', 'cpu', 'store', 'ledger', 'security'];

const started = Date.now();
const all = [];
const sections = [];
for (const name of MEASURES) {
  if (only && !only.includes(name)) continue;
  const mod = await import(path.join(BENCH_DIR, 'measures', `${name}.mjs`));
  const t0 = Date.now();
  let results;
  try {
    results = await mod.run({ quick, coreOnly });
  } catch (e) {
    log(`${name} failed:`, e?.stack || e);
    results = [result(`${name}`, null, 'not done', { note: `failed: ${String(e?.message ?? e).split('\n')[0].slice(0, 200)}` })];
  }
  for (const r of results) console.log(formatLine(r));
  sections.push({ id: mod.id ?? name, title: mod.title ?? name, seconds: Math.round((Date.now() - t0) / 100) / 10, results });
  all.push(...results);
}

const report = {
  date: new Date().toISOString(),
  mode: quick ? 'quick' : 'full',
  ...(only ? { only } : {}),
  ...(coreOnly ? { coreOnly } : {}),
  seconds: Math.round((Date.now() - started) / 100) / 10,
  machine: {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model,
    memoryGB: Math.round(os.totalmem() / 2 ** 30),
    loadavg: os.loadavg(),
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    node: process.version,
  },
  missed: all.filter((r) => r.met === false).map((r) => r.name),
  sections,
};
fs.writeFileSync(path.join(BENCH_DIR, 'results.json'), JSON.stringify(report, null, 2) + '\n');
log(`done in ${report.seconds} s (${report.mode}); ${report.missed.length} goal(s) missed; bench/results.json written`);
if (writeReadme) {
  const { updateReadme } = await import('./lib/readme.mjs');
  updateReadme(report);
}
process.exit(0);
