/**
 * Another connection holds the embedded store's write lock (another process committing, an sqlite3
 * shell left in a transaction, a backup tool). While it does, the event loop keeps running and a
 * write waits for the file; past the busy timeout no "database is locked" reaches the user, the write
 * that waited is kept in memory (and read back from there), the store does not turn into memory
 * until restart, and forgetting a user fails loudly instead of saying it forgot.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmbeddedStateStore, embeddedStoreFile } from '../src/store/embedded-state-store';
import { openSqlite } from '../src/store/sqlite-driver';

const DRIVER = join(__dirname, '..', 'dist', 'store', 'sqlite-driver.js');

/** A separate process that takes the file's write lock and keeps it until released. */
async function lockHolder(file: string): Promise<{ release(): Promise<void> }> {
  const script = `
    const db = require(${JSON.stringify(DRIVER)}).openSqlite(${JSON.stringify(file)});
    db.exec('BEGIN IMMEDIATE');
    process.stdout.write('locked\\n');
    process.stdin.once('data', () => { db.exec('COMMIT'); db.close(); process.exit(0); });`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['pipe', 'pipe', 'inherit'] });
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  await new Promise<void>((resolve, reject) => {
    child.stdout!.once('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`lock holder exited (${code})`)));
  });
  return {
    async release() {
      child.stdin!.end('go\n');
      expect(await exited).toBe(0);
    },
  };
}

test('while the file is locked the event loop runs, and a write that waited lands in the file once it is free', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'wa-locked-'));
  const file = embeddedStoreFile(dir);
  const store = new EmbeddedStateStore(file, { sweepIntervalMs: 0 }); // the default 10 s busy timeout
  const emitWarning = jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
  const expiresAt = Date.now() + 3_600_000;
  let ticks = 0;
  const ticker = setInterval(() => ticks++, 5);
  try {
    const holder = await lockHolder(file);
    const started = Date.now();
    const write = store.windows.extend('106540352242922:14155550100', expiresAt);
    // Released from this event loop: a write that waited inside SQLite (the loop frozen) would
    // never see the release and would give up after 10 s.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const ticksWhileLocked = ticks;
    await holder.release();
    await write;
    await store.flush();
    expect(Date.now() - started).toBeLessThan(5_000);
    // 500 ms of 5 ms ticks is ~100; each try for the lock holds the loop 20 ms in 70.
    expect(ticksWhileLocked).toBeGreaterThan(30);
    expect(store.problem).toBeUndefined();
    expect(emitWarning).not.toHaveBeenCalled();
    const reader = openSqlite(file);
    try {
      expect(reader.prepare('SELECT key, expires_at FROM wa_windows').all()).toEqual([{ key: '106540352242922:14155550100', expires_at: expiresAt }]);
    } finally {
      reader.close();
    }
  } finally {
    clearInterval(ticker);
    emitWarning.mockRestore();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}, 30_000);

test('a file locked past the busy timeout: the write goes to memory with a plain warning, the file is used again once free', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'wa-locked-'));
  const file = embeddedStoreFile(dir);
  const store = new EmbeddedStateStore(file, { busyTimeoutMs: 100, sweepIntervalMs: 0 });
  const emitWarning = jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
  const warnings = () => emitWarning.mock.calls.map(([message, options]) => ({ message: String(message), code: (options as { code?: string } | undefined)?.code }));
  const expiresAt = Date.now() + 3_600_000;
  try {
    const holder = await lockHolder(file);
    try {
      await store.windows.extend('106540352242922:14155550100', expiresAt);
      expect(await store.dedupe.markIfNew('wamid.locked', 60_000, ['14155550100'])).toBe(true);
      await expect(store.forgetUsers(['14155550199'])).rejects.toMatchObject({ code: 'state_store_locked', retryable: true });
      expect(store.problem).toBeUndefined();
      const locked = warnings().filter((w) => w.code === 'WA_CLOUD_STATE_STORE_LOCKED');
      expect(locked).toHaveLength(1); // once a minute, not once a write
      expect(locked[0].message).toContain(file);
      expect(locked[0].message).toContain('held locked by another program');
      expect(warnings().map((w) => w.message).join('\n')).not.toMatch(/database is locked/i);
    } finally {
      await holder.release();
    }

    // Free again: the file is the store; what was written during the lock is read from memory.
    expect(await store.windows.getExpiry('106540352242922:14155550100')).toBe(expiresAt);
    expect(await store.dedupe.markIfNew('wamid.locked', 60_000, ['14155550100'])).toBe(false);
    await store.windows.extend('106540352242922:14155550101', expiresAt);
    expect(await store.dedupe.markIfNew('wamid.after', 60_000, ['14155550101'])).toBe(true);
    await store.flush();
    expect(store.problem).toBeUndefined();
    const reader = openSqlite(file);
    try {
      expect(reader.prepare('SELECT key FROM wa_windows').all()).toEqual([{ key: '106540352242922:14155550101' }]);
      expect(reader.prepare('SELECT key FROM wa_dedupe').all()).toEqual([{ key: 'wamid.after' }]);
    } finally {
      reader.close();
    }
  } finally {
    emitWarning.mockRestore();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}, 30_000);
