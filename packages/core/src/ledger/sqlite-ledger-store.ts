import type { SqliteArrayStatement, SqliteDatabase, SqliteStatement, SqliteValue } from '../store/sqlite-driver';
import { mergeSend, recipientKey, recordFromFields, recordTime, recordToRow, text, time } from './merge';
import { STATUS_RANK, statusRank, type DeliveryRecord, type JoinedStatus, type LedgerFilterQuery, type LedgerQuery, type LedgerSend, type LedgerStatusUpdate, type LedgerStore } from './types';

/** The record's flat fields (merge.ts `recordToRow`), one column each. */
const FIELDS = ['pn', 'to', 'wa', 'type', 'tn', 'tl', 'tc', 'ref', 'att', 'at', 'st', 'rank', 'stAt', 't_accepted', 't_sent', 't_failed', 't_delivered', 't_read', 't_played', 'err', 'price', 'req', 'rof', 'rn', 'ras'] as const;
const NUMERIC = new Set(['rn', 'att', 'at', 'rank', 'stAt', 't_accepted', 't_sent', 't_failed', 't_delivered', 't_read', 't_played']);
const column = (field: string) => `"${field}"`;
/** Every column, in the order the array-row statements read them ({@link arrayToRecord}). */
const COLUMNS = ['id', ...FIELDS, 'rk', 'ord', 'exp'] as const;
const COLUMN_LIST = COLUMNS.map(column).join(', ');
/** What the webhook's join reads back after a status ({@link joinedStatus}). */
const JOIN_COLUMNS = ['st', 'to', 'type', 'tn', 'tl', 'tc', 'ref', 'att', 'at'] as const;
const JOIN_AT = Object.fromEntries(JOIN_COLUMNS.map((name, index) => [name, index])) as Record<(typeof JOIN_COLUMNS)[number], number>;
const AT = Object.fromEntries(COLUMNS.map((name, index) => [name, index])) as Record<(typeof COLUMNS)[number], number>;

export interface SqliteLedgerStoreOptions {
  /** Most records kept; the oldest go first on a sweep. @default 2_000_000 */
  maxRecords?: number;
}

/**
 * Ledger records in the embedded store's SQLite file (table `ledger`), next to windows, quality
 * records and seen events: it survives a restart or a SIGKILL (a send's record is committed
 * before `putSend` resolves; a status is committed with the webhook's dedupe keys, before the
 * webhook's `flush()` resolves), and two processes on one file merge safely (every merge runs under
 * the write lock of a `BEGIN IMMEDIATE` transaction, its own or a group commit's).
 *
 * A status updates the send's row in place (only the status columns; no index changes) and the
 * join reads back 9 columns as an array: the webhook's cost is one more page in its commit.
 *
 * Columns are the record's flat fields plus `rk` (recipient key), `ord` (send time, for order and
 * time filters) and `exp` (expiry), all indexed where a look-up needs them.
 */
export class SqliteLedgerStore implements LedgerStore {
  private readonly db: SqliteDatabase;
  private readonly maxRecords: number;
  private readonly select: SqliteArrayStatement;
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
    this.select = db.prepareArrays(`SELECT ${COLUMN_LIST} FROM ledger WHERE id = ?`);
    this.upsert = db.prepare(`INSERT OR REPLACE INTO ledger (${COLUMN_LIST}) VALUES (${COLUMNS.map(() => '?').join(', ')})`);
  }

  async putSend(send: LedgerSend, expiresAt: number): Promise<void> {
    // Sends answered in the same turn of the event loop (a batch sent in parallel) share one commit;
    // a lone send commits at once. Either way the record is committed before this resolves
    // (measured, 10 sends a turn: ~60 -> ~25 us CPU per send; the commit is most of it).
    this.db.writeSoon(() => {
      const existing = this.read(send.messageId);
      this.write(mergeSend(existing?.record, send), Math.max(expiresAt, existing?.expiresAt ?? 0));
    });
    // Inside a group commit (a webhook being handled, or other sends): wait for it, so the record
    // is in the file when this resolves, and a failed commit is reported to the send.
    await this.db.committed();
  }

  /**
   * mergeStatus (merge.ts) in SQL: no read-modify-write transaction on the webhook's hot path.
   * Every expression of the update sees the row as it was, so the status, its time and the rank
   * move together, and only forward. A status never extends a record's life (`exp` and `ord` are
   * left alone: retention counts from the send).
   */
  async putStatus(update: LedgerStatusUpdate, expiresAt: number): Promise<DeliveryRecord> {
    this.db.joinGroup();
    return this.db.transaction(() => {
      this.applyStatus(update, expiresAt);
      let found = this.read(update.messageId);
      if (found && this.fillIdentity(update, found.record.recipient !== undefined, found.record.reference !== undefined)) found = this.read(update.messageId);
      if (!found) throw new Error(`the ledger row of ${update.messageId} was not written`);
      return found.record;
    });
  }

  /**
   * {@link putStatus} for the webhook's join: the same merge, but only the status reached and the
   * send's context come back (9 columns, no JSON parsed). Measured per status webhook: the full
   * record cost ~20 µs more CPU than the merge itself.
   */
  async putStatusForJoin(update: LedgerStatusUpdate, expiresAt: number): Promise<JoinedStatus> {
    this.db.joinGroup();
    return this.db.transaction(() => {
      this.applyStatus(update, expiresAt);
      const select = (this.joinSelectStatement ??= this.db.prepareArrays(`SELECT ${JOIN_COLUMNS.map(column).join(', ')} FROM ledger WHERE id = ?`));
      let row = select.get(update.messageId);
      if (row && this.fillIdentity(update, row[JOIN_AT.to] !== null, row[JOIN_AT.ref] !== null)) row = select.get(update.messageId);
      if (!row) throw new Error(`the ledger row of ${update.messageId} was not written`);
      return joinedStatus(row);
    });
  }

  /**
   * The merge, in the store's open group commit (shared with the webhook's dedupe keys and with
   * concurrent webhooks): merged when this returns, durable once flush() resolves.
   *
   * An UPDATE of the row in place (the usual case: the send was recorded): one seek, only the
   * status columns change, so no index is touched. Only a status without a row (sent elsewhere,
   * or before its send was recorded) inserts one.
   */
  private applyStatus(update: LedgerStatusUpdate, expiresAt: number): void {
    const rank = statusRank(update.status);
    const timeColumn = rank >= 0 ? `t_${update.status}` : undefined;
    const at = update.at.getTime();
    const error = update.status === 'failed' && update.error ? JSON.stringify(update.error) : null;
    const pricing = update.pricing ? JSON.stringify(update.pricing) : null;
    const { update: statement, insert } = this.statusStatements(timeColumn);
    const changed = timeColumn
      ? statement.run(at, at, error, rank, pricing, pricing, pricing, pricing, rank, update.status, rank, at, rank, update.messageId)
      : statement.run(error, rank, pricing, pricing, pricing, pricing, rank, update.status, rank, at, rank, update.messageId);
    if (Number(changed.changes) === 0) {
      insert.run(
        update.messageId,
        update.phoneNumberId,
        update.recipient ?? null,
        update.recipient !== undefined ? recipientKey(update.recipient) : null,
        update.reference ?? null,
        update.status,
        rank,
        at,
        ...(timeColumn ? [at] : []),
        error,
        pricing,
        at,
        Math.round(expiresAt),
      );
    }
  }

  /**
   * Fills a record's recipient and reference from the status where the row has none (a send
   * recorded without them; rare). Not part of the status update: the usual status would then
   * rewrite the recipient and reference indexes too (measured: twice the commit cost). Returns
   * whether it wrote.
   */
  private fillIdentity(update: LedgerStatusUpdate, hasRecipient: boolean, hasReference: boolean): boolean {
    if ((update.recipient === undefined || hasRecipient) && (update.reference === undefined || hasReference)) return false;
    this.fillIdentityStatement ??= this.db.prepare('UPDATE ledger SET "to" = COALESCE("to", ?), rk = COALESCE(rk, ?), ref = COALESCE(ref, ?) WHERE id = ?');
    this.fillIdentityStatement.run(update.recipient ?? null, update.recipient !== undefined ? recipientKey(update.recipient) : null, update.reference ?? null, update.messageId);
    return true;
  }

  flush(): Promise<void> {
    return this.db.flush();
  }

  private readonly statusStatementsByColumn = new Map<string, { update: SqliteStatement; insert: SqliteStatement }>();
  private fillIdentityStatement: SqliteStatement | undefined;
  private joinSelectStatement: SqliteArrayStatement | undefined;

  /** The update of an existing row and the insert of a new one, for a status with a time column (or none: a status the ledger does not order). */
  private statusStatements(timeColumn: string | undefined): { update: SqliteStatement; insert: SqliteStatement } {
    const key = timeColumn ?? '';
    let statements = this.statusStatementsByColumn.get(key);
    if (!statements) {
      const t = timeColumn ? column(timeColumn) : undefined;
      // Parameters, in order: [time, time,] error, rank, pricing ×4, rank, status, rank, time, rank, id.
      // The same pricing again (`delivered` repeats `sent`'s) is not patched: no JSON parsed and written back.
      const update = this.db.prepare(
        `UPDATE ledger SET
           ${t ? `${t} = CASE WHEN ${t} IS NULL OR ${t} > ? THEN ? ELSE ${t} END,` : ''}
           err = CASE WHEN err IS NULL THEN ? ELSE err END,
           req = CASE WHEN ? >= ${STATUS_RANK.delivered} THEN NULL ELSE req END,
           price = CASE WHEN ? IS NULL THEN price WHEN price IS NULL THEN ? WHEN price = ? THEN price ELSE json_patch(price, ?) END,
           st = CASE WHEN ? > COALESCE(rank, -1) THEN ? ELSE st END,
           "stAt" = CASE WHEN ? > COALESCE(rank, -1) THEN ? ELSE "stAt" END,
           rank = MAX(COALESCE(rank, -1), ?)
         WHERE id = ?`,
      );
      // Runs under the write lock the update took (the group's BEGIN IMMEDIATE), so no other
      // process writes in between; an upsert all the same, so the insert alone is a correct merge.
      const insert = this.db.prepare(
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
      statements = { update, insert };
      this.statusStatementsByColumn.set(key, statements);
    }
    return statements;
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
    const rows = this.db.prepareArrays(`SELECT ${COLUMN_LIST} FROM ledger WHERE ${where.join(' AND ')} ORDER BY ord DESC LIMIT ?`).all(...params);
    return rows.map(arrayToRecord).filter((record): record is DeliveryRecord => !!record);
  }

  /** Pages of {@link SCAN_PAGE} records, newest first (keyset on send time and ID), yielding a turn between pages. */
  async scan(query: LedgerFilterQuery, visit: (page: DeliveryRecord[]) => void): Promise<void> {
    let cursor: { ord: number; id: string } | undefined;
    for (;;) {
      const { where, params } = conditions(query);
      if (cursor) (where.push('(ord < ? OR (ord = ? AND id < ?))'), params.push(cursor.ord, cursor.ord, cursor.id));
      params.push(SCAN_PAGE);
      const rows = this.db.prepareArrays(`SELECT ${COLUMN_LIST} FROM ledger WHERE ${where.join(' AND ')} ORDER BY ord DESC, id DESC LIMIT ?`).all(...params);
      if (rows.length === 0) return;
      visit(rows.map(arrayToRecord).filter((record): record is DeliveryRecord => !!record));
      if (rows.length < SCAN_PAGE) return;
      const last = rows[rows.length - 1]!;
      cursor = { ord: Number(last[AT.ord]), id: String(last[AT.id]) };
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
    const record = arrayToRecord(row);
    return record ? { record, expiresAt: Number(row[AT.exp]) } : undefined;
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

/** A row (the {@link COLUMNS}, as an array) as its record, read from the typed columns directly (merge.ts). */
export function arrayToRecord(row: readonly unknown[]): DeliveryRecord | undefined {
  return recordFromFields((name) => row[AT[name as (typeof COLUMNS)[number]]]);
}

/** A {@link JOIN_COLUMNS} row as the join's result: the same fields {@link arrayToRecord} would give. */
function joinedStatus(row: readonly unknown[]): JoinedStatus {
  const joined: JoinedStatus = { status: String(row[JOIN_AT.st]) };
  const to = text(row[JOIN_AT.to]);
  if (to !== undefined) joined.recipient = to;
  const type = text(row[JOIN_AT.type]);
  if (type !== undefined) joined.type = type;
  const tn = text(row[JOIN_AT.tn]);
  if (tn !== undefined) {
    const tc = text(row[JOIN_AT.tc]);
    joined.template = { name: tn, language: text(row[JOIN_AT.tl]) ?? '', ...(tc ? { category: tc } : {}) };
  }
  const ref = text(row[JOIN_AT.ref]);
  if (ref !== undefined) joined.reference = ref;
  if (row[JOIN_AT.att] !== null && row[JOIN_AT.att] !== undefined) joined.attempts = Number(row[JOIN_AT.att]);
  const at = time(row[JOIN_AT.at]);
  if (at) joined.sentAt = at;
  return joined;
}
