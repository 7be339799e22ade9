import { clearPhoneNumberWebhook, downloadMedia, ensureAppSubscribed, getPhoneNumberWebhook, isAppSubscribed, replyAddress, setPhoneNumberWebhook } from '@wa-cloud/core';
import { EventDeduplicator, WhatsAppClient, eventGroupOf, handleWebhookGet, handleWebhookPost, isForNumber, isWhatsAppError, type InboundEvent, type SharedState } from '@wa-cloud/core';
import {
  NodeConnectionTypes,
  NodeOperationError,
  type IDataObject,
  type IHookFunctions,
  type INodeExecutionData,
  type INodeType,
  type INodeTypeDescription,
  type IWebhookFunctions,
  type IWebhookResponseData,
} from 'n8n-workflow';
import { readLedgerRetentionMs } from '../shared/ledgerRetention';
import { resenderFor, stopResender } from '../shared/resender';
import { sharedStoreProperty } from '../shared/sharedStore';
import { isWaitAnswer, takeAnswer, takeSharedAnswer } from '../shared/waiting';
import { createClient, getCredentials, qualityGuardFor, sharedStore, withGraph, type WhatsAppCloudCredentials } from '../WhatsAppCloud/transport';
import { credentialTest } from '../WhatsAppCloud/v1/methods';

const deduplicators = new WeakMap<SharedState, Map<string, EventDeduplicator>>();
function deduplicatorFor(shared: SharedState, trigger: string): EventDeduplicator {
  let byTrigger = deduplicators.get(shared);
  if (!byTrigger) deduplicators.set(shared, (byTrigger = new Map()));
  let deduplicator = byTrigger.get(trigger);
  if (!deduplicator) byTrigger.set(trigger, (deduplicator = new EventDeduplicator(shared.deduplicator.store, { ttlMs: shared.deduplicator.ttlMs, scope: trigger })));
  return deduplicator;
}

const WEBHOOK_ERROR_TEXT: Record<number, string> = {
  400: 'Not a WhatsApp webhook body',
  401: 'Invalid signature',
  413: 'Payload too large',
  503: 'Shared store unavailable, deliver again later',
};

/** The HTTP status for a failed webhook POST: core's own (401, 413, 400), 503 for a store outage. */
function webhookErrorStatus(error: unknown): number {
  if (isWhatsAppError(error)) {
    const status = (error as unknown as { status?: unknown }).status;
    if (typeof status === 'number' && status >= 400 && status < 500) return status;
    if (error.code === 'shared_store_unavailable') return 503;
  }
  return 500;
}

/** A plain JSON copy of an event (dates as ISO strings). */
function toJson(event: InboundEvent): IDataObject {
  const json = JSON.parse(JSON.stringify(event)) as IDataObject;
  // Username-only users arrive with an empty `from`: `replyTo` is whom to answer (phone or BSUID).
  if (event.kind === 'message') json.replyTo = replyAddress(event) ?? '';
  return json;
}

/**
 * The exact bytes of the POST. n8n reads them before calling a version-1 node; from version 2 on it
 * reads only the content types it parses, so any other (or none) is read here, through n8n's own
 * reader (its size limit, its gzip handling).
 */
async function readRawBody(req: unknown): Promise<Buffer | undefined> {
  const request = req as { rawBody?: Buffer; readRawBody?: () => Promise<void> };
  if (!Buffer.isBuffer(request.rawBody) && typeof request.readRawBody === 'function') {
    try {
      await request.readRawBody();
    } catch {
      return undefined; // aborted or over n8n's payload limit: answered 400 below
    }
  }
  return request.rawBody;
}

function isTestUrl(url: string | undefined): boolean {
  return typeof url === 'string' && /\/webhook-test\//.test(url);
}

export class WhatsAppCloudTrigger implements INodeType {
  description: INodeTypeDescription = {
    displayName: 'WhatsApp Cloud Trigger',
    name: 'whatsAppCloudTrigger',
    icon: { light: 'file:whatsapp-cloud.svg', dark: 'file:whatsapp-cloud.dark.svg' },
    group: ['trigger'],
    // 2: the same node. n8n 2.x evaluates an expression for every webhook POST to a version-1 node
    // (its old "binary data" option, in the expression engine's isolate); from version 2 on it does
    // not, so with N8N_EXPRESSION_ENGINE_LAZY_ACQUIRE an absorbed status builds no isolate at all
    // (bench measure 4, README "Many status webhooks"). Saved version-1 triggers keep working.
    version: [1, 2],
    defaultVersion: 2,
    subtitle: '={{ $parameter["events"].join(", ") }}',
    description: 'Starts the workflow on WhatsApp messages and updates: signatures checked, one item per event, duplicates dropped',
    defaults: { name: 'WhatsApp Cloud Trigger' },
    inputs: [],
    outputs: [NodeConnectionTypes.Main, NodeConnectionTypes.Main, NodeConnectionTypes.Main],
    outputNames: ['Messages', 'Statuses', 'Other'],
    credentials: [{ name: 'whatsAppCloudApi', required: true, testedBy: 'whatsAppCloudApiTest' },
      // With Shared Store "Redis" (queue mode).
      { name: 'whatsAppCloudRedisApi', required: true, testedBy: 'whatsAppCloudRedisApiTest', displayOptions: { show: { sharedStore: ['redis'] } } },
    ],
    webhooks: [
      { name: 'setup', httpMethod: 'GET', responseMode: 'onReceived', path: 'whatsapp' },
      // responseData 'noData': the 200 n8n sends once it has stored the execution has an empty body.
      { name: 'default', httpMethod: 'POST', responseMode: 'onReceived', responseData: 'noData', path: 'whatsapp' },
    ],
    properties: [
      {
        displayName:
          'Each phone number can send its webhooks to its own URL (an override), so several workflows and numbers work with one Meta app. This trigger registers its URL as the override of the credential\'s phone number when the workflow is published, and removes it only if it still points here.',
        name: 'notice',
        type: 'notice',
        default: '',
      },
      {
        displayName: 'Registration',
        name: 'registration',
        type: 'options',
        default: 'phoneNumberOverride',
        options: [
          {
            name: 'Register Phone Number Override (Recommended)',
            value: 'phoneNumberOverride',
            description: 'Point the credential\'s phone number webhooks at this trigger while the workflow is published',
          },
          {
            name: 'Verify Only',
            value: 'verifyOnly',
            description: 'Register nothing: you set this URL and the verify token in the Meta App Dashboard yourself',
          },
        ],
      },
      {
        displayName: 'Events',
        name: 'events',
        type: 'multiOptions',
        required: true,
        default: ['messages'],
        description: 'Events that start the workflow. Others are acknowledged and dropped before any execution starts.',
        options: [
          { name: 'Account and Quality Updates', value: 'accountUpdates', description: 'Phone number quality, messaging limits, account bans and reviews' },
          { name: 'Errors', value: 'errors', description: 'App- or system-level errors Meta reports on the webhook' },
          { name: 'Messages', value: 'messages', description: 'Messages users send, one item per message' },
          { name: 'Other Fields', value: 'other', description: 'Webhook fields not known yet, kept as received' },
          { name: 'Statuses', value: 'statuses', description: 'Sent, delivered, read and failed updates of your messages' },
          { name: 'Template Updates', value: 'templateUpdates', description: 'Template approvals, rejections, category and quality changes' },
          { name: 'User Preferences', value: 'userPreferences', description: 'Users stopping or resuming marketing messages' },
        ],
      },
      {
        displayName: 'Statuses',
        name: 'statuses',
        type: 'multiOptions',
        default: ['failed'],
        description: 'Statuses that start the workflow; the rest are recorded in the delivery ledger and acknowledged without an execution (look them up with Message → Get Status)',
        displayOptions: { show: { events: ['statuses'] } },
        options: [
          { name: 'Delivered', value: 'delivered' },
          { name: 'Failed', value: 'failed' },
          { name: 'Played', value: 'played' },
          { name: 'Read', value: 'read' },
          { name: 'Sent', value: 'sent' },
        ],
      },
      {
        displayName: 'Options',
        name: 'options',
        type: 'collection',
        placeholder: 'Add Option',
        default: {},
        options: [
          {
            displayName: 'All Phone Numbers',
            name: 'allPhoneNumbers',
            type: 'boolean',
            default: false,
            description: 'Whether to pass on events of every phone number (and WABA) that reaches this URL, not only the credential\'s. Messages of other numbers are never marked as read.',
          },
          {
            displayName: 'Delivery Ledger',
            name: 'deliveryLedger',
            type: 'boolean',
            default: true,
            description: 'Whether to record every status in the delivery ledger of the state store, joined to its send: status items carry the send\'s template, reference, recipient and sent-at, and Message → Get Status answers from it',
          },
          {
            displayName: 'Download Media',
            name: 'downloadMedia',
            type: 'boolean',
            default: false,
            description: 'Whether to download the media of incoming image, video, audio, document and sticker messages into the binary field "data"',
          },
          {
            displayName: 'Drop Replayed Events',
            name: 'dropReplays',
            type: 'boolean',
            default: true,
            description: 'Whether to drop events whose signed timestamp is older than the dedupe horizon (7 days): a captured, validly signed webhook replayed after its dedupe key expired starts nothing. They are still answered 200 and counted in the log. Turn off only to replay old sample payloads.',
          },
          {
            displayName: 'Ledger Retention (Days)',
            name: 'ledgerRetentionDays',
            type: 'number',
            typeOptions: { minValue: 0.042, maxValue: 400, numberPrecision: 3 },
            default: 30,
            description: 'How many days a delivery record joined by this trigger is kept (counted from its send) before it is swept from the state store (from 0.042, 1 hour, to 400)',
          },
          {
            displayName: 'Mark as Read',
            name: 'markAsRead',
            type: 'boolean',
            default: false,
            description: 'Whether to mark incoming messages as read (blue ticks) as they arrive',
          },
          {
            displayName: 'Pass On Send-and-Wait Answers',
            name: 'passOnWaitAnswers',
            type: 'boolean',
            default: false,
            description: 'Whether answers to a Send and Wait question also start this workflow (they always resume the waiting one)',
          },
          {
            displayName: 'Re-Send Failed (Retryable) Messages',
            name: 'resendFailed',
            type: 'boolean',
            default: false,
            description:
              'Whether to send a message again, unchanged, when its failed status carries an error Meta says may pass (131049 per-user marketing limit: after 24 hours; 131000, 131016 and other temporary errors: after 1 to 10 minutes), at most 3 times per message. Permanent failures (131026, 131050, 130472 …) are never re-sent. Needs the Delivery Ledger; the re-send waits in the state store and is sent by this trigger while the workflow is published.',
          },
          {
            displayName: 'Show Typing Indicator',
            name: 'typing',
            type: 'boolean',
            default: false,
            description: 'Whether marking as read also shows "typing…" (up to 25 seconds or until you reply)',
            displayOptions: { show: { markAsRead: [true] } },
          },
        ],
      },
      sharedStoreProperty,
    ],
  };

  methods = { credentialTest };

  webhookMethods = {
    default: {
      /**
       * True when this trigger's URL is already the phone number's override and the app is subscribed
       * to the WABA (or nothing is to be registered).
       */
      async checkExists(this: IHookFunctions): Promise<boolean> {
        // A retention out of range stops the activation, naming the option, before anything is registered.
        readLedgerRetentionMs(this.getNode(), this.getNodeParameter('options', {}) as IDataObject);
        readTierAtActivation(this);
        // Re-sends waiting in the store (from before a restart) go out without waiting for a webhook.
        await syncResender(this);
        if (this.getNodeParameter('registration') === 'verifyOnly') return true;
        const url = this.getNodeWebhookUrl('default');
        const credentials = await getCredentials(this);
        const { current, subscribed } = await withGraph(credentials, async (graph) => ({
          current: (await getPhoneNumberWebhook(graph, credentials.phoneNumberId)).phoneNumber,
          subscribed: credentials.wabaId ? await isAppSubscribed(graph, credentials.wabaId) : true,
        }));
        if (current === url) return subscribed;
        // Testing never re-points a published workflow's override: the test listens without one.
        if (isTestUrl(url) && current && !isTestUrl(current)) {
          this.logger.warn(`WhatsApp Cloud Trigger: phone number ${credentials.phoneNumberId} sends to a published workflow; the test URL is not registered.`);
          return true;
        }
        return false;
      },
      /**
       * Subscribes the app to the WABA when it is not (Meta sends an unsubscribed app no webhook, an
       * override included), then registers the override; Meta (or the sandbox) checks it at once
       * with a GET challenge.
       */
      async create(this: IHookFunctions): Promise<boolean> {
        const url = this.getNodeWebhookUrl('default');
        const credentials = await getCredentials(this);
        requireTriggerSecrets(this, credentials);
        await withGraph(credentials, async (graph) => {
          if (credentials.wabaId) {
            if (await ensureAppSubscribed(graph, credentials.wabaId)) this.logger.info(`WhatsApp Cloud Trigger: subscribed the app to WABA ${credentials.wabaId}'s webhooks.`);
          } else {
            this.logger.warn('WhatsApp Cloud Trigger: the credentials have no WhatsApp Business Account ID, so the app\'s subscription to the WABA was not checked (without it no webhooks arrive).');
          }
          await setPhoneNumberWebhook(graph, credentials.phoneNumberId, { callbackUri: url!, verifyToken: credentials.verifyToken! });
        });
        return true;
      },
      /** Clears the override only while it still points at this trigger: never another workflow's. */
      async delete(this: IHookFunctions): Promise<boolean> {
        await syncResender(this, false);
        if (this.getNodeParameter('registration') === 'verifyOnly') return true;
        const url = this.getNodeWebhookUrl('default');
        const credentials = await getCredentials(this);
        await withGraph(credentials, async (graph) => {
          const current = (await getPhoneNumberWebhook(graph, credentials.phoneNumberId)).phoneNumber;
          if (current === url) await clearPhoneNumberWebhook(graph, credentials.phoneNumberId);
        });
        return true;
      },
    },
  };

  async webhook(this: IWebhookFunctions): Promise<IWebhookResponseData> {
    const req = this.getRequestObject();
    const res = this.getResponseObject();
    const credentials = await getCredentials(this);

    if (this.getWebhookName() === 'setup') {
      try {
        const challenge = handleWebhookGet(req.query as Record<string, string>, credentials.verifyToken ?? '');
        res.status(200).type('text/plain').send(challenge);
      } catch {
        res.status(403).type('text/plain').send('Forbidden: the verify token does not match');
      }
      return { noWebhookResponse: true };
    }

    // POST: size, signature over the exact bytes, parse, dedupe and the window record, all before
    // answering, so that a failure answers 4xx/5xx and starts nothing (Meta redelivers on 5xx).
    const rawBody = await readRawBody(req);
    if (!Buffer.isBuffer(rawBody)) {
      res.status(400).type('text/plain').send('No request body');
      return { noWebhookResponse: true };
    }
    if (!credentials.appSecret) {
      this.logger.error('WhatsApp Cloud Trigger: the credentials have no App Secret, so no webhook can be verified');
      res.status(401).type('text/plain').send('Invalid signature');
      return { noWebhookResponse: true };
    }
    const triggerOptions = this.getNodeParameter('options', {}) as IDataObject;
    const ledgerOn = triggerOptions.deliveryLedger !== false;
    const resendOn = ledgerOn && triggerOptions.resendFailed === true;
    const dropReplays = triggerOptions.dropReplays !== false;
    let events: InboundEvent[];
    let shared: SharedState;
    let acknowledge: () => Promise<void>;
    let release: () => Promise<void>;
    try {
      shared = await sharedStore(this, this.getNodeParameter('sharedStore', 'embedded'));
      let stale: number;
      ({ events, acknowledge, release, stale } = await handleWebhookPost({
        rawBody,
        headers: req.headers,
        appSecret: credentials.appSecret,
        // Seen events live in the store (Meta redelivers for up to 7 days), one key space per
        // trigger, so two workflows listening to the same events each get them once.
        deduplicator: deduplicatorFor(shared, `${this.getNode().webhookId ?? this.getNode().id}`),
        windowTracker: shared.windowTracker,
        // The send node's guard: undeliverable statuses, opt-outs and quality updates protect its sends.
        qualityGuard: qualityGuardFor(shared),
        // Keys stay in flight until n8n has stored the execution (see answerOnceStored): a crash
        // before that leaves Meta's redelivery to be handled after the restart (embedded store).
        acknowledgeLater: true,
        // Every status joins its send in the ledger, whether or not it starts an execution.
        // Records this trigger writes expire by its "Ledger Retention (Days)" (checked at activation too).
        ...(ledgerOn ? { ledger: shared.ledger.withRetention(readLedgerRetentionMs(this.getNode(), triggerOptions)) } : {}),
        // "Re-Send Failed (Retryable) Messages": failed statuses retryable later wait in the store
        // for this process's resender (core), which sends them when due.
        ...(resendOn ? { resender: resenderFor(shared, credentials, readLedgerRetentionMs(this.getNode(), triggerOptions), this.logger) } : {}),
        // business_capability_update keeps the messaging limit's tier current for the send nodes.
        messagingLimit: shared.messagingLimit,
        // Replays older than the dedupe horizon are dropped (answered 200 all the same, so Meta
        // stops redelivering); 0 turns the guard off.
        maxEventAgeMs: dropReplays ? 'dedupe' : 0,
      }));
      if (stale > 0) this.logger.warn(`WhatsApp Cloud Trigger: dropped ${stale} replayed event${stale === 1 ? '' : 's'} older than the dedupe horizon (answered 200, nothing started)`);
    } catch (error) {
      const status = webhookErrorStatus(error);
      if (status >= 500) this.logger.warn(`WhatsApp Cloud Trigger: could not take a webhook (answered ${status}): ${isWhatsAppError(error) ? error.message : String(error)}`);
      res.status(status).type('text/plain').send(WEBHOOK_ERROR_TEXT[status] ?? 'Error');
      return { noWebhookResponse: true };
    }
    /** Confirms the keys, then answers 200 here (nothing for n8n to store, or the answer cannot wait). */
    const answerNow = async () => {
      await acknowledge().catch((error) => this.logger.warn(`WhatsApp Cloud Trigger: could not record the webhook as handled: ${isWhatsAppError(error) ? error.message : String(error)}`));
      res.status(200).end();
    };

    const wanted = new Set(this.getNodeParameter('events', []) as string[]);
    const statuses = new Set(this.getNodeParameter('statuses', []) as string[]);
    const options = this.getNodeParameter('options', {}) as IDataObject;
    const ours = (e: InboundEvent) => options.allPhoneNumbers === true || isForNumber(e, credentials);

    const messages: INodeExecutionData[] = [];
    const statusItems: INodeExecutionData[] = [];
    const other: INodeExecutionData[] = [];
    const incoming: Array<{ event: InboundEvent & { kind: 'message' }; item: INodeExecutionData }> = [];

    for (const event of events) {
      if (!ours(event)) continue;
      if (event.kind === 'message' && isWaitAnswer(event.reply?.id)) {
        const resumed = await resumeWaiting(this, event, shared);
        if (resumed && options.passOnWaitAnswers !== true) continue;
      }
      if (!wanted.has(eventGroupOf(event))) continue;
      if (event.kind === 'status' && !statuses.has(event.status)) continue;
      const item: INodeExecutionData = { json: toJson(event) };
      if (event.kind === 'message') {
        messages.push(item);
        incoming.push({ event, item });
      } else if (event.kind === 'status') statusItems.push(item);
      else other.push(item);
    }

    if (messages.length + statusItems.length + other.length === 0) {
      await answerNow();
      return { noWebhookResponse: true };
    }
    if (incoming.length && (options.markAsRead === true || options.downloadMedia === true)) {
      // Downloads take seconds and Meta wants its 200 sooner: answer first, then fetch (a crash
      // before n8n stores the execution loses these events; see README "Crash safety").
      await answerNow();
      await afterReceive(this, credentials, incoming, options, shared);
      return { noWebhookResponse: true, workflowData: [messages, statusItems, other] };
    }
    answerOnceStored(res, acknowledge, release, (message) => this.logger.warn(`WhatsApp Cloud Trigger: ${message}`));
    // No noWebhookResponse: n8n answers ("onReceived") once it has stored the execution.
    return { workflowData: [messages, statusItems, other] };
  }
}

/**
 * Starts the number's resender when "Re-Send Failed (Retryable) Messages" is on (with the ledger),
 * stops it otherwise or when `on` is false (deactivation). Never fails the activation: a store or
 * credential problem is logged, and the webhook path tries again.
 */
async function syncResender(ctx: IHookFunctions, on?: boolean): Promise<void> {
  try {
    const options = ctx.getNodeParameter('options', {}) as IDataObject;
    const wanted = on ?? (options.deliveryLedger !== false && options.resendFailed === true);
    const credentials = await getCredentials(ctx);
    const shared = await sharedStore(ctx, ctx.getNodeParameter('sharedStore', 'embedded'));
    if (wanted) resenderFor(shared, credentials, readLedgerRetentionMs(ctx.getNode(), options), ctx.logger);
    else await stopResender(shared, credentials.phoneNumberId);
  } catch (error) {
    ctx.logger.warn(`WhatsApp Cloud Trigger: re-sends of failed messages could not be ${on === false ? 'stopped' : 'started'}: ${isWhatsAppError(error) ? error.message : 'unexpected error'}`);
  }
}

/**
 * n8n answers an "onReceived" webhook only after it has stored the execution (n8n 2.x; in regular
 * mode that is its database row, in queue mode the job too). The events' dedupe keys are confirmed
 * just before that answer leaves, so:
 *  - killed before n8n stored the execution: no 200, keys still in flight, Meta's redelivery is
 *    handled after the restart (not lost);
 *  - answered 200: the execution is stored and the keys are seen, a redelivery starts nothing;
 *  - n8n could not store it (it answers an error): the keys are forgotten, so Meta's redelivery is
 *    handled while this process runs (not dropped as a duplicate).
 * Left by design: killed after n8n stored the execution but before the keys were confirmed, the
 * redelivery starts a second execution (at-least-once, never lost).
 */
function answerOnceStored(res: unknown, acknowledge: () => Promise<void>, release: () => Promise<void>, warn: (message: string) => void): void {
  const response = res as { statusCode: number; end: (...args: unknown[]) => unknown };
  const end = response.end;
  response.end = (...args: unknown[]) => {
    response.end = end;
    const stored = response.statusCode >= 200 && response.statusCode < 300;
    (stored ? acknowledge() : release())
      .catch((error) => warn(`could not record the webhook as ${stored ? 'handled' : 'not handled'}: ${isWhatsAppError(error) ? error.message : String(error)}`))
      .finally(() => end.apply(response, args));
    return response;
  };
}

function requireTriggerSecrets(ctx: IHookFunctions, credentials: WhatsAppCloudCredentials): void {
  if (!credentials.verifyToken || !credentials.appSecret) {
    throw new NodeOperationError(ctx.getNode(), 'The credentials need an App Secret and a Verify Token for the trigger', {
      description: 'Fill in "App Secret" (App Dashboard → App settings → Basic) and a "Verify Token" of your choice in the WhatsApp Cloud API credentials.',
    });
  }
}

/** Tries and pause between them while n8n has not yet saved the asking execution as waiting (≈ 30 s). */
const RESUME_ATTEMPTS = 60;
const RESUME_RETRY_MS = 500;

/** Resumes the execution waiting for this answer (Send and Wait); true when one was found. */
/**
 * Reads the number's messaging-limit tier from Meta when the trigger is activated and keeps it in
 * the state store's messaging limit, so the send nodes know it before their first business-initiated
 * template. In the background: activation never waits for it, and a failure is a warning (the
 * message only, never a credential); the first such send then asks again.
 */
function readTierAtActivation(ctx: IHookFunctions): void {
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
    ctx.logger.warn(`WhatsApp Cloud Trigger: the messaging limit tier was not read at activation (the first template send asks again): ${isWhatsAppError(error) ? error.message : 'unexpected error'}`);
  });
}

async function resumeWaiting(ctx: IWebhookFunctions, event: InboundEvent & { kind: 'message' }, shared: SharedState): Promise<boolean> {
  const who = { from: event.from, userId: event.userId };
  let answer = takeAnswer(event.reply!.id, event.phoneNumberId, who);
  if (!answer && shared.redis) {
    try {
      answer = await takeSharedAnswer(shared.redis, event.reply!.id, event.phoneNumberId, who);
    } catch (error) {
      ctx.logger.warn(`WhatsApp Cloud Trigger: could not read the waiting question: ${isWhatsAppError(error) ? error.message : String(error)}`);
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
      break;
    } catch (error) {
      const status = (error as { httpCode?: string; response?: { status?: number } }).response?.status ?? Number((error as { httpCode?: string }).httpCode);
      if (status === 409 && attempt < RESUME_ATTEMPTS) {
        await new Promise((resolve) => setTimeout(resolve, RESUME_RETRY_MS));
        continue;
      }
      ctx.logger.warn(`WhatsApp Cloud Trigger: could not resume the waiting execution: ${error instanceof Error ? error.message : String(error)}`);
      break;
    }
  }
  return true;
}

/** Options applied to incoming messages: mark as read (with typing) and media into binary. */
async function afterReceive(
  ctx: IWebhookFunctions,
  credentials: WhatsAppCloudCredentials,
  incoming: Array<{ event: InboundEvent & { kind: 'message' }; item: INodeExecutionData }>,
  options: IDataObject,
  shared: SharedState,
): Promise<void> {
  const client = createClient(credentials, { windowPolicy: 'off' }, shared);
  try {
    await Promise.all(
      incoming.map(async ({ event, item }) => {
        if (options.markAsRead === true && event.phoneNumberId === credentials.phoneNumberId) {
          try {
            await client.markAsRead(event.messageId, { typing: options.typing === true });
          } catch (error) {
            item.json.markAsReadError = isWhatsAppError(error) ? { code: error.code, message: error.message, hint: error.hint } : String(error);
          }
        }
        if (options.downloadMedia === true && event.media?.id) {
          try {
            const file = await downloadMedia(client.graph, event.media.id, {
              ...(event.media.url ? { url: event.media.url } : {}),
              // The webhook's hash: the bytes from `url` are checked against it.
              ...(event.media.sha256 ? { sha256: event.media.sha256 } : {}),
              phoneNumberId: event.phoneNumberId,
            });
            const fileName = file.filename ?? event.media.filename ?? `${event.type}-${event.media.id}`;
            item.binary = { data: await ctx.helpers.prepareBinaryData(file.data, fileName, file.mimeType) };
          } catch (error) {
            item.json.mediaDownloadError = isWhatsAppError(error) ? { code: error.code, message: error.message, hint: error.hint } : String(error);
          }
        }
      }),
    );
  } finally {
    await client.close();
  }
}
