/**
 * Child processes for end-to-end tests: each runs in its own process group, and stop() kills the
 * whole group (n8n's task runner, npm's children, ...). Nothing may survive the test run:
 *  - stopAll() (call it in afterAll) stops every process this jest worker started;
 *  - an 'exit' hook SIGKILLs every group still alive when the worker exits normally;
 *  - a tiny detached "reaper" per process SIGKILLs the group if the jest worker itself dies
 *    (SIGKILL, crash, timeout) without running any hook.
 */
import { spawn, ChildProcess, SpawnOptions } from 'child_process';

export interface SpawnManagedOptions {
  command: string;
  args?: string[];
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Label used in error messages. */
  name?: string;
  /** Keep at most this many characters of combined stdout/stderr (default 2 MB). */
  maxLogChars?: number;
}

export interface ManagedProcess {
  readonly name: string;
  readonly pid: number;
  readonly child: ChildProcess;
  /** Combined stdout + stderr so far. */
  logs(): string;
  /** Resolves with the exit code (or signal name) once the process has exited. */
  readonly exited: Promise<number | string>;
  /** True once the process has exited. */
  hasExited(): boolean;
  /** Resolves when `pattern` shows up in the logs; rejects on timeout or early exit. */
  waitForLog(pattern: RegExp | string, timeoutMs?: number): Promise<void>;
  /** SIGTERM the process group, SIGKILL after `graceMs`, resolve when the leader has exited. */
  stop(graceMs?: number): Promise<void>;
}

const live = new Map<number, ManagedProcess>();

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    /* group already gone */
  }
}

let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const pid of live.keys()) killGroup(pid, 'SIGKILL');
  });
}

/** Watches the jest worker; if it disappears, SIGKILLs the child's group. Exits when either is gone. */
const REAPER_SOURCE = `
const [parent, group] = process.argv.slice(1).map(Number);
const alive = (pid) => { try { process.kill(pid, 0); return true; } catch (e) { return e.code === 'EPERM'; } };
setInterval(() => {
  if (!alive(group)) process.exit(0);
  if (!alive(parent)) { try { process.kill(-group, 'SIGKILL'); } catch {} process.exit(0); }
}, 500);
`;

function startReaper(groupPid: number): void {
  try {
    const reaper = spawn(process.execPath, ['-e', REAPER_SOURCE, String(process.pid), String(groupPid)], {
      detached: true,
      stdio: 'ignore',
    });
    reaper.unref();
  } catch {
    /* best effort */
  }
}

export function spawnManaged(opts: SpawnManagedOptions): ManagedProcess {
  installExitHook();
  const name = opts.name ?? opts.command;
  const maxLogChars = opts.maxLogChars ?? 2_000_000;
  const spawnOptions: SpawnOptions = {
    cwd: opts.cwd,
    env: opts.env ?? process.env,
    detached: true, // own process group, so stop() can kill the whole tree
    stdio: ['ignore', 'pipe', 'pipe'],
  };
  const child = spawn(opts.command, opts.args ?? [], spawnOptions);
  if (child.pid === undefined) {
    throw new Error(`could not spawn ${name} (${opts.command})`);
  }
  const pid = child.pid;
  let buffer = '';
  const listeners = new Set<() => void>();
  const append = (chunk: Buffer) => {
    buffer += chunk.toString('utf8');
    if (buffer.length > maxLogChars) buffer = buffer.slice(buffer.length - maxLogChars);
    for (const l of [...listeners]) l();
  };
  child.stdout!.on('data', append);
  child.stderr!.on('data', append);

  let exitedFlag = false;
  const exited = new Promise<number | string>((resolve) => {
    const done = (code: number | null, signal: NodeJS.Signals | null) => {
      if (exitedFlag) return;
      exitedFlag = true;
      live.delete(pid);
      // Whatever the leader left behind in its group goes too.
      killGroup(pid, 'SIGKILL');
      for (const l of [...listeners]) l();
      resolve(code ?? signal ?? 'unknown');
    };
    child.once('exit', done);
    child.once('error', (err) => {
      buffer += `\n[harness] spawn error: ${String(err)}\n`;
      done(null, null);
    });
  });

  const proc: ManagedProcess = {
    name,
    pid,
    child,
    logs: () => buffer,
    exited,
    hasExited: () => exitedFlag,
    waitForLog(pattern, timeoutMs = 60_000) {
      const test = (s: string) => (typeof pattern === 'string' ? s.includes(pattern) : pattern.test(s));
      return new Promise<void>((resolve, reject) => {
        const finish = (err?: Error) => {
          clearTimeout(timer);
          listeners.delete(check);
          if (err) reject(err);
          else resolve();
        };
        const check = () => {
          if (test(buffer)) finish();
          else if (exitedFlag) finish(new Error(`${name} exited before logging ${pattern}. Logs:\n${tail(buffer)}`));
        };
        const timer = setTimeout(
          () => finish(new Error(`${name}: timed out after ${timeoutMs} ms waiting for ${pattern}. Logs:\n${tail(buffer)}`)),
          timeoutMs,
        );
        listeners.add(check);
        check();
      });
    },
    async stop(graceMs = 10_000) {
      if (exitedFlag) return;
      killGroup(pid, 'SIGTERM');
      const timer = setTimeout(() => killGroup(pid, 'SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
  live.set(pid, proc);
  startReaper(pid);
  return proc;
}

/** Stops every process started by this jest worker (use in afterAll). */
export async function stopAll(graceMs = 10_000): Promise<void> {
  await Promise.all([...live.values()].map((p) => p.stop(graceMs)));
}

/** Processes of this worker that are still running. */
export function liveProcesses(): ManagedProcess[] {
  return [...live.values()];
}

export interface RunResult {
  code: number | string;
  stdout: string;
  stderr: string;
  /** stdout and stderr interleaved as they arrived. */
  output: string;
}

export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
  name?: string;
  /** Throw when the exit code is not 0 (default true). */
  check?: boolean;
}

/** Runs a command to completion in its own process group (killed on timeout). */
export async function run(command: string, args: string[], opts: RunOptions = {}): Promise<RunResult> {
  installExitHook();
  const name = opts.name ?? `${command} ${args.join(' ')}`;
  const child = spawn(command, args, {
    cwd: opts.cwd,
    env: opts.env ?? process.env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (child.pid === undefined) throw new Error(`could not spawn ${name}`);
  const pid = child.pid;
  let stdout = '';
  let stderr = '';
  let output = '';
  child.stdout!.on('data', (c: Buffer) => {
    stdout += c;
    output += c;
  });
  child.stderr!.on('data', (c: Buffer) => {
    stderr += c;
    output += c;
  });
  // Registered like a long-running process so that teardown/exit hooks kill it too.
  const handle: ManagedProcess = {
    name,
    pid,
    child,
    logs: () => output,
    exited: Promise.resolve(0),
    hasExited: () => false,
    waitForLog: () => Promise.resolve(),
    stop: async () => killGroup(pid, 'SIGKILL'),
  };
  live.set(pid, handle);
  startReaper(pid);
  let timedOut = false;
  const timer =
    opts.timeoutMs !== undefined
      ? setTimeout(() => {
          timedOut = true;
          killGroup(pid, 'SIGKILL');
        }, opts.timeoutMs)
      : undefined;
  const code = await new Promise<number | string>((resolve) => {
    child.once('error', (err) => {
      output += `\n[harness] spawn error: ${String(err)}\n`;
      resolve('spawn-error');
    });
    // Leader gone: kill what it left in its group (it could hold the pipes open), then wait for
    // the pipes to drain.
    child.once('exit', () => killGroup(pid, 'SIGKILL'));
    child.once('close', (c, s) => resolve(c ?? s ?? 'unknown'));
  });
  if (timer) clearTimeout(timer);
  live.delete(pid);
  killGroup(pid, 'SIGKILL');
  if (timedOut) throw new Error(`${name}: timed out after ${opts.timeoutMs} ms. Output:\n${tail(output)}`);
  if ((opts.check ?? true) && code !== 0) {
    throw new Error(`${name}: exited with ${code}. Output:\n${tail(output)}`);
  }
  return { code, stdout, stderr, output };
}

/** Last `n` characters of a log, for error messages. */
export function tail(s: string, n = 6000): string {
  return s.length > n ? '…' + s.slice(s.length - n) : s;
}
