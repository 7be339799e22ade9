import { recipientKey, recordTime } from './merge';
import { statusRank, STATUS_RANK, type DeliveryRecord, type LedgerQuery, type LedgerSummaryRow } from './types';

/** Whether a record passes every filter of `query` (the stores that cannot filter natively use this). */
export function matches(record: DeliveryRecord, query: Omit<LedgerQuery, 'limit'>): boolean {
  if (query.phoneNumberId !== undefined && record.phoneNumberId !== query.phoneNumberId) return false;
  if (query.status && query.status.length > 0 && !query.status.includes(record.status)) return false;
  if (query.template !== undefined && record.template?.name !== query.template) return false;
  if (query.reference !== undefined && record.reference !== query.reference) return false;
  if (query.recipient !== undefined && (record.recipient === undefined || recipientKey(record.recipient) !== recipientKey(query.recipient))) return false;
  const time = recordTime(record);
  if (query.since && time < query.since.getTime()) return false;
  if (query.until && time >= query.until.getTime()) return false;
  return true;
}

/**
 * Whether a message counts as billable: `pricing.billable` when Meta sends it, else (the field is
 * being deprecated) a `regular` pricing type, which Meta charges.
 */
export function isBillable(record: DeliveryRecord): boolean {
  const pricing = record.pricing;
  if (!pricing) return false;
  return pricing.billable ?? pricing.type === 'regular';
}

/**
 * Per template (or free-form) and UTC day: messages, how many reached sent / delivered / read,
 * failures by category, and billable messages by pricing category. Counts are cumulative the way
 * Meta's insights are: a read message is also delivered and sent.
 */
export function summarize(records: Iterable<DeliveryRecord>): LedgerSummaryRow[] {
  const summary = new SummaryBuilder();
  for (const record of records) summary.add(record);
  return summary.rows();
}

/** {@link summarize} one record at a time (a store's pages are counted and dropped). */
export class SummaryBuilder {
  private readonly byKey = new Map<string, LedgerSummaryRow>();

  add(record: DeliveryRecord): void {
    const rows = this.byKey;
    const day = new Date(recordTime(record)).toISOString().slice(0, 10);
    const template = record.template?.name ?? null;
    const language = record.template?.language ?? null;
    const key = `${day}\n${template ?? ''}\n${language ?? ''}`;
    let row = rows.get(key);
    if (!row) {
      row = { day, template, language, messages: 0, sent: 0, delivered: 0, read: 0, failed: 0, failedByCategory: {}, pending: 0, billable: {} };
      rows.set(key, row);
    }
    row.messages += 1;
    const rank = statusRank(record.status);
    if (record.status === 'failed') {
      row.failed += 1;
      const category = record.error?.category ?? 'unknown';
      row.failedByCategory[category] = (row.failedByCategory[category] ?? 0) + 1;
      // Meta may have reported `sent` before failing it.
      if (record.statusTimes.sent) row.sent += 1;
    } else {
      if (rank >= STATUS_RANK.sent) row.sent += 1;
      if (rank >= STATUS_RANK.delivered) row.delivered += 1;
      if (rank >= STATUS_RANK.read) row.read += 1;
      if (rank <= STATUS_RANK.accepted) row.pending += 1;
    }
    if (isBillable(record)) {
      const category = record.pricing?.category ?? 'unknown';
      row.billable[category] = (row.billable[category] ?? 0) + 1;
    }
  }

  /** Newest day first, then by template. */
  rows(): LedgerSummaryRow[] {
    return [...this.byKey.values()].sort((a, b) => (a.day === b.day ? (a.template ?? '').localeCompare(b.template ?? '') : b.day.localeCompare(a.day)));
  }
}
