// Shared helpers for the benchmarks: paths, child processes with IPC, statistics, result lines.
import { fork } from 'node:child_process';
import { createRequire } from 'node:module';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

export const BENCH_DIR = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
export const REPO_ROOT = path.dirname(BENCH_DIR);
export const TOOLS_DIR = path.join(REPO_ROOT, 'test', '.harness', 'bench-tools');
export const require = createRequire(import.meta.url);

/** The BUILT packages (`npm run bench` builds first). */
export function core() {
  return require(path.join(REPO_ROOT, 'packages', 'core', 'dist', 'index.js'));
}
export function sandboxPkg() {
  return require(path.join(REPO_ROOT, 'packages', 'sandbox', 'dist', 'index.js'));
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const benchStarted = Date.now();

/** A progress line with the seconds since the bench started: shows where a run's time goes. */
export function log(...args) {
  if (!process.env.BENCH_QUIET) console.error(`[bench ${((Date.now() - benchStarted) / 1000).toFixed(1)} s]`, ...args);
}

// ---------------------------------------------------------------------------------------------
// Children: forked with IPC. Every child exits when the IPC channel closes (so a killed bench
// leaves nothing behind), and the bench kills whatever is still alive when it exits.

const children = new Set();

process.on('exit', () => {
  for (const child of children) {
    try {
      child.kill('SIGKILL');
    } catch {
      /* gone */
    }
  }
});

/**
 * Forks `script` (a path) with IPC. Returns { child, request(msg) → reply, wait(type), stop() }.
 * Replies are matched by `id`.
 */
export function forkChild(script, args = [], { execPath, execArgv = [], env } = {}) {
  const child = fork(script, args, {
    execPath: execPath ?? process.execPath,
    execArgv,
    env: env ?? process.env,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  children.add(child);
  let nextId = 1;
  const pending = new Map();
  const waiters = [];
  const exited = new Promise((resolve) => {
    child.once('exit', (code, signal) => {
      children.delete(child);
      for (const { reject } of pending.values()) reject(new Error(`${path.basename(script)} exited (${code ?? signal})`));
      pending.clear();
      for (const w of waiters.splice(0)) w.reject(new Error(`${path.basename(script)} exited (${code ?? signal}) before "${w.type}"`));
      resolve(code ?? signal);
    });
  });
  child.on('message', (msg) => {
    if (msg && msg.replyTo && pending.has(msg.replyTo)) {
      const { resolve, reject } = pending.get(msg.replyTo);
      pending.delete(msg.replyTo);
      if (msg.error) reject(new Error(msg.error));
      else resolve(msg);
      return;
    }
    for (let i = 0; i < waiters.length; i++) {
      if (waiters[i].type === msg?.type) {
        const [w] = waiters.splice(i, 1);
        if (msg.error) w.reject(new Error(msg.error));
        else w.resolve(msg);
        return;
      }
    }
  });
  return {
    child,
    exited,
    request(msg) {
      const id = nextId++;
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject });
        child.send({ ...msg, id });
      });
    },
    wait(type, timeoutMs = 120_000) {
      return new Promise((resolve, reject) => {
        const w = { type, resolve, reject };
        waiters.push(w);
        const t = setTimeout(() => {
          const i = waiters.indexOf(w);
          if (i >= 0) waiters.splice(i, 1);
          reject(new Error(`timed out waiting for "${type}" from ${path.basename(script)}`));
        }, timeoutMs);
        t.unref();
      });
    },
    async stop(graceMs = 5000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      try {
        child.kill('SIGTERM');
      } catch {
        /* gone */
      }
      const t = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(t);
    },
  };
}

/** In a child: answer requests `{ id, type, ... }` with `handlers[type](msg)`; exit when the parent goes. */
export function serveParent(handlers) {
  process.on('disconnect', () => process.exit(0));
  process.on('SIGTERM', () => process.exit(0));
  process.on('message', async (msg) => {
    const handler = handlers[msg?.type];
    if (!handler) return process.send({ replyTo: msg?.id, error: `unknown request ${msg?.type}` });
    try {
      const reply = await handler(msg);
      process.send({ ...(reply ?? {}), replyTo: msg.id });
    } catch (e) {
      process.send({ replyTo: msg.id, error: e?.stack || String(e) });
    }
  });
}

// ---------------------------------------------------------------------------------------------
// Statistics

export function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

export function median(values) {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/**
 * This process's event-loop lag since `reset()` (perf_hooks, 1 ms resolution): how late a timer
 * fired at worst; and its CPU time. On a shared machine it tells the measure's own pacing apart from the CPU it got.
 */
export function eventLoopLag() {
  const h = monitorEventLoopDelay({ resolution: 1 });
  h.enable();
  let cpu = process.cpuUsage();
  let since = performance.now();
  return {
    reset: () => {
      h.reset();
      cpu = process.cpuUsage();
      since = performance.now();
    },
    /** Lag percentiles, and the CPU this process used (seconds) and the wall time (seconds) since reset. */
    read: () => {
      const used = process.cpuUsage(cpu);
      return { p99Ms: round(h.percentile(99) / 1e6, 1), maxMs: round(h.max / 1e6, 1), cpuS: round((used.user + used.system) / 1e6, 2), wallS: round((performance.now() - since) / 1000, 2) };
    },
  };
}

/** Most requests seen in any sliding one-second window. */
export function peakPerSecond(times) {
  const t = [...times].sort((a, b) => a - b);
  let peak = 0;
  for (let i = 0, j = 0; i < t.length; i++) {
    while (t[i] - t[j] >= 1000) j++;
    peak = Math.max(peak, i - j + 1);
  }
  return peak;
}

export function round(value, digits = 3) {
  if (typeof value !== 'number' || !Number.isFinite(value)) return value;
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

// ---------------------------------------------------------------------------------------------
// Results: one line per measure, `name: value (goal)`, MISSED next to a missed goal.

/**
 * A result. `goal` is { op: '>=' | '<=' | '==', value } or a string (report only).
 * `value` may be a number, a string, or null (not done; `note` says why).
 */
export function result(name, value, goal, extra = {}) {
  let met;
  if (goal && typeof goal === 'object' && typeof value === 'number' && Number.isFinite(value)) {
    met = goal.op === '>=' ? value >= goal.value : goal.op === '<=' ? value <= goal.value : value === goal.value;
  } else if (goal && typeof goal === 'object') {
    met = false;
  }
  return { name, value, goal: goalText(goal), met, ...extra };
}

export const atLeast = (value) => ({ op: '>=', value });
export const atMost = (value) => ({ op: '<=', value });
export const exactly = (value) => ({ op: '==', value });

function goalText(goal) {
  if (!goal) return 'report';
  if (typeof goal === 'string') return goal;
  return `${goal.op === '>=' ? '≥' : goal.op === '<=' ? '≤' : '='} ${goal.value}`;
}

export function formatLine(r) {
  const value = r.value === null || r.value === undefined ? 'not done' : typeof r.value === 'number' ? String(round(r.value, 3)) : String(r.value);
  const unit = r.unit ? ` ${r.unit}` : '';
  const missed = r.met === false ? ' MISSED' : '';
  const note = r.note ? `  [${r.note}]` : '';
  return `${r.name}: ${value}${unit} (${r.goal})${missed}${note}`;
}

// ---------------------------------------------------------------------------------------------
// The far side

/** Starts the sandbox in a child process; returns its credentials plus mark()/stats()/close(). */
export async function startSandboxChild(options = {}) {
  const h = forkChild(path.join(BENCH_DIR, 'lib', 'sandbox-child.mjs'), [JSON.stringify(options)]);
  const ready = await h.wait('ready', 30_000);
  return {
    ...ready,
    mark: () => h.request({ type: 'mark' }),
    stats: (since) => h.request({ type: 'stats', since }),
    async close() {
      try {
        await h.request({ type: 'close' });
      } catch {
        /* already gone */
      }
      await h.stop();
    },
  };
}
