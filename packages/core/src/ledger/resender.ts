import { WhatsAppError } from '../errors/whatsapp-error';
import { resendDelayForCode } from '../errors/error-table';
import type { SendResult } from '../client';
import type { InboundEvent, InboundStatusEvent } from '../webhook/types';
import type { DeliveryLedger } from './ledger';
import type { ResendJob } from './resend-store';

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

/** Re-sends per original message at most, by default. */
export const DEFAULT_MAX_RESENDS = 3;
/** Most re-sends per original message a resender may be set to. */
export const MAX_RESENDS_LIMIT = 10;
/** How often due re-sends are looked for, by default. */
export const DEFAULT_RESEND_CHECK_MS = 30_000;
/**
 * How long a claimed job stays with the process that took it. A process that dies holding it
 * leaves it due again after this (its re-send may then have gone out: at least once, see README).
 */
const LEASE_MS = 5 * MINUTE;
/** Jobs taken per check. */
const CLAIM_BATCH = 50;
/** A job's "done" mark outlives Meta's redeliveries (7 days), so a late copy of the failure adds nothing. */
const KEEP_AFTER_DUE_MS = 8 * DAY;

/** What the resender needs of a client: send a message and link the ledger row to the failure it re-sends. */
export interface ResendSender {
  readonly phoneNumberId: string;
  send(message: unknown, options?: { resendOf?: string; resend?: number }): Promise<SendResult>;
}

export interface FailedMessageResenderOptions {
  /** The ledger the sends are recorded in and the statuses joined to (its `resends` store holds the jobs). */
  ledger: DeliveryLedger;
  /** The client of the number whose failed messages are re-sent (it sends and records the re-send). */
  client: ResendSender;
  /** Re-sends per original message at most (1 to 10). @default 3 */
  maxResends?: number;
  /** How often due re-sends are looked for, in ms. @default 30000 */
  checkEveryMs?: number;
  /** Clock, in ms since the epoch (tests move it instead of waiting). @default Date.now */
  now?: () => number;
  /** Told of every re-send taken: sent (with the new wamid) or given up (with the error). */
  onResend?: (outcome: ResendOutcome) => void;
}

/** What became of one re-send. */
export interface ResendOutcome {
  job: ResendJob;
  /** The re-send's wamid, when Meta accepted it. */
  messageId?: string;
  /** Why it was not re-sent (refused by the quality guard or the window, Meta's answer, content gone). */
  error?: WhatsAppError | Error;
}

/** Errors after which a claimed job is tried again at the next check (nothing reached Meta). */
const TRY_AGAIN = new Set(['connection_failed', 'shared_store_unavailable', 'client_closed', 'limiter_stopped']);

/**
 * Re-sends messages whose `failed` status carries a code the one error table marks "retryable
 * later" (`resendAfterMs`: 131049 after 24 hours, 131000 / 131016 after 5 minutes, …), at most
 * `maxResends` times per original message, after the table's delay counted from the failure's
 * time. Permanent failures (131026, 131050, 130472, …) are never re-sent.
 *
 * The jobs live in the ledger's store (`ledger.resends`: memory, the embedded file, or Redis), and
 * the message content in the failed message's ledger row: a pending re-send survives a restart,
 * and with Redis each due job is claimed by one process only. The re-send goes through the client
 * (window policy, quality guard and limiter apply again); its ledger row carries `resendOf` (the
 * first message) and `resend` (1, 2, …), the failed row `resentAs`, and the reference
 * (`biz_opaque_callback_data`) is the same, so a look-up by reference finds the newest try.
 *
 * The webhook side schedules (`handleWebhookPost({ …, resender })`); the component that has the
 * credentials runs `start()` (a timer) and `stop()` on close.
 *
 * @example
 * const resender = new FailedMessageResender({ ledger: state.ledger, client });
 * resender.start();
 * await handleWebhookPost({ rawBody, headers, appSecret, ledger: state.ledger, resender });
 */
export class FailedMessageResender {
  readonly ledger: DeliveryLedger;
  readonly client: ResendSender;
  readonly maxResends: number;
  readonly checkEveryMs: number;
  private readonly now: () => number;
  private readonly onResend?: (outcome: ResendOutcome) => void;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<ResendOutcome[]> | undefined;
  private stopped = false;

  constructor(options: FailedMessageResenderOptions) {
    this.ledger = options.ledger;
    this.client = options.client;
    this.maxResends = options.maxResends ?? DEFAULT_MAX_RESENDS;
    if (!Number.isInteger(this.maxResends) || this.maxResends < 1 || this.maxResends > MAX_RESENDS_LIMIT) {
      throw new WhatsAppError(`maxResends: ${String(options.maxResends)} must be a whole number from 1 to ${MAX_RESENDS_LIMIT}`, {
        code: 'invalid_option',
        category: 'validation',
        hint: `Re-send a failed message at most ${MAX_RESENDS_LIMIT} times (default ${DEFAULT_MAX_RESENDS}).`,
      });
    }
    this.checkEveryMs = options.checkEveryMs ?? DEFAULT_RESEND_CHECK_MS;
    if (!Number.isFinite(this.checkEveryMs) || this.checkEveryMs < 100) {
      throw new WhatsAppError(`checkEveryMs: ${String(options.checkEveryMs)} must be at least 100`, {
        code: 'invalid_option',
        category: 'validation',
        hint: 'Look for due re-sends at most every 100 ms (default every 30 seconds).',
      });
    }
    this.now = options.now ?? Date.now;
    this.onResend = options.onResend;
  }

  /**
   * Schedules a re-send for each `failed` status of this number whose code is retryable later and
   * whose send the ledger holds (with its content), unless the chain already had `maxResends`.
   * Idempotent: duplicates and redeliveries of a failure add nothing. Returns how many were added.
   * A job already due (a late status) is taken right away, in the background.
   */
  async schedule(events: readonly InboundEvent[]): Promise<number> {
    let added = 0;
    let dueNow = false;
    for (const event of events) {
      if (event.kind !== 'status' || event.status !== 'failed' || !event.messageId || event.phoneNumberId !== this.client.phoneNumberId) continue;
      const job = await this.jobFor(event);
      if (!job) continue;
      if (await this.ledger.resends.add(job, Math.max(job.dueAt, this.now()) + KEEP_AFTER_DUE_MS)) {
        added += 1;
        if (job.dueAt <= this.now()) dueNow = true;
      }
    }
    if (dueNow && !this.stopped) setImmediate(() => void this.runDue().catch(() => undefined));
    return added;
  }

  /** Takes the due re-sends of this number and sends them; returns what became of each. */
  runDue(): Promise<ResendOutcome[]> {
    // One pass at a time per resender: a slow pass and the timer never take jobs twice over.
    if (this.running) return this.running.then(() => this.runDue());
    const pass = this.pass().finally(() => (this.running = undefined));
    this.running = pass;
    return pass;
  }

  /** Looks for due re-sends every `checkEveryMs` (and once now); the timer never keeps the process alive. */
  start(): void {
    if (this.timer || this.stopped) return;
    const tick = () => void this.runDue().catch(() => undefined);
    this.timer = setInterval(tick, this.checkEveryMs);
    this.timer.unref();
    setImmediate(tick);
  }

  /** Stops the timer and waits for a pass in progress (jobs not taken stay in the store for the next start). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running?.catch(() => undefined);
  }

  private async jobFor(event: InboundStatusEvent): Promise<ResendJob | undefined> {
    const code = event.errors[0]?.graphCode;
    const delay = resendDelayForCode(code);
    if (delay === undefined || code === undefined) return undefined;
    const record = await this.ledger.getWithRequest(event.messageId);
    // Only what this ledger saw sent, with its content, and not re-sent already.
    if (!record?.request || record.resentAs !== undefined) return undefined;
    const resend = (record.resend ?? 0) + 1;
    if (resend > this.maxResends) return undefined;
    return {
      failedId: record.messageId,
      phoneNumberId: record.phoneNumberId,
      originalId: record.resendOf ?? record.messageId,
      resend,
      code,
      dueAt: event.timestamp.getTime() + delay,
    };
  }

  private async pass(): Promise<ResendOutcome[]> {
    const outcomes: ResendOutcome[] = [];
    if (this.stopped) return outcomes;
    const jobs = await this.ledger.resends.claimDue(this.client.phoneNumberId, this.now(), LEASE_MS, CLAIM_BATCH);
    for (const job of jobs) {
      const outcome = await this.resendOne(job);
      if (outcome) {
        outcomes.push(outcome);
        try {
          this.onResend?.(outcome);
        } catch {
          // A listener's bug must not stop the other re-sends.
        }
      }
    }
    return outcomes;
  }

  /** Sends one claimed job; undefined when it is left for the next check (nothing reached Meta). */
  private async resendOne(job: ResendJob): Promise<ResendOutcome | undefined> {
    const record = await this.ledger.getWithRequest(job.failedId);
    if (!record?.request) {
      await this.ledger.resends.finish(job.failedId);
      return { job, error: new WhatsAppError(`The ledger no longer holds message ${job.failedId} (expired or forgotten), so it was not re-sent`, { code: 'resend_content_gone', category: 'unknown', hint: 'Nothing to do: keep ledger retention longer than the re-send delays (24 hours for 131049).' }) };
    }
    let result: SendResult;
    try {
      result = await this.client.send(record.request, { resendOf: job.originalId, resend: job.resend });
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (typeof code === 'string' && TRY_AGAIN.has(code)) return undefined;
      // Refused (quality guard, closed window, Meta's answer) or maybe sent (delivery_unknown): never again.
      await this.ledger.resends.finish(job.failedId);
      return { job, error: error as Error };
    }
    await this.ledger.resends.finish(job.failedId);
    await this.ledger.linkResend(job.failedId, result.messageId).catch(() => undefined);
    return { job, messageId: result.messageId };
  }
}
