import type { InboundEvent, InboundEventKind } from './types';

/**
 * Which events a receiver passes on: the groups both adapters offer (n8n trigger "Events",
 * Node-RED in-node "Events"), the status filter, and the business number the receiver belongs to.
 */

/** The event groups a receiver can choose, each a set of core event kinds. */
export const EVENT_GROUPS = ['messages', 'statuses', 'templateUpdates', 'accountUpdates', 'userPreferences', 'errors', 'other'] as const;
export type EventGroup = (typeof EVENT_GROUPS)[number];

const GROUP_OF_KIND: Record<InboundEventKind, EventGroup> = {
  message: 'messages',
  status: 'statuses',
  template_status: 'templateUpdates',
  template_category: 'templateUpdates',
  template_quality: 'templateUpdates',
  phone_quality: 'accountUpdates',
  account_update: 'accountUpdates',
  user_preferences: 'userPreferences',
  error: 'errors',
  unknown: 'other',
};

/** The statuses Meta reports for a sent message. */
export const MESSAGE_STATUSES = ['sent', 'delivered', 'read', 'played', 'failed'] as const;

/** The group an event belongs to. */
export function eventGroupOf(event: Pick<InboundEvent, 'kind'>): EventGroup {
  return GROUP_OF_KIND[event.kind];
}

export interface EventFilter {
  /** Groups to pass on; undefined passes every group. */
  events?: readonly string[];
  /** Statuses to pass on (when `statuses` is a chosen group); undefined passes every status. */
  statuses?: readonly string[];
}

/** Whether `event` is among the chosen groups (and, for a status, the chosen statuses). */
export function passesEventFilter(event: InboundEvent, filter: EventFilter): boolean {
  if (filter.events && !filter.events.includes(eventGroupOf(event))) return false;
  if (event.kind === 'status' && filter.statuses && !filter.statuses.includes(event.status)) return false;
  return true;
}

/** The business number (and account) a receiver belongs to. */
export interface ReceiverNumber {
  phoneNumberId: string;
  /** When given, account-level events (templates, account updates) of other WABAs are not ours either. */
  wabaId?: string;
}

/**
 * Whether `event` concerns the receiver's number. Several numbers (and WABAs) may share one app
 * and so one URL: messages and statuses carry their number's ID; account-level events carry only
 * their WABA's ID. Events that carry neither are the receiver's.
 */
export function isForNumber(event: Pick<InboundEvent, 'phoneNumberId' | 'wabaId'>, number: ReceiverNumber): boolean {
  if (event.phoneNumberId) return event.phoneNumberId === number.phoneNumberId;
  if (number.wabaId && event.wabaId) return event.wabaId === number.wabaId;
  return true;
}
