import { compact, errorInfo, errorList, obj, str, unixDate, type Json } from './fields';
import type {
  InboundConversation,
  InboundEvent,
  InboundPricing,
  InboundStatusEvent,
  InboundUserPreferenceEvent,
} from './types';

/** Where a change sits in the envelope. */
export interface ChangeScope {
  wabaId: string;
  field: string;
  entryTime?: Date;
  phoneNumberId?: string;
  displayPhoneNumber?: string;
}

function base(scope: ChangeScope, raw: unknown) {
  return compact({
    field: scope.field,
    wabaId: scope.wabaId,
    phoneNumberId: scope.phoneNumberId,
    displayPhoneNumber: scope.displayPhoneNumber,
    raw,
  });
}

function pricing(value: Json | undefined): InboundPricing | undefined {
  if (!value) return undefined;
  return compact({
    billable: typeof value.billable === 'boolean' ? value.billable : undefined,
    pricingModel: str(value.pricing_model),
    type: str(value.type),
    category: str(value.category),
  });
}

function conversation(value: Json | undefined): InboundConversation | undefined {
  if (!value) return undefined;
  return compact({ id: str(value.id) ?? '', expiresAt: unixDate(value.expiration_timestamp), originType: str(obj(value.origin)?.type) });
}

/** One `value.statuses[]` item. */
export function parseStatus(status: Json, scope: ChangeScope & { phoneNumberId: string }): InboundStatusEvent {
  return compact({
    kind: 'status',
    ...base(scope, status),
    phoneNumberId: scope.phoneNumberId,
    messageId: str(status.id) ?? '',
    status: str(status.status) ?? '',
    recipientId: str(status.recipient_id) ?? '',
    userId: str(status.recipient_user_id),
    timestamp: unixDate(status.timestamp) ?? new Date(),
    pricing: pricing(obj(status.pricing)),
    conversation: conversation(obj(status.conversation)),
    bizOpaqueCallbackData: str(status.biz_opaque_callback_data),
    recipientType: str(status.recipient_type),
    errors: errorList(status.errors),
  } satisfies InboundStatusEvent);
}

/** One `value.errors[]` item (an error not tied to a message). */
export function parseValueError(item: unknown, scope: ChangeScope): InboundEvent {
  return { kind: 'error', ...base(scope, item), error: errorInfo(item) };
}

/** One `user_preferences[]` item. */
export function parsePreference(item: Json, scope: ChangeScope): InboundUserPreferenceEvent {
  return compact({
    kind: 'user_preferences',
    ...base(scope, item),
    waId: str(item.wa_id) ?? '',
    userId: str(item.user_id),
    category: str(item.category) ?? '',
    value: str(item.value) ?? '',
    detail: str(item.detail),
    timestamp: unixDate(item.timestamp),
  } satisfies InboundUserPreferenceEvent);
}

function templateIdentity(value: Json) {
  return {
    templateId: str(value.message_template_id) ?? '',
    templateName: str(value.message_template_name) ?? '',
    language: str(value.message_template_language) ?? '',
  };
}

/**
 * A change of any field other than `messages` / `user_preferences`: one event for the change.
 * Unknown fields become `unknown` events (kept, never dropped).
 */
export function parseAccountField(value: Json, scope: ChangeScope): InboundEvent {
  const common = { ...base(scope, value), ...(scope.entryTime ? { entryTime: scope.entryTime } : {}) };
  switch (scope.field) {
    case 'message_template_status_update': {
      const info = obj(value.rejection_info);
      return compact({
        kind: 'template_status',
        ...common,
        ...templateIdentity(value),
        event: str(value.event) ?? '',
        reason: str(value.reason) ?? null,
        category: str(value.message_template_category),
        rejectionInfo: info ? compact({ reason: str(info.reason), recommendation: str(info.recommendation) }) : undefined,
      });
    }
    case 'template_category_update':
      return compact({
        kind: 'template_category',
        ...common,
        ...templateIdentity(value),
        previousCategory: str(value.previous_category),
        newCategory: str(value.new_category),
        correctCategory: str(value.correct_category),
        categoryUpdateAt: unixDate(value.category_update_timestamp),
      });
    case 'message_template_quality_update':
      return compact({
        kind: 'template_quality',
        ...common,
        ...templateIdentity(value),
        previousQualityScore: str(value.previous_quality_score),
        newQualityScore: str(value.new_quality_score),
      });
    case 'phone_number_quality_update':
      return compact({
        kind: 'phone_quality',
        ...common,
        displayPhoneNumber: str(value.display_phone_number) ?? common.displayPhoneNumber,
        event: str(value.event) ?? '',
        currentLimit: str(value.current_limit),
        oldLimit: str(value.old_limit),
        maxDailyConversationsPerBusiness: str(value.max_daily_conversations_per_business),
      });
    case 'account_update':
      return { kind: 'account_update', ...common, event: str(value.event) ?? '' };
    default:
      return { kind: 'unknown', ...common };
  }
}
