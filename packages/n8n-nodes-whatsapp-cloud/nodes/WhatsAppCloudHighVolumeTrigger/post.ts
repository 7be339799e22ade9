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
}

/** n8n 2.x's emit takes an execution deduplication key (a unique column of its executions table). */
type EmitWithKey = (data: INodeExecutionData[][], responsePromise: undefined, donePromise: IDeferredPromise<IRun>, deduplicationKey?: string) => void;

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
  if (!res.headersSent) res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' }).end(text);
}

/**
 * Handles one verified POST: signature, parse, dedupe (keys in flight), window, quality and ledger
 * updates in core; then one execution per event that starts the workflow, each emitted with its
 * event's key as n8n's deduplication key, so a redelivery of an event n8n already stored starts
 * nothing even when this process died before its key was confirmed here. Statuses that start
 * nothing (the default: all but failed) are answered as soon as the store has them.
 */
export function postHandler(ctx: ITriggerFunctions, settings: PostSettings) {
  const { credentials, shared, filter, options } = settings;
  const node = ctx.getNode();
  const workflowId = ctx.getWorkflow().id ?? 'unsaved';
  const manual = ctx.getMode() === 'manual';
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
        ...(ledgerOn && options.resendFailed === true ? { resender: resenderFor(shared, credentials, settings.retentionMs, ctx.logger) } : {}),
        messagingLimit: shared.messagingLimit,
        maxEventAgeMs: options.dropReplays === false ? 0 : 'dedupe',
      });
    } catch (error) {
      const status = webhookErrorStatus(error);
      if (status >= 500) settings.log(`could not take a webhook (answered ${status})`);
      return answer(res, status, WEBHOOK_ERROR_TEXT[status] ?? 'Error');
    }
    const { events, acknowledge, release, stale } = result;
    if (stale > 0) settings.log(`dropped ${stale} replayed event${stale === 1 ? '' : 's'} older than the dedupe horizon (answered 200, nothing started)`);

    const starting: InboundEvent[] = [];
    for (const event of events) {
      if (!isOurs(event, filter)) continue;
      if (isWaitAnswerEvent(event) && (await resumeWaiting(ctx, event, shared)) && options.passOnWaitAnswers !== true) continue;
      if (startsWorkflow(event, filter)) starting.push(event);
    }

    try {
      if (starting.length && manual) emitTogether(ctx, starting);
      else if (starting.length) await emitEach(ctx, starting, `wa-cloud:${workflowId}:${node.id}`);
    } catch (error) {
      // n8n could not store an execution: Meta delivers again, the keys are free for it, and the
      // events n8n did store are kept from a second execution by their deduplication keys.
      await release().catch(() => undefined);
      settings.log(`could not start the workflow (answered 500, Meta delivers again): ${error instanceof Error ? error.message : 'unexpected error'}`);
      return answer(res, 500, 'Error');
    }
    await acknowledge().catch((error: unknown) => settings.log(`could not record the webhook as handled: ${error instanceof Error ? error.message : 'unexpected error'}`));
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

/** One execution per event; resolves once each has run (or after ANSWER_WITHIN_MS), rejects if n8n failed to start one. */
async function emitEach(ctx: ITriggerFunctions, events: InboundEvent[], keyPrefix: string): Promise<void> {
  const emit = ctx.emit.bind(ctx) as unknown as EmitWithKey;
  const done = events.map((event) => {
    const outputs: INodeExecutionData[][] = [[], [], []];
    outputs[outputOf(event)]!.push(itemOf(event));
    const finished = deferred();
    const key = dedupeKey(event);
    emit(outputs, undefined, finished, key ? executionKey(keyPrefix, key) : undefined);
    return finished.promise;
  });
  let timer: NodeJS.Timeout | undefined;
  const later = new Promise<void>((resolve) => (timer = setTimeout(resolve, ANSWER_WITHIN_MS)));
  try {
    await Promise.race([Promise.all(done), later]);
  } finally {
    clearTimeout(timer);
  }
}
