/**
 * The packed n8n package in REAL n8n 2.41.1 queue mode: PostgreSQL (127.0.0.1:5432) + Redis,
 * `n8n start` + two `n8n worker` (concurrency 1) + one `n8n webhook`, every node and trigger on the
 * "Redis" shared store (credential `whatsAppCloudRedisApi`). Proves:
 * - an inbound message through the trigger on the WEBHOOK process opens the window (in Redis) for
 *   a free-form reply sent by a WORKER (with the window guard on "Block");
 * - a 300-item template job split across both workers stays under the sandbox's cap (the number's
 *   budget is one Redis limiter), none refused with 130429, each recipient once;
 * - Send and Wait across processes: a worker asks, the webhook process hears the answer and
 *   resumes the execution (the question lives in Redis);
 * - a worker SIGKILLed in the middle of a 300-item job: no recipient gets the message twice
 *   (n8n does not re-run a stalled job: the execution fails);
 * (WEBHOOK_URL points every process at the webhook process, as queue mode needs for resume URLs.)
 * - no secret in the logs of the four processes or in any execution's data.
 * Set SKIP_E2E=1 to skip.
 */
import * as fs from 'fs';
import { startSandbox, type Sandbox } from '../../packages/sandbox/src';
import {
  importCredentials,
  importWorkflow,
  installCommunityPackage,
  makeN8nUserFolder,
  prepareQueueMode,
  publishWorkflow,
  startN8n,
  type N8nInstance,
  type QueueSetup,
} from '../harness/n8n';
import { getFreePort } from '../harness/ports';
import { stopAll } from '../harness/processes';
import { ensureN8n } from '../harness/runtimes';
import {
  apiCredentialData,
  chain,
  codeNode,
  findSecrets,
  N8nRest,
  nodeId,
  packPackage,
  postNode,
  SECRETS,
  startCollector,
  triggerNode,
  waitUntil,
  waNode,
  webhookNode,
  type Collector,
  type Cred,
} from '../../packages/n8n-nodes-whatsapp-cloud/test/support/n8n-e2e';

const d = process.env.SKIP_E2E ? describe.skip : describe;
const SANDBOX_THROUGHPUT = 50;
const NODE_THROUGHPUT = 40;

let q: QueueSetup;
let userFolder: string;
let packDir: string;
let sandbox: Sandbox;
let collector: Collector;
let main: N8nInstance;
let webhook: N8nInstance;
const workers: N8nInstance[] = [];
const stoppedLogs: string[] = [];
let rest: N8nRest;
const triggerHook = nodeId();
const keyPrefix = `e2e-n8nq-${Date.now().toString(36)}:`;

/** Peak number of sends in any one-second window. */
function peakPerSecond(times: number[]): number {
  const sorted = [...times].sort((a, b) => a - b);
  let peak = 0;
  for (let i = 0, j = 0; i < sorted.length; i++) {
    while (sorted[i]! - sorted[j]! >= 1000) j++;
    peak = Math.max(peak, i - j + 1);
  }
  return peak;
}

const sendsTo = (prefix: string) =>
  sandbox.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/messages') && String((r.body as { to?: string })?.to ?? '').startsWith(prefix));

d('n8n queue mode (Postgres + Redis, main + 2 workers + webhook process)', () => {
  beforeAll(async () => {
    await ensureN8n();
    const packed = await packPackage();
    packDir = packed.dir;
    q = await prepareQueueMode();
    sandbox = await startSandbox({
      accessToken: SECRETS.accessToken,
      appSecret: SECRETS.appSecret,
      verifyToken: SECRETS.verifyToken,
      throughput: SANDBOX_THROUGHPUT,
      statusDelaysMs: { sent: 20, delivered: null, read: null },
    });
    collector = await startCollector(SECRETS.verifyToken);
    userFolder = makeN8nUserFolder();
    await installCommunityPackage(userFolder, packed.tgz);
    const [apiId, redisId] = await importCredentials(
      userFolder,
      [
        {
          name: 'WhatsApp',
          type: 'whatsAppCloudApi',
          data: apiCredentialData(sandbox),
        },
        { name: 'Shared store', type: 'whatsAppCloudRedisApi', data: { host: '127.0.0.1', port: 6379, user: '', password: '', database: 0, tls: false, keyPrefix } },
      ],
      { env: q.env },
    );
    const cred: Cred = { id: apiId!, name: 'WhatsApp' };
    const redis = { whatsAppCloudRedisApi: { id: redisId!, name: 'Shared store' } };
    const shared = (node: ReturnType<typeof waNode>) => ({ ...node, parameters: { ...node.parameters, sharedStore: 'redis' }, credentials: { ...node.credentials, ...redis } });

    // Inbound → free-form reply (window guard on), or, for "ask", a Send and Wait question.
    const reply = await importWorkflow(
      userFolder,
      {
        name: 'e2e queue reply',
        nodes: [
          // Version 2 (what the editor adds) with N8N_EXPRESSION_ENGINE_LAZY_ACQUIRE below, as the n8n
          // README advises for many status webhooks: the 300-item job's 900 statuses are absorbed at
          // a few ms each. As installed, the webhook process builds an expression isolate per POST
          // (100-300 ms of CPU), the sandbox times its status webhooks out and redelivers them, and
          // the "ask" message waited minutes behind them.
          { ...triggerNode('Trigger', cred, triggerHook, { registration: 'verifyOnly', sharedStore: 'redis' }, redis), typeVersion: 2 },
          {
            id: nodeId(),
            name: 'Is Ask',
            type: 'n8n-nodes-base.if',
            typeVersion: 2,
            position: [200, 0],
            parameters: {
              conditions: {
                options: { caseSensitive: true, leftValue: '', typeValidation: 'loose' },
                conditions: [{ id: nodeId(), leftValue: '={{ $json.text }}', rightValue: 'ask', operator: { type: 'string', operation: 'equals' } }],
                combinator: 'and',
              },
              options: {},
            },
          },
          shared(waNode('Ask', cred, { resource: 'message', operation: 'sendAndWait', to: '={{ $json.from }}', message: 'Which slot?', answers: { answer: [{ title: 'Morning', value: 'am' }, { title: 'Evening', value: 'pm' }] }, options: {} }, {}, [400, -100])),
          postNode('Post Answer', collector.url, 'answer', [600, -100]),
          shared(waNode('Reply', cred, { resource: 'message', operation: 'sendText', to: '={{ $json.from }}', text: '=Got it: {{ $json.text }}', options: { windowPolicy: 'enforce' } }, {}, [400, 100])),
        ],
        connections: {
          Trigger: { main: [[{ node: 'Is Ask', type: 'main', index: 0 }], [], []] },
          'Is Ask': { main: [[{ node: 'Ask', type: 'main', index: 0 }], [{ node: 'Reply', type: 'main', index: 0 }]] },
          ...chain('Ask', 'Post Answer'),
        },
      },
      { env: q.env },
    );
    // A template job: POST /webhook/bulk { prefix, count }.
    const bulk = await importWorkflow(
      userFolder,
      {
        name: 'e2e queue bulk',
        nodes: [
          webhookNode('Hook', 'bulk'),
          codeNode('Recipients', "const { prefix, count } = $json.body; return Array.from({ length: count }, (_, i) => ({ json: { to: '+' + prefix + String(i).padStart(4, '0') } }));"),
          shared(
            waNode('Send', cred, {
              resource: 'message',
              operation: 'sendTemplate',
              to: '={{ $json.to }}',
              templateName: { __rl: true, mode: 'name', value: 'order_update' },
              languageCode: 'en',
              templateParameters: { mappingMode: 'defineBelow', value: { 'body-1': 'Ada', 'body-2': '={{ $json.to }}' }, matchingColumns: [], schema: [] },
              options: { throughput: NODE_THROUGHPUT },
            }),
          ),
        ],
        connections: chain('Hook', 'Recipients', 'Send'),
      },
      { env: q.env },
    );
    await publishWorkflow(userFolder, reply, { env: q.env });
    await publishWorkflow(userFolder, bulk, { env: q.env });

    // WEBHOOK_URL: the public URL of the webhook processes, as in any queue-mode set-up; the
    // resume URLs of waiting executions (Send and Wait) are built from it on the worker.
    const webhookPort = await getFreePort();
    const env = { ...q.env, WEBHOOK_URL: `http://127.0.0.1:${webhookPort}/`, N8N_EXPRESSION_ENGINE_LAZY_ACQUIRE: 'true' };
    main = await startN8n({ userFolder, env });
    [workers[0], workers[1], webhook] = await Promise.all([
      startN8n({ userFolder, env, command: 'worker', extraArgs: ['--concurrency=1'] }),
      startN8n({ userFolder, env, command: 'worker', extraArgs: ['--concurrency=1'] }),
      startN8n({ userFolder, env, command: 'webhook', port: webhookPort }),
    ]);
    sandbox.setWebhookUrl(`${webhook.url}/webhook/${triggerHook}/whatsapp`);
    await waitUntil(async () => (await fetch(`${webhook.url}/webhook/${triggerHook}/whatsapp?hub.mode=subscribe`)).status !== 404, 60_000, 'the trigger on the webhook process');
    rest = new N8nRest(main.url);
    await rest.login();
  }, 20 * 60_000);

  afterAll(async () => {
    if (process.env.E2E_N8N_LOG) fs.writeFileSync(process.env.E2E_N8N_LOG, [main, webhook, ...workers].map((p) => p?.logs() ?? '').join('\n=====\n'));
    await stopAll();
    await sandbox?.close();
    await collector?.close();
    await q?.cleanup().catch(() => undefined);
    if (userFolder) fs.rmSync(userFolder, { recursive: true, force: true });
    if (packDir) fs.rmSync(packDir, { recursive: true, force: true });
  });

  it('an inbound message on the webhook process opens the window for a reply sent by a worker', async () => {
    const user = '15556660001';
    await sandbox.inbound({ from: user, text: 'hello queue' }, { name: 'Ana' });
    await waitUntil(() => sandbox.messages.some((m) => m.to.endsWith(user)), 60_000, 'the reply');
    const replies = sandbox.messages.filter((m) => m.to.endsWith(user));
    expect(replies).toHaveLength(1);
    expect(replies[0]).toMatchObject({ type: 'text', body: { text: { body: 'Got it: hello queue' } } });
    // Heard by the webhook process, sent by a worker (the main process runs no executions here). The
    // worker logs "finished" after the reply has reached the sandbox: wait for the line, do not race it.
    await waitUntil(() => workers.some((w) => /Worker finished execution/.test(w.logs())), 30_000, 'a worker to log the finished execution');
    expect(webhook.logs()).not.toMatch(/Worker started execution/);
  }, 120_000);

  it('a 300-item template job split across both workers stays under the cap (one Redis budget)', async () => {
    const before = sandbox.requests.length;
    const parts = [0, 1, 2, 3].map((i) => ({ prefix: `1557${i}00`, count: 75 }));
    const started = Date.now();
    for (const part of parts) {
      const res = await fetch(`${webhook.url}/webhook/bulk`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(part) });
      expect(res.status).toBe(200);
    }
    await waitUntil(() => parts.every((p) => sendsTo(`+${p.prefix}`).filter((r) => r.status === 200).length === p.count), 120_000, '300 accepted sends');
    const sends = sandbox.requests.slice(before).filter((r) => r.method === 'POST' && r.path.endsWith('/messages'));
    expect(sends.filter((r) => r.status !== 200)).toEqual([]); // no 130429: the workers shared one budget
    expect(sends).toHaveLength(300);
    expect(new Set(sends.map((r) => (r.body as { to: string }).to)).size).toBe(300);
    // Under the sandbox's cap with the node's 40/s budget shared (two workers pacing alone would reach 80/s).
    expect(peakPerSecond(sends.map((r) => r.at))).toBeLessThanOrEqual(SANDBOX_THROUGHPUT);
    // Both workers took part (concurrency 1 each, four jobs).
    const perWorker = workers.map((w) => (w.logs().match(/Worker finished execution/g) ?? []).length);
    expect(perWorker.every((n) => n >= 1)).toBe(true);
    console.log(`queue 300 templates: ${Date.now() - started} ms, peak ${peakPerSecond(sends.map((r) => r.at))}/s, executions per worker ${perWorker.join('/')}`);
  }, 180_000);

  it('send and wait across processes: a worker asks, the webhook process hears the answer and resumes', async () => {
    const user = '15556660002';
    await sandbox.inbound({ from: user, text: 'ask' });
    // Generous: right after the 300-item job the webhook process is still absorbing that job's
    // status webhooks, and the "ask" message waits its turn.
    await waitUntil(() => sandbox.messages.some((m) => m.to.endsWith(user) && m.type === 'interactive'), 120_000, 'the question');
    const question = sandbox.messages.find((m) => m.to.endsWith(user) && m.type === 'interactive')!;
    const buttons = (question.body as { interactive: { action: { buttons: Array<{ reply: { id: string; title: string } }> } } }).interactive.action.buttons;
    const answeredAt = Date.now();
    await sandbox.inbound({ from: user, type: 'interactive', payload: { type: 'button_reply', button_reply: buttons[1]!.reply }, context: { id: question.id } });
    await collector.waitFor((r) => r.some((x) => x.tag === 'answer'), 90_000);
    console.log(`queue send and wait: answer to resumed output in ${Date.now() - answeredAt} ms`);
    expect(collector.received.find((x) => x.tag === 'answer')!.event).toMatchObject({ choiceIndex: 1, choiceValue: 'pm', choiceTitle: 'Evening', from: user });
  }, 240_000);

  it('a worker SIGKILLed in the middle of a 300-item job: no recipient gets the message twice', async () => {
    const prefix = '15579900';
    const res = await fetch(`${webhook.url}/webhook/bulk`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ prefix, count: 300 }) });
    expect(res.status).toBe(200);
    await waitUntil(() => sendsTo(`+${prefix}`).length >= 80, 60_000, 'the job to be under way');
    const running = workers.findIndex((w) => !w.process.hasExited() && (w.logs().match(/Worker started execution/g) ?? []).length > (w.logs().match(/Worker finished execution/g) ?? []).length);
    expect(running).toBeGreaterThanOrEqual(0);
    const victim = workers[running]!;
    process.kill(-victim.process.pid, 'SIGKILL');
    await victim.process.exited;
    const atKill = sendsTo(`+${prefix}`).length;
    // Let whatever n8n does next happen (it does not re-run a stalled job), then count.
    await new Promise((r) => setTimeout(r, 15_000));
    const sends = sendsTo(`+${prefix}`);
    const counts = new Map<string, number>();
    for (const s of sends) counts.set((s.body as { to: string }).to, (counts.get((s.body as { to: string }).to) ?? 0) + 1);
    const twice = [...counts].filter(([, n]) => n > 1);
    expect(twice).toEqual([]);
    expect(sends.length).toBeLessThan(300);
    expect(sends.length - atKill).toBeLessThanOrEqual(2); // in flight at the kill at most
    const executions = await rest.executions();
    console.log(`worker kill: ${atKill} sent before the kill, ${sends.length} in all, none twice; latest executions ${JSON.stringify(executions.slice(0, 3).map((e) => ({ id: e.id, status: e.status })))}`);
    stoppedLogs.push(victim.logs());
  }, 120_000);

  it('no access token, app secret or verify token in the logs of any process or in any execution', async () => {
    const executions = await rest.executions();
    expect(executions.length).toBeGreaterThan(5);
    const data = (await Promise.all(executions.map((e) => rest.execution(e.id)))).map((e) => JSON.stringify(e));
    const everything = [...stoppedLogs, main.logs(), webhook.logs(), ...workers.map((w) => w.logs()), ...data, JSON.stringify(collector.received)].join('\n');
    expect(everything).toContain(sandbox.phoneNumberId);
    expect(findSecrets(everything)).toEqual([]);
  }, 120_000);
});
