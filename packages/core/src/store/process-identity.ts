import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';

/**
 * Who marked a seen-event key "in flight", written into the key's row so that another process (or
 * this one after a restart) can tell whether the marker still runs. A pid alone is not enough:
 * pids are reused after a reboot, and in a container the same pid comes back on every start.
 * Format `pid:uuid:bootId:startTicks` (the last two on Linux only; empty elsewhere).
 */
export interface ProcessMark {
  pid: number;
  /** The kernel's boot id (Linux): a different one means the machine restarted since the mark. */
  boot?: string;
  /** The process's start time in clock ticks since boot (Linux): a different one means the pid was reused. */
  started?: string;
}

function readTrimmed(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8').trim() || undefined;
  } catch {
    return undefined; // not Linux, or no /proc: the pid check alone remains
  }
}

/** Fields 3 on of /proc/<pid>/stat; the command name (field 2) may hold spaces, so count from its ')'. */
function statFields(pid: number): string[] | undefined {
  const stat = readTrimmed(`/proc/${pid}/stat`);
  return stat?.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/** Field 22 of /proc/<pid>/stat: the start time in clock ticks since boot. */
export function processStartTicks(pid: number): string | undefined {
  return statFields(pid)?.[19];
}

const BOOT = readTrimmed('/proc/sys/kernel/random/boot_id');

const OWN_START = processStartTicks(process.pid);

/** This process's mark. */
export const OWNER = `${process.pid}:${randomUUID()}:${BOOT ?? ''}:${OWN_START ?? ''}`;

export function parseMark(owner: string): ProcessMark {
  const [pid, , boot, started] = owner.split(':');
  return { pid: Number(pid), boot: boot || undefined, started: started || undefined };
}

/** Whether the process that wrote `owner` is gone (so it will never acknowledge its keys). */
export function ownerIsGone(owner: string): boolean {
  if (owner === OWNER) return false;
  const { pid, boot, started } = parseMark(owner);
  if (!Number.isInteger(pid) || pid <= 0) return true;
  if (boot && BOOT && boot !== BOOT) return true; // the machine restarted: every process of then is gone
  if (pid === process.pid) {
    // Our pid: a previous life of this process (a container restarts with the same pid), unless
    // the start time says it is this very process (another copy of this code, a worker thread).
    return !started || started !== OWN_START;
  }
  const state = statFields(pid)?.[0];
  if (state === 'Z' || state === 'X') return true; // exited, not yet reaped by its parent
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return true;
    // EPERM: it runs, as another user; its start time below still tells a reused pid apart
  }
  const now = started ? processStartTicks(pid) : undefined;
  return now !== undefined && now !== started; // the pid now belongs to another process
}
