import type { SqliteDatabase, SqliteStatement, SqliteValue } from '../store/sqlite-driver';
import { mergeSend, recipientKey, recordTime, recordToRow, rowToRecord, type LedgerRow } from './merge';
import { STATUS_RANK, statusRank, type DeliveryRecord, type LedgerFilterQuery, type LedgerQuery, type LedgerSend, type LedgerStatusUpdate, type LedgerStore } from './types';

/** The record's flat fields (merge.ts `recordToRow`), one column each. */
const FIELDS = ['pn', 'to', 'wa', 'type', 'tn', 'tl', 'tc', 'ref', 'att', 'at', 'st', 'rank', 'stAt', 't_accepted', 't_sent', 't_failed', 't_delivered', 't_read', 't_played', 'err', 'price', 'req', 'rof', 'rn', 'ras'] as const;
const NUMERIC = new Set(['rn', 'att', 'at', 'rank', 'stAt', 't_accepted', 't_sent', 't_failed', 't_delivered', 't_read', 't_played']);
const column = (field: string) => `"${field}"`;

export interface SqliteLedgerStoreOptions {
  /** Most records kept; the oldest go first on a sweep. @default 2_000_000 */
  maxRecords?: number;
}

/**
 * Ledger records in the embedded store's SQLite file (table `ledger`), next to windows, quality
 * records and seen events: it survives a restart or a SIGKILL (every write is committed before
 * the call returns), and two processes on one file merge safely (each merge is one
 * `BEGIN IMMEDIATE` transaction: read, merge, write).
 *
 * Columns are the record's flat fields plus `rk` (recipient key), `ord` (send time, for order and
 * time filters) and `exp` (expiry), all indexed where a look-up needs them.
 */
export class SqliteLedgerStore implements LedgerStore {
  private readonly db: SqliteDatabase;
  private readonly maxRecords: number;
  private readonly select: SqliteStatement;
  private readonly upsert: SqliteStatement;

  constructor(db: SqliteDatabase, options: SqliteLedgerStoreOptions = {}) {
    this.db = db;
    this.maxRecords = options.maxRecords ?? 2_000_000;
    const columns = FIELDS.map((f) => `${column(f)} ${NUMERIC.has(f) ? 'INTEGER' : 'TEXT'}`).join(', ');
    db.exec(`CREATE TABLE IF NOT EXISTS ledger (id TEXT PRIMARY KEY, ${columns}, rk TEXT, ord INTEGER NOT NULL, exp INTEGER NOT NULL) WITHOUT ROWID`);
    // Files written before a column existed (the re-send fields) gain it in place.
    const present = new Set(db.prepare('PRAGMA table_info(ledger)').all().map((row) => String(row.name)));
    for (const field of FIELDS) {
      if (present.has(field)) continue;
      try {
        db.exec(`ALTER TABLE ledger ADD COLUMN ${column(field)} ${NUMERIC.has(field) ? 'INTEGER' : 'TEXT'}`);
      } catch (error) {
        // Another process on the same file added it first.
        if (!/duplicate column/i.test(String((error as Error)?.message))) throw error;
      }
    }
    db.exec('CREATE INDEX IF NOT EXISTS ledger_ord ON ledger (ord)');
    db.exec('CREATE INDEX IF NOT EXISTS ledger_ref ON ledger (ref) WHERE ref IS NOT NULL');
    db.exec('CREATE INDEX IF NOT EXISTS ledger_rk ON ledger (rk)');
    db.exec('CREATE INDEX IF NOT EXISTS ledger_exp ON ledger (exp)');
    this.select = db.prepare(`SELECT * FROM ledger WHERE id = ?`);
    const all = ['id', ...FIELDS, 'rk', 'ord', 'exp'];
    this.upsert = db.prepare(`INSERT OR REPLACE INTO ledger (${all.map(column).join(', ')}) VALUES (${all.map(() => '?').join(', ')})`);
  }

  async putSend(send: LedgerSend, expiresAt: number): Promise<void> {
    this.db.transaction(() => {
      const existing = this.read(send.messageId);
      this.write(mergeSend(existing?.record, send), Math.max(expiresAt, existing?.expiresAt ?? 0));
    });
    // Inside the store's open group commit (a webhook being handled) the transaction joined it:
    // wait for that commit, so the record is in the file when this resolves.
    await this.db.flush();
  }

  /**
   * mergeStatus (merge.ts) as ONE upsert statement: no read-modify-write transaction on the
   * webhook's hot path. In `DO UPDATE SET` every expression sees the row as it was, so the status,
   * its time and the rank move together, and only forward. A status never extends a record's life
   * (`exp` and `ord` are left alone: retention counts from the send).
   */
  async putStatus(update: LedgerStatusUpdate, expiresAt: number): Promise<DeliveryRecord> {
    const rank = statusRank(update.status);
    const timeColumn = rank >= 0 ? `t_${update.status}` : undefined;
    // One statement in the store's group commit (shared with the webhook's dedupe keys and with
    // concurrent webhooks): resolved once merged; durable once flush() resolves.
    this.db.joinGroup();
    const record = this.db.transaction(() => {
      this.statusUpsert(timeColumn).run(
        update.messageId,
        update.phoneNumberId,
        update.recipient ?? null,
        update.recipient !== undefined ? recipientKey(update.recipient) : null,
        update.reference ?? null,
        update.status,
        rank,
        update.at.getTime(),
        ...(timeColumn ? [update.at.getTime()] : []),
        update.status === 'failed' && update.error ? JSON.stringify(update.error) : null,
        update.pricing ? JSON.stringify(update.pricing) : null,
        update.at.getTime(),
        Math.round(expiresAt),
      );
      let found = this.read(update.messageId);
      if (!found) throw new Error(`the ledger row of ${update.messageId} was not written`);
      if ((update.recipient !== undefined && found.record.recipient === undefined) || (update.reference !== undefined && found.record.reference === undefined)) {
        // Rare (a send recorded without them): filled here, not in the upsert, so the usual status
        // does not rewrite the recipient and reference indexes (measured: twice the commit cost).
        this.fillIdentity.run(update.recipient ?? null, update.recipient !== undefined ? recipientKey(update.recipient) : null, update.reference ?? null, update.messageId);
        found = this.read(update.messageId)!;
      }
      return found.record;
    });
    return record;
  }

  flush(): Promise<void> {
    return this.db.flush();
  }

  private readonly upserts = new Map<string, SqliteStatement>();
  private fillIdentityStatement: SqliteStatement | undefined;

  /** Fills a record's recipient and reference where they are missing (never overwrites). */
  private get fillIdentity(): SqliteStatement {
    return (this.fillIdentityStatement ??= this.db.prepare('UPDATE ledger SET "to" = COALESCE("to", ?), rk = COALESCE(rk, ?), ref = COALESCE(ref, ?) WHERE id = ?'));
  }

  private statusUpsert(timeColumn: string | undefined): SqliteStatement {
    const key = timeColumn ?? '';
    let statement = this.upserts.get(key);
    if (!statement) {
      const t = timeColumn ? column(timeColumn) : undefined;
      statement = this.db.prepare(
        `INSERT INTO ledger (id, pn, "to", rk, ref, st, rank, "stAt"${t ? `, ${t}` : ''}, err, price, ord, exp) VALUES (?, ?, ?, ?, ?, ?, ?, ?${t ? ', ?' : ''}, ?, ?, ?, ?)
         ON CONFLICT(id) DO UPDATE SET
           ${t ? `${t} = CASE WHEN ${t} IS NULL OR ${t} > excluded.${t} THEN excluded.${t} ELSE ${t} END,` : ''}
           err = CASE WHEN err IS NULL THEN excluded.err ELSE err END,
           req = CASE WHEN excluded.rank >= ${STATUS_RANK.delivered} THEN NULL ELSE req END,
           price = CASE WHEN excluded.price IS NULL THEN price WHEN price IS NULL THEN excluded.price ELSE json_patch(price, excluded.price) END,
           st = CASE WHEN excluded.rank > COALESCE(rank, -1) THEN excluded.st ELSE st END,
           "stAt" = CASE WHEN excluded.rank > COALESCE(rank, -1) THEN excluded."stAt" ELSE "stAt" END,
           rank = MAX(COALESCE(rank, -1), excluded.rank)`,
      );
      this.upserts.set(key, statement);
    }
    return statement;
  }

  async linkResend(messageId: string, resentAs: string): Promise<void> {
    this.db.transaction(() => this.db.prepare('UPDATE ledger SET ras = ? WHERE id = ?').run(resentAs, messageId));
    await this.db.flush();
  }

  async get(messageId: string): Promise<DeliveryRecord | undefined> {
    const found = this.read(messageId);
    return found && found.expiresAt > Date.now() ? found.record : undefined;
  }

  async query(query: LedgerQuery): Promise<DeliveryRecord[]> {
    const { where, params } = conditions(query);
    params.push(query.limit);
    const rows = this.db.prepare(`SELECT * FROM ledger WHERE ${where.join(' AND ')} ORDER BY ord DESC LIMIT ?`).all(...params);
    return rows.map((row) => rowToRecord(toRow(row))).filter((record): record is DeliveryRecord => !!record);
  }

  /** Pages of {@link SCAN_PAGE} records, newest first (keyset on send time and ID), yielding a turn between pages. */
  async scan(query: LedgerFilterQuery, visit: (page: DeliveryRecord[]) => void): Promise<void> {
    let cursor: { ord: number; id: string } | undefined;
    for (;;) {
      const { where, params } = conditions(query);
      if (cursor) (where.push('(ord < ? OR (ord = ? AND id < ?))'), params.push(cursor.ord, cursor.ord, cursor.id));
      params.push(SCAN_PAGE);
      const rows = this.db.prepare(`SELECT * FROM ledger WHERE ${where.join(' AND ')} ORDER BY ord DESC, id DESC LIMIT ?`).all(...params);
      if (rows.length === 0) return;
      visit(rows.map((row) => rowToRecord(toRow(row))).filter((record): record is DeliveryRecord => !!record));
      if (rows.length < SCAN_PAGE) return;
      const last = rows[rows.length - 1]!;
      cursor = { ord: Number(last.ord), id: String(last.id) };
      // A summary of a million records must not hold webhooks up for its whole read.
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  async forgetRecipient(recipient: string, phoneNumberId?: string): Promise<number> {
    const key = recipientKey(recipient);
    const result =
      phoneNumberId === undefined
        ? this.db.prepare('DELETE FROM ledger WHERE rk = ?').run(key)
        : this.db.prepare('DELETE FROM ledger WHERE rk = ? AND pn = ?').run(key, phoneNumberId);
    return Number(result.changes);
  }

  async sweep(now: number): Promise<number> {
    let removed = Number(this.db.prepare('DELETE FROM ledger WHERE exp <= ?').run(now).changes);
    const count = Number((this.db.prepare('SELECT count(*) AS n FROM ledger').get() as { n: number | bigint }).n);
    if (count > this.maxRecords) {
      removed += Number(this.db.prepare('DELETE FROM ledger WHERE id IN (SELECT id FROM ledger ORDER BY ord ASC LIMIT ?)').run(count - this.maxRecords).changes);
    }
    return removed;
  }

  async count(): Promise<number> {
    return Number((this.db.prepare('SELECT count(*) AS n FROM ledger').get() as { n: number | bigint }).n);
  }

  private read(messageId: string): { record: DeliveryRecord; expiresAt: number } | undefined {
    const row = this.select.get(messageId);
    if (!row) return undefined;
    const record = rowToRecord(toRow(row));
    return record ? { record, expiresAt: Number(row.exp) } : undefined;
  }

  private write(record: DeliveryRecord, expiresAt: number): void {
    const row = recordToRow(record);
    const values: SqliteValue[] = [record.messageId];
    for (const field of FIELDS) {
      const value = row[field];
      values.push(value === undefined ? null : NUMERIC.has(field) ? Number(value) : value);
    }
    values.push(record.recipient !== undefined ? recipientKey(record.recipient) : null, recordTime(record), Math.round(expiresAt));
    this.upsert.run(...values);
  }
}

/** Records a summary reads per page. */
const SCAN_PAGE = 5000;

/** The WHERE clause of a query's filters (expired records left out). */
function conditions(query: LedgerFilterQuery): { where: string[]; params: SqliteValue[] } {
  const where: string[] = ['exp > ?'];
  const params: SqliteValue[] = [Date.now()];
  if (query.phoneNumberId !== undefined) (where.push('pn = ?'), params.push(query.phoneNumberId));
  if (query.reference !== undefined) (where.push('ref = ?'), params.push(query.reference));
  if (query.recipient !== undefined) (where.push('rk = ?'), params.push(recipientKey(query.recipient)));
  if (query.template !== undefined) (where.push('tn = ?'), params.push(query.template));
  if (query.status && query.status.length > 0) (where.push(`st IN (${query.status.map(() => '?').join(', ')})`), params.push(...query.status));
  if (query.since) (where.push('ord >= ?'), params.push(query.since.getTime()));
  if (query.until) (where.push('ord < ?'), params.push(query.until.getTime()));
  return { where, params };
}

/** A table row as the string fields `rowToRecord` reads (NULL columns left out). */
function toRow(row: Record<string, unknown>): LedgerRow {
  const out: LedgerRow = {};
  for (const [key, value] of Object.entries(row)) if (value !== null && value !== undefined) out[key] = String(value);
  return out;
}
