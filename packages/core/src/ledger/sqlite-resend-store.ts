import type { SqliteDatabase } from '../store/sqlite-driver';
import type { ResendJob, ResendStore } from './resend-store';

/**
 * Re-sends waiting in the embedded store's SQLite file (table `ledger_resends`), next to the
 * ledger rows that hold the messages: a pending re-send survives a restart or a SIGKILL (every
 * write is committed before the call returns). A claim is one `BEGIN IMMEDIATE` transaction
 * (select the due jobs, move them one lease ahead), so two processes on one file never take the
 * same job.
 */
export class SqliteResendStore implements ResendStore {
  constructor(private readonly db: SqliteDatabase) {
    db.exec(
      'CREATE TABLE IF NOT EXISTS ledger_resends (id TEXT PRIMARY KEY, pn TEXT NOT NULL, orig TEXT NOT NULL, n INTEGER NOT NULL, code INTEGER NOT NULL, due INTEGER NOT NULL, done INTEGER NOT NULL DEFAULT 0, keep INTEGER NOT NULL) WITHOUT ROWID',
    );
    db.exec('CREATE INDEX IF NOT EXISTS ledger_resends_due ON ledger_resends (pn, done, due)');
  }

  async add(job: ResendJob, keepUntil: number): Promise<boolean> {
    const added = this.db.transaction(() => {
      this.db.prepare('DELETE FROM ledger_resends WHERE keep <= ?').run(Date.now());
      return Number(
        this.db
          .prepare('INSERT OR IGNORE INTO ledger_resends (id, pn, orig, n, code, due, keep) VALUES (?, ?, ?, ?, ?, ?, ?)')
          .run(job.failedId, job.phoneNumberId, job.originalId, job.resend, job.code, Math.round(job.dueAt), Math.round(keepUntil)).changes,
      );
    });
    await this.db.flush();
    return added > 0;
  }

  async claimDue(phoneNumberId: string, now: number, leaseMs: number, limit: number): Promise<ResendJob[]> {
    const jobs = this.db.transaction(() => {
      const rows = this.db.prepare('SELECT * FROM ledger_resends WHERE pn = ? AND done = 0 AND due <= ? ORDER BY due LIMIT ?').all(phoneNumberId, now, limit);
      const lease = this.db.prepare('UPDATE ledger_resends SET due = ? WHERE id = ?');
      for (const row of rows) lease.run(now + leaseMs, String(row.id));
      return rows.map(toJob);
    });
    await this.db.flush();
    return jobs;
  }

  async finish(failedId: string): Promise<void> {
    this.db.transaction(() => this.db.prepare('UPDATE ledger_resends SET done = 1 WHERE id = ?').run(failedId));
    await this.db.flush();
  }

  async waiting(phoneNumberId?: string): Promise<ResendJob[]> {
    const rows =
      phoneNumberId === undefined
        ? this.db.prepare('SELECT * FROM ledger_resends WHERE done = 0 ORDER BY due').all()
        : this.db.prepare('SELECT * FROM ledger_resends WHERE pn = ? AND done = 0 ORDER BY due').all(phoneNumberId);
    return rows.map(toJob);
  }
}

function toJob(row: Record<string, unknown>): ResendJob {
  return {
    failedId: String(row.id),
    phoneNumberId: String(row.pn),
    originalId: String(row.orig),
    resend: Number(row.n),
    code: Number(row.code),
    dueAt: Number(row.due),
  };
}
