/**
 * @wa-cloud/core: everything the n8n and Node-RED adapters need to send and receive WhatsApp
 * Cloud API messages. Curated, grouped exports (no `export *`).
 */

// Client and sending
export {
  WhatsAppClient,
  type WhatsAppClientOptions,
  type SendResult,
  type SendOptions,
  type WindowPolicy,
  type WindowOptions,
  type FallbackTemplate,
} from './client';
export {
  MARKETING_MESSAGES_EDGE,
  MARKETING_PRODUCT_POLICIES,
  type MarketingMessagesOptions,
  type MarketingProductPolicy,
} from './marketing/marketing-messages';
export { DEFAULT_API_VERSION, DEFAULT_BASE_URL } from './version';
export { CREDENTIAL_FIELDS, CREDENTIAL_TYPE, SECRET_FIELDS, type CredentialField } from './credentials';

// Message builders and validation
export {
  validateOutboundMessage,
  toGraphBody,
  isTemplateMessage,
  textMessage,
  mediaMessage,
  locationMessage,
  contactsMessage,
  reactionMessage,
  templateMessage,
  buttonsMessage,
  listMessage,
  ctaUrlMessage,
  flowMessage,
  locationRequestMessage,
  callPermissionRequestMessage,
  productMessage,
  productListMessage,
  catalogMessage,
  choicesMessage,
  markAsReadBody,
  URL_SHORTENER_HOSTS,
  type OutboundMessage,
} from './messages';
export { normalizeRecipient, isBsuid, type NormalizedRecipient } from './recipient';

// Errors
export { WhatsAppError, isWhatsAppError, type ErrorCategory } from './errors/whatsapp-error';
export {
  GraphApiError,
  ValidationError,
  WindowClosedError,
  NetworkError,
  WebhookVerificationError,
  WebhookSignatureError,
  WebhookPayloadError,
} from './errors/error-classes';
export { mapGraphError, mapWebhookError } from './errors/map-graph-error';
export { ERROR_TABLE, ruleForCode, resendDelayForCode, type ErrorRule, type AutoRetry } from './errors/error-table';

// HTTP
export { GraphApi, type GraphConnection, type GraphRequestOptions } from './http/graph-api';
export { MAX_BASE_URL_LENGTH, isGraphOrigin, isLoopbackHostname, normalizeBaseUrl, sameBaseUrl, trimTrailingSlashes } from './http/base-url';
export { UndiciTransport, ResponseTooLargeError, DEFAULT_MAX_RESPONSE_BYTES, type Transport, type TransportRequest, type TransportResponse, type UndiciTransportOptions } from './http/transport';
export { decideRetry, DEFAULT_RETRY, type RetryOptions } from './http/retry-policy';

// Pacing and the 24-hour window
export { type RateLimiter, type PairRate, type LimiterOptions, DEFAULT_THROUGHPUT, DEFAULT_PAIR_RATE } from './limiter/rate-limiter';
export { LocalRateLimiter, isThroughputFactor } from './limiter/local-rate-limiter';
export { type PacingStatus, slowedDown, WINDOW_MS, JITTER_MARGIN_MS, PACED_WINDOW_MS } from './limiter/pacing';
export { WindowTracker, windowKey, SERVICE_WINDOW_MS, FREE_ENTRY_POINT_WINDOW_MS, type WindowStatus } from './window/window-tracker';
export { MemoryKeyedExpiryStore, type WindowStore } from './window/window-store';
export { sharedLimiter, sharedWindowTracker, sharedQualityGuard, sharedLedger, sharedRedisState, closeSharedRedis, type SharedRedisState } from './registry';

// State store: memory, embedded (SQLite, the default) or Redis, chosen in one place
export { sharedState, closeSharedStates, type SharedState, type StateOptions, type ForgetHook } from './registry';
export { type StateStore, type StateStoreKind, type ForgetUserResult, storeUserId } from './store/state-store';
export { MemoryStateStore } from './store/memory-state-store';
export { EmbeddedStateStore, embeddedStoreFile, storeFileError, EMBEDDED_STORE_DIR, EMBEDDED_STORE_FILE, type EmbeddedStoreOptions } from './store/embedded-state-store';
export { RedisStateStore } from './store/redis-state-store';
export { openSqlite, availableSqliteDriver, type SqliteDatabase, type SqliteStatement, type SqliteDriverName } from './store/sqlite-driver';

// Scale-out on Redis
export { RedisRateLimiter, type RedisRateLimiterOptions } from './redis/redis-rate-limiter';
export { RedisWindowStore } from './redis/redis-window-store';
export { RedisDedupeStore } from './redis/redis-dedupe-store';
export { DEFAULT_REDIS_KEY_PREFIX, DEFAULT_REDIS_URL, type RedisOptions } from './redis/connection';

// Webhooks
export {
  verifySubscription,
  verifySignature,
  parseWebhook,
  EventDeduplicator,
  dedupeKey,
  MemoryDedupeStore,
  DEFAULT_DEDUPE_TTL_MS,
  handleWebhookPost,
  handleWebhookGet,
  replyAddress,
  MAX_WEBHOOK_BYTES,
  readWebhookBody,
  WebhookTooLargeError,
  type DedupeStore,
  type WebhookHeaders,
  type WebhookPostInput,
  type WebhookPostResult,
  type InboundEvent,
  type InboundEventKind,
  type InboundMessageEvent,
  type InboundStatusEvent,
  type InboundStatusError,
  type StatusSendContext,
  type InboundErrorInfo,
  type InboundMedia,
  type InboundCallPermissionReply,
  EVENT_GROUPS,
  MESSAGE_STATUSES,
  eventGroupOf,
  passesEventFilter,
  isForNumber,
  type EventGroup,
  type EventFilter,
  type ReceiverNumber,
} from './webhook';

// Delivery ledger
export {
  DeliveryLedger,
  MemoryLedgerStore,
  RedisLedgerStore,
  SqliteLedgerStore,
  DEFAULT_LEDGER_RETENTION_MS,
  MIN_LEDGER_RETENTION_MS,
  MAX_LEDGER_RETENTION_MS,
  MAX_LEDGER_QUERY_LIMIT,
  isLedgerRetentionMs,
  ledgerRetentionMsFromDays,
  LEDGER_RETENTION_DAYS_FIELD,
  STATUS_RANK,
  DELIVERY_STATUSES,
  statusRank,
  mergeSend,
  mergeStatus,
  recordToRow,
  rowToRecord,
  summarize,
  joinStatuses,
  FailedMessageResender,
  MemoryResendStore,
  SqliteResendStore,
  RedisResendStore,
  DEFAULT_MAX_RESENDS,
  MAX_RESENDS_LIMIT,
  DEFAULT_RESEND_CHECK_MS,
  type FailedMessageResenderOptions,
  type ResendOutcome,
  type ResendSender,
  type ResendJob,
  type ResendStore,
  type DeliveryLedgerOptions,
  type LedgerFilters,
  type MemoryLedgerStoreOptions,
  type RedisLedgerStoreOptions,
  type SqliteLedgerStoreOptions,
  type DeliveryStatus,
  type DeliveryRecord,
  type DeliveryTemplate,
  type DeliveryPricing,
  type LedgerSend,
  type LedgerStatusUpdate,
  type LedgerQuery,
  type LedgerStore,
  type LedgerSummaryRow,
  type LedgerRow,
} from './ledger';

// Messaging limit (unique business-initiated recipients per portfolio in 24 hours)
export {
  MessagingLimit,
  MessagingLimitError,
  MemoryMessagingLimitStore,
  RedisMessagingLimitStore,
  SqliteMessagingLimitStore,
  MESSAGING_LIMIT_TIERS,
  tierLimit,
  tierOfCount,
  type MessagingLimitStore,
  type MessagingLimitOptions,
  type AdmitResult,
} from './limits/messaging-limit';
export { applyMessagingLimitUpdates } from './limits/webhook-updates';

// Media
export {
  uploadMedia,
  getMedia,
  downloadMedia,
  deleteMedia,
  checkMedia,
  mediaKindOf,
  MEDIA_LIMITS,
  type MediaKind,
  type UploadMediaInput,
  type UploadMediaResult,
  type MediaInfo,
  type DownloadedMedia,
} from './media';

// Analytics
export {
  pricingAnalytics,
  templateAnalytics,
  TEMPLATE_ANALYTICS_IDS_PER_REQUEST,
  type AnalyticsPeriod,
  type AnalyticsTime,
  type PricingAnalyticsOptions,
  type PricingAnalyticsRow,
  type TemplateAnalyticsOptions,
  type TemplateAnalyticsRow,
} from './analytics';

// Templates
export {
  listTemplates,
  getTemplate,
  findTemplate,
  createTemplate,
  createTemplateFromLibrary,
  libraryTemplateBody,
  deleteTemplate,
  validateTemplateDefinition,
  templateParameters,
  buildTemplateComponents,
  type MessageTemplate,
  type TemplateComponent,
  type TemplateDefinition,
  type TemplateCategory,
  type ListTemplatesOptions,
  type TemplateParameterSpec,
  type TemplateParameterFormat,
  type TemplateParameterComponent,
  type LibraryTemplateDefinition,
  type LibraryButtonInput,
  type OutboundTemplateComponent,
} from './templates';

// Account: phone numbers, subscriptions, diagnosis
export { getPhoneNumber, listPhoneNumbers, type PhoneNumberInfo } from './phone-numbers';
export {
  listSubscribedApps,
  isAppSubscribed,
  ensureAppSubscribed,
  subscribeApp,
  unsubscribeApp,
  clearWabaWebhook,
  setPhoneNumberWebhook,
  clearPhoneNumberWebhook,
  getPhoneNumberWebhook,
  type SubscribedApp,
  type PhoneNumberWebhook,
} from './subscriptions';
export { debugToken, diagnose, REQUIRED_SCOPES, type TokenInfo, type DiagnosticCheck, type DiagnoseReport, type DiagnoseInput } from './diagnose';

// Account health: quality guard and account operations
export {
  QualityGuard,
  QualityGuardError,
  QUALITY_DEFAULTS,
  QUALITY_MAX_HOLD_MS,
  isQualityHoldMs,
  QUALITY_CODES,
  TemplateCategoryCache,
  applyQualityUpdates,
  type QualityRating,
  type QualityOptions,
  type QualityChange,
  type QualityStatus,
  type QualityRefusalCode,
} from './quality';
export {
  registerPhoneNumber,
  deregisterPhoneNumber,
  getBusinessProfile,
  updateBusinessProfile,
  blockUsers,
  unblockUsers,
  listBlockedUsers,
  healthSnapshot,
  BUSINESS_VERTICALS,
  BUSINESS_PROFILE_LIMITS,
  type RegisterResult,
  type BusinessProfile,
  type BusinessProfileUpdate,
  type HealthAdvice,
  type HealthSnapshot,
} from './account';

// WhatsApp Flows: the encrypted data-exchange endpoint and Flow management
export {
  loadFlowPrivateKey,
  decryptFlowRequest,
  encryptFlowResponse,
  flipIv,
  normalizePem,
  FlowEndpointError,
  handleFlowEndpointPost,
  flowSessionFromToken,
  encryptFlowReply,
  completeFlowResponse,
  validateFlowResponse,
  MAX_FLOW_REQUEST_BYTES,
  listFlows,
  getFlowPreview,
  publishFlow,
  getFlowEndpoint,
  setFlowEndpoint,
  type EncryptedFlowRequest,
  type FlowCipherSession,
  type InboundFlowRequest,
  type FlowSessionToken,
  type FlowEndpointReply,
  type FlowEndpointRequest,
  type FlowEndpointInput,
  type OutboundFlowResponse,
  type FlowInfo,
  type FlowPreview,
} from './flows';

// Groups API (Official Business Accounts)
export {
  createGroup,
  getGroupInviteLink,
  getGroup,
  groupMessageBody,
  sendToGroup,
  GroupsNotEligibleError,
  GROUP_LIMITS,
  GROUP_MESSAGE_TYPES,
  type CreateGroupInput,
  type CreateGroupResult,
  type GroupInfo,
} from './groups';
