/**
 * The one place that opens SQLite. Two drivers, the same small surface:
 * - `node:sqlite`, built into Node 22.13+ and 24 (n8n 2.x, Node-RED 5): no dependency at all;
 * - `libsql` (native, SQLite's file format and API, better-sqlite3's interface), for Node 20
 *   (Node-RED 4) where `node:sqlite` does not exist. Its binaries are npm packages of their own
 *   (`@libsql/<platform>`): nothing is downloaded from elsewhere or compiled at install time. It is
 *   an optional dependency of the Node-RED package and never bundled (each bundle marks it external).
 * Both are synchronous: a statement has run (and, outside a transaction, committed) when the call
 * returns, which is what "write before acknowledging" needs.
 */
import { createRequire } from 'node:module';

export type SqliteDriverName = 'node:sqlite' | 'libsql';
export type SqliteValue = string | number | null;

export interface SqliteStatement {
  run(...params: SqliteValue[]): { changes: number | bigint };
  get(...params: SqliteValue[]): Record<string, unknown> | undefined;
  all(...params: SqliteValue[]): Record<string, unknown>[];
}

/** A statement whose rows come back as arrays of column values, in the statement's column order. */
export interface SqliteArrayStatement {
  run(...params: SqliteValue[]): { changes: number | bigint };
  get(...params: SqliteValue[]): unknown[] | undefined;
  all(...params: SqliteValue[]): unknown[][];
}

/** The handle core uses, and that other parts (the delivery ledger) may use for their own tables. */
export interface SqliteDatabase {
  readonly driver: SqliteDriverName;
  readonly file: string;
  exec(sql: string): void;
  prepare(sql: string): SqliteStatement;
  /**
   * {@link prepare} with rows as arrays: no object with every column name per row (a row of 30
   * columns costs ~10 µs as an object, mostly interning the names; the ledger reads one per status).
   */
  prepareArrays(sql: string): SqliteArrayStatement;
  /** Runs `work` in one `BEGIN IMMEDIATE` transaction (the write lock is taken up front: no upgrade deadlock between processes). */
  transaction<T>(work: () => T): T;
  /**
   * Group commit: opens a transaction (if none is open) that commits on the next turn of the event
   * loop, so every write made until then shares one commit. Call before a write; await
   * {@link flush} before acknowledging anything written.
   */
  joinGroup(): void;
  /** Resolves once the open group (if any) is committed. */
  flush(): Promise<void>;
  /**
   * Runs `work` in the open group when there is one; else in its own transaction the first time in
   * this turn of the event loop, and in a new group from the second time on: a burst of writes
   * (sends answered together) shares one commit, a lone write does not wait for the turn to end.
   * Await {@link committed} before telling anyone it is written.
   */
  writeSoon<T>(work: () => T): T;
  /** {@link flush}, but rejects when that commit failed (its writes were rolled back). */
  committed(): Promise<void>;
  /**
   * Holds the group commit until the returned function is called (or {@link HOLD_MAX_MS} passed):
   * a webhook's dedupe keys and their acknowledgement then share one commit, made after the
   * receiver handed the events on (see handleWebhookPost's `commitWithAcknowledgement`).
   */
  hold(): () => void;
  /** Told when a group commit fails (its writes are rolled back). */
  onCommitError?: (error: unknown) => void;
  /**
   * Runs inside the group's transaction just before its COMMIT (the embedded store marks the keys
   * still waiting for their acknowledgement there). Throwing fails the commit like a COMMIT error.
   */
  beforeGroupCommit?: () => void;
  /**
   * Copies the whole log into the file and empties it (after deleting personal data: no old copy
   * of a page stays in the log). Retries while another process is checkpointing the file.
   */
  truncateLog(): Promise<void>;
  close(): void;
}

interface RawDatabase {
  exec(sql: string): unknown;
  prepare(sql: string): SqliteStatement & RawStatementModes;
  close(): void;
}

/** How each driver turns rows into arrays: libsql `raw()`, node:sqlite `setReturnArrays()` (Node 22.16+, 24). */
interface RawStatementModes {
  /** libsql: whether the statement returns rows (`raw()` is for those only). */
  reader?: boolean;
  raw?(enabled: boolean): unknown;
  setReturnArrays?(enabled: boolean): void;
}

/** Exported for its test (the fallback runs only on node:sqlite before 22.16). */
export function arrayStatement(statement: SqliteStatement & RawStatementModes, driver: SqliteDriverName): SqliteArrayStatement {
  if (driver === 'libsql' && statement.raw) {
    if (statement.reader) statement.raw(true);
    return statement as unknown as SqliteArrayStatement;
  }
  if (driver === 'node:sqlite' && statement.setReturnArrays) {
    statement.setReturnArrays(true);
    return statement as unknown as SqliteArrayStatement;
  }
  // node:sqlite before 22.16: objects, whose keys keep the column order.
  return {
    run: (...params) => statement.run(...params),
    get: (...params) => {
      const row = statement.get(...params);
      return row === undefined ? undefined : Object.values(row);
    },
    all: (...params) => statement.all(...params).map((row) => Object.values(row)),
  };
}

/**
 * Longest a {@link SqliteDatabase.hold} delays the group commit. The hand-off it waits for is a
 * few event-loop turns; past this the group commits anyway (the held keys are still marked in
 * flight then, so a crash loses nothing).
 */
export const HOLD_MAX_MS = 1000;

/** How long a write waits for another connection's write lock before SQLITE_BUSY ("database is locked"). */
export const BUSY_TIMEOUT_MS = 10_000;

/**
 * SQLITE_BUSY (and its extended codes): another connection held the write lock past the busy
 * timeout. A passing state of the file, not a broken one. node:sqlite puts the code in `errcode`,
 * libsql in `code`.
 */
export function isLockedError(error: unknown): boolean {
  const e = error as { code?: unknown; errcode?: unknown } | undefined;
  if (!e || typeof e !== 'object') return false;
  if (typeof e.errcode === 'number') return (e.errcode & 0xff) === 5;
  return typeof e.code === 'string' && e.code.startsWith('SQLITE_BUSY');
}

/** Tries of {@link SqliteDatabase.truncateLog}, 5 ms apart (another process's checkpoint takes a few ms). */
const TRUNCATE_ATTEMPTS = 400;

type BuiltinLoader = (id: string) => unknown;

/**
 * libsql's handle with better-sqlite3's exact surface: its statements take a lone object argument
 * (a lone `null`, too) as named parameters, so parameters go in as one array; and every row it
 * returns as an object carries an extra `_metadata` key (timings), removed here so a row is its
 * columns only, as on node:sqlite.
 */
function libsqlDatabase(db: RawDatabase): RawDatabase {
  return {
    exec: (sql) => db.exec(sql),
    close: () => db.close(),
    prepare: (sql) => libsqlStatement(db.prepare(sql)),
  };
}

function libsqlStatement(statement: SqliteStatement & RawStatementModes): SqliteStatement & RawStatementModes {
  let rawRows = false;
  const columnsOnly = (row: Record<string, unknown> | undefined) => {
    if (row && !rawRows) delete row._metadata; // the last key: V8 undoes it without slowing the object
    return row;
  };
  const call = statement as unknown as { run(p: SqliteValue[]): { changes: number | bigint }; get(p: SqliteValue[]): Record<string, unknown> | undefined; all(p: SqliteValue[]): Record<string, unknown>[] };
  return {
    reader: statement.reader,
    raw(enabled: boolean) {
      rawRows = enabled;
      return statement.raw!(enabled);
    },
    run: (...params) => call.run(params),
    get: (...params) => columnsOnly(call.get(params)),
    all: (...params) => {
      const rows = call.all(params);
      for (const row of rows) columnsOnly(row);
      return rows;
    },
  };
}

function loadNodeSqlite(): (new (file: string) => RawDatabase) | undefined {
  // getBuiltinModule: no static import for bundlers to resolve, and undefined where the module
  // does not exist (Node 20) or still needs a flag (Node 22 before 22.13).
  const get = (process as unknown as { getBuiltinModule?: BuiltinLoader }).getBuiltinModule;
  const mod = get?.('node:sqlite') as { DatabaseSync?: new (file: string) => RawDatabase } | undefined;
  return mod?.DatabaseSync;
}

function loadLibsql(): (new (file: string) => RawDatabase) | undefined {
  try {
    // createRequire keeps the name out of reach of bundlers' static analysis as well.
    const load = createRequire(__filename);
    return load('libsql') as new (file: string) => RawDatabase;
  } catch {
    return undefined;
  }
}

/** Which driver would open a file here: the built-in one first. `WA_CLOUD_SQLITE_DRIVER` forces one (bench, tests). */
export function availableSqliteDriver(prefer?: SqliteDriverName): SqliteDriverName | undefined {
  const wanted = prefer ?? (process.env.WA_CLOUD_SQLITE_DRIVER as SqliteDriverName | undefined);
  if (wanted === 'libsql') return loadLibsql() ? 'libsql' : undefined;
  if (wanted === 'node:sqlite') return loadNodeSqlite() ? 'node:sqlite' : undefined;
  if (loadNodeSqlite()) return 'node:sqlite';
  if (loadLibsql()) return 'libsql';
  return undefined;
}

/**
 * Opens (creating it if needed) a SQLite file with the settings every user of the file relies on:
 * WAL (readers never wait for the writer; a crash loses no committed transaction), a 10 s busy
 * timeout (two processes on one file queue for the write lock instead of failing with
 * "database is locked"), synchronous=NORMAL (a commit survives a killed process; only a power
 * loss may drop the last few, see README), a checkpoint every 4,000 log pages.
 *
 * @throws Error naming the file and the cause when no driver is available or the file is unusable.
 */
export function openSqlite(file: string, prefer?: SqliteDriverName, { busyTimeoutMs = BUSY_TIMEOUT_MS }: { busyTimeoutMs?: number } = {}): SqliteDatabase {
  const driver = availableSqliteDriver(prefer);
  if (!driver) {
    throw new Error(
      `No SQLite driver for ${file}: this Node.js (${process.version}) has no node:sqlite (Node 22.13+ has it) and the optional libsql package is not installed (or has no binary for this platform)`,
    );
  }
  const Database = driver === 'node:sqlite' ? loadNodeSqlite()! : loadLibsql()!;
  const opened = new Database(file);
  const raw: RawDatabase = driver === 'libsql' ? libsqlDatabase(opened) : opened;
  try {
    // busy_timeout first: switching to WAL itself needs a lock another process may hold.
    raw.exec(`PRAGMA busy_timeout = ${Math.max(0, Math.round(busyTimeoutMs))}`);
    raw.exec('PRAGMA journal_mode = WAL');
    raw.exec('PRAGMA synchronous = NORMAL');
    // Checkpoint every 4,000 log pages (16 MB) instead of SQLite's 1,000: a checkpoint fsyncs
    // twice on the event loop and copies each page once however often it was rewritten since,
    // so fewer of them cost less per commit (transactions of 10 upserts: 165 -> 135 µs CPU,
    // 300 -> 220 µs wall). The log file is reused from its start after each checkpoint.
    raw.exec('PRAGMA wal_autocheckpoint = 4000');
    // After a checkpoint the log file is cut back to 64 MB: a burst (or a reader holding the log
    // open) may grow it past that, but it does not stay that size on disk.
    raw.exec('PRAGMA journal_size_limit = 67108864');
    // Space a row update or delete frees is zeroed on the page being written anyway (no extra I/O):
    // otherwise an old copy of a row (a key's owner before its acknowledgement, say) stays in the
    // page's free space, and forgetting a user would leave their number in the file.
    raw.exec('PRAGMA secure_delete = FAST');
  } catch (error) {
    raw.close();
    throw error;
  }
  let depth = 0;
  /** The open group transaction: `holds` delay its commit until released, but only holds taken before it fell due. */
  interface Group {
    done: Promise<void>;
    resolve: () => void;
    error?: unknown;
    holds: number;
    due: boolean;
  }
  let group: Group | undefined;
  /** Holds taken while no group was open: they hold the next one (the holder's writes open it). */
  const unattached = new Set<{ group?: Group }>();
  // Set by a write in its own transaction, cleared at the end of the turn (see writeSoon).
  let wroteThisTurn = false;
  const endTurn = () => {
    wroteThisTurn = false;
  };
  const commitGroup = (open: Group | undefined) => {
    if (!open || group !== open) return;
    open.due = true;
    if (open.holds > 0) return; // the last release commits
    group = undefined;
    try {
      db.beforeGroupCommit?.();
      raw.exec('COMMIT');
    } catch (error) {
      try {
        raw.exec('ROLLBACK');
      } catch {
        // already rolled back by SQLite
      }
      open.error = error;
      db.onCommitError?.(error);
    } finally {
      open.resolve();
    }
  };
  const db: SqliteDatabase = {
    driver,
    file,
    exec: (sql) => void raw.exec(sql),
    prepare: (sql) => raw.prepare(sql),
    prepareArrays: (sql) => arrayStatement(raw.prepare(sql), driver),
    joinGroup() {
      if (group || depth > 0) return;
      raw.exec('BEGIN IMMEDIATE');
      let resolve!: () => void;
      const done = new Promise<void>((r) => (resolve = r));
      const opened: Group = { done, resolve, holds: unattached.size, due: false };
      for (const ticket of unattached) ticket.group = opened;
      unattached.clear();
      group = opened;
      // setImmediate: after the I/O callbacks of this turn, so concurrent webhooks share the commit.
      setImmediate(() => commitGroup(opened));
    },
    flush: () => (group ? group.done : Promise.resolve()),
    committed: () => {
      const open = group;
      return open
        ? open.done.then(() => {
            if (open.error !== undefined) throw open.error;
          })
        : Promise.resolve();
    },
    writeSoon<T>(work: () => T): T {
      if (!group && depth === 0) {
        if (wroteThisTurn) db.joinGroup();
        else {
          wroteThisTurn = true;
          setImmediate(endTurn);
        }
      }
      return db.transaction(work);
    },
    hold() {
      const ticket: { group?: Group } = {};
      // A group that fell due waits for no new holder: under steady load it would never commit.
      // The late holder's writes commit with it (in flight), its acknowledgement with the next.
      if (!group) unattached.add(ticket);
      else if (!group.due) {
        ticket.group = group;
        group.holds += 1;
      }
      let held = true;
      const release = () => {
        if (!held) return;
        held = false;
        clearTimeout(timer);
        unattached.delete(ticket);
        const holding = ticket.group;
        if (!holding) return;
        holding.holds -= 1;
        if (holding.due) commitGroup(holding);
      };
      // A receiver that never releases (a bug, a hand-off that hangs) must not stop every write.
      const timer = setTimeout(release, HOLD_MAX_MS);
      timer.unref();
      return release;
    },
    transaction<T>(work: () => T): T {
      if (depth > 0 || group) return work(); // inside the open group: committed with it
      raw.exec('BEGIN IMMEDIATE');
      depth += 1;
      try {
        const result = work();
        raw.exec('COMMIT');
        return result;
      } catch (error) {
        try {
          raw.exec('ROLLBACK');
        } catch {
          // already rolled back by SQLite (e.g. SQLITE_FULL)
        }
        throw error;
      } finally {
        depth -= 1;
      }
    },
    async truncateLog() {
      for (let attempt = 0; ; attempt += 1) {
        // busy = 1: another connection holds the checkpoint lock right now (another process on
        // the file, checkpointing); SQLite does not wait for it, so wait here.
        const row = raw.prepare('PRAGMA wal_checkpoint(TRUNCATE)').get() as { busy?: number } | undefined;
        if (!row || Number(row.busy) === 0 || attempt === TRUNCATE_ATTEMPTS) return;
        await new Promise((resolve) => setTimeout(resolve, 5));
        // A checkpoint cannot run inside the group a write may have opened meanwhile.
        await db.flush();
      }
    },
    close: () => {
      // Closing commits what is held (its keys are marked in flight, so nothing is lost).
      if (group) {
        group.holds = 0;
        commitGroup(group);
      }
      raw.close();
    },
  };
  return db;
}
