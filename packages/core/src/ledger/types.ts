import type { InboundErrorInfo, InboundPricing } from '../webhook/types';

/**
 * The delivery ledger's vocabulary: one record per message the business sent (keyed by its
 * wamid), the context of the send, and the statuses Meta reported for it, merged so a record
 * never moves backwards.
 */

/** Where a message stands. `accepted`: Meta took it (the send's answer), no status yet. */
export type DeliveryStatus = 'accepted' | 'sent' | 'delivered' | 'read' | 'played' | 'failed';

/**
 * Order of progress. A status only replaces a lower one, so late and repeated webhooks (read
 * before delivered, the same `sent` twice) never move a message back. `failed` is above `sent`
 * (Meta fails a message it had taken) and below `delivered`: the phone's receipt is the stronger
 * evidence should both ever arrive. Unknown statuses (Meta adds some) are kept in the history but
 * never replace the current one.
 */
export const STATUS_RANK: Readonly<Record<DeliveryStatus, number>> = Object.freeze({
  accepted: 0,
  sent: 1,
  failed: 2,
  delivered: 3,
  read: 4,
  played: 5,
});

/** Every status the ledger keeps a time for, in rank order. */
export const DELIVERY_STATUSES: readonly DeliveryStatus[] = ['accepted', 'sent', 'failed', 'delivered', 'read', 'played'];

/** The rank of `status`, or -1 for a status the ledger does not order. */
export function statusRank(status: string): number {
  return Object.prototype.hasOwnProperty.call(STATUS_RANK, status) ? STATUS_RANK[status as DeliveryStatus] : -1;
}

/** A sent template, as the send named it. */
export interface DeliveryTemplate {
  name: string;
  language: string;
  /** MARKETING, UTILITY or AUTHENTICATION, when known when it was sent. */
  category?: string;
}

/** What the ledger records of an accepted send. */
export interface LedgerSend {
  /** The wamid Meta returned. */
  messageId: string;
  /** The business phone number ID that sent it. */
  phoneNumberId: string;
  /** The recipient as sent (`+digits` or a BSUID). */
  recipient: string;
  /** The WhatsApp id Meta resolved, when it said. */
  waId?: string;
  /** Message type (`template`, `text`, `image`, …). */
  type: string;
  template?: DeliveryTemplate;
  /** The user's reference: `biz_opaque_callback_data` (e.g. a CRM order ID). */
  reference?: string;
  /** Tries the send took, the first included. */
  attempts: number;
  /** When Meta accepted it. */
  sentAt: Date;
  /**
   * The message as sent (Graph shape without `messaging_product`), kept so a failure that is
   * retryable later can be re-sent unchanged; dropped once the message is delivered.
   */
  request?: Record<string, unknown>;
  /** For an automatic re-send: the wamid of the first message of the chain. */
  resendOf?: string;
  /** For an automatic re-send: which re-send it is (1 = the first). */
  resend?: number;
}

/** One status as the ledger takes it from the webhook. */
export interface LedgerStatusUpdate {
  messageId: string;
  phoneNumberId: string;
  /** `sent`, `delivered`, `read`, `played`, `failed` or a newer value. */
  status: string;
  /** Meta's time of the status. */
  at: Date;
  /** `recipient_id` (or the BSUID); used when the send itself was never recorded. */
  recipient?: string;
  /** `biz_opaque_callback_data` echoed back. */
  reference?: string;
  /** The mapped error of a `failed` status. */
  error?: InboundErrorInfo;
  pricing?: InboundPricing;
}

/** Pricing of a delivered message, as the status webhook said it. */
export type DeliveryPricing = InboundPricing;

/** One message in the ledger. */
export interface DeliveryRecord {
  messageId: string;
  phoneNumberId: string;
  /** The recipient as sent; from the status when the send was not recorded here. */
  recipient?: string;
  waId?: string;
  type?: string;
  template?: DeliveryTemplate;
  reference?: string;
  attempts?: number;
  /** When Meta accepted the send; absent when only statuses were seen (sent elsewhere, or before the ledger was on). */
  sentAt?: Date;
  /** The furthest status reached. */
  status: DeliveryStatus | string;
  /** Meta's time of that status (the send's time while `accepted`). */
  statusAt: Date;
  /** When each status was first reported. */
  statusTimes: Partial<Record<DeliveryStatus, Date>>;
  /** The mapped error of a `failed` status (same code, category, hint and retryable as a synchronous failure). */
  error?: InboundErrorInfo;
  pricing?: DeliveryPricing;
  /** This message re-sends a failed one automatically: the wamid of the chain's first message. */
  resendOf?: string;
  /** Which automatic re-send this message is (1 = the first). */
  resend?: number;
  /** This message failed and was re-sent automatically as this wamid. */
  resentAs?: string;
  /** The message as sent, while it may still be re-sent (stores only; the ledger's look-ups leave it out). */
  request?: Record<string, unknown>;
}

/** What the webhook's join needs of a record after a status: where it stands and the send's context. */
export type JoinedStatus = Pick<DeliveryRecord, 'status' | 'recipient' | 'type' | 'template' | 'reference' | 'attempts' | 'sentAt'>;

/** Filters of {@link LedgerStore.query}; all optional, combined with AND. */
export interface LedgerQuery {
  phoneNumberId?: string;
  /** Current status is one of these. */
  status?: readonly string[];
  /** Template name. */
  template?: string;
  reference?: string;
  /** Recipient (any formatting; phone numbers compare by digits). */
  recipient?: string;
  /** Sent at or after. */
  since?: Date;
  /** Sent before. */
  until?: Date;
  /** Most records returned (newest first). */
  limit: number;
}

/** The filters of a {@link LedgerQuery} without its limit (a scan reads every match). */
export type LedgerFilterQuery = Omit<LedgerQuery, 'limit'>;

/**
 * Where ledger records live: memory (one process), Redis (shared by processes), or the embedded
 * store. Every write is a merge, so a status that arrives before its send was recorded (another
 * process, a fast webhook) is kept and joined when the send comes.
 */
export interface LedgerStore {
  /** Records an accepted send; statuses already recorded for it are kept. `expiresAt`: epoch ms. */
  putSend(send: LedgerSend, expiresAt: number): Promise<void>;
  /**
   * Merges one status and returns the record after the merge. A store with {@link flush} may
   * resolve before the write is durable (it joined a group commit): durable once `flush()` resolves.
   */
  putStatus(update: LedgerStatusUpdate, expiresAt: number): Promise<DeliveryRecord>;
  /**
   * {@link putStatus} returning only what the webhook's join attaches to the event (a store may
   * read back less than the whole record). Stores without it are joined through `putStatus`.
   */
  putStatusForJoin?(update: LedgerStatusUpdate, expiresAt: number): Promise<JoinedStatus>;
  /** Resolves once every write made so far is durable (stores that commit in groups). */
  flush?(): Promise<void>;
  get(messageId: string): Promise<DeliveryRecord | undefined>;
  /** Notes on a failed message's record that it was re-sent as `resentAs` (nothing when the record is gone). */
  linkResend(messageId: string, resentAs: string): Promise<void>;
  /** Records matching the query, newest first (by send time), at most `limit`. */
  query(query: LedgerQuery): Promise<DeliveryRecord[]>;
  /**
   * Every record matching the filters, handed to `visit` a page at a time (so a summary of a
   * million records never holds them all). Stores without it are read with {@link query}.
   */
  scan?(query: LedgerFilterQuery, visit: (page: DeliveryRecord[]) => void): Promise<void>;
  /** Deletes every record of a recipient (of one number, or of all); returns how many. */
  forgetRecipient(recipient: string, phoneNumberId?: string): Promise<number>;
  /** Drops expired records and trims to the size bound; returns how many went. */
  sweep(now: number): Promise<number>;
  /** Records held (expired ones may linger until a sweep). */
  count(): Promise<number>;
  close?(): Promise<void>;
}

/** One row of {@link DeliveryLedger.summary}: a template (or free-form messages) on one UTC day. */
export interface LedgerSummaryRow {
  /** UTC day of the send, `YYYY-MM-DD`. */
  day: string;
  /** Template name; `null` for non-template messages. */
  template: string | null;
  language: string | null;
  /** Messages recorded. */
  messages: number;
  /** Reached `sent` (or further). */
  sent: number;
  /** Reached `delivered` (or `read`). */
  delivered: number;
  read: number;
  failed: number;
  /** Failures by error category (`recipient`, `rate_limit`, …). */
  failedByCategory: Record<string, number>;
  /** Not yet beyond `accepted`. */
  pending: number;
  /** Billable messages by pricing category (`marketing`, `utility`, …). */
  billable: Record<string, number>;
}
