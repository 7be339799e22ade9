/**
 * Where automatic re-sends of failed messages wait for their time (ledger/resender.ts). One job per
 * failed wamid: a redelivered or duplicated `failed` status finds its job already there and adds
 * nothing. A job is claimed by moving its due time one lease ahead, atomically, so of several
 * processes (Redis) or several handles on one file (embedded store) exactly one takes it; a process
 * that dies holding it leaves it due again once the lease is over.
 */

/** A re-send waiting for its time. */
export interface ResendJob {
  /** The wamid of the message that failed (the job's key). */
  failedId: string;
  /** The business phone number that sent it (only a resender of that number takes the job). */
  phoneNumberId: string;
  /** The wamid of the chain's first message (what the re-send's ledger row links to). */
  originalId: string;
  /** Which re-send this will be (1 = the first). */
  resend: number;
  /** Meta's error code of the failure. */
  code: number;
  /** When it is due, epoch ms. */
  dueAt: number;
}

export interface ResendStore {
  /**
   * Adds the job unless one for the same failed wamid exists (waiting or done); true when added.
   * The job (and later its "done" mark) is kept until `keepUntil`, epoch ms.
   */
  add(job: ResendJob, keepUntil: number): Promise<boolean>;
  /** Takes up to `limit` jobs of `phoneNumberId` due at `now`, each leased to this caller until `now + leaseMs`. */
  claimDue(phoneNumberId: string, now: number, leaseMs: number, limit: number): Promise<ResendJob[]>;
  /** Marks a claimed job done: it is never taken again, and the same failure never schedules it anew. */
  finish(failedId: string): Promise<void>;
  /** Jobs not done yet (of one number, or all), soonest first: for status lines and tests. */
  waiting(phoneNumberId?: string): Promise<ResendJob[]>;
}

/** Re-sends waiting in this process's memory (lost on restart). */
export class MemoryResendStore implements ResendStore {
  private readonly jobs = new Map<string, { job: ResendJob; done: boolean; keepUntil: number }>();

  async add(job: ResendJob, keepUntil: number): Promise<boolean> {
    this.drop(Date.now());
    if (this.jobs.has(job.failedId)) return false;
    this.jobs.set(job.failedId, { job: { ...job }, done: false, keepUntil });
    return true;
  }

  async claimDue(phoneNumberId: string, now: number, leaseMs: number, limit: number): Promise<ResendJob[]> {
    const due = [...this.jobs.values()]
      .filter((entry) => !entry.done && entry.job.phoneNumberId === phoneNumberId && entry.job.dueAt <= now)
      .sort((a, b) => a.job.dueAt - b.job.dueAt)
      .slice(0, limit);
    for (const entry of due) entry.job.dueAt = now + leaseMs;
    return due.map((entry) => ({ ...entry.job }));
  }

  async finish(failedId: string): Promise<void> {
    const entry = this.jobs.get(failedId);
    if (entry) entry.done = true;
  }

  async waiting(phoneNumberId?: string): Promise<ResendJob[]> {
    return [...this.jobs.values()]
      .filter((entry) => !entry.done && (phoneNumberId === undefined || entry.job.phoneNumberId === phoneNumberId))
      .map((entry) => ({ ...entry.job }))
      .sort((a, b) => a.dueAt - b.dueAt);
  }

  private drop(now: number): void {
    for (const [id, entry] of this.jobs) if (entry.keepUntil <= now) this.jobs.delete(id);
  }
}
