/**
 * The action node's "State Store" and User → Forget in n8n (router with a minimal execute
 * context): Embedded by default, the file in n8n's folder (N8N_USER_FOLDER/.n8n/wa-cloud); Forget
 * leaves no row and no byte with the number in it, and sends nothing to WhatsApp.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { closeSharedStates, openSqlite, sharedState } from '@wa-cloud/core';
import type { IDataObject, IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { startSandbox, type Sandbox } from '../../sandbox/src';
import { router } from '../nodes/WhatsAppCloud/v1/actions/router';

let sandbox: Sandbox;
let folder: string;
const previous = process.env.N8N_USER_FOLDER;

beforeAll(async () => {
  sandbox = await startSandbox();
  folder = mkdtempSync(join(tmpdir(), 'wa-n8n-store-'));
  process.env.N8N_USER_FOLDER = folder;
});
afterAll(async () => {
  await sandbox.close();
  await closeSharedStates();
  if (previous === undefined) delete process.env.N8N_USER_FOLDER;
  else process.env.N8N_USER_FOLDER = previous;
  rmSync(folder, { recursive: true, force: true });
});

function context(params: IDataObject): IExecuteFunctions {
  const node = { id: 'node-1', name: 'WhatsApp Cloud', type: 'whatsAppCloud', typeVersion: 1, position: [0, 0], parameters: {} };
  const credentials = { accessToken: sandbox.accessToken, phoneNumberId: sandbox.phoneNumberId, wabaId: sandbox.wabaId, baseUrl: sandbox.url };
  return {
    getInputData: () => [{ json: {} }],
    getNodeParameter: (name: string, _item: number, fallback?: unknown) => (name in params ? params[name] : fallback),
    getCredentials: async () => credentials,
    continueOnFail: () => false,
    getNode: () => node,
    getExecutionId: () => 'exec-store',
    logger: { error: () => undefined, warn: () => undefined },
  } as unknown as IExecuteFunctions;
}

test('User → Forget on the default (embedded) store: no row and no byte of the file contains the number', async () => {
  const USER = '15559870011';
  const file = join(folder, '.n8n', 'wa-cloud', 'state.sqlite');
  // What the trigger records for a user who wrote and then stopped marketing.
  const state = sharedState({ kind: 'embedded', folder: join(folder, '.n8n') });
  await state.windowTracker.recordInbound(sandbox.phoneNumberId, USER);
  await state.qualityGuard.optOut(sandbox.phoneNumberId, USER);
  await state.store.dedupe.markIfNew(`m:${sandbox.phoneNumberId}:wamid.x`, 60_000, [USER]);
  await state.store.dedupe.flush?.();
  // A Send and Wait question to the user, left in the file by an n8n before a restart (this
  // process never touched the table).
  const previous = openSqlite(file);
  previous.exec('CREATE TABLE IF NOT EXISTS n8n_waiting (token TEXT PRIMARY KEY, recipient TEXT, question TEXT NOT NULL, expires_at INTEGER NOT NULL) WITHOUT ROWID');
  previous.prepare('INSERT INTO n8n_waiting VALUES (?, ?, ?, ?)').run('tok', USER, JSON.stringify({ recipient: USER, resumeUrl: 'http://n8n/webhook-waiting/1' }), Date.now() + 60_000);
  previous.close();
  const scan = () => {
    const db = openSqlite(file);
    try {
      const rows = ['wa_windows', 'wa_quality', 'wa_dedupe', 'n8n_waiting'].flatMap((t) => db.prepare(`SELECT * FROM ${t}`).all()).map((r) => JSON.stringify(r)).join('\n');
      return rows.includes(USER) || Buffer.concat([file, `${file}-wal`].filter(existsSync).map((p) => readFileSync(p))).includes(USER);
    } finally {
      db.close();
    }
  };
  expect(scan()).toBe(true);

  const requestsBefore = sandbox.requests.length;
  // No "sharedStore" parameter: the node's default.
  const [items] = (await router.call(context({ resource: 'user', operation: 'forget', users: `+${USER}` }))) as INodeExecutionData[][];
  expect(items![0]!.json).toMatchObject({ users: [`+${USER}`], store: 'embedded', removed: 3, hashedOptOuts: 1, removedByHooks: 1 });
  expect(sandbox.requests.length).toBe(requestsBefore);
  expect(scan()).toBe(false);
  expect((await state.windowTracker.status(sandbox.phoneNumberId, USER)).open).toBe(false);
});

test('State Store "Memory Only" writes no file; the old "none" (saved workflows) means Embedded, in the n8n folder', async () => {
  const fresh = mkdtempSync(join(tmpdir(), 'wa-n8n-mem-'));
  const file = join(fresh, '.n8n', 'wa-cloud', 'state.sqlite');
  process.env.N8N_USER_FOLDER = fresh;
  try {
    const [memory] = (await router.call(context({ resource: 'user', operation: 'forget', users: '+15559870012', sharedStore: 'memory' }))) as INodeExecutionData[][];
    expect(memory![0]!.json).toMatchObject({ store: 'memory' });
    expect(existsSync(file)).toBe(false);
    const [old] = (await router.call(context({ resource: 'user', operation: 'forget', users: '+15559870012', sharedStore: 'none' }))) as INodeExecutionData[][];
    expect(old![0]!.json).toMatchObject({ store: 'embedded' });
    expect(existsSync(file)).toBe(true);
  } finally {
    process.env.N8N_USER_FOLDER = folder;
    rmSync(fresh, { recursive: true, force: true });
  }
});
