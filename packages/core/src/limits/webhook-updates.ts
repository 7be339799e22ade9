import type { InboundEvent } from '../webhook/types';
import { tierOfCount, type MessagingLimit } from './messaging-limit';

/**
 * Keeps the messaging limit's tier current from webhooks, keyed by the WABA (the portfolio key a
 * client uses by default): `business_capability_update` (`max_daily_conversations_per_business`,
 * -1 = unlimited) and the tier `phone_number_quality_update` carries.
 */
export function applyMessagingLimitUpdates(limit: MessagingLimit, events: readonly InboundEvent[]): void {
  for (const event of events) {
    if (!event.wabaId) continue;
    if (event.field === 'business_capability_update') {
      const count = (event.raw as { max_daily_conversations_per_business?: unknown } | undefined)?.max_daily_conversations_per_business;
      if (typeof count === 'number' && Number.isFinite(count)) limit.setTier(event.wabaId, tierOfCount(count));
    } else if (event.kind === 'phone_quality' && event.maxDailyConversationsPerBusiness?.startsWith('TIER_') && event.maxDailyConversationsPerBusiness !== 'TIER_NOT_SET') {
      limit.setTier(event.wabaId, event.maxDailyConversationsPerBusiness);
    }
  }
}
