import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';

/**
 * Who marked a seen-event key "in flight", written into the key's row so that another process (or
 * this one after a restart) can tell whether the marker still runs. A pid alone is not enough:
 * pids are reused after a reboot, and in a container the same pid comes back on every start.
 * Format `pid:nonce:boot:startTicks` (the last two on Linux only; empty elsewhere), ~30 bytes: it
 * is written into every key in flight, and a shorter row is a cheaper commit (webhook ingest over
 * HTTP: +5 % median, faster in 5 of 6 alternated rounds, against the 90-byte
 * `pid:uuid:bootId:startTicks` of before, which is still understood).
 */
export interface ProcessMark {
  pid: number;
  /** The kernel's boot id (Linux), or its first {@link BOOT_CHARS} characters: a different one means the machine restarted since the mark. */
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

/** Hex characters of the boot id a mark keeps: two boots share them once in ~4 billion. */
const BOOT_CHARS = 8;

const BOOT = readTrimmed('/proc/sys/kernel/random/boot_id')?.slice(0, BOOT_CHARS);

const OWN_START = processStartTicks(process.pid);

/** This process's mark. The nonce tells apart two copies of this code in one process (each n8n node file bundles its own): each acknowledges only its own keys. */
export const OWNER = `${process.pid}:${randomUUID().slice(0, 8)}:${BOOT ?? ''}:${OWN_START ?? ''}`;

export function parseMark(owner: string): ProcessMark {
  const [pid, , boot, started] = owner.split(':');
  return { pid: Number(pid), boot: boot || undefined, started: started || undefined };
}

/** Whether the process that wrote `owner` is gone (so it will never acknowledge its keys). */
export function ownerIsGone(owner: string): boolean {
  if (owner === OWNER) return false;
  const { pid, boot, started } = parseMark(owner);
  if (!Number.isInteger(pid) || pid <= 0) return true;
  // The machine restarted: every process of then is gone. (Marks of before kept the whole boot id.)
  if (boot && BOOT && boot.slice(0, BOOT_CHARS) !== BOOT) return true;
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
