import { spawn, type ChildProcess } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

/** The repository root and the BUILT core the child processes load (as an adapter would). */
export const ROOT = join(__dirname, '..', '..', '..', '..');
export const CORE_DIST = join(ROOT, 'packages', 'core', 'dist');

/**
 * Brings packages/core/dist up to date (`tsc -b` is incremental: ~2 s when nothing changed), so
 * the children never run a stale build when jest is started without `npm test`'s build step.
 */
export function buildCore(): void {
  try {
    execFileSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-b', 'packages/core'], { cwd: ROOT, stdio: 'pipe' });
  } catch (error) {
    const output = String((error as { stdout?: Buffer }).stdout ?? '') + String((error as { stderr?: Buffer }).stderr ?? '');
    throw new Error(`Building packages/core failed, so the multi-process test cannot run (in a fresh checkout run \`npm run build\` first: it also copies the generated assets):\n${output}`);
  }
}

/** What one sender process is told to do (passed as JSON in WA_SENDER_CONFIG). */
export interface SenderConfig {
  dist: string;
  baseUrl: string;
  accessToken: string;
  phoneNumberId: string;
  throughput: number;
  redisUrl: string;
  keyPrefix: string;
  recipients: string[];
  /** Sends in flight at once per process, like an n8n worker working through items. */
  concurrency: number;
  /**
   * Once `afterSends` sends were accepted, says `stalling` and blocks the process's event loop for
   * `forMs`: a process the machine did not schedule for a while (the slots it holds then start
   * late, all at once).
   */
  stall?: { afterSends: number; forMs: number };
  /** Sent one after another before `ready`, so the process is warm at the start signal (not reported). */
  warmup?: string[];
}

/** What a sender reports back. */
export interface SenderReport {
  type: 'done';
  started: number;
  finished: number;
  accepted: string[];
  failures: Array<{ to: string; code: string; message: string }>;
}

/**
 * The sender, plain JavaScript run by `node -e`: one process of a scaled-out deployment. It builds
 * a WhatsAppClient with `redis: { url, keyPrefix }` from the built core, connects, says `ready`,
 * waits for `go`, sends its recipients' templates through a small worker pool, closes the client
 * and reports. No retries: a message either goes through once or counts as lost.
 */
const SENDER_SOURCE = `
const config = JSON.parse(process.env.WA_SENDER_CONFIG);
const { WhatsAppClient } = require(config.dist);
const client = new WhatsAppClient({
  accessToken: config.accessToken,
  phoneNumberId: config.phoneNumberId,
  baseUrl: config.baseUrl,
  throughput: config.throughput,
  retry: { maxAttempts: 1 },
  window: { policy: 'off' },
  redis: { url: config.redisUrl, keyPrefix: config.keyPrefix },
});
(async () => {
  await client.windowStatus('+15550000000'); // connects to Redis before the start signal
  for (const to of config.warmup || []) await client.sendTemplate(to, 'hello_world', 'en_US');
  process.send({ type: 'ready' });
  await new Promise((resolve) => process.once('message', resolve));
  const started = Date.now();
  const accepted = [];
  const failures = [];
  let next = 0;
  async function worker() {
    while (next < config.recipients.length) {
      const to = config.recipients[next++];
      try {
        const result = await client.sendTemplate(to, 'hello_world', 'en_US');
        accepted.push(result.messageId);
        if (config.stall && accepted.length === config.stall.afterSends) {
          process.send({ type: 'stalling' });
          const until = Date.now() + config.stall.forMs;
          while (Date.now() < until);
        }
      } catch (error) {
        failures.push({ to, code: String(error && error.code), message: String(error && error.message) });
      }
    }
  }
  await Promise.all(Array.from({ length: config.concurrency }, worker));
  const finished = Date.now();
  await client.close();
  process.send({ type: 'done', started, finished, accepted, failures }, () => process.disconnect());
})().catch((error) => {
  process.exitCode = 1;
  if (process.send) process.send({ type: 'crash', message: String((error && error.stack) || error) }, () => process.disconnect());
});
`;

/** A running sender process. */
export interface Sender {
  child: ChildProcess;
  ready: Promise<void>;
  report: Promise<SenderReport>;
  exited: Promise<number | null>;
}

/** Starts one sender process; its stderr is kept for the failure message. */
export function startSender(config: SenderConfig): Sender {
  const child = spawn(process.execPath, ['-e', SENDER_SOURCE], {
    cwd: ROOT,
    env: { ...process.env, WA_SENDER_CONFIG: JSON.stringify(config) },
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let onReady!: () => void;
  const ready = new Promise<void>((resolve) => (onReady = resolve));
  const report = new Promise<SenderReport>((resolve, reject) => {
    child.on('message', (message: { type: string; message?: string }) => {
      if (message.type === 'ready') onReady();
      else if (message.type === 'done') resolve(message as SenderReport);
      else if (message.type === 'crash') reject(new Error(`sender crashed: ${message.message}`));
    });
    void exited.then((code) => reject(new Error(`sender exited with ${code} before reporting\n${stderr}`)));
  });
  report.catch(() => undefined); // seen by whoever awaits it; never an unhandled rejection
  // A crash before 'ready' must not leave the test waiting for it.
  const readyOrCrash = Promise.race([ready, report.then(() => undefined)]);
  return { child, ready: readyOrCrash, report, exited };
}

/** Kills senders still running (a failed or timed-out test) and waits for them to go. */
export async function stopSenders(senders: Sender[]): Promise<void> {
  await Promise.all(
    senders.map(async (sender) => {
      if (sender.child.exitCode === null && sender.child.signalCode === null) sender.child.kill('SIGKILL');
      await sender.exited;
    }),
  );
}
