/**
 * Crash safety of the embedded store, with real processes: a receiver on the built core (see
 * support/crash-receiver.js) is killed with SIGKILL under load, restarted on the same file, and
 * every webhook is delivered again. Each event must reach the "flow" (the receiver's log) at least
 * once; an event acknowledged (200) before the kill never again.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const SECRET = 'crash-secret';
const PHONE = '106540352242922';
const RECEIVER = join(__dirname, 'support', 'crash-receiver.js');
const TOTAL = 2000;

function webhook(i: number): Buffer {
  const from = String(14150000000 + (i % 300));
  return Buffer.from(
    JSON.stringify({
      object: 'whatsapp_business_account',
      entry: [{ id: 'W', changes: [{ field: 'messages', value: { metadata: { phone_number_id: PHONE }, contacts: [{ wa_id: from, profile: { name: 'U' } }], messages: [{ id: `wamid.crash-${i}`, from, timestamp: String(Math.floor(Date.now() / 1000)), type: 'text', text: { body: `m${i}` } }] } }] }],
    }),
  );
}

async function start(folder: string, log: string, env: NodeJS.ProcessEnv): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, [RECEIVER, folder, log, SECRET], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.once('data', (d) => resolve(Number(String(d).trim())));
    child.once('exit', (code) => reject(new Error(`receiver exited (${code}): ${err}`)));
  });
  return { child, port };
}

function post(port: number, body: Buffer): Promise<number> {
  const signature = `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`;
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/', agent: false, headers: { 'content-type': 'application/json', 'x-hub-signature-256': signature } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', () => resolve(0));
    });
    req.on('error', () => resolve(0)); // the receiver died: not acknowledged
    req.end(body);
  });
}

/** Posts every body, `concurrency` at a time; returns which were answered 200. */
async function deliverAll(port: number, bodies: Buffer[], concurrency: number, onProgress?: (done: number) => void): Promise<Set<number>> {
  const acked = new Set<number>();
  let next = 0;
  let done = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < bodies.length) {
        const i = next++;
        if ((await post(port, bodies[i]!)) === 200) acked.add(i);
        onProgress?.(++done);
      }
    }),
  );
  return acked;
}

const lines = (log: string) => (existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean) : []);

let dir: string;
const children: ChildProcess[] = [];
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'wa-crash-'));
});
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

// Both ways an adapter settles a webhook: keys committed in flight and then acknowledged (two
// commits), or keys and acknowledgement committed together once the flow has the events.
test.each([
  ['keys in flight, then acknowledged', {}],
  ['keys and acknowledgement in one commit after the hand-off', { CRASH_ONE_COMMIT: '1' }],
])('2,000 webhooks, SIGKILL at a random moment, restart, all redelivered: none lost, none acknowledged handed on twice (%s)', async (_mode, env) => {
  const log = join(dir, 'flow.log');
  const bodies = Array.from({ length: TOTAL }, (_, i) => webhook(i));
  const first = await start(dir, log, env);
  children.push(first.child);
  // Somewhere between 10 % and 90 % of the way through.
  const killAt = Math.floor(TOTAL * (0.1 + Math.random() * 0.8));
  let killed = false;
  const acked = await deliverAll(first.port, bodies, 32, (done) => {
    if (!killed && done >= killAt) {
      killed = true;
      first.child.kill('SIGKILL');
    }
  });
  await new Promise((resolve) => (first.child.exitCode === null && first.child.signalCode === null ? first.child.once('exit', resolve) : resolve(null)));
  expect(first.child.signalCode).toBe('SIGKILL');
  const beforeKill = lines(log);
  expect(acked.size).toBeGreaterThan(0);
  expect(acked.size).toBeLessThan(TOTAL);

  const second = await start(dir, log, env);
  children.push(second.child);
  const ackedAfter = await deliverAll(second.port, bodies, 32);
  expect(ackedAfter.size).toBe(TOTAL); // every redelivery is answered 200 (duplicates too)
  second.child.kill('SIGKILL');

  const all = lines(log);
  const counts = new Map<string, number>();
  for (const id of all) counts.set(id, (counts.get(id) ?? 0) + 1);
  const twice = [...counts].filter(([, n]) => n > 1).map(([id]) => id);
  const missing = bodies.map((_, i) => `wamid.crash-${i}`).filter((id) => !counts.has(id));
  const ackedIds = new Set([...acked].map((i) => `wamid.crash-${i}`));
  // None lost, and none answered 200 before the kill handed on twice. An event the flow had but
  // whose webhook was not yet acknowledged when the process died may come twice (the documented
  // at-least-once gap, README "Crash safety": a sink outside the commit cannot be exactly-once),
  // at most the webhooks in flight (32); seen about once in five runs on a loaded machine.
  expect({ twiceAcked: twice.filter((id) => ackedIds.has(id)), missing }).toEqual({ twiceAcked: [], missing: [] });
  expect(twice.length).toBeLessThanOrEqual(32);
  // Acknowledged before the kill: handed on before it, so never after the restart.
  const afterRestart = new Set(all.slice(beforeKill.length));
  expect([...acked].filter((i) => afterRestart.has(`wamid.crash-${i}`))).toEqual([]);
}, 120_000);
