import { EventDeduplicator, WhatsAppClient, ensureAppSubscribed, eventGroupOf, isForNumber, isWhatsAppError, replyAddress, setPhoneNumberWebhook, type InboundEvent, type SharedState } from '@wa-cloud/core';
import {
  NodeOperationError,
  type IDataObject,
  type IHookFunctions,
  type INode,
  type INodeExecutionData,
  type ITriggerFunctions,
  type IWebhookFunctions,
  type Logger,
} from 'n8n-workflow';
import { getCredentials, sharedStore, withGraph, type WhatsAppCloudCredentials } from '../WhatsAppCloud/transport';
import { readLedgerRetentionMs } from './ledgerRetention';
import { resenderFor, stopResender } from './resender';
import { findStoredAnswer, forgetStoredQuestion, isWaitAnswer, takeAnswer, takeSharedAnswer } from './waiting';

/**
 * What both triggers do with inbound webhooks, whoever owns the HTTP side (n8n's webhook route for
 * the WhatsApp Cloud Trigger, its own port for the High-Volume Trigger): dedupe scopes, the answer
 * to a failed POST, which events start the workflow, Send and Wait answers, activation chores.
 */

type TriggerContext = IWebhookFunctions | ITriggerFunctions | IHookFunctions;

const deduplicators = new WeakMap<SharedState, Map<string, EventDeduplicator>>();
/** The trigger's seen-event keys: one key space per trigger, so two workflows listening to the same events each get them once. */
export function deduplicatorFor(shared: SharedState, trigger: string): EventDeduplicator {
  let byTrigger = deduplicators.get(shared);
  if (!byTrigger) deduplicators.set(shared, (byTrigger = new Map()));
  let deduplicator = byTrigger.get(trigger);
  if (!deduplicator) byTrigger.set(trigger, (deduplicator = new EventDeduplicator(shared.deduplicator.store, { ttlMs: shared.deduplicator.ttlMs, scope: trigger })));
  return deduplicator;
}

export const WEBHOOK_ERROR_TEXT: Record<number, string> = {
  400: 'Not a WhatsApp webhook body',
  401: 'Invalid signature',
  413: 'Payload too large',
  503: 'Shared store unavailable, deliver again later',
};

/** The HTTP status for a failed webhook POST: core's own (401, 413, 400), 503 for a store outage. */
export function webhookErrorStatus(error: unknown): number {
  if (isWhatsAppError(error)) {
    const status = (error as unknown as { status?: unknown }).status;
    if (typeof status === 'number' && status >= 400 && status < 500) return status;
    if (error.code === 'shared_store_unavailable') return 503;
  }
  return 500;
}

/** A plain JSON copy of an event (dates as ISO strings). */
export function toJson(event: InboundEvent): IDataObject {
  const json = JSON.parse(JSON.stringify(event)) as IDataObject;
  // Username-only users arrive with an empty `from`: `replyTo` is whom to answer (phone or BSUID).
  if (event.kind === 'message') json.replyTo = replyAddress(event) ?? '';
  return json;
}

/** The trigger's filters: the Events and Statuses chosen, and whose events pass (All Phone Numbers). */
export interface EventFilter {
  events: ReadonlySet<string>;
  statuses: ReadonlySet<string>;
  allPhoneNumbers: boolean;
  credentials: WhatsAppCloudCredentials;
}

/** True when the event is the credential's (or every number's are wanted). */
export function isOurs(event: InboundEvent, filter: EventFilter): boolean {
  return filter.allPhoneNumbers || isForNumber(event, filter.credentials);
}

/** True when the event starts the workflow: its group is chosen, and for a status its status too. */
export function startsWorkflow(event: InboundEvent, filter: EventFilter): boolean {
  if (!filter.events.has(eventGroupOf(event))) return false;
  return event.kind !== 'status' || filter.statuses.has(event.status);
}

/** The output an event leaves by: 0 Messages, 1 Statuses, 2 Other. */
export function outputOf(event: InboundEvent): 0 | 1 | 2 {
  return event.kind === 'message' ? 0 : event.kind === 'status' ? 1 : 2;
}

export function requireTriggerSecrets(node: INode, credentials: WhatsAppCloudCredentials): void {
  if (!credentials.verifyToken || !credentials.appSecret) {
    throw new NodeOperationError(node, 'The credentials need an App Secret and a Verify Token for the trigger', {
      description: 'Fill in "App Secret" (App Dashboard → App settings → Basic) and a "Verify Token" of your choice in the WhatsApp Cloud API credentials.',
    });
  }
}

/**
 * Points the credential's phone number webhooks at `url` (Meta GET-checks it at once), after
 * subscribing the app to the WABA when it is not: Meta sends an unsubscribed app no webhook, an
 * override included. Without a WABA ID the subscription cannot be checked, which is logged.
 */
export async function registerOverride(ctx: TriggerContext, credentials: WhatsAppCloudCredentials, url: string): Promise<void> {
  const name = ctx.getNode().name;
  await withGraph(credentials, async (graph) => {
    if (credentials.wabaId) {
      if (await ensureAppSubscribed(graph, credentials.wabaId)) ctx.logger.info(`${name}: subscribed the app to WABA ${credentials.wabaId}'s webhooks.`);
    } else {
      ctx.logger.warn(`${name}: the credentials have no WhatsApp Business Account ID, so the app's subscription to the WABA was not checked (without it no webhooks arrive).`);
    }
    await setPhoneNumberWebhook(graph, credentials.phoneNumberId, { callbackUri: url, verifyToken: credentials.verifyToken! });
  });
}

/**
 * Starts the number's resender when "Re-Send Failed (Retryable) Messages" is on (with the ledger),
 * stops it otherwise or when `on` is false (deactivation). Never fails the activation: a store or
 * credential problem is logged, and the webhook path tries again.
 */
export async function syncResender(ctx: TriggerContext, on?: boolean): Promise<void> {
  try {
    const options = ctx.getNodeParameter('options', {}) as IDataObject;
    const wanted = on ?? (options.deliveryLedger !== false && options.resendFailed === true);
    const credentials = await getCredentials(ctx);
    const shared = await sharedStore(ctx, ctx.getNodeParameter('sharedStore', 'embedded'));
    if (wanted) resenderFor(shared, credentials, readLedgerRetentionMs(ctx.getNode(), options), ctx.logger);
    else await stopResender(shared, credentials.phoneNumberId);
  } catch (error) {
    ctx.logger.warn(`${ctx.getNode().name}: re-sends of failed messages could not be ${on === false ? 'stopped' : 'started'}: ${isWhatsAppError(error) ? error.message : 'unexpected error'}`);
  }
}

/**
 * Reads the number's messaging-limit tier from Meta when the trigger is activated and keeps it in
 * the state store's messaging limit, so the send nodes know it before their first business-initiated
 * template. In the background: activation never waits for it, and a failure is a warning (the
 * message only, never a credential); the first such send then asks again.
 */
export function readTierAtActivation(ctx: TriggerContext): void {
  const read = async () => {
    const credentials = await getCredentials(ctx);
    const shared = await sharedStore(ctx, ctx.getNodeParameter('sharedStore', 'embedded'));
    // Its own (unused) limiter: this client only reads, and must not change the number's shared pacing.
    const client = new WhatsAppClient({
      accessToken: credentials.accessToken,
      phoneNumberId: credentials.phoneNumberId,
      wabaId: credentials.wabaId,
      apiVersion: credentials.apiVersion,
      baseUrl: credentials.baseUrl,
      messagingLimit: { tracker: shared.messagingLimit },
    });
    try {
      await client.readMessagingLimitTier();
    } finally {
      await client.close();
    }
  };
  read().catch((error) => {
    ctx.logger.warn(`${ctx.getNode().name}: the messaging limit tier was not read at activation (the first template send asks again): ${isWhatsAppError(error) ? error.message : 'unexpected error'}`);
  });
}

/** Tries and pause between them while n8n has not yet saved the asking execution as waiting (≈ 30 s). */
const RESUME_ATTEMPTS = 60;
const RESUME_RETRY_MS = 500;

interface ResumeContext {
  helpers: { httpRequest: IWebhookFunctions['helpers']['httpRequest'] };
  logger: Logger;
}

/** True when the message answers a Send and Wait question (its button id says so). */
export function isWaitAnswerEvent(event: InboundEvent): event is InboundEvent & { kind: 'message' } {
  return event.kind === 'message' && isWaitAnswer(event.reply?.id);
}

/** Resumes the execution waiting for this answer (Send and Wait); true when one was found. */
export async function resumeWaiting(ctx: ResumeContext, event: InboundEvent & { kind: 'message' }, shared: SharedState): Promise<boolean> {
  const who = { from: event.from, userId: event.userId };
  let answer = takeAnswer(event.reply!.id, event.phoneNumberId, who);
  // The embedded file holds questions across restarts (removed below once resumed).
  const file = shared.database && !shared.problem ? shared : undefined;
  if (!answer && (shared.redis || file)) {
    try {
      answer = shared.redis ? await takeSharedAnswer(shared.redis, event.reply!.id, event.phoneNumberId, who) : findStoredAnswer(file!, event.reply!.id, event.phoneNumberId, who);
    } catch (error) {
      ctx.logger.warn(`WhatsApp Cloud: could not read the waiting question: ${isWhatsAppError(error) ? error.message : String(error)}`);
    }
  }
  if (!answer) return false;
  const body = {
    choiceIndex: answer.index,
    choiceValue: answer.choice.id,
    choiceTitle: answer.choice.title,
    from: event.from,
    ...(event.userId ? { userId: event.userId } : {}),
    ...(event.contactName ? { contactName: event.contactName } : {}),
    messageId: event.messageId,
    ...(event.context?.messageId ? { questionMessageId: event.context.messageId } : {}),
  };
  // A quick answer can arrive before n8n has saved the asking execution as waiting (queue mode:
  // the worker saves it after the node returns); n8n then answers 409, so try again for a while.
  for (let attempt = 1; ; attempt++) {
    try {
      await ctx.helpers.httpRequest({ method: 'POST', url: answer.question.resumeUrl, json: true, body });
      if (file) {
        await forgetStoredQuestion(file, event.reply!.id).catch((error) =>
          ctx.logger.warn(`WhatsApp Cloud: the answered question stays in the state store until it expires: ${isWhatsAppError(error) ? error.message : String(error)}`),
        );
      }
      break;
    } catch (error) {
      const status = (error as { httpCode?: string; response?: { status?: number } }).response?.status ?? Number((error as { httpCode?: string }).httpCode);
      if (status === 409 && attempt < RESUME_ATTEMPTS) {
        await new Promise((resolve) => setTimeout(resolve, RESUME_RETRY_MS));
        continue;
      }
      ctx.logger.warn(`WhatsApp Cloud: could not resume the waiting execution: ${error instanceof Error ? error.message : String(error)}`);
      break;
    }
  }
  return true;
}

/** One item per event, as both triggers emit them. */
export function itemOf(event: InboundEvent): INodeExecutionData {
  return { json: toJson(event) };
}
