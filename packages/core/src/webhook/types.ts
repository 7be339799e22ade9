import type { ErrorCategory } from '../errors/whatsapp-error';

/**
 * Typed views of what Meta sends to the webhook (`Inbound*`). Every event keeps `raw`: the item
 * exactly as received, so nothing Meta adds later is lost even before we type it.
 */

/** What every inbound event carries. */
export interface InboundEventBase {
  /** Which of the event shapes below this is. */
  kind: InboundEventKind;
  /** The webhook `field` of the change (`messages`, `message_template_status_update`, …). */
  field: string;
  /** The WhatsApp Business Account ID (`entry[].id`). */
  wabaId: string;
  /** Business phone number ID from `value.metadata`; absent on account-level fields (templates, account). */
  phoneNumberId?: string;
  /** Business display number from `value.metadata`, when present. */
  displayPhoneNumber?: string;
  /** The item exactly as received (a message, a status, a preference, or the change's `value`). */
  raw: unknown;
}

export type InboundEventKind =
  | 'message'
  | 'status'
  | 'template_status'
  | 'template_category'
  | 'template_quality'
  | 'phone_quality'
  | 'account_update'
  | 'user_preferences'
  | 'error'
  | 'unknown';

/**
 * An error as Meta reported it asynchronously, mapped with the same table as synchronous errors.
 * Plain data (not an Error) so adapters can put it in a node's output.
 */
export interface InboundErrorInfo {
  /** Our stable code, e.g. `graph_131047`. */
  code: string;
  /** Meta's numeric code. */
  graphCode?: number;
  category: ErrorCategory;
  /** What the user should do, in one sentence. */
  hint: string;
  message: string;
  /** Meta's `error_data.details`. */
  details?: string;
  retryable: boolean;
  /** Meta's `title`, when sent. */
  title?: string;
  /** Meta's documentation link (`href`), when sent. */
  href?: string;
}

/** Media attached to an inbound image, video, audio, document or sticker message. */
export interface InboundMedia {
  /** Media ID: download it with `downloadMedia` within 7 days. */
  id: string;
  mimeType: string;
  /** Base64 SHA-256 of the file, as Meta sends it. */
  sha256?: string;
  caption?: string;
  /** Documents only. */
  filename?: string;
  /** Direct download URL (rolling out since Nov 2025); still needs the access token; short-lived. */
  url?: string;
  /** Audio: a voice note recorded in WhatsApp. */
  voice?: boolean;
  /** Sticker: animated. */
  animated?: boolean;
}

export interface InboundLocation {
  latitude: number;
  longitude: number;
  name?: string;
  address?: string;
  url?: string;
}

export interface InboundReaction {
  /** The message reacted to. */
  messageId: string;
  /** `''` when the user removed their reaction. */
  emoji: string;
}

/** The answer to a reply button, list row, template quick-reply button or Flow. */
export interface InboundReply {
  /** Button or row id; for template quick replies, the button's payload. */
  id: string;
  /** The text the user saw and tapped. */
  title: string;
  /** List rows only. */
  description?: string;
}

/** A completed WhatsApp Flow (`interactive.nfm_reply`). */
export interface InboundFlowReply {
  name?: string;
  body?: string;
  /** `response_json` parsed; the string itself when it is not JSON. */
  response: unknown;
  flowToken?: string;
}

/**
 * The user's answer to a call permission request (`interactive.call_permission_reply`): `accept`
 * or `reject`; an accepted permission is permanent or lasts until `expiresAt`.
 */
export interface InboundCallPermissionReply {
  response: string;
  isPermanent?: boolean;
  expiresAt?: Date;
  /** `user_action` (the user tapped) or `automatic` (e.g. the user called the business). */
  source?: string;
}

export interface InboundOrder {
  catalogId: string;
  text?: string;
  items: Array<{ productRetailerId: string; quantity: number; itemPrice: number; currency: string }>;
}

/** Click-to-WhatsApp ad or post the user came from; such a message opens a 72-hour window. */
export interface InboundReferral {
  sourceUrl?: string;
  sourceId?: string;
  sourceType?: string;
  headline?: string;
  body?: string;
  mediaType?: string;
  imageUrl?: string;
  videoUrl?: string;
  thumbnailUrl?: string;
  ctwaClid?: string;
  welcomeMessage?: string;
}

export interface InboundContext {
  /** The business message this one replies to. */
  messageId?: string;
  /** The business number that sent that message. */
  from?: string;
  forwarded?: boolean;
  frequentlyForwarded?: boolean;
  referredProduct?: { catalogId: string; productRetailerId: string };
}

export interface InboundSystem {
  /** e.g. `user_changed_number`, `user_changed_user_id`, `customer_identity_changed`. */
  type: string;
  body?: string;
  /** The user's new WhatsApp id (number change). */
  newWaId?: string;
  /** The user's new BSUID (user id change). */
  newUserId?: string;
}

/** A message a user sent to the business number (one per `value.messages[]` item). */
export interface InboundMessageEvent extends InboundEventBase {
  kind: 'message';
  phoneNumberId: string;
  /** `wamid.…`: the idempotency key. */
  messageId: string;
  /** WhatsApp id digits; `''` for users who only share a username (then use `userId`). */
  from: string;
  /** Business-scoped user id (BSUID), when Meta sends one. */
  userId?: string;
  /** Profile name from `contacts[]`. */
  contactName?: string;
  /** WhatsApp username from `contacts[]`, when the user has one. */
  username?: string;
  timestamp: Date;
  /** Meta's type string as sent; unknown types are kept as they are. */
  type: string;
  /** `text.body`. */
  text?: string;
  reply?: InboundReply;
  flowReply?: InboundFlowReply;
  /** The answer to a call permission request. */
  callPermissionReply?: InboundCallPermissionReply;
  media?: InboundMedia;
  location?: InboundLocation;
  /** Shared contact cards, as sent. */
  contacts?: unknown[];
  reaction?: InboundReaction;
  order?: InboundOrder;
  referral?: InboundReferral;
  context?: InboundContext;
  system?: InboundSystem;
  /** Group id for group messages. */
  groupId?: string;
  /** Errors attached to the message (e.g. 131051 for unsupported types). */
  errors?: InboundErrorInfo[];
}

export interface InboundPricing {
  billable?: boolean;
  /** `PMP` (per message, since July 2025) or `CBP` (legacy). */
  pricingModel?: string;
  /** `regular`, `free_customer_service`, `free_entry_point`. */
  type?: string;
  /** `marketing`, `utility`, `authentication`, `service`, … */
  category?: string;
}

export interface InboundConversation {
  id: string;
  expiresAt?: Date;
  originType?: string;
}

/** A delivery update for a message the business sent (one per `value.statuses[]` item). */
export interface InboundStatusEvent extends InboundEventBase {
  kind: 'status';
  phoneNumberId: string;
  messageId: string;
  /** `sent`, `delivered`, `read`, `failed`, `played`, or a newer value kept as sent. */
  status: string;
  /** Phone digits or group id; `''` when the message went to a BSUID. */
  recipientId: string;
  /** Recipient BSUID, when Meta sends one. */
  userId?: string;
  timestamp: Date;
  pricing?: InboundPricing;
  /** Absent from v24 webhooks except inside a free-entry-point window. */
  conversation?: InboundConversation;
  /** Echo of `biz_opaque_callback_data` from the send. */
  bizOpaqueCallbackData?: string;
  recipientType?: string;
  /** Mapped `errors[]` (on `failed`); empty otherwise. */
  errors: InboundErrorInfo[];
  /**
   * A `failed` status's first error in the shape a synchronous failure has (`name`, `message`,
   * `code`, `category`, `retryable`, `hint`, `graphCode`, `details`), so one error branch serves both.
   */
  error?: InboundStatusError;
  /** The original send, joined from the delivery ledger (absent when the ledger never saw it sent). */
  send?: StatusSendContext;
  /**
   * Where the message stands in the delivery ledger after this status: ahead of `status` when
   * statuses came out of order (a late `delivered` after `read` says `read` here).
   */
  ledgerStatus?: string;
}

/** {@link InboundErrorInfo} named like the synchronous error (`GraphApiError`). */
export interface InboundStatusError extends InboundErrorInfo {
  name: 'GraphApiError';
}

/** What a status event carries of its send (from the delivery ledger). */
export interface StatusSendContext {
  /** The recipient as sent. */
  recipient?: string;
  /** Message type (`template`, `text`, …). */
  type?: string;
  template?: { name: string; language: string; category?: string };
  /** `biz_opaque_callback_data` as sent (e.g. the CRM order ID). */
  reference?: string;
  /** When Meta accepted the send. */
  sentAt?: Date;
  attempts?: number;
}

/** `message_template_status_update`: a template was approved, rejected, paused, … */
export interface InboundTemplateStatusEvent extends InboundEventBase {
  kind: 'template_status';
  entryTime?: Date;
  templateId: string;
  templateName: string;
  language: string;
  /** APPROVED, REJECTED, PAUSED, DISABLED, … */
  event: string;
  /** INVALID_FORMAT, PROMOTIONAL, NONE, …; null for a scheduled deletion. */
  reason: string | null;
  category?: string;
  rejectionInfo?: { reason?: string; recommendation?: string };
}

/** `template_category_update`: Meta re-categorised (or will re-categorise) a template. */
export interface InboundTemplateCategoryEvent extends InboundEventBase {
  kind: 'template_category';
  entryTime?: Date;
  templateId: string;
  templateName: string;
  language: string;
  previousCategory?: string;
  newCategory?: string;
  /** Announcement shape: the category it will get, and when. */
  correctCategory?: string;
  categoryUpdateAt?: Date;
}

/** `message_template_quality_update`. */
export interface InboundTemplateQualityEvent extends InboundEventBase {
  kind: 'template_quality';
  entryTime?: Date;
  templateId: string;
  templateName: string;
  language: string;
  previousQualityScore?: string;
  /** GREEN, YELLOW, RED, UNKNOWN. */
  newQualityScore?: string;
}

/** `phone_number_quality_update`: throughput upgrade or messaging-limit change. */
export interface InboundPhoneQualityEvent extends InboundEventBase {
  kind: 'phone_quality';
  entryTime?: Date;
  displayPhoneNumber?: string;
  event: string;
  currentLimit?: string;
  oldLimit?: string;
  maxDailyConversationsPerBusiness?: string;
}

/** `account_update`: violations, bans, partner changes, … (details stay in `raw`). */
export interface InboundAccountUpdateEvent extends InboundEventBase {
  kind: 'account_update';
  entryTime?: Date;
  event: string;
}

/** One `user_preferences[]` item: a user stopped or resumed marketing messages. */
export interface InboundUserPreferenceEvent extends InboundEventBase {
  kind: 'user_preferences';
  /** WhatsApp id digits (may be `''` for username users). */
  waId: string;
  userId?: string;
  category: string;
  /** `stop` or `resume`. */
  value: string;
  detail?: string;
  timestamp?: Date;
}

/** One `value.errors[]` item: an app- or system-level error not tied to a message. */
export interface InboundErrorEvent extends InboundEventBase {
  kind: 'error';
  error: InboundErrorInfo;
}

/** A field (or a `messages` change) we do not know yet: kept, never dropped. `raw` is the change's value. */
export interface InboundUnknownEvent extends InboundEventBase {
  kind: 'unknown';
  entryTime?: Date;
}

/** Everything `parseWebhook` returns: one event per item of the POST. */
export type InboundEvent =
  | InboundMessageEvent
  | InboundStatusEvent
  | InboundTemplateStatusEvent
  | InboundTemplateCategoryEvent
  | InboundTemplateQualityEvent
  | InboundPhoneQualityEvent
  | InboundAccountUpdateEvent
  | InboundUserPreferenceEvent
  | InboundErrorEvent
  | InboundUnknownEvent;
