/**
 * truncateLog (what a forget ends with: the log copied into the file and emptied, so no old copy of
 * a deleted row stays in it) while another process is checkpointing the same file. SQLite answers
 * such a TRUNCATE checkpoint "busy" at once, without its busy timeout, and leaves the log as it
 * was; truncateLog waits and tries again until the log is empty.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqlite } from '../src/store/sqlite-driver';

const CHECKPOINTER = join(__dirname, 'support', 'checkpointing-process.js');

test('the log is emptied even when another process is checkpointing it at that moment', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'wa-truncate-'));
  const file = join(dir, 'state.sqlite');
  const db = openSqlite(file);
  try {
    // A big log (~40 MB) that nobody has checkpointed yet: the other process's copy takes a while.
    db.exec('PRAGMA wal_autocheckpoint = 0');
    db.exec('CREATE TABLE rows (id INTEGER PRIMARY KEY, body TEXT)');
    const insert = db.prepare('INSERT INTO rows (id, body) VALUES (?, ?)');
    db.transaction(() => {
      for (let i = 0; i < 10_000; i++) insert.run(i, 'x'.repeat(3900));
    });
    expect(statSync(`${file}-wal`).size).toBeGreaterThan(30_000_000);

    const other = spawn(process.execPath, [CHECKPOINTER, file], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    const started = new Promise<void>((resolve) =>
      other.stdout!.on('data', (chunk) => {
        out += chunk;
        if (out.startsWith('start\n')) resolve();
      }),
    );
    const exited = new Promise<number | null>((resolve) => other.on('exit', resolve));
    await started;
    await db.truncateLog();
    expect(statSync(`${file}-wal`).size).toBe(0);
    expect(await exited).toBe(0);
    expect(Number(db.prepare('SELECT count(*) AS n FROM rows').get()!.n)).toBe(10_000);
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
