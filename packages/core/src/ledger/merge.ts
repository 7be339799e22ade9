import { DELIVERY_STATUSES, STATUS_RANK, statusRank, type DeliveryRecord, type DeliveryStatus, type LedgerSend, type LedgerStatusUpdate } from './types';

/**
 * The two merges every ledger store applies (the Redis store runs the same rules in Lua, the
 * embedded one in SQL). Both are idempotent and order-free: any interleaving of one send and its
 * statuses, with repeats, ends in the same record.
 */

/** A send joins the record: its context fills in, the status is left alone unless none is known yet. */
export function mergeSend(existing: DeliveryRecord | undefined, send: LedgerSend): DeliveryRecord {
  const record: DeliveryRecord = existing
    ? { ...existing, statusTimes: { ...existing.statusTimes } }
    : { messageId: send.messageId, phoneNumberId: send.phoneNumberId, status: 'accepted', statusAt: send.sentAt, statusTimes: {} };
  record.phoneNumberId = send.phoneNumberId;
  record.recipient = send.recipient;
  if (send.waId) record.waId = send.waId;
  record.type = send.type;
  if (send.template) record.template = { ...send.template };
  // The echo on a status carries the same reference; the send's own value wins.
  if (send.reference !== undefined) record.reference = send.reference;
  record.attempts = send.attempts;
  record.sentAt = send.sentAt;
  if (send.resendOf !== undefined) record.resendOf = send.resendOf;
  if (send.resend !== undefined) record.resend = send.resend;
  // A status at delivered or beyond may have come first: nothing is left to re-send then.
  if (send.request && statusRank(record.status) < STATUS_RANK.delivered) record.request = send.request;
  if (record.statusTimes.accepted === undefined || record.statusTimes.accepted > send.sentAt) record.statusTimes.accepted = send.sentAt;
  return record;
}

/**
 * A status joins the record: the first time of each status is kept, the status moves only
 * forward ({@link statusRank}), a failure's error and the pricing are kept.
 */
export function mergeStatus(existing: DeliveryRecord | undefined, update: LedgerStatusUpdate): DeliveryRecord {
  const record: DeliveryRecord = existing
    ? { ...existing, statusTimes: { ...existing.statusTimes } }
    : { messageId: update.messageId, phoneNumberId: update.phoneNumberId, status: 'accepted', statusAt: update.at, statusTimes: {} };
  const rank = statusRank(update.status);
  if (rank >= 0) {
    const key = update.status as DeliveryStatus;
    const seen = record.statusTimes[key];
    if (seen === undefined || seen > update.at) record.statusTimes[key] = update.at;
  }
  if (update.status === 'failed' && update.error && !record.error) record.error = update.error;
  if (update.pricing) record.pricing = { ...record.pricing, ...update.pricing };
  if (record.recipient === undefined && update.recipient) record.recipient = update.recipient;
  if (record.reference === undefined && update.reference !== undefined) record.reference = update.reference;
  // An orphan (no send, no status yet) starts below everything so its first status, even one
  // the ledger does not order, takes over.
  const current = existing ? statusRank(record.status) : -2;
  if (rank > current) {
    record.status = update.status;
    record.statusAt = update.at;
  }
  // Delivered: the message is never re-sent, so its content is not kept any longer.
  if (rank >= STATUS_RANK.delivered) delete record.request;
  return record;
}

/** Whether `update` moved the record forward (false for a late or repeated status). */
export function advanced(before: DeliveryRecord | undefined, after: DeliveryRecord): boolean {
  return !before || before.status !== after.status;
}

/** One key per recipient: a phone number by its digits (`+1 415…` and `1415…` are one user), a BSUID as is. */
export function recipientKey(recipient: string): string {
  return /^[+\d\s()\-.]+$/.test(recipient) ? recipient.replace(/\D/g, '') : recipient;
}

/** Flat string fields: the row shape of the Redis hash and the embedded table. */
export type LedgerRow = Record<string, string>;

/** A record as flat fields (absent values omitted; times in epoch ms). */
export function recordToRow(record: DeliveryRecord): LedgerRow {
  const row: LedgerRow = { id: record.messageId, pn: record.phoneNumberId, st: record.status, rank: String(statusRank(record.status)), stAt: String(record.statusAt.getTime()) };
  if (record.recipient !== undefined) row.to = record.recipient;
  if (record.waId !== undefined) row.wa = record.waId;
  if (record.type !== undefined) row.type = record.type;
  if (record.template) {
    row.tn = record.template.name;
    row.tl = record.template.language;
    if (record.template.category) row.tc = record.template.category;
  }
  if (record.reference !== undefined) row.ref = record.reference;
  if (record.attempts !== undefined) row.att = String(record.attempts);
  if (record.sentAt) row.at = String(record.sentAt.getTime());
  for (const [status, time] of Object.entries(record.statusTimes)) if (time) row[`t_${status}`] = String(time.getTime());
  if (record.error) row.err = JSON.stringify(record.error);
  if (record.pricing) row.price = JSON.stringify(record.pricing);
  if (record.request) row.req = JSON.stringify(record.request);
  if (record.resendOf !== undefined) row.rof = record.resendOf;
  if (record.resend !== undefined) row.rn = String(record.resend);
  if (record.resentAs !== undefined) row.ras = record.resentAs;
  return row;
}

/** The record of a flat row, or undefined for an empty one (expired or never written). */
export function rowToRecord(row: LedgerRow | null | undefined): DeliveryRecord | undefined {
  return row ? recordFromFields((field) => row[field]) : undefined;
}

/**
 * A record from its flat fields (the names `recordToRow` writes), however a store reads them: the
 * Redis hash's strings, or the SQLite row's typed columns (no string round trip on the webhook's
 * hot path). NULL and missing fields are absent.
 */
export function recordFromFields(field: (name: string) => unknown): DeliveryRecord | undefined {
  const id = text(field('id'));
  const st = text(field('st'));
  if (!id || !st) return undefined;
  const record: DeliveryRecord = { messageId: id, phoneNumberId: text(field('pn')) ?? '', status: st, statusAt: time(field('stAt')) ?? new Date(0), statusTimes: {} };
  const to = text(field('to'));
  if (to !== undefined) record.recipient = to;
  const wa = text(field('wa'));
  if (wa !== undefined) record.waId = wa;
  const type = text(field('type'));
  if (type !== undefined) record.type = type;
  const tn = text(field('tn'));
  if (tn !== undefined) {
    const tc = text(field('tc'));
    record.template = { name: tn, language: text(field('tl')) ?? '', ...(tc ? { category: tc } : {}) };
  }
  const ref = text(field('ref'));
  if (ref !== undefined) record.reference = ref;
  const att = text(field('att'));
  if (att !== undefined) record.attempts = Number(att);
  const at = time(field('at'));
  if (at) record.sentAt = at;
  for (const status of DELIVERY_STATUSES) {
    const seen = time(field(`t_${status}`));
    if (seen) record.statusTimes[status] = seen;
  }
  const err = text(field('err'));
  if (err) record.error = JSON.parse(err);
  const price = text(field('price'));
  if (price) record.pricing = JSON.parse(price);
  const req = text(field('req'));
  if (req) record.request = JSON.parse(req);
  const rof = text(field('rof'));
  if (rof !== undefined) record.resendOf = rof;
  const rn = text(field('rn'));
  if (rn !== undefined) record.resend = Number(rn);
  const ras = text(field('ras'));
  if (ras !== undefined) record.resentAs = ras;
  return record;
}

/** A stored value as text, or undefined for NULL / missing. */
export function text(value: unknown): string | undefined {
  return value === null || value === undefined ? undefined : String(value);
}

/** A stored epoch-ms value as a Date, or undefined for NULL / missing / empty. */
export function time(value: unknown): Date | undefined {
  return value === null || value === undefined || value === '' ? undefined : new Date(Number(value));
}

/** The time a record is ordered and filtered by: its send, or its first status when no send was seen. */
export function recordTime(record: DeliveryRecord): number {
  return (record.sentAt ?? record.statusAt).getTime();
}
