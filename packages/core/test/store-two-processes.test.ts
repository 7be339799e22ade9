/**
 * Two processes on one embedded store file (n8n's main process and its task runner, two Node-RED
 * instances started by mistake): each event key is won by exactly one of them, neither ever sees
 * "database is locked", and the file passes SQLite's integrity check afterwards.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { embeddedStoreFile } from '../src/store/embedded-state-store';
import { openSqlite } from '../src/store/sqlite-driver';

const WRITER = join(__dirname, 'support', 'store-writer.js');
const KEYS = 3000;

interface Writer {
  ready: Promise<void>;
  go(): void;
  done: Promise<{ code: number; stdout: string; stderr: string }>;
}

function writer(folder: string, order: 'ascending' | 'descending'): Writer {
  const child = spawn(process.execPath, [WRITER, folder, String(KEYS), order], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let readyResolve!: () => void;
  const ready = new Promise<void>((resolve) => (readyResolve = resolve));
  child.stdout!.on('data', (d) => {
    stdout += d;
    if (stdout.startsWith('ready\n')) readyResolve();
  });
  child.stderr!.on('data', (d) => (stderr += d));
  const done = new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
    child.on('exit', (code) => {
      readyResolve();
      resolve({ code: code ?? 1, stdout: stdout.replace(/^ready\n/, ''), stderr });
    }),
  );
  return { ready, go: () => child.stdin!.end('go\n'), done };
}

interface Round {
  wonA: number[];
  wonB: number[];
}

/** One round: both writers start together on a fresh folder; every correctness claim is checked here. */
async function round(): Promise<Round> {
  const dir = mkdtempSync(join(tmpdir(), 'wa-two-'));
  try {
    const writers = [writer(dir, 'ascending'), writer(dir, 'descending')];
    await Promise.all(writers.map((w) => w.ready));
    for (const w of writers) w.go();
    const [a, b] = await Promise.all(writers.map((w) => w.done));
    expect({ a: [a.code, a.stderr], b: [b.code, b.stderr] }).toEqual({ a: [0, ''], b: [0, ''] });
    const wonA: number[] = JSON.parse(a.stdout).won;
    const wonB: number[] = JSON.parse(b.stdout).won;
    expect(wonA.length + wonB.length).toBe(KEYS);
    expect(new Set([...wonA, ...wonB]).size).toBe(KEYS);
    const db = openSqlite(embeddedStoreFile(dir));
    expect(db.prepare('PRAGMA integrity_check').get()).toEqual({ integrity_check: 'ok' });
    expect(Number(db.prepare('SELECT count(*) AS n FROM wa_windows').get()!.n)).toBe(500);
    db.close();
    return { wonA, wonB };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('two processes mark the same 3,000 keys at once: each is won once, no "database is locked", file intact', async () => {
  // Both must really have written in one round at least, or the round proved nothing about
  // contention. SQLite's lock is not fair: a waiter sleeps in its busy handler (up to 100 ms a
  // try) while the other process commits back to back, so on a loaded machine one process can
  // finish all 3,000 keys before its twin's first try lands (CI saw it once). Such a round still
  // checks every correctness claim; another round is run for the contention.
  const interleaved: Round[] = [];
  for (let attempt = 1; attempt <= 4 && interleaved.length === 0; attempt++) {
    const result = await round();
    if (Math.min(result.wonA.length, result.wonB.length) > 0) interleaved.push(result);
  }
  expect(interleaved).toHaveLength(1);
}, 180_000);
