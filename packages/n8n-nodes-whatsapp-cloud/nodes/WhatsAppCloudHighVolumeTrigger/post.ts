import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { dedupeKey, handleWebhookPost, type InboundEvent, type SharedState } from '@wa-cloud/core';
import type { IDataObject, IDeferredPromise, INodeExecutionData, IRun, ITriggerFunctions } from 'n8n-workflow';
import type { WhatsAppCloudCredentials } from '../WhatsAppCloud/transport';
import { WEBHOOK_ERROR_TEXT, deduplicatorFor, isOurs, isWaitAnswerEvent, itemOf, outputOf, resumeWaiting, startsWorkflow, webhookErrorStatus, type EventFilter } from '../shared/inbound';
import { resenderFor } from '../shared/resender';

/**
 * How long a POST waits for the executions it started before it is answered 200 anyway. n8n tells a
 * trigger only when an execution has finished, not when it has been stored (which takes
 * milliseconds); a long workflow must not hold Meta's delivery until Meta gives up and redelivers.
 */
export const ANSWER_WITHIN_MS = 5_000;

export interface PostSettings {
  credentials: WhatsAppCloudCredentials;
  shared: SharedState;
  filter: EventFilter;
  options: IDataObject;
  retentionMs: number;
  log: (message: string) => void;
  /**
   * Open while the trigger takes events. Closed when the trigger stops, and in an editor test run
   * after its one emit (n8n takes only the first): later POSTs are answered 503 and their events
   * released, so Meta delivers them again instead of their being acknowledged and dropped.
   */
  gate: { open: boolean };
}

/** n8n 2.x's emit takes an execution deduplication key (a unique column of its executions table). */
type EmitWithKey = (data: INodeExecutionData[][], responsePromise: undefined, donePromise: IDeferredPromise<IRun> | undefined, deduplicationKey?: string) => void;

/** n8n settles it when the execution has run. (n8n-workflow's own helper is not exported by every n8n.) */
function deferred(): IDeferredPromise<IRun> {
  let resolve!: IDeferredPromise<IRun>['resolve'];
  let reject!: IDeferredPromise<IRun>['reject'];
  const promise = new Promise<IRun>((ok, fail) => {
    resolve = ok;
    reject = fail;
  });
  return { promise, resolve, reject };
}

function answer(res: ServerResponse, status: number, text = ''): void {
  if (res.headersSent) return;
  // 503: the trigger is stopping or its test run is over; Meta retries on a fresh connection.
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', ...(status === 503 ? { Connection: 'close' } : {}) }).end(text);
}

const messageOf = (error: unknown) => (error instanceof Error ? error.message : 'unexpected error');

/**
 * Handles one verified POST: signature, parse, dedupe (keys in flight), window, quality and ledger
 * updates in core; then one execution per event that starts the workflow, each emitted with its
 * event's key as n8n's deduplication key, so a redelivery of an event n8n already stored starts
 * nothing even when this process died before its key was confirmed here. Statuses that start
 * nothing (the default: all but failed) are answered as soon as the store has them.
 */
export function postHandler(ctx: ITriggerFunctions, settings: PostSettings) {
  const { credentials, shared, filter, options, gate } = settings;
  const node = ctx.getNode();
  const workflow = ctx.getWorkflow();
  const workflowId = workflow.id ?? `unsaved-${node.id}`;
  const manual = ctx.getMode() === 'manual';
  // Engine 2.0 refuses a trigger that waits for its executions: hand them off without waiting.
  const waitForRuns = (workflow as { settings?: { engineType?: string } }).settings?.engineType !== 'v2';
  const ledgerOn = options.deliveryLedger !== false;
  const ledger = ledgerOn ? shared.ledger.withRetention(settings.retentionMs) : undefined;
  // Seen events: one key space per workflow and node (a second workflow on the same events gets them too).
  const deduplicator = deduplicatorFor(shared, `hv:${workflowId}:${node.id}`);

  return async (body: Buffer, req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (!credentials.appSecret) return answer(res, 401, 'Invalid signature');
    let result: Awaited<ReturnType<typeof handleWebhookPost>>;
    try {
      result = await handleWebhookPost({
        rawBody: body,
        headers: req.headers,
        appSecret: credentials.appSecret,
        deduplicator,
        windowTracker: shared.windowTracker,
        qualityGuard: shared.qualityGuard,
        acknowledgeLater: true,
        ...(ledger ? { ledger } : {}),
        ...(ledgerOn && options.resendFailed === true && !manual ? { resender: resenderFor(shared, credentials, settings.retentionMs, ctx.logger) } : {}),
        messagingLimit: shared.messagingLimit,
        maxEventAgeMs: options.dropReplays === false ? 0 : 'dedupe',
      });
    } catch (error) {
      const status = webhookErrorStatus(error);
      // Core's errors name the problem, never a credential.
      if (status >= 500) settings.log(`could not take a webhook (answered ${status}): ${messageOf(error)}`);
      return answer(res, status, WEBHOOK_ERROR_TEXT[status] ?? 'Error');
    }
    const { events, acknowledge, release, stale } = result;
    if (stale > 0) settings.log(`dropped ${stale} replayed event${stale === 1 ? '' : 's'} older than the dedupe horizon (answered 200, nothing started)`);
    // From here on every way out either acknowledges (200) or releases the keys (5xx): a key kept
    // as seen without its event having started anything would turn Meta's redelivery into a loss.
    try {
      if (!gate.open) {
        await release();
        return answer(res, 503, 'The trigger is not taking events now; deliver again later');
      }
      const starting: InboundEvent[] = [];
      for (const event of events) {
        if (!isOurs(event, filter)) continue;
        if (isWaitAnswerEvent(event) && (await resumeWaiting(ctx, event, shared)) && options.passOnWaitAnswers !== true) continue;
        if (startsWorkflow(event, filter)) starting.push(event);
      }
      if (starting.length && manual) {
        gate.open = false;
        emitTogether(ctx, starting);
      } else if (starting.length) await emitEach(ctx, starting, `wa-cloud:${workflowId}:${node.id}`, waitForRuns);
    } catch (error) {
      // An execution n8n could not store, or that failed or was cancelled before it ended: Meta
      // delivers again, the keys are free for it, and the executions n8n did store are kept from
      // running twice by their deduplication keys.
      await release().catch(() => undefined);
      settings.log(`an execution could not be stored or did not finish (answered 500, Meta delivers again; n8n's key stops a second run): ${messageOf(error)}`);
      return answer(res, 500, 'Error');
    }
    await acknowledge().catch((error: unknown) => settings.log(`could not record the webhook as handled: ${messageOf(error)}`));
    answer(res, 200);
  };
}

/** n8n's column holds 255 characters (varchar on Postgres): a longer key is kept as its hash. */
function executionKey(prefix: string, eventKey: string): string {
  const key = `${prefix}:${eventKey}`;
  return key.length <= 255 ? key : `${prefix}:#${createHash('sha256').update(eventKey).digest('base64url')}`;
}

/** Testing in the editor: n8n takes the first emit only, so every event of the POST goes in it. */
function emitTogether(ctx: ITriggerFunctions, events: InboundEvent[]): void {
  const outputs: INodeExecutionData[][] = [[], [], []];
  for (const event of events) outputs[outputOf(event)]!.push(itemOf(event));
  ctx.emit(outputs);
}

/**
 * One execution per event. With `wait`, resolves once each has run (or after ANSWER_WITHIN_MS) and
 * rejects if n8n failed to store or finish one; without (Engine 2.0), once all are handed off.
 */
async function emitEach(ctx: ITriggerFunctions, events: InboundEvent[], keyPrefix: string, wait: boolean): Promise<void> {
  const emit = ctx.emit.bind(ctx) as unknown as EmitWithKey;
  const done: Array<Promise<IRun>> = [];
  for (const event of events) {
    const outputs: INodeExecutionData[][] = [[], [], []];
    outputs[outputOf(event)]!.push(itemOf(event));
    const finished = wait ? deferred() : undefined;
    if (finished) {
      done.push(finished.promise);
      // Marked handled: if an emit further on throws, nobody awaits this one.
      finished.promise.catch(() => undefined);
    }
    const key = dedupeKey(event);
    emit(outputs, undefined, finished, key ? executionKey(keyPrefix, key) : undefined);
  }
  if (!done.length) return;
  let timer: NodeJS.Timeout | undefined;
  const later = new Promise<void>((resolve) => (timer = setTimeout(resolve, ANSWER_WITHIN_MS)));
  try {
    await Promise.race([Promise.all(done), later]);
  } finally {
    clearTimeout(timer);
  }
}
