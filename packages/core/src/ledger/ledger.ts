import { WhatsAppError } from '../errors/whatsapp-error';
import type { InboundStatusEvent } from '../webhook/types';
import { MemoryLedgerStore } from './memory-ledger-store';
import { SummaryBuilder } from './query';
import { MemoryResendStore, type ResendStore } from './resend-store';
import type { DeliveryRecord, JoinedStatus, LedgerQuery, LedgerSend, LedgerStatusUpdate, LedgerStore, LedgerSummaryRow } from './types';

const HOUR = 60 * 60 * 1000;
const DAY = 24 * HOUR;

/** How long records are kept after their send. @default 30 days */
export const DEFAULT_LEDGER_RETENTION_MS = 30 * DAY;
/** Shortest retention (statuses arrive for up to a day; Meta redelivers for 7). */
export const MIN_LEDGER_RETENTION_MS = HOUR;
/** Longest retention: the store must stay bounded. */
export const MAX_LEDGER_RETENTION_MS = 400 * DAY;
/** Most records one look-up returns (Get Many). */
export const MAX_LEDGER_QUERY_LIMIT = 10_000;
/** Most records a summary reads. */
export const MAX_LEDGER_SUMMARY_RECORDS = 2_000_000;
/** How often writes trigger a sweep of expired records. */
const SWEEP_EVERY_MS = 60_000;

/** Whether `ms` is a retention the ledger accepts (1 hour to 400 days). */
export const isLedgerRetentionMs = (ms: number): boolean => Number.isFinite(ms) && ms >= MIN_LEDGER_RETENTION_MS && ms <= MAX_LEDGER_RETENTION_MS;

/** The user-facing retention field of both adapters (days; fractions allowed, so 1 hour is 0.042). */
export const LEDGER_RETENTION_DAYS_FIELD = 'Ledger retention (days)';

/**
 * A "Ledger retention (days)" field as the milliseconds {@link DeliveryLedger} takes: empty means
 * the default (30 days); anything that is not a number from 1 hour to 400 days is refused, naming
 * the field and the range, so both adapters check it the same way before anything is sent.
 */
export function ledgerRetentionMsFromDays(value: unknown, field: string = LEDGER_RETENTION_DAYS_FIELD): number {
  if (value === undefined || value === null || (typeof value === 'string' && value.trim() === '')) return DEFAULT_LEDGER_RETENTION_MS;
  const days = typeof value === 'number' ? value : typeof value === 'string' ? Number(value.trim()) : Number.NaN;
  const ms = Math.round(days * DAY);
  if (!isLedgerRetentionMs(ms)) {
    throw invalid(field, `${String(value)} must be a number of days from 0.042 (1 hour) to 400 (default 30)`, 'Keep delivery records at least 1 hour (statuses arrive for up to a day) and at most 400 days (the store must stay bounded).');
  }
  return ms;
}

export interface DeliveryLedgerOptions {
  /** @default a {@link MemoryLedgerStore} (this process only) */
  store?: LedgerStore;
  /** How long a record is kept after its send. @default 2592000000 (30 days) */
  retentionMs?: number;
  /** @default Date.now */
  now?: () => number;
  /**
   * Where re-sends of failed messages wait (ledger/resender.ts), in the same store as the records.
   * @default a {@link MemoryResendStore}
   */
  resends?: ResendStore;
}

/** Filters of {@link DeliveryLedger.find} (all optional). */
export type LedgerFilters = Omit<LedgerQuery, 'limit'>;

function invalid(field: string, problem: string, hint: string): WhatsAppError {
  return new WhatsAppError(`${field}: ${problem}`, { code: 'invalid_option', category: 'validation', hint });
}

/**
 * The delivery ledger: every accepted send remembered (recipient, type, template, the user's
 * reference, attempts, time), each status Meta reports joined to it, so "did order #1042's
 * message arrive?" is one look-up and a template's delivery rate is one summary.
 *
 * Statuses merge monotonically (read never becomes delivered again; a duplicate changes nothing),
 * records expire `retentionMs` after their send, and the store is bounded.
 *
 * @example
 * const ledger = new DeliveryLedger();
 * const client = new WhatsAppClient({ accessToken, phoneNumberId, ledger });
 * await client.sendTemplate('+14155551234', 'order_update', 'en', components, { reference: 'order-1042' });
 * // … the webhook side: handleWebhookPost({ …, ledger })
 * (await ledger.getByReference('order-1042'))?.status; // 'read'
 */
export class DeliveryLedger {
  readonly store: LedgerStore;
  /** Re-sends of failed messages waiting for their time (only used when the re-send option is on). */
  readonly resends: ResendStore;
  readonly retentionMs: number;
  private readonly now: () => number;
  private lastSweep: number;
  private sweeping: Promise<unknown> | undefined;

  constructor(options: DeliveryLedgerOptions = {}) {
    this.store = options.store ?? new MemoryLedgerStore();
    this.resends = options.resends ?? new MemoryResendStore();
    this.retentionMs = options.retentionMs ?? DEFAULT_LEDGER_RETENTION_MS;
    if (!isLedgerRetentionMs(this.retentionMs)) {
      throw invalid('ledger.retentionMs', `${this.retentionMs} must be from ${MIN_LEDGER_RETENTION_MS} (1 hour) to ${MAX_LEDGER_RETENTION_MS} (400 days) milliseconds`, 'Set the delivery ledger retention to between 1 hour and 400 days (default 30 days).');
    }
    this.now = options.now ?? Date.now;
    this.lastSweep = this.now();
  }

  /**
   * This ledger with another retention, on the same store: records written through it expire
   * `retentionMs` after their send (each record carries its own expiry, so one shared store can
   * serve config nodes with different retentions). Returns this ledger when the retention is the
   * same. A retention out of range is refused (1 hour to 400 days).
   */
  withRetention(retentionMs: number): DeliveryLedger {
    if (retentionMs === this.retentionMs) return this;
    return new DeliveryLedger({ store: this.store, resends: this.resends, retentionMs, now: this.now });
  }

  /** Records an accepted send (the client does this when it has a ledger). */
  async recordSend(send: LedgerSend): Promise<void> {
    await this.store.putSend(send, send.sentAt.getTime() + this.retentionMs);
    this.maybeSweep();
  }

  /**
   * Joins one status from the webhook to its send; returns the record after the merge, durable.
   * `{ durable: false }`: resolves once merged, durable after {@link flush} (the webhook handler
   * flushes once for the whole batch, so the join and the dedupe share one commit).
   */
  async recordStatus(event: InboundStatusEvent, options: { durable?: boolean } = {}): Promise<DeliveryRecord> {
    const record = await this.store.putStatus(statusUpdate(event), event.timestamp.getTime() + this.retentionMs);
    if (options.durable !== false) await this.flush();
    this.maybeSweep();
    return record;
  }

  /**
   * {@link recordStatus} for the webhook's join: the same merge, returning only where the message
   * stands and its send's context (a store may read back less than the whole record). Resolves
   * once merged; durable after {@link flush}.
   */
  async joinStatus(event: InboundStatusEvent): Promise<JoinedStatus> {
    const update = statusUpdate(event);
    const expiresAt = event.timestamp.getTime() + this.retentionMs;
    const joined = this.store.putStatusForJoin ? await this.store.putStatusForJoin(update, expiresAt) : await this.store.putStatus(update, expiresAt);
    this.maybeSweep();
    return joined;
  }

  /** Resolves once every record written so far is durable. */
  async flush(): Promise<void> {
    await this.store.flush?.();
  }

  /** The record of one message ID (wamid), or undefined. */
  async get(messageId: string): Promise<DeliveryRecord | undefined> {
    if (typeof messageId !== 'string' || messageId.trim() === '') throw invalid('messageId', 'is empty', 'Give the message ID (wamid…) a send returned.');
    return publicRecord(await this.store.get(messageId.trim()));
  }

  /** The record with the message as sent (`request`), for the resender. */
  async getWithRequest(messageId: string): Promise<DeliveryRecord | undefined> {
    return this.store.get(messageId);
  }

  /** Notes on a failed message's record that it was re-sent as `resentAs`. */
  async linkResend(messageId: string, resentAs: string): Promise<void> {
    await this.store.linkResend(messageId, resentAs);
  }

  /** The newest message sent with `reference` (`biz_opaque_callback_data`), or undefined. */
  async getByReference(reference: string, filters: Omit<LedgerFilters, 'reference'> = {}): Promise<DeliveryRecord | undefined> {
    if (typeof reference !== 'string' || reference === '') throw invalid('reference', 'is empty', 'Give the reference the message was sent with (e.g. the CRM order ID).');
    return publicRecord((await this.store.query({ ...filters, reference, limit: 1 }))[0]);
  }

  /**
   * Messages matching every filter, newest first, at most `limit` (1 to 10,000).
   * @default limit 100
   */
  async find(filters: LedgerFilters = {}, limit = 100): Promise<DeliveryRecord[]> {
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LEDGER_QUERY_LIMIT) {
      throw invalid('limit', `${limit} must be a whole number from 1 to ${MAX_LEDGER_QUERY_LIMIT}`, `Ask for at most ${MAX_LEDGER_QUERY_LIMIT} messages at a time; narrow the filters (since, status, template) for more.`);
    }
    checkRange(filters);
    return (await this.store.query({ ...filters, limit })).map((record) => publicRecord(record)!);
  }

  /**
   * Per template and UTC day (newest day first): messages, sent, delivered, read, failed by error
   * category, pending, billable by pricing category. The embedded and Redis stores are read a page
   * at a time (memory stays flat however many records); the memory store holds them anyway.
   */
  async summary(filters: Omit<LedgerFilters, 'reference' | 'recipient'> = {}): Promise<LedgerSummaryRow[]> {
    checkRange(filters);
    const summary = new SummaryBuilder();
    if (this.store.scan) await this.store.scan(filters, (page) => page.forEach((record) => summary.add(record)));
    else for (const record of await this.store.query({ ...filters, limit: MAX_LEDGER_SUMMARY_RECORDS })) summary.add(record);
    return summary.rows();
  }

  /** Deletes every record of a user (a forgotten user's rows go too); returns how many. */
  async forgetUser(recipient: string, phoneNumberId?: string): Promise<number> {
    return this.store.forgetRecipient(recipient, phoneNumberId);
  }

  /** Drops expired records now (writes also do it, at most once a minute). */
  async sweep(): Promise<number> {
    this.lastSweep = this.now();
    return this.store.sweep(this.lastSweep);
  }

  /** Records held. */
  count(): Promise<number> {
    return this.store.count();
  }

  async close(): Promise<void> {
    await this.sweeping;
    await this.store.close?.();
  }

  private maybeSweep(): void {
    const now = this.now();
    if (this.sweeping || now - this.lastSweep < SWEEP_EVERY_MS) return;
    this.lastSweep = now;
    // In the background: a send or a webhook never waits for housekeeping, and a failed sweep
    // is simply tried again a minute later.
    this.sweeping = this.store
      .sweep(now)
      .catch(() => undefined)
      .finally(() => (this.sweeping = undefined));
  }
}

/** A status event as the store's merge takes it. */
function statusUpdate(event: InboundStatusEvent): LedgerStatusUpdate {
  const recipient = event.recipientId || event.userId;
  return {
    messageId: event.messageId,
    phoneNumberId: event.phoneNumberId,
    status: event.status,
    at: event.timestamp,
    ...(recipient ? { recipient } : {}),
    ...(event.bizOpaqueCallbackData !== undefined ? { reference: event.bizOpaqueCallbackData } : {}),
    ...(event.errors[0] ? { error: event.errors[0] } : {}),
    ...(event.pricing ? { pricing: event.pricing } : {}),
  };
}

/** A record as look-ups return it: without the kept message content (it is there only to be re-sent). */
function publicRecord(record: DeliveryRecord | undefined): DeliveryRecord | undefined {
  if (!record || record.request === undefined) return record;
  const { request: _request, ...rest } = record;
  return rest;
}

function checkRange(filters: LedgerFilters): void {
  for (const field of ['since', 'until'] as const) {
    const value = filters[field];
    if (value !== undefined && (!(value instanceof Date) || Number.isNaN(value.getTime()))) {
      throw invalid(field, 'is not a valid date', 'Give an ISO date such as 2026-12-01T00:00:00Z.');
    }
  }
}
