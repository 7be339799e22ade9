import type { InboundEvent } from '../webhook/types';
import { QUALITY_CODES, type QualityGuard } from './quality-guard';

const LEARNED_CODES = new Set<number>(Object.values(QUALITY_CODES));

/** `phone_number_quality_update` events that say where the rating stands. */
const FLAGGED = 'FLAGGED';
const UNFLAGGED = 'UNFLAGGED';

function userKeys(primary: string | undefined, bsuid: string | undefined): string[] {
  return [primary, bsuid].filter((key): key is string => !!key);
}

function timeOf(event: InboundEvent): number {
  if ('timestamp' in event && event.timestamp instanceof Date) return event.timestamp.getTime();
  if ('entryTime' in event && event.entryTime instanceof Date) return event.entryTime.getTime();
  return 0;
}

/**
 * Feeds the quality guard from a webhook batch (what `applyWindowUpdates` does for windows), in
 * timestamp order since a batch may hold a stop and a resume:
 * - a `failed` status with 131026 / 131049 / 131050 / 131048 records a suppression, a marketing
 *   cool-down, an opt-out or a marketing pause (from the status's time, so a late redelivery
 *   records only what is left);
 * - `user_preferences` "stop" marks a marketing opt-out, "resume" lifts it;
 * - `phone_number_quality_update`: FLAGGED means the rating reached RED, UNFLAGGED that it left RED
 *   (recorded as UNKNOWN until a health check reads the exact colour); the messaging limit tier is
 *   kept for the status display;
 * - an inbound user message lifts the sender's suppression: they are reachable;
 * - `template_category_update` keeps each template's latest category (marketing rules, and the
 *   Marketing Messages API routing).
 * `phone_number_quality_update` names only the display number: the guard maps it to the phone
 * number ID from earlier webhooks' metadata and health checks (or the only number it serves).
 */
export async function applyQualityUpdates(guard: QualityGuard, events: readonly InboundEvent[]): Promise<void> {
  const ordered = events.map((event, order) => ({ event, order })).sort((a, b) => timeOf(a.event) - timeOf(b.event) || a.order - b.order);
  // A batch's events mostly share one number: learn each pair once, not once per event.
  let learnt: string | undefined;
  for (const { event } of ordered) {
    if (event.phoneNumberId && event.displayPhoneNumber) {
      const pair = `${event.phoneNumberId} ${event.displayPhoneNumber}`;
      if (pair !== learnt) guard.learnDisplayNumber(event.phoneNumberId, event.displayPhoneNumber);
      learnt = pair;
    }
    switch (event.kind) {
      case 'message':
        if (event.type !== 'system') for (const user of userKeys(event.from, event.userId)) await guard.unsuppress(event.phoneNumberId, user);
        break;
      case 'status': {
        if (event.status !== 'failed') break;
        for (const error of event.errors) {
          if (error.graphCode === undefined || !LEARNED_CODES.has(error.graphCode)) continue;
          for (const user of userKeys(event.recipientId, event.userId)) await guard.recordFailure(event.phoneNumberId, user, error.graphCode, { at: event.timestamp });
        }
        break;
      }
      case 'user_preferences': {
        const phoneNumberId = event.phoneNumberId || guard.phoneNumberIdFor(event.displayPhoneNumber);
        if (!phoneNumberId || (event.category && event.category !== 'marketing_messages')) break;
        const value = event.value.toLowerCase();
        for (const user of userKeys(event.waId, event.userId)) {
          if (value === 'stop') await guard.optOut(phoneNumberId, user, event.timestamp);
          else if (value === 'resume') await guard.optIn(phoneNumberId, user);
        }
        break;
      }
      case 'phone_quality': {
        const phoneNumberId = guard.phoneNumberIdFor(event.displayPhoneNumber);
        if (!phoneNumberId) break;
        const tier = event.maxDailyConversationsPerBusiness ?? event.currentLimit;
        if (tier) guard.setTier(phoneNumberId, tier, event.event || undefined);
        if (event.event === FLAGGED) await guard.setRating(phoneNumberId, 'RED', 'the number was flagged');
        else if (event.event === UNFLAGGED) await guard.setRating(phoneNumberId, 'UNKNOWN', 'the number is no longer flagged; a health check reads the new rating');
        break;
      }
      case 'template_category': {
        // Meta re-categorised a template (template_category_update): routing and the marketing
        // rules follow the latest category. The announcement shape names the category to come
        // and when; until then the cached one is dropped so it is read again from Meta.
        if (!event.wabaId || !event.templateName || !event.language) break;
        const now = Date.now();
        if (event.newCategory) guard.categories.set(event.wabaId, event.templateName, event.language, event.newCategory);
        else if (event.correctCategory && event.categoryUpdateAt && event.categoryUpdateAt.getTime() <= now) {
          guard.categories.set(event.wabaId, event.templateName, event.language, event.correctCategory);
        } else guard.categories.forget(event.wabaId, event.templateName, event.language);
        break;
      }
      default:
        break;
    }
  }
}
