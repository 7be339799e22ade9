/**
 * One commit per webhook (handleWebhookPost's `commitWithAcknowledgement`, the Node-RED in-node's
 * way): the keys and their acknowledgement reach the file together, after the hand-off, never
 * before it; and a held group still commits under steady load. What is in the file is read through
 * a second connection, as a restarted process would read it.
 */
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { handleWebhookPost, sharedState, embeddedStoreFile } from '../src';
import { HOLD_MAX_MS, openSqlite, type SqliteDatabase } from '../src/store/sqlite-driver';

const SECRET = 'one-commit-secret';
const sign = (raw: Buffer) => `sha256=${createHmac('sha256', SECRET).update(raw).digest('hex')}`;
const inbound = (id: string) =>
  Buffer.from(
    JSON.stringify({
      object: 'whatsapp_business_account',
      entry: [{ id: 'W', changes: [{ field: 'messages', value: { metadata: { phone_number_id: '1065' }, messages: [{ id, from: '14155550100', timestamp: String(Math.floor(Date.now() / 1000)), type: 'text', text: { body: 'hi' } }] } }] }],
    }),
  );
const turn = () => new Promise((resolve) => setImmediate(resolve));

let dir: string;
let reader: SqliteDatabase | undefined;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'wa-one-commit-'));
});
afterEach(() => {
  reader?.close();
  reader = undefined;
  rmSync(dir, { recursive: true, force: true });
});

/** The dedupe rows another process sees in the file: key → pending owner (null once acknowledged). */
function committed(): Map<string, unknown> {
  reader ??= openSqlite(embeddedStoreFile(dir));
  const rows = reader.prepare("SELECT key, pending FROM wa_dedupe WHERE key LIKE '%wamid.%'").all();
  return new Map(rows.map((row) => [String(row.key).replace(/^.*(wamid\.[^:]+).*$/, '$1'), row.pending]));
}

function post(state: ReturnType<typeof sharedState>, id: string) {
  const raw = inbound(id);
  return handleWebhookPost({ rawBody: raw, headers: { 'x-hub-signature-256': sign(raw) }, appSecret: SECRET, deduplicator: state.deduplicator, windowTracker: state.windowTracker, acknowledgeLater: true, commitWithAcknowledgement: true });
}

test('nothing of the webhook is in the file until acknowledge(); then the key is there, acknowledged, in one commit', async () => {
  const state = sharedState({ folder: dir });
  const result = await post(state, 'wamid.A');
  expect(result.events).toHaveLength(1);
  // Several turns of the event loop later (a plain group would have committed after one).
  for (let i = 0; i < 5; i++) await turn();
  expect(committed().has('wamid.A')).toBe(false);
  // In this process the key counts as seen already: a redelivery meanwhile is a duplicate.
  expect((await post(state, 'wamid.A')).events).toHaveLength(0);
  await result.acknowledge();
  expect(committed().get('wamid.A')).toBeNull();
});

test('release() instead: the key never reaches the file, and a redelivery is handled', async () => {
  const state = sharedState({ folder: dir });
  const refused = await post(state, 'wamid.R');
  await refused.release();
  expect(committed().has('wamid.R')).toBe(false);
  const again = await post(state, 'wamid.R');
  expect(again.events).toHaveLength(1);
  await again.acknowledge();
  expect(committed().get('wamid.R')).toBeNull();
});

test('a receiver that never settles holds the commit at most HOLD_MAX_MS; the key is then in the file in flight', async () => {
  const state = sharedState({ folder: dir });
  await post(state, 'wamid.H');
  await new Promise((resolve) => setTimeout(resolve, HOLD_MAX_MS + 200));
  // In flight (an owner is named): after a crash, a redelivery would be taken over, not dropped.
  expect(typeof committed().get('wamid.H')).toBe('string');
});

test('steady load: a webhook that arrives after the group fell due does not delay it', async () => {
  const state = sharedState({ folder: dir });
  const first = await post(state, 'wamid.S1');
  await turn(); // the group falls due, held by S1 only
  const second = await post(state, 'wamid.S2'); // writes into the due group, holds nothing
  // S1 released: the group commits now (not when S2's hold would time out), S2's key in flight with it.
  const settled = await Promise.race([first.acknowledge().then(() => 'committed'), new Promise((resolve) => setTimeout(resolve, HOLD_MAX_MS / 2, 'still held'))]);
  expect(settled).toBe('committed');
  const rows = committed();
  expect(rows.get('wamid.S1')).toBeNull();
  expect(typeof rows.get('wamid.S2')).toBe('string');
  await second.acknowledge();
  expect(committed().get('wamid.S2')).toBeNull();
});
