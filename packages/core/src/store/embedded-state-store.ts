/**
 * The default state store: one SQLite file per installation, in the platform's user folder
 * (Node-RED's userDir, n8n's ~/.n8n), so windows, quality records and seen webhook events survive
 * a restart or a crash with no setup. See README "State store" for the file, backup and inspection.
 */
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { WhatsAppError } from '../errors/whatsapp-error';
import type { DedupeStore } from '../webhook/dedupe';
import type { WindowStore } from '../window/window-store';
import { MemoryStateStore } from './memory-state-store';
import { OWNER, ownerIsGone } from './process-identity';
import { BUSY_TIMEOUT_MS, isLockedError, openSqlite, type SqliteDatabase, type SqliteDriverName, type SqliteStatement, type SqliteValue } from './sqlite-driver';
import { keyBelongsTo, storeUserId, type RemovedEntry, type StateStore } from './state-store';

/** The folder and file name inside the platform's user folder. */
export const EMBEDDED_STORE_DIR = 'wa-cloud';
export const EMBEDDED_STORE_FILE = 'state.sqlite';

/** Where the embedded store of a user folder lives: `<folder>/wa-cloud/state.sqlite`. */
export function embeddedStoreFile(folder: string): string {
  return join(folder, EMBEDDED_STORE_DIR, EMBEDDED_STORE_FILE);
}

/** Retention and size bounds of the embedded store. */
export interface EmbeddedStoreOptions {
  /** Most rows per table (windows, quality, dedupe); the rows that expire first go beyond it. @default 2_000_000 */
  maxRowsPerTable?: number;
  /** How often expired rows are deleted. @default 60_000 */
  sweepIntervalMs?: number;
  /** Force a driver (tests, bench). @default node:sqlite when present, else libsql */
  driver?: SqliteDriverName;
  /** Told once when the file fails after opening (disk full, file deleted): the store carries on in memory. */
  onProblem?: (error: WhatsAppError) => void;
  /** @default Date.now */
  now?: () => number;
  /**
   * How long a write waits for another process's write lock before it goes to memory (tests
   * shorten it). The wait is in tries of {@link LOCK_ATTEMPT_MS}, with the event loop free between
   * them. @default 10_000
   */
  busyTimeoutMs?: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS wa_meta (name TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS wa_windows (key TEXT PRIMARY KEY, expires_at INTEGER NOT NULL) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS wa_windows_expiry ON wa_windows (expires_at);
CREATE TABLE IF NOT EXISTS wa_quality (key TEXT PRIMARY KEY, expires_at INTEGER NOT NULL) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS wa_quality_expiry ON wa_quality (expires_at);
CREATE TABLE IF NOT EXISTS wa_dedupe (key TEXT PRIMARY KEY, expires_at INTEGER NOT NULL, users TEXT, pending TEXT) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS wa_dedupe_expiry ON wa_dedupe (expires_at);
INSERT OR IGNORE INTO wa_meta (name, value) VALUES ('schema', '1');
`;

/** The error shown when the file cannot be used: names the file, says what happens now and what to do. */
export function storeFileError(file: string, cause: unknown, during: 'open' | 'write'): WhatsAppError {
  // SQLite's "database is locked" says nothing a user can act on; say who holds it.
  const reason = isLockedError(cause) ? 'another program held it locked for too long' : cause instanceof Error ? cause.message : String(cause);
  return new WhatsAppError(
    `The state store file ${file} cannot be ${during === 'open' ? 'opened' : 'written'} (${reason}); state is kept in memory only until restart`,
    {
      code: 'state_store_unavailable',
      category: 'network',
      retryable: false,
      hint: `Check that ${file} and its folder are writable by this process and the disk is not full; a corrupt file can be moved away (it is recreated empty). Until then windows, opt-outs and seen webhooks are lost on restart.`,
      cause,
    },
  );
}

/**
 * Creates the folder (0700) and the file (0600) before SQLite opens it, so personal data never
 * sits in a world-readable file; an existing file or folder of ours is tightened to those modes.
 */
function prepareFile(file: string): void {
  const dir = dirname(file);
  if (!existsSync(dir)) mkdirSync(dir, { recursive: true, mode: 0o700 });
  if ((statSync(dir).mode & 0o077) !== 0) chmodSync(dir, 0o700);
  closeSync(openSync(file, 'a', 0o600));
  if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
}

/**
 * A SQLite-backed {@link StateStore}. Every write is one autocommitted statement, done before the
 * call resolves (so the webhook's 200 comes after the dedupe key and window/quality updates are in
 * the file). Two processes may share the file (WAL, busy timeout): dedupe is one atomic
 * INSERT … ON CONFLICT, so exactly one of them handles an event.
 *
 * @throws WhatsAppError `state_store_unavailable` naming the file when it cannot be opened
 *   (unwritable, corrupt, no driver); `sharedState` then falls back to memory with that warning.
 */
export class EmbeddedStateStore implements StateStore {
  readonly kind = 'embedded' as const;
  readonly location: string;
  readonly db: SqliteDatabase;
  readonly windows: WindowStore;
  readonly quality: WindowStore;
  readonly dedupe: DedupeStore;
  /** Set once the file failed after opening; the store then works in memory. */
  problem?: WhatsAppError;
  private readonly memory = new MemoryStateStore();
  private readonly now: () => number;
  private readonly maxRows: number;
  private readonly onProblem?: (error: WhatsAppError) => void;
  private readonly sweepTimer?: NodeJS.Timeout;
  private readonly busyTimeoutMs: number;
  private lockedWarnedAt = -Infinity;
  /** Set once a write went to memory while the file was locked: reads then consult memory too. */
  private heldInMemory = false;
  /** Set while the file was just found locked: writes wait for it instead of trying (see whenUnlocked). */
  private pausing?: Promise<void>;
  private shortLockWaits = false;
  private writesSinceSweep = 0;
  /**
   * Per swept table: at most how many rows it holds (its last count plus this process's writes
   * since) and when it was last counted. Counting 2,000,000 rows takes ~0.1 s, so the sweep counts
   * only when this bound passes the size bound, and every {@link RECOUNT_INTERVAL_MS} for what
   * other processes on the file wrote.
   */
  private readonly rowsAtMost = new Map<SweptTable, { rows: number; countedAt: number }>();
  private readonly writesSinceCount: Record<SweptTable, number> = { wa_windows: 0, wa_quality: 0, wa_dedupe: 0 };
  private sweeping = false;
  private closed = false;

  constructor(file: string, options: EmbeddedStoreOptions = {}) {
    this.location = file;
    this.now = options.now ?? Date.now;
    this.maxRows = options.maxRowsPerTable ?? 2_000_000;
    this.onProblem = options.onProblem;
    this.busyTimeoutMs = options.busyTimeoutMs ?? BUSY_TIMEOUT_MS;
    let db: SqliteDatabase | undefined;
    try {
      prepareFile(file);
      db = openSqlite(file, options.driver, { busyTimeoutMs: this.busyTimeoutMs });
      db.exec(SCHEMA);
      // Reads the whole schema: a file that is not a database fails here, not on the first webhook.
      db.prepare('SELECT count(*) AS n FROM wa_meta').get();
    } catch (error) {
      try {
        db?.close();
      } catch {
        // closing a half-open handle may fail too; the open error is the one to report
      }
      throw storeFileError(file, error, 'open');
    }
    this.db = db;
    db.onCommitError = (error) => this.fail(error);
    this.windows = this.expiryTable('wa_windows', this.memory.windows);
    this.quality = this.expiryTable('wa_quality', this.memory.quality);
    this.dedupe = this.dedupeTable();
    const interval = options.sweepIntervalMs ?? 60_000;
    if (interval > 0) {
      this.sweepTimer = setInterval(() => void this.sweep(), interval);
      this.sweepTimer.unref();
    }
  }

  /** The driver in use (README: measurements of both). */
  get driver(): SqliteDriverName {
    return this.db.driver;
  }

  /**
   * Deletes expired rows, then the earliest-expiring rows beyond the size bound. Runs every
   * minute and after every 10,000 writes; in chunks of {@link SWEEP_CHUNK} rows with a turn of the
   * event loop between them, so a big backlog never holds the event loop (webhooks wait for their
   * 200 on it) or another process's write lock for long. One sweep at a time.
   */
  async sweep(): Promise<{ expired: number; overBound: number }> {
    this.writesSinceSweep = 0; // also when skipped: the next 10,000 writes schedule the next one
    if (this.problem || this.closed || this.sweeping) return { expired: 0, overBound: 0 };
    this.sweeping = true;
    let expired = 0;
    let overBound = 0;
    // Each chunk is its own transaction (or joins the open group commit); then other work runs.
    const chunk = (del: SqliteStatement, ...args: SqliteValue[]) => Number(this.db.transaction(() => del.run(...args)).changes);
    try {
      // Locked elsewhere right now (traffic waits for it): the next sweep does this one's work.
      if (this.pausing) return { expired, overBound };
      const now = this.now();
      for (const table of SWEPT_TABLES) {
        if (this.problem || this.closed) break; // closed during a pause
        // Taken off the tally only once the bound holds them: a sweep that fails half way loses none.
        const written = this.writesSinceCount[table];
        const del = this.db.prepare(`DELETE FROM ${table} WHERE key IN (SELECT key FROM ${table} WHERE expires_at <= ? LIMIT ${SWEEP_CHUNK})`);
        for (let changes = SWEEP_CHUNK; changes === SWEEP_CHUNK && !this.problem && !this.closed; await nextTurn()) {
          changes = chunk(del, now);
          expired += changes;
        }
        if (this.problem || this.closed) break;
        const known = this.rowsAtMost.get(table);
        // Expired rows deleted above are not taken off: some may be other processes' rows.
        const atMost = known === undefined ? Infinity : known.rows + written;
        // From here `written` is in `atMost` or in the count below; writes made while the count
        // runs may or may not be in it, so they stay in the tally (an upper bound).
        this.writesSinceCount[table] -= written;
        if (atMost <= this.maxRows && now - known!.countedAt < RECOUNT_INTERVAL_MS) {
          this.rowsAtMost.set(table, { rows: atMost, countedAt: known!.countedAt });
          continue;
        }
        // Unknown until counted and trimmed: a sweep that fails half way leaves the next one to count.
        this.rowsAtMost.delete(table);
        let rows = await this.countRows(table);
        if (rows === undefined) break; // closed or failed while counting
        const trim = this.db.prepare(`DELETE FROM ${table} WHERE key IN (SELECT key FROM ${table} ORDER BY expires_at LIMIT ?)`);
        while (rows > this.maxRows && !this.problem && !this.closed) {
          const changes = chunk(trim, Math.min(rows - this.maxRows, SWEEP_CHUNK));
          if (changes === 0) break;
          overBound += changes;
          rows -= changes;
          await nextTurn();
        }
        this.rowsAtMost.set(table, { rows, countedAt: now });
      }
    } catch (error) {
      if (!isLockedError(error)) this.fail(error); // locked: the next sweep tries again
    } finally {
      this.sweeping = false;
    }
    return { expired, overBound };
  }

  /**
   * The rows of `table`, counted {@link COUNT_CHUNK} at a time in key order with a turn of the
   * event loop between chunks: one `count(*)` of 2,000,000 rows holds the event loop ~0.1 s.
   * Rows written meanwhile may or may not be counted (the bound is kept at the next sweep).
   * Undefined when the store closed or failed meanwhile.
   */
  private async countRows(table: SweptTable): Promise<number | undefined> {
    const hop = this.db.prepare(`SELECT key FROM ${table} WHERE key > ? ORDER BY key LIMIT 1 OFFSET ${COUNT_CHUNK - 1}`);
    const rest = this.db.prepare(`SELECT count(*) AS n FROM ${table} WHERE key > ?`);
    let counted = 0;
    let after = '';
    for (;;) {
      if (this.problem || this.closed) return undefined;
      const row = hop.get(after);
      if (row === undefined) return counted + Number(rest.get(after)!.n);
      counted += COUNT_CHUNK;
      after = String(row.key);
      await nextTurn();
    }
  }

  async forgetUsers(userIds: readonly string[]): Promise<{ removed: number; quality: RemovedEntry[] }> {
    const users = userIds.map(storeUserId).filter(Boolean);
    const fromMemory = await this.memory.forgetUsers(userIds);
    if (this.problem) return fromMemory;
    // Out of the open group first: the checkpoint below needs no transaction open.
    await this.db.flush();
    const belongs = (key: string) => users.some((user) => keyBelongsTo(key, user));
    const removedQuality: RemovedEntry[] = [...fromMemory.quality];
    let removed = fromMemory.removed;
    try {
      // secure_delete: the deleted rows' bytes are overwritten with zeros, not left in free space.
      this.db.exec('PRAGMA secure_delete = ON');
      const forgetInFile = () =>
        this.db.transaction(() => {
          for (const table of ['wa_windows', 'wa_quality']) {
            const del = this.db.prepare(`DELETE FROM ${table} WHERE key = ?`);
            // A scan with LIKE narrows to keys ending in one of the ids; keyBelongsTo decides.
            for (const user of users) {
              const rows = this.db.prepare(`SELECT key, expires_at FROM ${table} WHERE key LIKE ? ESCAPE '\\'`).all(`%:${likeEscape(user)}`);
              for (const row of rows) {
                const key = String(row.key);
                if (!belongs(key)) continue;
                removed += Number(del.run(key).changes);
                if (table === 'wa_quality') removedQuality.push({ key, expiresAt: Number(row.expires_at) });
              }
            }
          }
          const delDedupe = this.db.prepare('DELETE FROM wa_dedupe WHERE key = ?');
          for (const user of users) {
            const rows = this.db.prepare(`SELECT key, users FROM wa_dedupe WHERE ' ' || users || ' ' LIKE ? ESCAPE '\\'`).all(`% ${likeEscape(user)} %`);
            for (const row of rows) removed += Number(delDedupe.run(String(row.key)).changes);
          }
        });
      await this.whenUnlocked(forgetInFile);
      this.db.exec('PRAGMA secure_delete = FAST'); // the connection's setting (see openSqlite)
      await this.db.flush(); // a write may have opened a group while this waited for the lock
      // Older copies of those pages sit in the write-ahead log until a checkpoint: copy the log
      // into the file and empty it, so the number is gone from both files.
      await this.db.truncateLog();
    } catch (error) {
      // Rolled back: saying "forgotten" now would be false, and falling back cannot forget the file's rows.
      if (isLockedError(error)) throw this.forgetLocked(error);
      this.fail(error);
    }
    return { removed, quality: removedQuality };
  }

  private forgetLocked(cause: unknown): WhatsAppError {
    try {
      this.db.exec('PRAGMA secure_delete = FAST');
    } catch {
      // the connection's setting only; the error below is what matters
    }
    return new WhatsAppError(
      `Nothing was forgotten in the state store file ${this.location}: another program held it locked for over ${this.busyTimeoutMs / 1000} s`,
      {
        code: 'state_store_locked',
        category: 'network',
        retryable: true,
        hint: 'Close whatever holds the file open in a write transaction (an sqlite3 shell, a backup tool), then forget the user again.',
        cause,
      },
    );
  }

  /**
   * Copies the log into the file and empties it, so deleted rows' old page images are gone from
   * both (after a forget whose rows other parts removed: the ledger's, n8n's questions).
   */
  async checkpoint(): Promise<void> {
    if (this.problem || this.closed) return;
    await this.db.flush(); // a checkpoint needs no transaction open
    try {
      await this.db.truncateLog();
    } catch (error) {
      this.fail(error);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    try {
      this.db.close();
    } catch {
      // already closed or failed: nothing left to flush (every write was committed when made)
    }
  }

  private fail(error: unknown): void {
    if (this.problem || this.closed) return; // a closed handle's errors are not the file's
    if (isLockedError(error)) return this.lockedTooLong();
    this.problem = storeFileError(this.location, error, 'write');
    if (this.onProblem) this.onProblem(this.problem);
    else process.emitWarning(this.problem.message, { code: 'WA_CLOUD_STATE_STORE_FALLBACK' });
  }

  /**
   * Another connection held the write lock past the busy timeout (an sqlite3 shell or a backup
   * tool with a transaction open; two of our processes hold it for milliseconds). The call that
   * waited goes to memory; the file stays the store and the next write tries it again, so a
   * passing lock never turns the store into memory until restart. What went to memory is read
   * from there too (a window recorded, an event seen, during the lock). Warned at most once a minute.
   */
  private lockedTooLong(): void {
    this.heldInMemory = true;
    const now = Date.now();
    if (now - this.lockedWarnedAt < LOCKED_WARNING_INTERVAL_MS) return;
    this.lockedWarnedAt = now;
    process.emitWarning(
      `The state store file ${this.location} was held locked by another program for over ${this.busyTimeoutMs / 1000} s: what was written meanwhile is kept in memory only, and the file is used again from the next write. Close whatever holds it open in a write transaction (an sqlite3 shell, a backup tool); for several processes, Redis is the choice.`,
      { code: 'WA_CLOUD_STATE_STORE_LOCKED' },
    );
  }

  /** Resolves once every write made so far is committed (group commit: at most one event-loop turn). */
  flush(): Promise<void> {
    return this.problem || this.closed ? Promise.resolve() : this.db.flush();
  }

  /**
   * A store of another part on this file (the ledger's, the messaging limit's) with `inMemory`
   * behind it, failing over like the store's own tables: once the file has failed, or when a call
   * throws or rejects, calls go to `inMemory` and the problem is reported (once). So a failing file
   * never turns a webhook into an error. `aliases`: what to call on `inMemory` for a method it lacks.
   * Forgetting (`forget…` methods) never fails over: an empty memory store would report the user
   * forgotten while their rows stay in the file.
   */
  failover<T extends object>(onFile: T, inMemory: T, aliases: Partial<Record<keyof T, keyof T>> = {}): T {
    const spare = (prop: string | symbol): ((...args: unknown[]) => unknown) | undefined => {
      const method = Reflect.get(inMemory, (aliases as Record<string | symbol, keyof T | undefined>)[prop] ?? prop);
      return typeof method === 'function' ? (...args: unknown[]) => method.apply(inMemory, args) : undefined;
    };
    return new Proxy(onFile, {
      get: (target, prop) => {
        const method = Reflect.get(target, prop);
        if (typeof method !== 'function' || (typeof prop === 'string' && prop.startsWith('forget'))) return method;
        // Failed already: what memory has (an optional method it lacks reads as absent).
        if (this.problem || this.closed) return typeof Reflect.get(inMemory, prop) === 'function' ? spare(prop) : undefined;
        return (...args: unknown[]) => {
          const call = () => {
            this.shortenLockWaits();
            return method.apply(target, args);
          };
          const fallBack = (error: unknown) => {
            const other = spare(prop);
            if (!other) throw error;
            this.fail(error);
            return other(...args);
          };
          // A call that finds the file locked failed at its BEGIN (nothing is half done): it is tried again.
          return this.whenFree(call, fallBack);
        };
      },
    });
  }

  /**
   * Runs `onFile` against the file (a write joins the group commit), or `inMemory` once the file has
   * failed. A write that finds the file locked by another connection waits for it (see whenUnlocked).
   */
  private use<T>(onFile: () => T, inMemory: () => Promise<T>, write = false): Promise<T> {
    if (this.problem || this.closed) return inMemory();
    const toMemory = (error: unknown) => {
      this.fail(error);
      return inMemory();
    };
    if (!write) {
      try {
        return Promise.resolve(onFile()); // a read never waits for the write lock (WAL)
      } catch (error) {
        return toMemory(error);
      }
    }
    return Promise.resolve(
      this.whenFree(() => {
        this.beginWrite();
        return onFile();
      }, toMemory),
    );
  }

  /**
   * Runs `attempt` now, or, while the file is locked by another connection, once it is free (see
   * whenUnlocked); `otherwise` gets any other error, and the locked one when the busy timeout is spent.
   */
  private whenFree<T>(attempt: () => T, otherwise: (error: unknown) => T | Promise<T>): T | Promise<T> {
    const retry = (error: unknown) => (isLockedError(error) ? this.afterLocked(attempt).catch(otherwise) : otherwise(error));
    if (this.pausing) return this.whenUnlocked(attempt).catch(otherwise);
    try {
      const result = attempt();
      return result instanceof Promise ? (result.catch(retry) as T) : result;
    } catch (error) {
      return retry(error);
    }
  }

  /** Joins (or opens) the group commit. */
  private beginWrite(): void {
    this.shortenLockWaits();
    this.db.joinGroup();
  }

  /**
   * From the first call on, a try for the write lock waits {@link LOCK_ATTEMPT_MS} inside SQLite
   * (then whenUnlocked tries again with the event loop free); opening the file and creating the
   * other parts' tables waited the whole busy timeout.
   */
  private shortenLockWaits(): void {
    if (this.shortLockWaits) return;
    this.db.exec(`PRAGMA busy_timeout = ${Math.min(LOCK_ATTEMPT_MS, this.busyTimeoutMs)}`);
    this.shortLockWaits = true;
  }

  /** The file was just found locked: every write pauses for {@link LOCK_RETRY_MS}, then one tries again. */
  private pauseForLock(): void {
    this.pausing ??= new Promise<void>((resolve) =>
      setTimeout(() => {
        this.pausing = undefined;
        resolve();
      }, LOCK_RETRY_MS),
    );
  }

  /** `attempt` found the file locked: try it again once the lock is free (see whenUnlocked). */
  private afterLocked<T>(attempt: () => T | Promise<T>): Promise<T> {
    this.pauseForLock();
    return this.whenUnlocked(attempt);
  }

  /**
   * Tries `attempt` again every {@link LOCK_RETRY_MS} while another connection holds the write lock
   * (another process committing, an sqlite3 shell), for up to the busy timeout. Each try waits at
   * most {@link LOCK_ATTEMPT_MS} inside SQLite; between tries the event loop is free, so a lock held
   * elsewhere never freezes the flows and webhooks of this process. One write tries at a time: the
   * others wait for the same pause, and join the group the successful one opened.
   * @throws the last locked error when the busy timeout is spent.
   */
  private async whenUnlocked<T>(attempt: () => T | Promise<T>): Promise<T> {
    const deadline = Date.now() + this.busyTimeoutMs;
    for (;;) {
      while (this.pausing) await this.pausing;
      if (this.problem || this.closed) throw new Error('state store closed while waiting for its lock');
      this.shortenLockWaits();
      try {
        return await attempt();
      } catch (error) {
        if (!isLockedError(error) || Date.now() >= deadline) throw error;
        this.pauseForLock();
      }
    }
  }

  private wrote(table: SweptTable): void {
    this.writesSinceCount[table] += 1;
    // Once per 10,000 writes (not once per write past it: a burst would queue thousands of sweeps).
    if (++this.writesSinceSweep === 10_000) setImmediate(() => void this.sweep());
  }

  private expiryTable(table: 'wa_windows' | 'wa_quality', fallback: WindowStore): WindowStore {
    let get: SqliteStatement | undefined;
    let extend: SqliteStatement | undefined;
    let del: SqliteStatement | undefined;
    return {
      flush: () => this.flush(),
      getExpiry: (key) => {
        const onFile = this.use(
          () => {
            get ??= this.db.prepare(`SELECT expires_at FROM ${table} WHERE key = ? AND expires_at > ?`);
            const row = get.get(key, this.now());
            return row === undefined ? undefined : Number(row.expires_at);
          },
          () => fallback.getExpiry(key),
        );
        if (!this.heldInMemory || this.problem) return onFile;
        // Written to memory while the file was locked: the later of the two.
        return Promise.all([onFile, fallback.getExpiry(key)]).then(([a, b]) => (a === undefined ? b : b === undefined ? a : Math.max(a, b)));
      },
      extend: (key, expiresAt) =>
        this.use(
          () => {
            // Keeps the later expiry (a 72 h referral window is never shortened), in one statement;
            // an expiry that is not later writes nothing (no page to commit for a repeat).
            extend ??= this.db.prepare(
              `INSERT INTO ${table} (key, expires_at) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET expires_at = excluded.expires_at WHERE excluded.expires_at > ${table}.expires_at`,
            );
            extend.run(key, Math.round(expiresAt));
            this.wrote(table);
          },
          () => fallback.extend(key, expiresAt),
          true,
        ),
      delete: (key) =>
        this.use(
          () => {
            del ??= this.db.prepare(`DELETE FROM ${table} WHERE key = ?`);
            del.run(key);
          },
          () => fallback.delete(key),
          true,
        ),
    };
  }

  private dedupeTable(): DedupeStore {
    let mark: SqliteStatement | undefined;
    let pendingOf: SqliteStatement | undefined;
    let takeOver: SqliteStatement | undefined;
    const ack = new Map<number, SqliteStatement>();
    const markInFlight = new Map<number, SqliteStatement>();
    let release: SqliteStatement | undefined;
    let releaseOwn: SqliteStatement | undefined;
    /** Runs `statement(size)` over `keys` in chunks of up to ACK_CHUNK, with `first` before the keys. */
    const forChunks = (statements: Map<number, SqliteStatement>, sql: (placeholders: string) => string, first: SqliteValue, keys: readonly string[]) => {
      for (let i = 0; i < keys.length; i += ACK_CHUNK) {
        const chunk = keys.slice(i, i + ACK_CHUNK);
        let statement = statements.get(chunk.length);
        if (!statement) {
          statement = this.db.prepare(sql(chunk.map(() => '?').join(', ')));
          statements.set(chunk.length, statement);
        }
        statement.run(first, ...chunk);
      }
    };
    /**
     * Keys marked in flight in the open group and not acknowledged yet. They go into the file
     * without the in-flight mark; just before the group's COMMIT, those still here get it (in the
     * same transaction). So when the keys and their acknowledgement share a commit (the Node-RED
     * in-node), neither the mark nor the acknowledgement is written, and a key committed before its
     * acknowledgement (the n8n trigger, a hold that timed out) is marked in flight as before.
     * Every key here belongs to the open group: the set empties at each commit.
     */
    const awaitingAck = new Set<string>();
    this.db.beforeGroupCommit = () => {
      if (awaitingAck.size === 0) return;
      const keys = [...awaitingAck];
      awaitingAck.clear();
      forChunks(markInFlight, (keys) => `UPDATE wa_dedupe SET pending = ? WHERE key IN (${keys})`, OWNER, keys);
    };
    return {
      flush: () => this.flush(),
      hold: () => (this.problem || this.closed ? () => undefined : this.db.hold()),
      markIfNew: (key, ttlMs, users, options) =>
        this.use(
          () => {
            // Seen while the file was locked (so marked in memory only): a duplicate.
            if (this.heldInMemory && this.memory.dedupe.has(key)) return false;
            // New key, or an expired one: 1 change. A live key: 0 changes (a duplicate). Atomic
            // across processes, since SQLite serialises writers on the file.
            mark ??= this.db.prepare(
              `INSERT INTO wa_dedupe (key, expires_at, users, pending) VALUES (?, ?, ?, NULL)
               ON CONFLICT (key) DO UPDATE SET expires_at = excluded.expires_at, users = excluded.users, pending = NULL
               WHERE wa_dedupe.expires_at <= ?`,
            );
            const now = this.now();
            const expiresAt = now + Math.max(1, Math.round(ttlMs));
            const changes = Number(mark.run(key, expiresAt, users?.length ? users.join(' ') : null, now).changes);
            this.wrote('wa_dedupe');
            if (changes > 0) {
              if (options?.pending) awaitingAck.add(key); // marked in flight at the commit, unless acknowledged first
              return true;
            }
            // Seen: a duplicate, unless the key is still in flight for a process that died before
            // handing the event on. Then this redelivery is the event's only chance: take it over
            // (compare-and-set on the owner, so of two processes only one does).
            pendingOf ??= this.db.prepare('SELECT pending FROM wa_dedupe WHERE key = ?');
            const owner = pendingOf.get(key)?.pending;
            if (typeof owner !== 'string' || !ownerIsGone(owner)) return false;
            takeOver ??= this.db.prepare('UPDATE wa_dedupe SET pending = ?, expires_at = ? WHERE key = ? AND pending = ?');
            return Number(takeOver.run(options?.pending ? OWNER : null, expiresAt, key, owner).changes) > 0;
          },
          () => this.memory.dedupe.markIfNew(key, ttlMs, users),
          true,
        ),
      acknowledge: (keys) => {
        // Marked in the open group: they now commit without the mark, nothing to write.
        const marked = keys.filter((key) => !awaitingAck.delete(key));
        if (marked.length === 0) return Promise.resolve();
        return this.use(
          // One statement for a POST's keys (up to ACK_CHUNK of them), not one per key.
          () => this.db.transaction(() => forChunks(ack, (keys) => `UPDATE wa_dedupe SET pending = NULL WHERE pending = ? AND key IN (${keys})`, OWNER, marked)),
          async () => undefined,
          true,
        );
      },
      release: (keys) =>
        this.use(
          () => {
            // Only keys still in flight for this process: never one another process took over.
            // A key marked in the open group has no mark yet, and no other process can have
            // touched it (this group holds the write lock).
            release ??= this.db.prepare('DELETE FROM wa_dedupe WHERE key = ? AND pending = ?');
            releaseOwn ??= this.db.prepare('DELETE FROM wa_dedupe WHERE key = ?');
            this.db.transaction(() => {
              for (const key of keys) {
                if (awaitingAck.delete(key)) releaseOwn!.run(key);
                else release!.run(key, OWNER);
              }
            });
          },
          async () => undefined,
          true,
        ),
    };
  }
}

/** Longest a try for the write lock waits inside SQLite (the event loop waits with it). */
export const LOCK_ATTEMPT_MS = 20;

/** Pause between two tries for the write lock (the event loop is free meanwhile). */
const LOCK_RETRY_MS = 50;

/** Least time between two warnings that the file was locked too long. */
const LOCKED_WARNING_INTERVAL_MS = 60_000;

/** Rows one sweep statement deletes before the sweep lets other work run. */
const SWEEP_CHUNK = 5000;

/** The tables the sweep keeps within their expiry and size bound. */
const SWEPT_TABLES = ['wa_windows', 'wa_quality', 'wa_dedupe'] as const;
type SweptTable = (typeof SWEPT_TABLES)[number];

/** Rows counted in one turn of the event loop (~2 ms) when the sweep counts a table. */
const COUNT_CHUNK = 20_000;

/** Longest the sweep goes without counting a table (another process's writes are not in its estimate). */
const RECOUNT_INTERVAL_MS = 10 * 60_000;

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Most keys one acknowledging statement names (SQLite allows 32,766 parameters; prepared once per size up to this). */
const ACK_CHUNK = 50;

function likeEscape(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}
