/**
 * Crash under load in REAL n8n 2.41.1 (regular mode, Node 24, node:sqlite), default settings, no
 * Redis: 2,000 signed webhooks posted at full speed to the WhatsApp Cloud Trigger (200 messages,
 * 1,800 statuses it takes without an execution), SIGKILL to n8n at a random moment, restart on the
 * same user folder, all 2,000 posted again (and again while n8n answers anything but 200, as Meta
 * does). No message is lost: those answered 200 before the kill had their execution stored by then
 * and never start a second one; those not answered start one after the restart. The exception n8n
 * leaves: a message whose execution n8n had stored but not yet answered when it died starts a second
 * execution after the restart (n8n stores, then answers; the trigger cannot see n8n's database).
 *
 * The same run against the High-Volume Trigger (its own port; one execution per event, with the
 * event's key as n8n's execution deduplication key) closes that gap: every message exactly once.
 *
 * "Reaches the workflow" is an execution n8n stored with the event as the trigger's output: read
 * from n8n's own database (`<N8N_USER_FOLDER>/.n8n/database.sqlite`), each execution's data scanned
 * for the message ids it carries. That is n8n's hand-over point: an execution still running at the
 * kill is kept (n8n marks it crashed, with its input, and offers a retry), never run again by
 * itself, so a node behind the trigger (an HTTP post to the test) would miss events n8n did take.
 */
import * as fs from 'fs';
import * as path from 'path';
import { signBody, startSandbox, type Sandbox } from '../../packages/sandbox/src';
import { importCredentials, importWorkflow, installCommunityPackage, makeN8nUserFolder, startN8n, type N8nInstance } from '../harness/n8n';
import { getFreePorts } from '../harness/ports';
import { stopAll } from '../harness/processes';
import { ensureN8n } from '../harness/runtimes';
import { apiCredentialData, N8nRest, nodeId, packPackage, SECRETS, triggerNode, waitUntil, type Cred } from '../../packages/n8n-nodes-whatsapp-cloud/test/support/n8n-e2e';

/** libsql (core's driver for Node 20, installed at the root), made read-only on n8n's file: no journal mode is changed. */
type ReadOnlyDb = { exec(sql: string): void; prepare(sql: string): { all(...params: unknown[]): unknown[] }; close(): void };
// eslint-disable-next-line @typescript-eslint/no-require-imports
const Database = require('libsql') as new (file: string) => ReadOnlyDb;

const d = process.env.SKIP_E2E ? describe.skip : describe;
const LOAD = 2000;
/**
 * Every 10th webhook carries a message (an execution each); the others a "delivered" status, which
 * the trigger takes (dedupe, ledger) without an execution, as it does with status noise by default.
 * n8n in regular mode stores each execution in its SQLite database: about 30 executions/s on an idle
 * 2-core machine, 1/s on a loaded one, so 2,000 executions per run would take most of an hour there.
 */
const MESSAGE_EVERY = 10;
/** Concurrent posters, as a busy Meta app delivers. */
const POSTERS = 8;
const MESSAGE_ID = /wamid\.crash-(\d+)/g;
const isMessage = (i: number) => i % MESSAGE_EVERY === 0;

function webhookBody(sb: Sandbox, i: number): string {
  const user = String(15559100000 + (i % 400));
  const metadata = { display_phone_number: sb.displayPhoneNumber, phone_number_id: sb.phoneNumberId };
  const timestamp = String(Math.floor(Date.now() / 1000));
  const value = isMessage(i)
    ? { messaging_product: 'whatsapp', metadata, contacts: [{ wa_id: user, profile: { name: 'U' } }], messages: [{ id: `wamid.crash-${i}`, from: user, timestamp, type: 'text', text: { body: `load ${i}` } }] }
    : { messaging_product: 'whatsapp', metadata, statuses: [{ id: `wamid.sent-${i}`, status: 'delivered', timestamp, recipient_id: user }] };
  return JSON.stringify({ object: 'whatsapp_business_account', entry: [{ id: sb.wabaId, changes: [{ field: 'messages', value }] }] });
}

/** POSTs one webhook; 0 when n8n is gone (not acknowledged). */
async function postWebhook(url: string, body: string, signature: string): Promise<number> {
  try {
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-hub-signature-256': signature }, body, keepalive: false });
    await res.text();
    return res.status;
  } catch {
    return 0;
  }
}

/** Posts every body once, POSTERS at a time; calls `afterEach` with the count done so far. Returns the indexes answered 200. */
async function postAll(url: string, bodies: string[], signatures: string[], afterEach: (done: number) => void = () => undefined): Promise<Set<number> & { statuses?: Record<number, number> }> {
  const acked: Set<number> & { statuses?: Record<number, number> } = new Set<number>();
  const statuses: Record<number, number> = {};
  acked.statuses = statuses;
  let next = 0;
  let done = 0;
  await Promise.all(
    Array.from({ length: POSTERS }, async () => {
      while (next < bodies.length) {
        const i = next++;
        const status = await postWebhook(url, bodies[i]!, signatures[i]!);
        statuses[status] = (statuses[status] ?? 0) + 1;
        if (status === 200) acked.add(i);
        afterEach(++done);
      }
    }),
  );
  return acked;
}

interface StoredExecution {
  id: number;
  status: string;
  /** The message indexes this execution carries. */
  events: number[];
  /** Whether it carries a status (none should: statuses other than "failed" start nothing). */
  statuses: boolean;
}

/** The workflow's executions as n8n stored them, each with the message ids in its data. */
function storedExecutions(userFolder: string, workflowId: string): StoredExecution[] {
  const file = path.join(userFolder, '.n8n', 'database.sqlite');
  if (!fs.existsSync(file)) throw new Error(`n8n's database ${file} does not exist`);
  const db = new Database(file);
  try {
    // query_only: this connection cannot write n8n's file; busy_timeout: n8n may be writing.
    db.exec('PRAGMA query_only = ON; PRAGMA busy_timeout = 10000');
    const rows = db
      .prepare('SELECT e.id AS id, e.status AS status, d.data AS data FROM execution_entity e LEFT JOIN execution_data d ON d.executionId = e.id WHERE e.workflowId = ? ORDER BY e.id')
      .all(workflowId) as Array<{ id: number; status: string; data: string | null }>;
    return rows.map((row) => ({
      id: Number(row.id),
      status: row.status,
      events: [...new Set([...(row.data ?? '').matchAll(MESSAGE_ID)].map((m) => Number(m[1])))],
      statuses: (row.data ?? '').includes('wamid.sent-'),
    }));
  } finally {
    db.close();
  }
}

/** Which trigger takes the load: n8n's webhook route, or the High-Volume Trigger's own port. */
interface Variant {
  title: string;
  /** The High-Volume Trigger: no message may start twice, not even those stored but unanswered. */
  exactlyOnce: boolean;
}

const VARIANTS: Variant[] = [
  { title: 'WhatsApp Cloud Trigger', exactlyOnce: false },
  { title: 'High-Volume Trigger', exactlyOnce: true },
];

d.each(VARIANTS)('n8n 2.41.1: crash under load with the embedded state store ($title)', ({ exactlyOnce }) => {
  let userFolder: string;
  let packDir: string;
  let sandbox: Sandbox;
  let n8n: N8nInstance;
  let workflowId: string;
  let listenerPort = 0;
  const hook = nodeId();
  const triggerUrl = () => (exactlyOnce ? `http://127.0.0.1:${listenerPort}/whatsapp` : `${n8n.url}/webhook/${hook}/whatsapp`);
  /** Served: n8n's route answers anything but 404; the listener answers its challenge. */
  const served = async () => {
    const res = await fetch(`${triggerUrl()}?hub.mode=subscribe&hub.verify_token=${SECRETS.verifyToken}&hub.challenge=up`).catch(() => undefined);
    await res?.arrayBuffer();
    return exactlyOnce ? res?.status === 200 : res !== undefined && res.status !== 404;
  };

  const start = async () => {
    n8n = await startN8n({ userFolder });
    await waitUntil(served, 60_000, 'the trigger to be served');
  };
  /** Waits until n8n has no execution of the workflow left to finish and the count holds still. */
  const settled = async (timeoutMs: number) => {
    let last = -1;
    await waitUntil(
      () => {
        const all = storedExecutions(userFolder, workflowId);
        const still = all.length === last && !all.some((e) => e.status === 'new' || e.status === 'running');
        last = all.length;
        return still;
      },
      timeoutMs,
      'the executions to settle',
    );
  };

  beforeAll(async () => {
    await ensureN8n();
    const packed = await packPackage();
    packDir = packed.dir;
    sandbox = await startSandbox({ accessToken: SECRETS.accessToken, appSecret: SECRETS.appSecret, verifyToken: SECRETS.verifyToken });
    userFolder = makeN8nUserFolder();
    await installCommunityPackage(userFolder, packed.tgz);
    const [apiId] = await importCredentials(userFolder, [{ name: 'WhatsApp', type: 'whatsAppCloudApi', data: apiCredentialData(sandbox) }]);
    const cred: Cred = { id: apiId!, name: 'WhatsApp' };
    // No "sharedStore" parameter: the default (embedded).
    [listenerPort] = await getFreePorts(1);
    const trigger = exactlyOnce
      ? {
          id: nodeId(),
          name: 'Trigger',
          type: '@wa-cloud/n8n-nodes-whatsapp-cloud.whatsAppCloudHighVolumeTrigger',
          typeVersion: 1,
          position: [0, 0],
          parameters: { port: listenerPort, registration: 'verifyOnly', events: ['messages'], options: { listenAddress: '127.0.0.1' } },
          credentials: { whatsAppCloudApi: cred },
        }
      : triggerNode('Trigger', cred, hook, { registration: 'verifyOnly', events: ['messages'] });
    workflowId = await importWorkflow(userFolder, { name: 'e2e crash under load', nodes: [trigger], connections: {} });
    n8n = await startN8n({ userFolder });
    const rest = new N8nRest(n8n.url);
    await rest.login();
    await rest.activate(workflowId);
    await waitUntil(served, 60_000, 'the trigger to be served');
  }, 20 * 60_000);

  afterAll(async () => {
    if (process.env.E2E_N8N_LOG) fs.writeFileSync(process.env.E2E_N8N_LOG, n8n?.logs() ?? '');
    await stopAll();
    await sandbox?.close();
    if (userFolder) fs.rmSync(userFolder, { recursive: true, force: true });
    if (packDir) fs.rmSync(packDir, { recursive: true, force: true });
  });

  test(`${LOAD} webhooks (${LOAD / MESSAGE_EVERY} messages), SIGKILL at a random moment, restart, all redelivered: no message lost, ${exactlyOnce ? 'none starts twice' : 'none answered 200 starts twice'}`, async () => {
    const bodies = Array.from({ length: LOAD }, (_, i) => webhookBody(sandbox, i));
    const messages = bodies.map((_, i) => i).filter(isMessage);
    const signatures = bodies.map((b) => signBody(b, SECRETS.appSecret));
    const killAt = Math.floor(LOAD * (0.1 + Math.random() * 0.8));
    let killing: Promise<void> | undefined;
    const t0 = Date.now();
    const acked = await postAll(triggerUrl(), bodies, signatures, (done) => {
      if (done !== killAt) return;
      const { process: proc } = n8n;
      killing = (async () => {
        try {
          process.kill(-proc.pid, 'SIGKILL');
        } catch {
          proc.child.kill('SIGKILL');
        }
        await proc.exited;
      })();
    });
    await killing;
    const firstRunMs = Date.now() - t0;
    const beforeKill = storedExecutions(userFolder, workflowId);
    const seenBeforeKill = new Set(beforeKill.flatMap((e) => e.events));
    expect(acked.size).toBeGreaterThan(0);
    expect(acked.size).toBeLessThan(LOAD);

    const t1 = Date.now();
    await start();
    // Meta delivers every webhook again until it is answered 200: n8n answers 503 "Database is not
    // ready" while its own SQLite falls behind (its health ping times out), so do the same.
    let pending = bodies.map((_, i) => i);
    const rounds: Array<Record<number, number>> = [];
    while (pending.length && Date.now() - t1 < 240_000) {
      if (rounds.length) await new Promise((r) => setTimeout(r, 1000));
      const answered = await postAll(triggerUrl(), pending.map((i) => bodies[i]!), pending.map((i) => signatures[i]!));
      rounds.push(answered.statuses!);
      pending = pending.filter((_, k) => !answered.has(k));
    }
    console.log(`answers before the kill ${JSON.stringify(acked.statuses)} (${firstRunMs} ms); after the restart, by round: ${JSON.stringify(rounds)} (${Date.now() - t1} ms)`);
    expect(pending).toEqual([]);
    await settled(120_000);
    const secondRunMs = Date.now() - t1;
    const all = storedExecutions(userFolder, workflowId);
    const afterRestart = all.filter((e) => !beforeKill.some((b) => b.id === e.id));

    const counts = new Map<number, number>();
    for (const e of all) for (const i of e.events) counts.set(i, (counts.get(i) ?? 0) + 1);
    const twice = [...counts].filter(([, n]) => n > 1).map(([i]) => i);
    const missing = messages.filter((i) => !counts.has(i));
    // Every webhook answered 200 before the kill had its execution stored by then…
    const ackedWithoutExecution = [...acked].filter((i) => isMessage(i) && !seenBeforeKill.has(i)).sort((a, b) => a - b);
    // …and none of them started another one after the restart.
    const ackedAgain = afterRestart.flatMap((e) => e.events).filter((i) => acked.has(i));
    console.log(
      `n8n crash under load: killed after ${killAt} of ${LOAD} answers (${acked.size} answered 200, ${[...acked].filter(isMessage).length} of them messages; ${beforeKill.length} executions stored, ${Math.round(firstRunMs / 100) / 10} s); ` +
        `after the restart ${afterRestart.length} executions (${Math.round(secondRunMs / 100) / 10} s to post all and settle)`,
    );
    // The one gap n8n leaves: it stores the execution, then answers; killed in between, the webhook
    // was not answered, so its redelivery after the restart starts a second execution (the trigger
    // cannot see n8n's database to tell). Only messages stored but not answered before the kill may
    // be there twice; none is lost, and none answered 200 starts another execution.
    const storedUnanswered = new Set([...seenBeforeKill].filter((i) => !acked.has(i)));
    // The High-Volume Trigger has no such gap: n8n refuses a second execution with the same key.
    const twiceOutsideTheGap = exactlyOnce ? twice : twice.filter((i) => !storedUnanswered.has(i));
    console.log(`stored before the kill but not answered: ${storedUnanswered.size}; of them started again after the restart: ${twice.length}`);
    expect({ twiceOutsideTheGap, missing, ackedWithoutExecution, ackedAgain }).toEqual({ twiceOutsideTheGap: [], missing: [], ackedWithoutExecution: [], ackedAgain: [] });
    expect(all.filter((e) => e.events.length !== 1 || e.statuses)).toEqual([]);
  }, 900_000);
});
