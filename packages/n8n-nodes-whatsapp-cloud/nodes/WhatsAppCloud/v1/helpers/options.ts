import { NodeOperationError, type IDataObject, type IExecuteFunctions, type INodeProperties } from 'n8n-workflow';
import { isQualityHoldMs, isThroughputFactor, QUALITY_MAX_HOLD_MS, type MarketingProductPolicy } from '@wa-cloud/core';
import type { SendSettings } from '../../transport';
import { readLedgerRetentionMs } from '../../../shared/ledgerRetention';

/** Operations of the message resource that send a message to `to`. */
export const SENDING_OPERATIONS = [
  'sendAndWait',
  'sendCallPermissionRequest',
  'sendChoices',
  'sendContacts',
  'sendInteractive',
  'sendLocation',
  'sendMedia',
  'sendReaction',
  'sendSticker',
  'sendTemplate',
  'sendText',
];

/** Operations whose message can be a reply to another one (a reaction names its target itself). */
const REPLY_OPERATIONS = SENDING_OPERATIONS.filter((op) => op !== 'sendReaction' && op !== 'sendAndWait');

export const recipientField: INodeProperties = {
  displayName: 'Recipient',
  name: 'to',
  type: 'string',
  required: true,
  default: '',
  placeholder: '+14155551234',
  description: 'Phone number with country code (any formatting), or the business-scoped user ID (BSUID) from a trigger item',
  displayOptions: { show: { resource: ['message'], operation: SENDING_OPERATIONS } },
};

/** The "Options" collection every sending operation has. */
export const sendOptionsField: INodeProperties = {
  displayName: 'Options',
  name: 'options',
  type: 'collection',
  placeholder: 'Add Option',
  default: {},
  displayOptions: { show: { resource: ['message'], operation: [...SENDING_OPERATIONS, 'markAsRead'] } },
  options: [
    {
      displayName: 'Delivery Ledger',
      name: 'deliveryLedger',
      type: 'boolean',
      default: true,
      description: 'Whether to record each sent message in the delivery ledger of the state store, so its statuses join it and Message → Get Status, Get Many and Summary can answer',
      displayOptions: { show: { '/operation': SENDING_OPERATIONS } },
    },
    {
      displayName: 'Fallback Template Language',
      name: 'fallbackTemplateLanguage',
      type: 'string',
      default: 'en_US',
      description: 'Language code of the fallback template',
      displayOptions: { show: { windowPolicy: ['fallbackTemplate'] } },
    },
    {
      displayName: 'Fallback Template Name',
      name: 'fallbackTemplateName',
      type: 'string',
      default: '',
      description: 'Approved template sent instead when the 24-hour window is closed. For Send and Wait, its quick-reply buttons stand for the options, in order.',
      displayOptions: { show: { windowPolicy: ['fallbackTemplate'] } },
    },
    {
      displayName: 'Hold Over Messaging Limit',
      name: 'messagingLimitHold',
      type: 'boolean',
      default: false,
      description: 'Whether a template over the messaging limit waits until a slot frees (up to 24 hours) instead of failing',
      displayOptions: { show: { '/operation': SENDING_OPERATIONS } },
    },
    {
      displayName: 'Ledger Retention (Days)',
      name: 'ledgerRetentionDays',
      type: 'number',
      typeOptions: { minValue: 0.042, maxValue: 400, numberPrecision: 3 },
      default: 30,
      description: 'How many days each sent message\'s delivery record is kept before it is swept from the state store (from 0.042, 1 hour, to 400)',
      displayOptions: { show: { '/operation': SENDING_OPERATIONS } },
    },
    {
      displayName: 'Link Preview',
      name: 'previewUrl',
      type: 'boolean',
      default: false,
      description: 'Whether to show a preview of the first link in the text',
      displayOptions: { show: { '/operation': ['sendText'] } },
    },
    {
      displayName: 'Marketing Messages API',
      name: 'marketingMessages',
      type: 'boolean',
      default: false,
      description:
        'Whether to send MARKETING templates through Meta\'s Marketing Messages API (/marketing_messages) instead of /messages, for accounts that accepted its terms. Chosen by each template\'s latest category (a trigger on the same number keeps it current). Needs the WABA ID.',
      displayOptions: { show: { '/operation': ['sendTemplate'] } },
    },
    {
      displayName: 'Marketing Product Policy',
      name: 'marketingProductPolicy',
      type: 'options',
      default: '',
      description: 'What Meta does when the account is not onboarded to the Marketing Messages API (product_policy)',
      options: [
        { name: 'Meta Default', value: '' },
        { name: 'Fall Back to Cloud API', value: 'CLOUD_API_FALLBACK' },
        { name: 'Strict (Refuse)', value: 'STRICT' },
      ],
      displayOptions: { show: { '/operation': ['sendTemplate'], marketingMessages: [true] } },
    },
    {
      displayName: 'Max Attempts',
      name: 'maxAttempts',
      type: 'number',
      default: 5,
      typeOptions: { minValue: 1, maxValue: 10 },
      description: 'Tries per item (the first included) when Meta answers with a retryable error. Only that item is tried again.',
    },
    {
      displayName: 'Messaging Limit Tier',
      name: 'messagingLimitTier',
      type: 'options',
      default: 'meta',
      description: 'Unique people the business portfolio may reach with templates outside the 24-hour window in a moving 24 hours. A template to a new person over it fails before sending, naming the tier, the count and when the next slot frees.',
      displayOptions: { show: { '/operation': SENDING_OPERATIONS } },
      options: [
        { name: 'From Meta (Recommended)', value: 'meta', description: 'Read whatsapp_business_manager_messaging_limit, kept current by health checks and the trigger' },
        { name: 'TIER_100K', value: 'TIER_100K' },
        { name: 'TIER_10K', value: 'TIER_10K' },
        { name: 'TIER_250', value: 'TIER_250' },
        { name: 'TIER_2K', value: 'TIER_2K' },
        { name: 'TIER_UNLIMITED', value: 'TIER_UNLIMITED' },
      ],
    },
    {
      displayName: 'Reference (Callback Data)',
      name: 'bizOpaqueCallbackData',
      type: 'string',
      default: '',
      placeholder: 'order-1042',
      description: 'Your own ID for this message (e.g. the CRM order ID), up to 512 characters: Meta echoes it in the status webhooks (biz_opaque_callback_data), and Message → Get Status finds the message by it',
      displayOptions: { show: { '/operation': SENDING_OPERATIONS.filter((op) => op !== 'sendReaction') } },
    },
    {
      displayName: 'Reply To Message ID',
      name: 'replyTo',
      type: 'string',
      default: '',
      placeholder: 'wamid.HBgL…',
      description: 'The message this one answers (the chat shows it quoted)',
      displayOptions: { show: { '/operation': REPLY_OPERATIONS } },
    },
    {
      displayName: 'Retry Base Delay (Ms)',
      name: 'retryBaseDelayMs',
      type: 'number',
      default: 500,
      typeOptions: { minValue: 0 },
      description: 'First back-off delay; it doubles on each try (Meta\'s own wait hints win when given)',
    },
    {
      displayName: 'Share Message Activity',
      name: 'messageActivitySharing',
      type: 'options',
      default: '',
      description: 'Whether Meta may use this marketing message\'s activity (reads, clicks) to optimise delivery (message_activity_sharing)',
      options: [
        { name: 'Account Default', value: '' },
        { name: 'Share', value: 'share' },
        { name: 'Do Not Share', value: 'dontShare' },
      ],
      displayOptions: { show: { '/operation': ['sendTemplate'], marketingMessages: [true] } },
    },
    {
      displayName: 'Throughput (Messages/Second)',
      name: 'throughput',
      type: 'number',
      default: 80,
      typeOptions: { minValue: 1 },
      description: 'Messages per second for this phone number, shared by every workflow sending from it in this n8n process (80 by default; 20 for coexistence numbers, up to 1000 after an upgrade)',
    },
    {
      displayName: 'Typing Indicator',
      name: 'typing',
      type: 'boolean',
      default: false,
      description: 'Whether to show "typing…" to the user for up to 25 seconds or until you reply',
      displayOptions: { show: { '/operation': ['markAsRead'] } },
    },
    {
      displayName: 'Window Policy',
      name: 'windowPolicy',
      type: 'options',
      default: 'enforce',
      description: 'What to do with a free-form message when the user has not written in the last 24 hours',
      displayOptions: { show: { '/operation': SENDING_OPERATIONS.filter((op) => op !== 'sendTemplate') } },
      options: [
        {
          name: 'Block (Recommended)',
          value: 'enforce',
          description: 'Fail the item before sending, with a hint, instead of letting Meta drop it later (131047)',
        },
        {
          name: 'Send Fallback Template',
          value: 'fallbackTemplate',
          description: 'Send the approved template below instead, and say so in the output',
        },
        {
          name: 'Off',
          value: 'off',
          description: 'Send anyway (Meta will refuse it later on the status webhook if the window is closed)',
        },
      ],
    },
  ],
};

const HOUR_MS = 60 * 60 * 1000;

/**
 * "Quality Guard": the rule switches of core's quality guard (on by default, defaults = core's).
 * The guard itself is one per process (or per shared store), fed by the trigger's webhooks.
 */
export const qualityGuardField: INodeProperties = {
  displayName: 'Quality Guard',
  name: 'qualityGuard',
  type: 'collection',
  placeholder: 'Add Rule Setting',
  default: {},
  description: 'Protects the number\'s quality rating: sends that would hurt it fail before any request, with a hint naming the setting that switches the rule off',
  displayOptions: { show: { resource: ['message'], operation: SENDING_OPERATIONS } },
  options: [
    {
      displayName: 'Allow Sends When RED',
      name: 'allowSendsWhenRed',
      type: 'boolean',
      default: false,
      description: 'Whether to send business-initiated templates (users whose 24-hour window is closed) while the number\'s quality rating is RED',
    },
    {
      displayName: 'Enabled',
      name: 'enabled',
      type: 'boolean',
      default: true,
      description: 'Whether to use the quality guard at all (off: sends are not checked or paced and their answers not recorded; the trigger still records what webhooks say)',
    },
    {
      displayName: 'Marketing Cool-Down (Hours)',
      name: 'marketingCoolDownHours',
      type: 'number',
      default: 24, // = core's QUALITY_DEFAULTS.marketingCoolDownMs (literal for n8n's lint; a unit test checks it)
      typeOptions: { minValue: 0, maxValue: 8760 }, // = core's QUALITY_MAX_HOLD_MS in hours (literal for n8n's lint; a unit test checks it)
      description: 'After Meta\'s per-user marketing limit (131049), wait this long before another marketing template to that user (0 = off)',
    },
    {
      displayName: 'Respect Marketing Opt-Out',
      name: 'respectMarketingOptOut',
      type: 'boolean',
      default: true,
      description: 'Whether to refuse marketing templates to users who stopped marketing messages (user_preferences "stop", 131050)',
    },
    {
      displayName: 'Spam Pause (Hours)',
      name: 'spamPauseHours',
      type: 'number',
      default: 24, // = core's QUALITY_DEFAULTS.spamPauseMs
      typeOptions: { minValue: 0, maxValue: 8760 }, // = core's QUALITY_MAX_HOLD_MS in hours (literal for n8n's lint; a unit test checks it)
      description: 'After Meta\'s spam rate limit (131048), pause the number\'s marketing templates this long (0 = off)',
    },
    {
      displayName: 'Suppress Undeliverable Recipients',
      name: 'suppressUndeliverable',
      type: 'boolean',
      default: true,
      description: 'Whether to hold sends to a recipient Meta could not deliver to (131026) for 7 days, or until the user writes',
    },
    {
      displayName: 'YELLOW Throughput Factor',
      name: 'yellowThroughputFactor',
      type: 'number',
      default: 0.5, // = core's QUALITY_DEFAULTS.yellowThroughputFactor
      typeOptions: { minValue: 0.01, maxValue: 1, numberPrecision: 2 },
      description: 'Share of the throughput used while the quality rating is YELLOW or RED (1 = no slow-down)',
    },
  ],
};

/** Longest hold the hour options accept: core's limit (an expression can give any number). */
const MAX_HOLD_HOURS = QUALITY_MAX_HOLD_MS / HOUR_MS;

/**
 * Core's quality options from the node's "Quality Guard" collection (read from the first item).
 * An expression may give any value: out of range is refused naming the option, never clamped
 * (a negative cool-down clamped to 0 would silently switch the rule off).
 */
export function readQualityOptions(ctx: IExecuteFunctions): NonNullable<SendSettings['quality']> {
  const raw = ctx.getNodeParameter('qualityGuard', 0, {}) as IDataObject;
  const refuse = (option: string, value: unknown, limit: string) =>
    new NodeOperationError(ctx.getNode(), `Quality Guard → ${option}: ${String(value)} is not allowed, ${limit}`, {
      description: `Set Quality Guard → ${option} ${limit.replace(/^it must be /, 'to ')}.`,
    });
  const hours = (option: string, value: unknown) => {
    if (value === undefined) return undefined;
    if (typeof value !== 'number' || !isQualityHoldMs(value * HOUR_MS)) {
      throw refuse(option, value, `it must be a number of hours from 0 (rule off) to ${MAX_HOLD_HOURS}`);
    }
    return value * HOUR_MS;
  };
  const quality: NonNullable<SendSettings['quality']> = {};
  if (typeof raw.enabled === 'boolean') quality.enabled = raw.enabled;
  if (typeof raw.suppressUndeliverable === 'boolean') quality.suppressUndeliverable = raw.suppressUndeliverable;
  if (typeof raw.respectMarketingOptOut === 'boolean') quality.respectMarketingOptOut = raw.respectMarketingOptOut;
  if (typeof raw.allowSendsWhenRed === 'boolean') quality.allowSendsWhenRed = raw.allowSendsWhenRed;
  const coolDown = hours('Marketing Cool-Down (Hours)', raw.marketingCoolDownHours);
  if (coolDown !== undefined) quality.marketingCoolDownMs = coolDown;
  const pause = hours('Spam Pause (Hours)', raw.spamPauseHours);
  if (pause !== undefined) quality.spamPauseMs = pause;
  const factor = raw.yellowThroughputFactor;
  if (factor !== undefined) {
    if (typeof factor !== 'number' || !isThroughputFactor(factor)) throw refuse('YELLOW Throughput Factor', factor, 'it must be above 0 and at most 1');
    quality.yellowThroughputFactor = factor;
  }
  return quality;
}

/** Per-item message options (reply-to, callback data). */
export function envelopeOptions(ctx: IExecuteFunctions, itemIndex: number): { replyTo?: string; bizOpaqueCallbackData?: string } {
  const options = ctx.getNodeParameter('options', itemIndex, {}) as IDataObject;
  const replyTo = String(options.replyTo ?? '').trim();
  const callback = String(options.bizOpaqueCallbackData ?? '');
  return { ...(replyTo ? { replyTo } : {}), ...(callback ? { bizOpaqueCallbackData: callback } : {}) };
}

/** Graph envelope fields (`context`, `biz_opaque_callback_data`) for messages built in Graph shape. */
export function envelopeGraphFields(ctx: IExecuteFunctions, itemIndex: number): IDataObject {
  const { replyTo, bizOpaqueCallbackData } = envelopeOptions(ctx, itemIndex);
  return {
    ...(replyTo ? { context: { message_id: replyTo } } : {}),
    ...(bizOpaqueCallbackData ? { biz_opaque_callback_data: bizOpaqueCallbackData } : {}),
  };
}

/**
 * Sending settings, read once per execution from the first item: one client (and so one window
 * policy, one throughput) serves the whole execution.
 */
export function readSendSettings(ctx: IExecuteFunctions, fallbackComponents?: unknown[]): SendSettings {
  const options = ctx.getNodeParameter('options', 0, {}) as IDataObject;
  const operation = ctx.getNodeParameter('operation', 0) as string;
  const policy = (options.windowPolicy as SendSettings['windowPolicy']) ?? 'enforce';
  const settings: SendSettings = {
    windowPolicy: operation === 'sendTemplate' ? 'enforce' : policy,
    throughput: typeof options.throughput === 'number' ? options.throughput : undefined,
    quality: readQualityOptions(ctx),
    ledger: options.deliveryLedger !== false,
    ledgerRetentionMs: readLedgerRetentionMs(ctx.getNode(), options),
    messagingLimit: { tier: typeof options.messagingLimitTier === 'string' ? options.messagingLimitTier : 'meta', hold: options.messagingLimitHold === true },
    retry: {
      ...(typeof options.maxAttempts === 'number' ? { maxAttempts: options.maxAttempts } : {}),
      ...(typeof options.retryBaseDelayMs === 'number' ? { baseDelayMs: options.retryBaseDelayMs } : {}),
    },
  };
  if (operation === 'sendTemplate' && options.marketingMessages === true) {
    const productPolicy = String(options.marketingProductPolicy ?? '');
    const sharing = String(options.messageActivitySharing ?? '');
    settings.marketingMessages = {
      enabled: true,
      ...(productPolicy ? { productPolicy: productPolicy as MarketingProductPolicy } : {}),
      ...(sharing ? { messageActivitySharing: sharing === 'share' } : {}),
    };
  }
  if (policy === 'fallbackTemplate') {
    settings.fallbackTemplate = {
      name: String(options.fallbackTemplateName ?? '').trim(),
      languageCode: String(options.fallbackTemplateLanguage ?? 'en_US').trim(),
      ...(fallbackComponents ? { components: fallbackComponents } : {}),
    };
  }
  return settings;
}
