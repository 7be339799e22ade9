import { mergeSend, mergeStatus, recipientKey, recordTime } from './merge';
import { matches } from './query';
import type { DeliveryRecord, LedgerQuery, LedgerSend, LedgerStatusUpdate, LedgerStore } from './types';

export interface MemoryLedgerStoreOptions {
  /** Most records kept; the oldest go first. @default 100_000 */
  maxRecords?: number;
}

interface Entry {
  record: DeliveryRecord;
  expiresAt: number;
}

/**
 * Ledger records in this process's memory: lost on a restart, bounded by `maxRecords`. A Map keeps
 * insertion order, so the oldest record is always the first key (eviction is O(1)); indexes by
 * reference and recipient keep the look-ups the adapters make from scanning everything.
 */
export class MemoryLedgerStore implements LedgerStore {
  private readonly records = new Map<string, Entry>();
  private readonly byReference = new Map<string, Set<string>>();
  private readonly byRecipient = new Map<string, Set<string>>();
  private readonly maxRecords: number;

  constructor(options: MemoryLedgerStoreOptions = {}) {
    this.maxRecords = options.maxRecords ?? 100_000;
  }

  async putSend(send: LedgerSend, expiresAt: number): Promise<void> {
    const entry = this.records.get(send.messageId);
    const record = mergeSend(entry?.record, send);
    this.store(record, Math.max(expiresAt, entry?.expiresAt ?? 0), entry);
  }

  async putStatus(update: LedgerStatusUpdate, expiresAt: number): Promise<DeliveryRecord> {
    const entry = this.records.get(update.messageId);
    const record = mergeStatus(entry?.record, update);
    // A status never extends a record's life: retention counts from the send.
    this.store(record, entry ? entry.expiresAt : expiresAt, entry);
    return record;
  }

  async linkResend(messageId: string, resentAs: string): Promise<void> {
    const entry = this.records.get(messageId);
    if (entry) entry.record = { ...entry.record, resentAs };
  }

  async get(messageId: string): Promise<DeliveryRecord | undefined> {
    const entry = this.records.get(messageId);
    if (!entry) return undefined;
    if (entry.expiresAt <= Date.now()) {
      this.remove(messageId);
      return undefined;
    }
    return entry.record;
  }

  async query(query: LedgerQuery): Promise<DeliveryRecord[]> {
    const now = Date.now();
    const candidates =
      query.reference !== undefined
        ? [...(this.byReference.get(query.reference) ?? [])].map((id) => this.records.get(id)).filter((e): e is Entry => !!e)
        : query.recipient !== undefined
          ? [...(this.byRecipient.get(recipientKey(query.recipient)) ?? [])].map((id) => this.records.get(id)).filter((e): e is Entry => !!e)
          : [...this.records.values()];
    const found = candidates.filter((entry) => entry.expiresAt > now && matches(entry.record, query)).map((entry) => entry.record);
    found.sort((a, b) => recordTime(b) - recordTime(a));
    return found.slice(0, query.limit);
  }

  async forgetRecipient(recipient: string, phoneNumberId?: string): Promise<number> {
    const ids = [...(this.byRecipient.get(recipientKey(recipient)) ?? [])];
    let removed = 0;
    for (const id of ids) {
      const entry = this.records.get(id);
      if (entry && (phoneNumberId === undefined || entry.record.phoneNumberId === phoneNumberId)) {
        this.remove(id);
        removed += 1;
      }
    }
    return removed;
  }

  async sweep(now: number): Promise<number> {
    let removed = 0;
    for (const [id, entry] of this.records) {
      if (entry.expiresAt <= now) {
        this.remove(id);
        removed += 1;
      }
    }
    return removed;
  }

  async count(): Promise<number> {
    return this.records.size;
  }

  private store(record: DeliveryRecord, expiresAt: number, previous: Entry | undefined): void {
    if (!previous) {
      this.records.set(record.messageId, { record, expiresAt });
      while (this.records.size > this.maxRecords) {
        const oldest = this.records.keys().next().value as string;
        this.remove(oldest);
      }
    } else {
      previous.record = record;
      previous.expiresAt = expiresAt;
    }
    // A merge only fills a reference or recipient in, never changes one: adding is enough.
    this.index(record);
  }

  private index(record: DeliveryRecord): void {
    if (record.reference !== undefined) add(this.byReference, record.reference, record.messageId);
    if (record.recipient !== undefined) add(this.byRecipient, recipientKey(record.recipient), record.messageId);
  }

  private remove(id: string): void {
    const entry = this.records.get(id);
    if (!entry) return;
    this.records.delete(id);
    if (entry.record.reference !== undefined) drop(this.byReference, entry.record.reference, id);
    if (entry.record.recipient !== undefined) drop(this.byRecipient, recipientKey(entry.record.recipient), id);
  }
}

function add(index: Map<string, Set<string>>, key: string, id: string): void {
  let ids = index.get(key);
  if (!ids) index.set(key, (ids = new Set()));
  ids.add(id);
}

function drop(index: Map<string, Set<string>>, key: string, id: string): void {
  const ids = index.get(key);
  if (!ids) return;
  ids.delete(id);
  if (ids.size === 0) index.delete(key);
}
