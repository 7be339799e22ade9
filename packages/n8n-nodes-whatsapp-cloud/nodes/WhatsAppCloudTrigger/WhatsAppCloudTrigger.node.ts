import { clearPhoneNumberWebhook, downloadMedia, getPhoneNumberWebhook, isAppSubscribed } from '@wa-cloud/core';
import { handleWebhookGet, handleWebhookPost, isWhatsAppError, type InboundEvent, type SharedState } from '@wa-cloud/core';
import {
  NodeConnectionTypes,
  type IDataObject,
  type IHookFunctions,
  type INodeExecutionData,
  type INodeType,
  type INodeTypeDescription,
  type IWebhookFunctions,
  type IWebhookResponseData,
} from 'n8n-workflow';
import { readLedgerRetentionMs } from '../shared/ledgerRetention';
import { resenderFor } from '../shared/resender';
import { WEBHOOK_ERROR_TEXT, deduplicatorFor, isOurs, isWaitAnswerEvent, itemOf, outputOf, readTierAtActivation, registerOverride, requireTriggerSecrets, resumeWaiting, startsWorkflow, syncResender, webhookErrorStatus, type EventFilter } from '../shared/inbound';
import { sharedStoreProperty } from '../shared/sharedStore';
import { createClient, getCredentials, qualityGuardFor, sharedStore, withGraph, type WhatsAppCloudCredentials } from '../WhatsAppCloud/transport';
import { credentialTest } from '../WhatsAppCloud/v1/methods';

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
        requireTriggerSecrets(this.getNode(), credentials);
        await registerOverride(this, credentials, url!);
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

    const options = this.getNodeParameter('options', {}) as IDataObject;
    const filter: EventFilter = {
      events: new Set(this.getNodeParameter('events', []) as string[]),
      statuses: new Set(this.getNodeParameter('statuses', []) as string[]),
      allPhoneNumbers: options.allPhoneNumbers === true,
      credentials,
    };

    const outputs: INodeExecutionData[][] = [[], [], []];
    const [messages, statusItems, other] = outputs;
    const incoming: Array<{ event: InboundEvent & { kind: 'message' }; item: INodeExecutionData }> = [];

    for (const event of events) {
      if (!isOurs(event, filter)) continue;
      if (isWaitAnswerEvent(event)) {
        const resumed = await resumeWaiting(this, event, shared);
        if (resumed && options.passOnWaitAnswers !== true) continue;
      }
      if (!startsWorkflow(event, filter)) continue;
      const item = itemOf(event);
      outputs[outputOf(event)]!.push(item);
      if (event.kind === 'message') incoming.push({ event, item });
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
