import { getPhoneNumberWebhook, handleWebhookGet, isAppSubscribed, isWhatsAppError } from '@wa-cloud/core';
import {
  NodeConnectionTypes,
  NodeOperationError,
  type IDataObject,
  type INode,
  type INodeType,
  type INodeTypeDescription,
  type ITriggerFunctions,
  type ITriggerResponse,
} from 'n8n-workflow';
import { readLedgerRetentionMs } from '../shared/ledgerRetention';
import { readTierAtActivation, registerOverride, requireTriggerSecrets, syncResender, type EventFilter } from '../shared/inbound';
import { sharedStoreProperty } from '../shared/sharedStore';
import { getCredentials, sharedStore, withGraph } from '../WhatsAppCloud/transport';
import { credentialTest } from '../WhatsAppCloud/v1/methods';
import { close, listen } from './listener';
import { postHandler } from './post';

/** The port, path and public URL as checked values; a bad one stops the activation naming the field. */
interface Address {
  host: string;
  port: number;
  path: string;
  publicUrl?: string;
}

function readAddress(node: INode, port: unknown, path: unknown, publicUrl: unknown, host: unknown, register: boolean): Address {
  const refuse = (message: string, description: string) => {
    throw new NodeOperationError(node, message, { description });
  };
  // An expression may give the port as text ("5690").
  const portNumber = typeof port === 'string' && port.trim() !== '' ? Number(port) : port;
  if (typeof portNumber !== 'number' || !Number.isInteger(portNumber) || portNumber < 1 || portNumber > 65535) refuse(`Port must be a whole number from 1 to 65535 (got ${String(port)})`, 'A free port on this n8n machine, e.g. 5690, that your reverse proxy forwards Meta\'s webhooks to.');
  const cleanPath = `/${String(path ?? '').trim().replace(/^\/+|\/+$/g, '')}`;
  // "." and ".." segments are normalised away in request URLs, so such a path could never match.
  if (!/^\/[A-Za-z0-9._~\-/]+$/.test(cleanPath) || cleanPath.split('/').some((segment) => segment === '.' || segment === '..')) refuse(`Path must be letters, digits and . _ ~ - /, without . or .. segments (got "${String(path)}")`, 'For example "whatsapp": the listener answers only that path.');
  const listenHost = typeof host === 'string' && host.trim() ? host.trim() : '0.0.0.0';
  let url: string | undefined;
  if (register) {
    const parsed = URL.canParse(String(publicUrl ?? '').trim()) ? new URL(String(publicUrl).trim()) : undefined;
    if (parsed && (parsed.protocol === 'https:' || parsed.protocol === 'http:')) url = parsed.toString();
    else {
      refuse(`Public URL must be the full http(s) address Meta posts to (got "${String(publicUrl ?? '')}")`, 'For example https://wa.example.com/whatsapp, forwarded by your reverse proxy to this Port and Path. Meta accepts only https with a valid certificate.');
    }
  }
  return { host: listenHost, port: portNumber as number, path: cleanPath, ...(url ? { publicUrl: url } : {}) };
}

export class WhatsAppCloudHighVolumeTrigger implements INodeType {
  description: INodeTypeDescription = {
    displayName: 'WhatsApp Cloud High-Volume Trigger',
    name: 'whatsAppCloudHighVolumeTrigger',
    icon: { light: 'file:whatsapp-cloud.svg', dark: 'file:whatsapp-cloud.dark.svg' },
    group: ['trigger'],
    version: 1,
    subtitle: '={{ "port " + $parameter["port"] }}',
    description: 'Receives WhatsApp webhooks on its own port: hundreds of statuses a second recorded without executions, each event started exactly once',
    defaults: { name: 'WhatsApp Cloud High-Volume Trigger' },
    inputs: [],
    outputs: [NodeConnectionTypes.Main, NodeConnectionTypes.Main, NodeConnectionTypes.Main],
    outputNames: ['Messages', 'Statuses', 'Other'],
    credentials: [
      { name: 'whatsAppCloudApi', required: true, testedBy: 'whatsAppCloudApiTest' },
      { name: 'whatsAppCloudRedisApi', required: true, testedBy: 'whatsAppCloudRedisApiTest', displayOptions: { show: { sharedStore: ['redis'] } } },
    ],
    properties: [
      {
        displayName:
          'For campaigns: this trigger listens on its own port, not on n8n\'s webhook URL, so statuses it only records cost n8n nothing. Forward the Public URL (your reverse proxy) to this Port and Path. Each event starts at most one execution, even when Meta delivers it again after a restart.',
        name: 'notice',
        type: 'notice',
        default: '',
      },
      {
        displayName: 'Port',
        name: 'port',
        type: 'number',
        required: true,
        default: 5690,
        typeOptions: { minValue: 1, maxValue: 65535 },
        description: 'Port this trigger listens on, on the n8n machine (n8n itself uses 5678)',
      },
      {
        displayName: 'Path',
        name: 'path',
        type: 'string',
        default: 'whatsapp',
        description: 'Path of the listener: GET answers Meta\'s challenge, POST takes the events',
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
            description: 'Point the credential\'s phone number webhooks at the Public URL when the workflow is published (it stays registered when the workflow stops, so nothing is lost across restarts)',
          },
          {
            name: 'Verify Only',
            value: 'verifyOnly',
            description: 'Register nothing: you set the Public URL and the verify token in the Meta App Dashboard yourself',
          },
        ],
      },
      {
        displayName: 'Public URL',
        name: 'publicUrl',
        type: 'string',
        required: true,
        default: '',
        placeholder: 'https://wa.example.com/whatsapp',
        description: 'The address Meta posts to, forwarded to this Port and Path',
        displayOptions: { show: { registration: ['phoneNumberOverride'] } },
      },
      // Events, Statuses and the shared Options mirror the WhatsApp Cloud Trigger's, written out
      // again because n8n's lint reads node properties as literals; the logic behind them is one
      // (nodes/shared/inbound.ts).
      {
        displayName: 'Events',
        name: 'events',
        type: 'multiOptions',
        required: true,
        default: ['messages', 'statuses'],
        description: 'Events that start the workflow. Others are acknowledged and dropped before any execution starts.',
        options: [
          { name: 'Account and Quality Updates', value: 'accountUpdates', description: 'Phone number quality, messaging limits, account bans and reviews' },
          { name: 'Errors', value: 'errors', description: 'App- or system-level errors Meta reports on the webhook' },
          { name: 'Messages', value: 'messages', description: 'Messages users send, one execution per message' },
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
            description: 'Whether to pass on events of every phone number (and WABA) that reaches this listener, not only the credential\'s',
          },
          {
            displayName: 'Delivery Ledger',
            name: 'deliveryLedger',
            type: 'boolean',
            default: true,
            description: 'Whether to record every status in the delivery ledger of the state store, joined to its send: status items carry the send\'s template, reference, recipient and sent-at, and Message → Get Status answers from it',
          },
          {
            displayName: 'Drop Replayed Events',
            name: 'dropReplays',
            type: 'boolean',
            default: true,
            description: 'Whether to drop events whose signed timestamp is older than the dedupe horizon (7 days): a captured, validly signed webhook replayed after its dedupe key expired starts nothing. Turn off only to replay old sample payloads.',
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
            displayName: 'Listen Address',
            name: 'listenAddress',
            type: 'string',
            default: '0.0.0.0',
            description: 'Network address to listen on: 0.0.0.0 for every interface (as n8n itself, and what Docker needs), 127.0.0.1 when the reverse proxy runs on this machine',
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
              'Whether to send a message again, unchanged, when its failed status carries an error Meta says may pass (131049 per-user marketing limit: after 24 hours; 131000, 131016 and other temporary errors: after 1 to 10 minutes), at most 3 times per message. Permanent failures are never re-sent. Needs the Delivery Ledger.',
          },
        ],
      },
      sharedStoreProperty,
    ],
  };

  methods = { credentialTest };

  async trigger(this: ITriggerFunctions): Promise<ITriggerResponse> {
    const node = this.getNode();
    const credentials = await getCredentials(this);
    requireTriggerSecrets(node, credentials);
    const options = this.getNodeParameter('options', {}) as IDataObject;
    const retentionMs = readLedgerRetentionMs(node, options);
    const register = this.getNodeParameter('registration', 'phoneNumberOverride') === 'phoneNumberOverride';
    const address = readAddress(node, this.getNodeParameter('port'), this.getNodeParameter('path', 'whatsapp'), register ? this.getNodeParameter('publicUrl', '') : undefined, options.listenAddress, register);
    const shared = await sharedStore(this, this.getNodeParameter('sharedStore', 'embedded'));
    const filter: EventFilter = {
      events: new Set(this.getNodeParameter('events', []) as string[]),
      statuses: new Set(this.getNodeParameter('statuses', []) as string[]),
      allPhoneNumbers: options.allPhoneNumbers === true,
      credentials,
    };
    const log = (message: string) => this.logger.warn(`${node.name}: ${message}`);
    // Testing in the editor listens and hands over one POST, and changes nothing else: no override
    // re-pointed, no re-sends started or stopped (they belong to the published workflow).
    const manual = this.getMode() === 'manual';
    const gate = { open: true };

    const server = await listen(address, {
      get: (query, res) => {
        try {
          const challenge = handleWebhookGet(query, credentials.verifyToken ?? '');
          res.writeHead(200, { 'Content-Type': 'text/plain' }).end(challenge);
        } catch {
          res.writeHead(403, { 'Content-Type': 'text/plain' }).end('Forbidden: the verify token does not match');
        }
      },
      post: postHandler(this, { credentials, shared, filter, options, retentionMs, log, gate }),
      failed: (error) => log(`a request failed: ${isWhatsAppError(error) ? error.message : error instanceof Error ? error.message : 'unexpected error'}`),
    }).catch((error: NodeJS.ErrnoException) => {
      const where = `${address.host}:${address.port}`;
      const why =
        error.code === 'EADDRINUSE'
          ? `port ${address.port} is already in use (this workflow published while you test it, another High-Volume Trigger, or another program)`
          : error.code === 'EACCES'
            ? `port ${address.port} needs privileges n8n does not have (use 1024 or above)`
            : (error.message ?? 'unknown error');
      throw new NodeOperationError(node, `Cannot listen on ${where}: ${why}`, { description: 'Change "Port" (or "Listen Address" in Options), or stop what holds it.' });
    });
    this.logger.info(`${node.name}: listening on http://${address.host}:${address.port}${address.path}${address.publicUrl ? ` (Meta posts to ${address.publicUrl})` : ''}`);

    try {
      if (address.publicUrl && !manual) await pointNumberAt(this, address.publicUrl);
    } catch (error) {
      await close(server);
      throw error instanceof NodeOperationError
        ? error
        : new NodeOperationError(node, `Could not point phone number ${credentials.phoneNumberId}'s webhooks at ${address.publicUrl}: ${isWhatsAppError(error) ? error.message : error instanceof Error ? error.message : 'unexpected error'}`, {
            description: 'Meta checks the Public URL with a GET challenge at once: it must reach this Port and Path (reverse proxy, https, valid certificate).',
          });
    }
    if (!manual) {
      readTierAtActivation(this);
      await syncResender(this);
    }

    return {
      // The override is left in place: Meta keeps delivering (and redelivering) to this listener
      // across restarts, which is what makes them lose nothing. Requests still arriving on open
      // connections are answered 503 (Meta delivers them again), and the port is freed first.
      closeFunction: async () => {
        gate.open = false;
        await close(server);
        if (!manual) await syncResender(this, false);
      },
    };
  }
}

/** Points the number's webhooks at the Public URL unless they already go there and the app is subscribed. */
async function pointNumberAt(ctx: ITriggerFunctions, publicUrl: string): Promise<void> {
  const credentials = await getCredentials(ctx);
  const { current, subscribed } = await withGraph(credentials, async (graph) => ({
    current: (await getPhoneNumberWebhook(graph, credentials.phoneNumberId)).phoneNumber,
    subscribed: credentials.wabaId ? await isAppSubscribed(graph, credentials.wabaId) : true,
  }));
  if (current !== publicUrl || !subscribed) await registerOverride(ctx, credentials, publicUrl);
}
