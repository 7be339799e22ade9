import { MemoryKeyedExpiryStore, type WindowStore } from './window-store';

/** 24 hours: the customer-service window after a user's message. */
export const SERVICE_WINDOW_MS = 24 * 60 * 60 * 1000;
/**
 * 72 hours: Meta's free-entry-point window after a click-to-WhatsApp (referral) conversation. It is a
 * PRICING rule (messages in it are not charged), not a longer customer-service window: free-form
 * messages still need a user message in the last 24 hours, or Meta fails them with 131047. So the
 * tracker never uses it; it is exported for flows that reason about pricing.
 */
export const FREE_ENTRY_POINT_WINDOW_MS = 72 * 60 * 60 * 1000;

export interface WindowStatus {
  open: boolean;
  /** When the window closes (or closed, if it is known). */
  expiresAt?: Date;
}

/**
 * Knows, per business phone number and user, whether the 24-hour customer-service window is
 * open. Fed by inbound messages (webhooks) and by 131047 failures; asked before free-form sends.
 * Users are keyed by WhatsApp id digits (`14155551234`, the `+` dropped) or by BSUID as given.
 */
export class WindowTracker {
  readonly store: WindowStore;
  private readonly now: () => number;

  constructor(store: WindowStore = new MemoryKeyedExpiryStore(), now: () => number = Date.now) {
    this.store = store;
    this.now = now;
  }

  /**
   * Records a user's inbound message at `at` (the webhook's timestamp): 24 hours from it, also after
   * a click-to-WhatsApp referral (its 72 h free entry point only changes the price).
   */
  async recordInbound(phoneNumberId: string, userId: string, at: Date = new Date(this.now())): Promise<void> {
    const expiresAt = at.getTime() + SERVICE_WINDOW_MS;
    if (expiresAt <= this.now()) return; // an old redelivery: the window it opened is already over
    await this.store.extend(windowKey(phoneNumberId, userId), expiresAt);
  }

  /** Meta answered 131047: whatever we believed, the window is closed. */
  async close(phoneNumberId: string, userId: string): Promise<void> {
    await this.store.delete(windowKey(phoneNumberId, userId));
  }

  async status(phoneNumberId: string, userId: string): Promise<WindowStatus> {
    const expiresAt = await this.store.getExpiry(windowKey(phoneNumberId, userId));
    if (expiresAt === undefined || expiresAt <= this.now()) return { open: false };
    return { open: true, expiresAt: new Date(expiresAt) };
  }
}

/** One key per (business number, user); a `+` or formatting in a phone number does not matter. */
export function windowKey(phoneNumberId: string, userId: string): string {
  const user = /^[+\d\s()\-.]+$/.test(userId) ? userId.replace(/\D/g, '') : userId;
  return `${phoneNumberId}:${user}`;
}
