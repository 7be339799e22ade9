import { SERVICE_WINDOW_MS, type WindowTracker } from '../window/window-tracker';
import type { InboundEvent, InboundMessageEvent, InboundStatusEvent } from './types';

/** 131047: Meta says the 24-hour window is closed, whatever we believed. */
const WINDOW_CLOSED_CODE = 131047;

/**
 * Every user message opens (or refreshes) the window, including `request_welcome`, reactions and
 * types we cannot read yet (the user still wrote). `system` notices (number changed, identity
 * changed) are written by WhatsApp, not by the user, so they do not.
 */
export function opensWindow(event: InboundMessageEvent): boolean {
  return event.type !== 'system';
}

function userKeys(primary: string, bsuid: string | undefined): string[] {
  return [primary, bsuid].filter((key): key is string => !!key);
}

function closesWindow(event: InboundStatusEvent): boolean {
  return event.status === 'failed' && event.errors.some((error) => error.graphCode === WINDOW_CLOSED_CODE);
}

/**
 * Feeds the window tracker from a batch: inbound messages open the 24-hour window (a referral too),
 * 131047 failures close it. Applied in timestamp order, because a batch may hold both; and a close
 * is skipped when the window we hold was opened by a message newer than the failure (statuses
 * arrive out of order, sometimes days late on redelivery).
 */
export async function applyWindowUpdates(tracker: WindowTracker, events: readonly InboundEvent[]): Promise<void> {
  const updates = events
    .filter((e): e is InboundMessageEvent | InboundStatusEvent => (e.kind === 'message' && opensWindow(e)) || (e.kind === 'status' && closesWindow(e)))
    .map((event, order) => ({ event, order }))
    .sort((a, b) => a.event.timestamp.getTime() - b.event.timestamp.getTime() || a.order - b.order);

  for (const { event } of updates) {
    if (event.kind === 'message') {
      for (const user of userKeys(event.from, event.userId)) {
        await tracker.recordInbound(event.phoneNumberId, user, event.timestamp);
      }
      continue;
    }
    for (const user of userKeys(event.recipientId, event.userId)) {
      const current = await tracker.status(event.phoneNumberId, user);
      // expiresAt − 24 h is when the latest inbound message we know of arrived (at the earliest).
      const openedAfterFailure = current.open && current.expiresAt!.getTime() - SERVICE_WINDOW_MS > event.timestamp.getTime();
      if (!openedAfterFailure) await tracker.close(event.phoneNumberId, user);
    }
  }
}

/**
 * Who to answer: the user's WhatsApp id (`from`), or their business-scoped user ID when `from` is
 * empty — Meta leaves `from` and `wa_id` empty for some username adopters and sends only the BSUID
 * (`from_user_id` / `contacts[].user_id`). Undefined when neither is known.
 */
export function replyAddress(event: Pick<InboundMessageEvent, 'from' | 'userId'>): string | undefined {
  return event.from || event.userId || undefined;
}
