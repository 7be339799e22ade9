import { WebhookPayloadError, WebhookSignatureError } from '../errors/error-classes';
import type { RedisOptions } from '../redis/connection';
import { sharedRedisState } from '../registry';
import type { WindowTracker } from '../window/window-tracker';
import { DEFAULT_DEDUPE_TTL_MS, type EventDeduplicator } from './dedupe';
import { MAX_WEBHOOK_BYTES, WebhookTooLargeError } from './errors';
import { parseWebhook } from './parse';
import type { InboundEvent } from './types';
import { verifySignature, verifySubscription, type SubscriptionQuery } from './verify';
import { applyWindowUpdates } from './window-updates';
import type { QualityGuard } from '../quality/quality-guard';
import { applyQualityUpdates } from '../quality/webhook-updates';
import type { DeliveryLedger } from '../ledger/ledger';
import { joinStatuses } from '../ledger/join';
import type { FailedMessageResender } from '../ledger/resender';
import type { MessagingLimit } from '../limits/messaging-limit';
import { applyMessagingLimitUpdates } from '../limits/webhook-updates';

/** HTTP request headers as Node and most frameworks give them. */
export type WebhookHeaders = Record<string, string | string[] | undefined>;

export interface WebhookPostInput {
  /** The body exactly as received: the bytes Meta signed. Never `JSON.stringify(req.body)`. */
  rawBody: Buffer | string;
  /** Request headers (any case). */
  headers: WebhookHeaders;
  /** The Meta app's App Secret (App Dashboard → App settings → Basic). */
  appSecret: string;
  /** Drops Meta's redeliveries. Without one, every event is returned. */
  deduplicator?: EventDeduplicator;
  /** Records the 24-hour window for inbound messages and closes it on 131047 failures. */
  windowTracker?: WindowTracker;
  /**
   * Feeds the quality guard: 131026 / 131049 / 131050 / 131048 failures, `user_preferences`
   * stop/resume, `phone_number_quality_update` and inbound messages (which lift a suppression).
   * Pass the guard the sending side uses (`sharedQualityGuard()`, `sharedRedisState().qualityGuard`).
   */
  qualityGuard?: QualityGuard;
  /**
   * The delivery ledger the sending side records into: every status is merged into it (before
   * dedupe: merges are idempotent) and each status event gains its send's context (`send`:
   * template, reference, recipient, sent-at) and the ledger's `ledgerStatus`.
   */
  ledger?: DeliveryLedger;
  /**
   * Re-send failed messages whose code is retryable later (the ledger's re-send option, off unless
   * given): each `failed` status of the resender's number schedules one re-send in the ledger's
   * store (before dedupe: scheduling is idempotent). Needs `ledger` (the same one).
   * @default undefined (nothing re-sent)
   */
  resender?: FailedMessageResender;
  /** The messaging limit the sending side counts with: `business_capability_update` updates its tier. */
  messagingLimit?: MessagingLimit;
  /**
   * Dedupe and record windows in Redis, shared with the processes that send (same `keyPrefix`):
   * used for whichever of `deduplicator` and `windowTracker` is not given, through the process's
   * one connection per URL and prefix (`sharedRedisState`). A Redis outage rejects with
   * `shared_store_unavailable` (answer 5xx: Meta delivers again) unless `fallbackToLocal` is set.
   */
  redis?: RedisOptions;
  /**
   * Keep the new events' dedupe keys in flight until `result.acknowledge()` (call it once the
   * events are handed on, just before answering 200). A process killed in between does not count
   * them as seen after its restart, so Meta's redelivery is handled rather than lost. Only the
   * embedded store keeps this state; elsewhere acknowledge() does nothing and release() forgets
   * the keys (they were marked seen at once). @default false
   */
  acknowledgeLater?: boolean;
  /**
   * With `acknowledgeLater`, for a receiver that hands events on within the same few event-loop
   * turns (Node-RED's node.send): the keys, the window/quality updates and the acknowledgement
   * are committed together by `acknowledge()` (one commit per webhook instead of two). The call
   * then resolves before anything of this webhook is durable: hand the events on, then call
   * `acknowledge()` (or `release()`) without delay and answer 200 once it resolves. A crash
   * before that commit leaves nothing behind, so Meta's redelivery is handled (never lost). Only
   * the embedded store groups commits; elsewhere this changes nothing. Not for a hand-off that
   * waits on I/O (n8n storing an execution): the file's write lock is held until `acknowledge()`.
   * @default false
   */
  commitWithAcknowledgement?: boolean;
  /**
   * Check `X-Hub-Signature-256`. Turn off only behind something that already verified it
   * (the sandbox, a test). @default true
   */
  verify?: boolean;
  /**
   * Events whose signed `timestamp` is older than this (ms) are dropped as replays: a captured,
   * validly signed POST replayed after the dedupe store forgot its keys (a restart of an in-memory
   * store, an eviction, the TTL) must not be handled again. Meta redelivers for at most 7 days.
   * `'dedupe'` uses the deduplicator's TTL (the dedupe horizon, else 7 days); 0 turns the check
   * off (for tests that replay old sample payloads on purpose). Dropped events are counted in
   * `stale`; the caller still answers 200 so that Meta stops redelivering.
   * @default 'dedupe'
   */
  maxEventAgeMs?: number | 'dedupe';
  /** Clock for the age check, in ms since the epoch. @default Date.now */
  now?: () => number;
}

export interface WebhookPostResult {
  /** New events, in the order of the POST body. */
  events: InboundEvent[];
  /** Events dropped as redeliveries. */
  duplicates: number;
  /** Events dropped because their signed timestamp is older than `maxEventAgeMs` (replays). */
  stale: number;
  /** Confirms the events' dedupe keys (with `acknowledgeLater`; otherwise they already are). */
  acknowledge(): Promise<void>;
  /**
   * With `acknowledgeLater`: forgets the events' dedupe keys instead, when they could not be handed
   * on after all (the platform failed to take them and answers an error), so Meta's redelivery is
   * handled rather than dropped. Elsewhere it does nothing.
   */
  release(): Promise<void>;
}

/** The header's value, or undefined when absent; throws when it is repeated (never sent by Meta). */
function signatureHeader(headers: WebhookHeaders): string | undefined {
  // One pass without intermediate arrays (this runs for every POST); the length test skips
  // lower-casing every other header name.
  let found: string | undefined;
  let count = 0;
  for (const name of Object.keys(headers)) {
    if (name.length !== SIGNATURE_HEADER.length || name.toLowerCase() !== SIGNATURE_HEADER) continue;
    const value = headers[name];
    if (value === undefined) continue;
    if (Array.isArray(value)) {
      count += value.length;
      if (found === undefined) found = value[0];
    } else {
      count += 1;
      if (found === undefined) found = value;
    }
  }
  if (count > 1) throw new WebhookSignatureError();
  return found;
}

const SIGNATURE_HEADER = 'x-hub-signature-256';

/**
 * Everything an adapter does with a webhook POST, in order: size check, signature check (raw
 * bytes, constant time), parse (every item), replays older than the dedupe horizon dropped, statuses joined to the delivery ledger, dedupe, then window updates (every inbound user
 * message opens the window under its phone number and its BSUID; a 131047 failure closes it), then
 * quality-guard updates when a `qualityGuard` is given.
 * Answer 200 as soon as this resolves, and hand the events on.
 *
 * @throws WebhookTooLargeError (413) for a body over 3 MB, WebhookSignatureError (401) for a
 *   missing, wrong or repeated signature, WebhookPayloadError (400) for a body that is not a
 *   WhatsApp webhook.
 * @example
 * const { events } = await handleWebhookPost({ rawBody: req.rawBody, headers: req.headers, appSecret, deduplicator, windowTracker });
 */
export async function handleWebhookPost(input: WebhookPostInput): Promise<WebhookPostResult> {
  const { rawBody } = input;
  if (typeof rawBody !== 'string' && !Buffer.isBuffer(rawBody)) {
    // An adapter that lost the raw body cannot verify anything; say so rather than answer 401.
    throw new WebhookPayloadError('the raw body is missing (pass the request bytes as received, not a parsed object)');
  }
  const size = typeof rawBody === 'string' ? Buffer.byteLength(rawBody, 'utf8') : rawBody.length;
  if (size > MAX_WEBHOOK_BYTES) throw new WebhookTooLargeError(size);
  if (input.verify !== false && !verifySignature(rawBody, signatureHeader(input.headers), input.appSecret)) {
    throw new WebhookSignatureError();
  }
  const parsed = parseWebhook(rawBody);
  const shared = input.redis && (!input.deduplicator || !input.windowTracker) ? sharedRedisState(input.redis) : undefined;
  const deduplicator = input.deduplicator ?? shared?.deduplicator;
  const windowTracker = input.windowTracker ?? shared?.windowTracker;
  const maxAgeSetting = input.maxEventAgeMs ?? 'dedupe';
  const maxAge = maxAgeSetting === 'dedupe' ? (deduplicator?.ttlMs ?? DEFAULT_DEDUPE_TTL_MS) : maxAgeSetting;
  const oldest = (input.now ?? Date.now)() - maxAge;
  const current = maxAge > 0 ? parsed.filter((event) => !isOlderThan(event, oldest)) : parsed;
  const later = input.acknowledgeLater === true;
  // Every write of this webhook stays in one group until acknowledge() (see commitWithAcknowledgement).
  const unhold = later && input.commitWithAcknowledgement === true ? deduplicator?.store.hold?.() : undefined;
  const flushAll = () => Promise.all([deduplicator?.store.flush?.(), windowTracker?.store.flush?.(), input.qualityGuard?.store.flush?.(), input.ledger?.flush()]).then(() => undefined);
  try {
    await joinStatuses(current, input.ledger);
    if (input.resender && input.ledger) await input.resender.schedule(current);
    const events = deduplicator ? await deduplicator.filter(current, { pending: later }) : current;
    if (windowTracker) await applyWindowUpdates(windowTracker, events);
    if (input.qualityGuard) await applyQualityUpdates(input.qualityGuard, events);
    if (input.messagingLimit) applyMessagingLimitUpdates(input.messagingLimit, events);
    const counts = { events, duplicates: current.length - events.length, stale: parsed.length - current.length };
    if (unhold) {
      // The keys are written in flight (pending) and their acknowledgement joins the same open
      // group: should the hold time out first, the keys commit in flight and nothing is lost.
      const settle = (step: () => Promise<void>) => () => step().finally(unhold).then(flushAll);
      return { ...counts, acknowledge: settle(() => deduplicator!.acknowledge(events, { flush: false })), release: settle(() => deduplicator!.release(events, { flush: false })) };
    }
    // Durable before the caller answers 200: the embedded store commits writes in groups (one
    // commit per event-loop turn, shared by concurrent webhooks); wait for that commit.
    await flushAll();
    const acknowledge = later && deduplicator ? () => deduplicator.acknowledge(events) : () => Promise.resolve();
    const release = later && deduplicator ? () => deduplicator.release(events) : () => Promise.resolve();
    return { ...counts, acknowledge, release };
  } catch (error) {
    unhold?.();
    throw error;
  }
}

/**
 * True when the event's signed time is before `oldest`: its own `timestamp`, else the entry's
 * `time` (template, account and other change events carry only that). Events with neither are kept.
 */
function isOlderThan(event: InboundEvent, oldest: number): boolean {
  const at = (event as { timestamp?: unknown }).timestamp ?? (event as { entryTime?: unknown }).entryTime;
  return at instanceof Date && Number.isFinite(at.getTime()) && at.getTime() < oldest;
}

/**
 * Answers Meta's verification GET: returns the `hub.challenge` to send back with 200.
 * Same as {@link verifySubscription}; named for symmetry with {@link handleWebhookPost}.
 *
 * @throws WebhookVerificationError (403) when the mode or the verify token is wrong.
 */
export function handleWebhookGet(query: SubscriptionQuery, verifyToken: string): string {
  return verifySubscription(query, verifyToken);
}
