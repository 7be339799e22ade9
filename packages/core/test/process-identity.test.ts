/**
 * Keys in flight name the process that marked them; a redelivery takes a key over only when that
 * process is gone. A pid alone would keep a dead process's key "alive" once the pid is reused (after
 * a reboot, or the same pid 1 on every container start): the redelivery would be dropped and the
 * event lost. So the mark carries the boot id and the process's start time.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OWNER, ownerIsGone, parseMark, processStartTicks } from '../src/store/process-identity';
import { EmbeddedStateStore } from '../src/store/embedded-state-store';

const linux = process.platform === 'linux';
let child: ChildProcess;
beforeEach(async () => {
  child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  await new Promise((resolve) => child.once('spawn', resolve));
});
afterEach(() => {
  child.kill('SIGKILL');
});
const markOf = (pid: number, boot = parseMark(OWNER).boot ?? '', started = processStartTicks(pid) ?? '') => `${pid}:00000000-0000-0000-0000-000000000000:${boot}:${started}`;
const exited = () => new Promise((resolve) => child.once('exit', resolve));

test('the mark is short (it is written into every key in flight), and a mark with the whole boot id is still read', () => {
  expect(OWNER.length).toBeLessThanOrEqual(40);
  const boot = parseMark(OWNER).boot;
  if (boot) expect(ownerIsGone(markOf(process.pid, readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim(), processStartTicks(process.pid)))).toBe(false);
});

test('a live process is not gone; once it exits it is', async () => {
  expect(ownerIsGone(OWNER)).toBe(false);
  const mark = markOf(child.pid!);
  expect(ownerIsGone(mark)).toBe(false);
  const gone = exited();
  child.kill('SIGKILL');
  await gone;
  expect(ownerIsGone(mark)).toBe(true);
});

test('our own pid: a previous life of this process when the start time differs (a container restarted with the same pid)', () => {
  expect(ownerIsGone(`${process.pid}:00000000-0000-0000-0000-000000000000`)).toBe(true);
  if (!linux) return;
  expect(ownerIsGone(markOf(process.pid, undefined, String(Number(processStartTicks(process.pid)) - 1)))).toBe(true);
  // Same pid and start time: this very process (another copy of this code, say in a worker thread).
  expect(ownerIsGone(markOf(process.pid))).toBe(false);
});

(linux ? test : test.skip)('Linux: a reused pid (another start time) or another boot is gone, though the pid runs', () => {
  const pid = child.pid!;
  expect(processStartTicks(pid)).toMatch(/^\d+$/);
  expect(ownerIsGone(markOf(pid, undefined, String(Number(processStartTicks(pid)) - 1)))).toBe(true);
  expect(ownerIsGone(markOf(pid, '11111111-2222-3333-4444-555555555555'))).toBe(true);
  // A mark from before this change (pid:uuid) is judged by the pid alone.
  expect(ownerIsGone(`${pid}:00000000-0000-0000-0000-000000000000`)).toBe(false);
});

(linux ? test : test.skip)('the store takes over a key in flight for a reused pid: the redelivery is handled, not dropped', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'wa-owner-'));
  const store = new EmbeddedStateStore(join(dir, 'state.sqlite'));
  try {
    const insert = store.db.prepare('INSERT INTO wa_dedupe (key, expires_at, users, pending) VALUES (?, ?, NULL, ?)');
    const reused = markOf(child.pid!, undefined, String(Number(processStartTicks(child.pid!)) - 1));
    insert.run('m:1:wamid.reused', Date.now() + 60_000, reused);
    insert.run('m:1:wamid.live', Date.now() + 60_000, markOf(child.pid!));
    expect(await store.dedupe.markIfNew('m:1:wamid.reused', 60_000, [], { pending: true })).toBe(true);
    expect(await store.dedupe.markIfNew('m:1:wamid.live', 60_000, [], { pending: true })).toBe(false);
    // Taken over once: the next redelivery is a duplicate while this process holds it.
    expect(await store.dedupe.markIfNew('m:1:wamid.reused', 60_000, [], { pending: true })).toBe(false);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
