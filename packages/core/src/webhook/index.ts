/** Webhook receiving: verify (GET and POST), parse to typed events, dedupe, window updates. */
export { verifySubscription, verifySignature, escapeUnicode, type SubscriptionQuery } from './verify';
export { parseWebhook } from './parse';
export {
  EventDeduplicator,
  MemoryDedupeStore,
  dedupeKey,
  DEFAULT_DEDUPE_TTL_MS,
  type DedupeStore,
  type EventDeduplicatorOptions,
  type MemoryDedupeStoreOptions,
} from './dedupe';
export { handleWebhookPost, handleWebhookGet, type WebhookHeaders, type WebhookPostInput, type WebhookPostResult } from './handle';
export { applyWindowUpdates, opensWindow, replyAddress } from './window-updates';
export {
  EVENT_GROUPS,
  MESSAGE_STATUSES,
  eventGroupOf,
  passesEventFilter,
  isForNumber,
  type EventGroup,
  type EventFilter,
  type ReceiverNumber,
} from './event-filter';
export { MAX_WEBHOOK_BYTES, WebhookTooLargeError } from './errors';
export { readWebhookBody } from './read-body';
export type {
  InboundEventBase,
  InboundEventKind,
  InboundErrorInfo,
  InboundMedia,
  InboundLocation,
  InboundReaction,
  InboundReply,
  InboundFlowReply,
  InboundCallPermissionReply,
  InboundOrder,
  InboundReferral,
  InboundContext,
  InboundSystem,
  InboundMessageEvent,
  InboundPricing,
  InboundConversation,
  InboundStatusEvent,
  InboundStatusError,
  StatusSendContext,
  InboundTemplateStatusEvent,
  InboundTemplateCategoryEvent,
  InboundTemplateQualityEvent,
  InboundPhoneQualityEvent,
  InboundAccountUpdateEvent,
  InboundUserPreferenceEvent,
  InboundErrorEvent,
  InboundUnknownEvent,
  InboundEvent,
} from './types';
