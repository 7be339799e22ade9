/**
 * The customer-service window (api-facts §5): every inbound user message opens or refreshes 24 h in
 * which any message type may be sent; outside it only templates go out, and anything else is accepted
 * with 200 and then fails on the status webhook with 131047. A Click-to-WhatsApp referral also opens
 * a 72 h free-entry-point window: a pricing rule (messages priced `free_entry_point`), not a longer
 * window, so free-form messages after 24 h still fail with 131047 (Meta's send-messages docs).
 */

const HOUR = 3_600_000;

/** Window state per user (the sandbox emulates one business number, so the key is the wa_id). */
export class WindowTracker {
  private readonly open = new Map<string, number>();
  private readonly freeEntry = new Map<string, number>();

  constructor(private readonly now: () => number) {}

  /** Records an inbound message: opens 24 h; a referral also starts 72 h of free-entry-point pricing. */
  inbound(waId: string, referral: boolean): void {
    const t = this.now();
    this.open.set(waId, Math.max(this.open.get(waId) ?? 0, t + 24 * HOUR));
    if (referral) this.freeEntry.set(waId, t + 72 * HOUR);
  }

  /** Opens the window for `ms` from now (test helper). */
  set(waId: string, ms = 24 * HOUR): void {
    this.open.set(waId, this.now() + ms);
  }

  /** Closes the window (test helper). */
  clear(waId: string): void {
    this.open.delete(waId);
    this.freeEntry.delete(waId);
  }

  /** Whether a non-template message to `waId` would be delivered now. */
  isOpen(waId: string): boolean {
    return (this.open.get(waId) ?? 0) > this.now();
  }

  /** Whether the user is inside a free-entry-point (CTWA) window. */
  isFreeEntry(waId: string): boolean {
    return (this.freeEntry.get(waId) ?? 0) > this.now();
  }

  /** When the window of `waId` closes (ms since epoch), or 0. */
  expiresAt(waId: string): number {
    return this.open.get(waId) ?? 0;
  }
}
