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
  // A statement that returns nothing still runs (better-sqlite3 refuses raw() on it).
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
