/**
 * The SQLite handle's array rows (what the ledger reads per status webhook): each column's value in
 * the statement's column order, on the driver here and on the fallback for node:sqlite before 22.16.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { arrayStatement, openSqlite, type SqliteDatabase } from '../src/store/sqlite-driver';

const dir = mkdtempSync(join(tmpdir(), 'wa-sqlite-driver-'));
let db: SqliteDatabase;

beforeAll(() => {
  db = openSqlite(join(dir, 'arrays.sqlite'));
  db.exec('CREATE TABLE t (id TEXT PRIMARY KEY, n INTEGER, s TEXT, x TEXT) WITHOUT ROWID');
  db.prepare('INSERT INTO t (id, n, s, x) VALUES (?, ?, ?, ?)').run('a', 7, 'seven', null);
  db.prepare('INSERT INTO t (id, n, s, x) VALUES (?, ?, ?, ?)').run('b', 8, 'eight', 'x');
});
afterAll(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

test(`rows come back as arrays in the statement's column order (${process.version})`, () => {
  const select = db.prepareArrays('SELECT s, n, x, id FROM t WHERE id = ?');
  expect(select.get('a')).toEqual(['seven', 7, null, 'a']);
  expect(select.get('missing')).toBeUndefined();
  expect(db.prepareArrays('SELECT id, n FROM t ORDER BY id').all()).toEqual([
    ['a', 7],
    ['b', 8],
  ]);
  // A statement that returns nothing still runs (libsql's raw() is for statements that return rows).
  expect(Number(db.prepareArrays('UPDATE t SET n = n + 1 WHERE id = ?').run('a').changes)).toBe(1);
  // RETURNING rows are rows too.
  expect(db.prepareArrays('UPDATE t SET n = n + 1 WHERE id = ? RETURNING id, n').get('b')).toEqual(['b', 9]);
});

test('a driver without an array mode (node:sqlite before 22.16): object rows turned into arrays in column order', () => {
  const objects = db.prepare('SELECT s, n, x, id FROM t ORDER BY id');
  // No raw() and no setReturnArrays(): what node:sqlite 22.13 to 22.15 offer.
  const plain = { run: objects.run.bind(objects), get: objects.get.bind(objects), all: objects.all.bind(objects) };
  const arrays = arrayStatement(plain, 'node:sqlite');
  expect(arrays.get()).toEqual(['seven', 8, null, 'a']);
  expect(arrays.all()).toEqual([
    ['seven', 8, null, 'a'],
    ['eight', 9, 'x', 'b'],
  ]);
});

describe('writeSoon: a lone write commits at once, a burst in one turn shares a commit', () => {
  test('the first write of a turn is committed when the call returns; the next ones when committed() resolves', async () => {
    const file = join(dir, 'soon.sqlite');
    const writer = openSqlite(file);
    const reader = openSqlite(file);
    try {
      writer.exec('CREATE TABLE s (id TEXT PRIMARY KEY) WITHOUT ROWID');
      const insert = writer.prepare('INSERT INTO s (id) VALUES (?)');
      const seen = () => reader.prepare('SELECT id FROM s ORDER BY id').all().map((row) => row.id);
      writer.writeSoon(() => insert.run('a'));
      expect(seen()).toEqual(['a']); // its own transaction: in the file already
      writer.writeSoon(() => insert.run('b'));
      writer.writeSoon(() => insert.run('c'));
      expect(seen()).toEqual(['a']); // a group, committed at the end of the turn
      await writer.committed();
      expect(seen()).toEqual(['a', 'b', 'c']);
      // A later turn starts over: its first write commits at once again.
      await new Promise((resolve) => setImmediate(resolve));
      writer.writeSoon(() => insert.run('d'));
      expect(seen()).toEqual(['a', 'b', 'c', 'd']);
    } finally {
      writer.close();
      reader.close();
    }
  });

  test('committed() rejects when the group commit failed (its writes rolled back); flush() still resolves', async () => {
    const db2 = openSqlite(join(dir, 'fail.sqlite'));
    const problems: unknown[] = [];
    db2.onCommitError = (error) => problems.push(error);
    try {
      // A deferred foreign key is checked at COMMIT: the one way to make a commit itself fail.
      db2.exec('PRAGMA foreign_keys = ON');
      db2.exec('CREATE TABLE parent (id TEXT PRIMARY KEY) WITHOUT ROWID');
      db2.exec('CREATE TABLE child (id TEXT PRIMARY KEY, parent TEXT REFERENCES parent (id) DEFERRABLE INITIALLY DEFERRED) WITHOUT ROWID');
      db2.joinGroup();
      db2.writeSoon(() => db2.prepare('INSERT INTO child (id, parent) VALUES (?, ?)').run('c1', 'missing'));
      const flushed = db2.flush();
      // The message, not toThrow: with the native driver loaded by an earlier test file in the same
      // process, its errors come from that file's realm and jest's toThrow does not see them as thrown.
      const outcome = await db2.committed().then(
        () => 'committed',
        (error: unknown) => String((error as Error)?.message ?? error),
      );
      expect(outcome).toMatch(/FOREIGN KEY/i);
      await expect(flushed).resolves.toBeUndefined();
      expect(problems).toHaveLength(1);
      expect(db2.prepare('SELECT count(*) AS n FROM child').get()!.n).toBe(0);
    } finally {
      db2.close();
    }
  });
});
