/**
 * The ledger on the default (embedded) store survives a SIGKILL: a real process records sends and
 * statuses and is killed; a new process on the same folder finds every record. Forgetting a user
 * through the shared state removes their ledger rows too.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { closeSharedStates, sharedState } from '../src/registry';

const SCRIPT = join(__dirname, 'support', 'ledger-process.js');
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'wa-ledger-kill-'));
});
afterEach(async () => {
  await closeSharedStates();
  rmSync(dir, { recursive: true, force: true });
});

function run(mode: 'write' | 'read', waitFor: string): Promise<{ out: string; kill: () => void }> {
  const child = spawn(process.execPath, [SCRIPT, mode, dir], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (d) => {
      out += d;
      if (out.includes(waitFor)) resolve({ out, kill: () => child.kill('SIGKILL') });
    });
    child.once('exit', (code, signal) => {
      if (!out.includes(waitFor)) reject(new Error(`ledger process exited (${code ?? signal}) before "${waitFor}": ${err}`));
    });
  });
}

test('records written before a SIGKILL are all there after a restart, statuses included', async () => {
  const writer = await run('write', 'recorded\n');
  writer.kill();
  const reader = await run('read', '\n');
  const records = JSON.parse(reader.out) as Array<{ id: string; status: string; reference: string }>;
  expect(records).toHaveLength(200);
  const byId = new Map(records.map((r) => [r.id, r]));
  for (let i = 0; i < 200; i++) {
    expect(byId.get(`wamid.kill-${i}`)).toEqual({ id: `wamid.kill-${i}`, status: i % 2 === 0 ? 'read' : 'accepted', reference: `order-${i}` });
  }
}, 60_000);

test('forgetUser removes the user\'s ledger rows (every store kind registers the hook)', async () => {
  for (const kind of ['memory', 'embedded'] as const) {
    const state = sharedState({ kind, folder: dir });
    const send = (id: string, recipient: string) =>
      state.ledger.recordSend({ messageId: id, phoneNumberId: '1', recipient, type: 'text', attempts: 1, sentAt: new Date() });
    await send(`wamid.${kind}-a`, '+1 415 555 0001');
    await send(`wamid.${kind}-b`, '+14155550002');
    const result = await state.forgetUser('14155550001');
    expect(result.removedByHooks).toBe(1);
    expect(await state.ledger.get(`wamid.${kind}-a`)).toBeUndefined();
    expect(await state.ledger.get(`wamid.${kind}-b`)).toBeDefined();
  }
});
