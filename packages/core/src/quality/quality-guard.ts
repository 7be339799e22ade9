import { createHash } from 'node:crypto';
import { WhatsAppError } from '../errors/whatsapp-error';
import type { GraphApi } from '../http/graph-api';
import { validateThroughputFactor } from '../limiter/local-rate-limiter';
import type { RateLimiter } from '../limiter/rate-limiter';
import type { PhoneNumberInfo } from '../phone-numbers';
import { MemoryKeyedExpiryStore, type WindowStore } from '../window/window-store';
import { windowKey } from '../window/window-tracker';
import { QualityGuardError } from './quality-error';
import { TemplateCategoryCache } from './template-categories';

const HOUR = 60 * 60 * 1000;
const DAY = 24 * HOUR;

/** A number's quality rating as Meta reports it (`quality_rating`); UNKNOWN when not rated or not known. */
export type QualityRating = 'GREEN' | 'YELLOW' | 'RED' | 'UNKNOWN';

const RATINGS: readonly QualityRating[] = ['GREEN', 'YELLOW', 'RED', 'UNKNOWN'];

/** The durations and factor a guard works with. */
export interface QualitySettings {
  suppressionMs: number;
  optOutMs: number;
  marketingCoolDownMs: number;
  spamPauseMs: number;
  yellowThroughputFactor: number;
  ratingTtlMs: number;
  ratingRefreshMs: number;
}

/** Defaults of {@link QualityGuardOptions}. */
/** Longest hold a rule may be set to (adapters that show hours show 8760). */
export const QUALITY_MAX_HOLD_MS = 365 * DAY;

/** Whether `ms` is a hold a rule may be set to: 0 (rule off) up to {@link QUALITY_MAX_HOLD_MS}. */
export const isQualityHoldMs = (ms: number): boolean => Number.isFinite(ms) && ms >= 0 && ms <= QUALITY_MAX_HOLD_MS;

export const QUALITY_DEFAULTS: Readonly<QualitySettings> = Object.freeze({
  /** After a 131026, sends to the recipient are held this long. */
  suppressionMs: 7 * DAY,
  /** A marketing opt-out is kept this long unless "resume" lifts it (Meta keeps it until the user resumes). */
  optOutMs: 400 * DAY,
  /** After a 131049 (per-user marketing limit), marketing templates to the user wait at least this long (Meta: ≥ 24 h). */
  marketingCoolDownMs: DAY,
  /** After a 131048 (spam rate limit), the number's marketing templates are paused this long. */
  spamPauseMs: DAY,
  /** Share of the throughput used while the rating is YELLOW or RED. */
  yellowThroughputFactor: 0.5,
  /** A rating not confirmed again (health check, webhook) for this long is forgotten. */
  ratingTtlMs: 7 * DAY,
  /** How often a process re-reads the shared rating on the send path. */
  ratingRefreshMs: 5000,
});

/**
 * What the client (or a node) turns on. Every rule is on by default; each can be switched off.
 * Durations given here apply to what this client records from its own sends; the webhook side
 * records with the guard's durations.
 */
export interface QualityOptions {
  /** Switches the whole guard off (no checks, no records, no pacing changes). @default true */
  enabled?: boolean;
  /** Hold sends to a recipient after 131026 (undeliverable). @default true (7 days) */
  suppressUndeliverable?: boolean | { coolDownMs?: number };
  /** Refuse MARKETING templates to users who stopped marketing messages. @default true */
  respectMarketingOptOut?: boolean;
  /** Wait after 131049 before another marketing template to that user; 0 switches the rule off. @default 86400000 (24 h) */
  marketingCoolDownMs?: number;
  /** Pause the number's marketing templates after 131048; 0 switches the rule off. @default 86400000 (24 h) */
  spamPauseMs?: number;
  /** Throughput share while the rating is YELLOW or RED; 1 switches quality-aware pacing off. @default 0.5 */
  yellowThroughputFactor?: number;
  /** Send business-initiated templates even while the rating is RED. @default false */
  allowSendsWhenRed?: boolean;
  /**
   * A guard shared with the webhook side (`sharedQualityGuard()` or `sharedRedisState().qualityGuard`),
   * so what the trigger hears (131026 statuses, opt-outs, quality events) protects this client's sends.
   * @default a guard of this client's own (in Redis with the client's `redis` option)
   */
  guard?: QualityGuard;
  /** Told of rating, pause and tier changes (also `guard.onChange`). */
  onChange?: (change: QualityChange) => void;
}

/** Settings of a {@link QualityGuard}: how long each record lasts, and where records live. */
export interface QualityGuardOptions {
  /** @default a bounded in-memory store (`MemoryKeyedExpiryStore`); a `RedisWindowStore` shares it between processes */
  store?: WindowStore;
  /** @default 604800000 (7 days) */
  suppressionMs?: number;
  /** @default 34560000000 (400 days) */
  optOutMs?: number;
  /** @default 86400000 (24 h) */
  marketingCoolDownMs?: number;
  /** @default 86400000 (24 h) */
  spamPauseMs?: number;
  /** @default 0.5 */
  yellowThroughputFactor?: number;
  /** @default 604800000 (7 days) */
  ratingTtlMs?: number;
  /** @default 5000 */
  ratingRefreshMs?: number;
  /** Template categories for the marketing rules. @default a 10-minute cache */
  categories?: TemplateCategoryCache;
  /** @default Date.now */
  now?: () => number;
  onChange?: (change: QualityChange) => void;
}

/** A change the adapters tell the user about (node status, log, workflow output). */
export interface QualityChange {
  phoneNumberId: string;
  kind: 'rating' | 'marketing_paused' | 'marketing_resumed' | 'tier';
  rating?: QualityRating;
  previousRating?: QualityRating;
  /** The throughput share now applied (rating changes). */
  throughputFactor?: number;
  /** Messaging limit tier (tier changes), e.g. TIER_2K. */
  tier?: string;
  /** End of a marketing pause. */
  until?: Date;
  /** One plain sentence for the user. */
  message: string;
}

/** What {@link QualityGuard.status} reports for a number (node status, health operation). */
export interface QualityStatus {
  phoneNumberId: string;
  rating: QualityRating;
  /** Messaging limit tier when known (health check or `phone_number_quality_update`). */
  tier?: string;
  /** Share of the configured throughput in use (1 = full). */
  throughputFactor: number;
  /** Set while the number's marketing templates are paused (131048). */
  marketingPausedUntil?: Date;
  /** Plain sentences for each thing that is not green. */
  notes: string[];
}

/** The rule switches of one client, resolved from {@link QualityOptions}. */
export interface QualityRules {
  enabled: boolean;
  suppressionMs: number;
  respectMarketingOptOut: boolean;
  marketingCoolDownMs: number;
  spamPauseMs: number;
  yellowThroughputFactor: number;
  allowSendsWhenRed: boolean;
}

/** Resolves a client's options against the guard's defaults. */
export function resolveQualityRules(options: QualityOptions = {}, guard?: QualityGuard): QualityRules {
  const defaults = guard?.settings ?? QUALITY_DEFAULTS;
  const suppress = options.suppressUndeliverable ?? true;
  const duration = (value: number | undefined, fallback: number, field: string) => {
    const ms = value ?? fallback;
    if (!isQualityHoldMs(ms)) {
      throw new WhatsAppError(`${field}: ${ms} must be from 0 to ${QUALITY_MAX_HOLD_MS} milliseconds (365 days)`, {
        code: 'invalid_option',
        category: 'validation',
        hint: `Set ${field} to a duration in milliseconds, at most 365 days (0 switches the rule off).`,
      });
    }
    return ms;
  };
  return {
    enabled: options.enabled ?? true,
    suppressionMs: suppress === false ? 0 : duration(suppress === true ? undefined : suppress.coolDownMs, defaults.suppressionMs, 'quality.suppressUndeliverable.coolDownMs'),
    respectMarketingOptOut: options.respectMarketingOptOut ?? true,
    marketingCoolDownMs: duration(options.marketingCoolDownMs, defaults.marketingCoolDownMs, 'quality.marketingCoolDownMs'),
    spamPauseMs: duration(options.spamPauseMs, defaults.spamPauseMs, 'quality.spamPauseMs'),
    yellowThroughputFactor: validateThroughputFactor(options.yellowThroughputFactor ?? defaults.yellowThroughputFactor),
    allowSendsWhenRed: options.allowSendsWhenRed ?? false,
  };
}

/** One send as the guard sees it. */
export interface QualityCheck {
  phoneNumberId: string;
  /** The recipient as sent (`+digits` or a BSUID). */
  recipient: string;
  /** Set for template messages. */
  template?: { name: string; language: string };
  /** For the template's category (marketing rules). */
  wabaId?: string;
  graph?: GraphApi;
  /** Whether the recipient's 24-hour window is open (asked only when the rating is RED). */
  windowOpen: () => Promise<boolean>;
}

/** Meta codes the guard learns from, synchronous or on the status webhook. */
export const QUALITY_CODES = Object.freeze({ undeliverable: 131026, spamRateLimit: 131048, perUserMarketingLimit: 131049, marketingOptOut: 131050 });

const FACTOR_OFF = 1;

/**
 * Protects a business number's quality rating (GREEN / YELLOW / RED): holds sends to recipients
 * Meta could not deliver to (131026), refuses marketing templates to users who opted out
 * (`user_preferences` stop, 131050) or hit the per-user marketing limit (131049), pauses the
 * number's marketing sends after a spam-rate limit (131048), slows the number while its rating
 * is YELLOW or RED and stops business-initiated templates while it is RED.
 *
 * Records live in a keyed-expiry store (the window store's interface): in memory by default, in
 * Redis to share them between processes. One guard per process serves every number (keys include
 * the phone number ID); clients attach their limiter so the rating can pace it.
 *
 * @example
 * const guard = new QualityGuard();
 * const client = new WhatsAppClient({ accessToken, phoneNumberId, wabaId, quality: { guard } });
 * guard.onChange((change) => console.log(change.message));
 */
export class QualityGuard {
  readonly store: WindowStore;
  readonly categories: TemplateCategoryCache;
  /** The durations and factor in force (defaults applied). */
  readonly settings: Readonly<QualitySettings>;
  private readonly now: () => number;
  private readonly listeners = new Set<(change: QualityChange) => void>();
  private readonly limiters = new Map<string, Map<RateLimiter, number>>();
  /** This process's view of each number's rating, and when it was read from the store. */
  private readonly ratings = new Map<string, { rating: QualityRating; readAt: number }>();
  /** The store read of a number's rating under way, if any (shared by every send that needs it). */
  private readonly ratingReads = new Map<string, Promise<QualityRating>>();
  private readonly tiers = new Map<string, string>();
  /** Display number digits → phone number ID (`phone_number_quality_update` names only the display number). */
  private readonly displayNumbers = new Map<string, string>();

  constructor(options: QualityGuardOptions = {}) {
    this.now = options.now ?? Date.now;
    this.store = options.store ?? new MemoryKeyedExpiryStore({ now: this.now });
    this.categories = options.categories ?? new TemplateCategoryCache({ now: this.now });
    this.settings = Object.freeze({
      suppressionMs: options.suppressionMs ?? QUALITY_DEFAULTS.suppressionMs,
      optOutMs: options.optOutMs ?? QUALITY_DEFAULTS.optOutMs,
      marketingCoolDownMs: options.marketingCoolDownMs ?? QUALITY_DEFAULTS.marketingCoolDownMs,
      spamPauseMs: options.spamPauseMs ?? QUALITY_DEFAULTS.spamPauseMs,
      yellowThroughputFactor: validateThroughputFactor(options.yellowThroughputFactor ?? QUALITY_DEFAULTS.yellowThroughputFactor),
      ratingTtlMs: options.ratingTtlMs ?? QUALITY_DEFAULTS.ratingTtlMs,
      ratingRefreshMs: options.ratingRefreshMs ?? QUALITY_DEFAULTS.ratingRefreshMs,
    });
    if (options.onChange) this.listeners.add(options.onChange);
  }

  /** Calls `listener` on every rating, pause and tier change; returns a function that stops it. */
  onChange(listener: (change: QualityChange) => void): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  /**
   * Lets the number's rating pace `limiter` (its throughput × `yellowFactor` while YELLOW or RED).
   * Returns a function that detaches it (the client's close does). The current rating applies at once.
   */
  attachLimiter(phoneNumberId: string, limiter: RateLimiter, yellowFactor = this.settings.yellowThroughputFactor): () => void {
    let attached = this.limiters.get(phoneNumberId);
    if (!attached) this.limiters.set(phoneNumberId, (attached = new Map()));
    attached.set(limiter, validateThroughputFactor(yellowFactor));
    const known = this.ratings.get(phoneNumberId)?.rating;
    if (known) limiter.setThroughputFactor?.(factorFor(known, yellowFactor));
    return () => {
      attached.delete(limiter);
      if (attached.size === 0 && this.limiters.get(phoneNumberId) === attached) this.limiters.delete(phoneNumberId);
    };
  }

  /**
   * Refuses the send with a {@link QualityGuardError} when a rule says so; resolves otherwise.
   * Reads only what the message needs: the suppression of the recipient and the rating for any
   * message, and the marketing records for templates (the category is looked up only when one of
   * them applies, so ordinary sends cost no template lookup).
   */
  async check(send: QualityCheck, rules: QualityRules): Promise<void> {
    if (!rules.enabled) return;
    const { phoneNumberId, recipient, template } = send;
    const user = windowKey(phoneNumberId, recipient);
    const marketing = template !== undefined;
    let records: [number | undefined, QualityRating, number | undefined, number | undefined, number | undefined];
    try {
      const optOut = key('optout', user);
      // Read together (one round trip on a shared store), undefined where a rule is off.
      const [expiries, rating] = await Promise.all([
        this.expiries([
          rules.suppressionMs > 0 ? key('suppressed', user) : undefined,
          marketing && rules.respectMarketingOptOut ? optOut : undefined,
          marketing && rules.respectMarketingOptOut ? hashedOptOutKey(optOut) : undefined,
          marketing && rules.marketingCoolDownMs > 0 ? key('cooldown', user) : undefined,
          marketing && rules.spamPauseMs > 0 ? key('paused', phoneNumberId) : undefined,
        ]),
        this.rating(phoneNumberId),
      ]);
      const [suppressed, byId, byHash, cooling, paused] = expiries;
      // An opt-out stands under the id, or under the hashed id a forgotten user's opt-out is kept as.
      records = [suppressed, rating, latest(byId, byHash), cooling, paused];
    } catch {
      // The shared store is down: the guard never refuses on its own for that. The limiter, on the
      // same Redis, holds the send back with its own clear error (or falls back when allowed).
      return;
    }
    const [suppressedUntil, rating, optedOut, coolingUntil, pausedUntil] = records;

    if (suppressedUntil !== undefined) {
      const until = new Date(suppressedUntil);
      throw new QualityGuardError(
        'recipient_suppressed',
        `Not sent: WhatsApp could not deliver to ${recipient} recently (error 131026), so messages to it are held until ${until.toISOString()}`,
        'The number may not be on WhatsApp, may use an old app or may have blocked you: check it or reach the person another way; it is lifted early when they write to you.',
        { recipient, until },
      );
    }
    if (!template) return;

    if (rating === 'RED' && !rules.allowSendsWhenRed && !(await send.windowOpen())) {
      throw new QualityGuardError(
        'number_quality_red',
        `Not sent: the quality rating of this business number is RED, so templates to people who have not written in the last 24 hours are stopped`,
        'Replies inside an open 24-hour window still go; check Account Quality in WhatsApp Manager, message only people who opted in, and wait for the rating to recover.',
        { recipient },
      );
    }

    if (optedOut === undefined && coolingUntil === undefined && pausedUntil === undefined) return;
    const category = send.wabaId && send.graph ? await this.categories.lookup(send.graph, send.wabaId, template.name, template.language) : undefined;
    if (category !== undefined && category !== 'MARKETING') return;
    // Unknown category (no WABA ID, or the template could not be read): treated as marketing, the
    // choice that cannot hurt the number; the message says so.
    const unknown =
      category === undefined
        ? ` (the category of template "${template.name}" could not be read${send.wabaId ? '' : ' because no WABA ID is set'}, so it is treated as marketing)`
        : '';
    const unknownHint = category === undefined ? ' Set the WhatsApp Business Account ID so utility and authentication templates can be told apart and go through.' : '';
    if (optedOut !== undefined) {
      throw new QualityGuardError(
        'marketing_opted_out',
        `Not sent: ${recipient} stopped marketing messages from this business${unknown}`,
        `Send them only utility or authentication templates until they resume marketing messages.${unknownHint}`,
        { recipient },
      );
    }
    if (coolingUntil !== undefined) {
      const until = new Date(coolingUntil);
      throw new QualityGuardError(
        'marketing_cooling_down',
        `Not sent: Meta held back a marketing template to ${recipient} (per-user marketing limit, 131049), so marketing templates to them wait until ${until.toISOString()}${unknown}`,
        `Try again after that time; sending again sooner only fails and counts against the number.${unknownHint}`,
        { recipient, until },
      );
    }
    const until = new Date(pausedUntil!);
    throw new QualityGuardError(
      'marketing_paused',
      `Not sent: marketing templates from this number are paused until ${until.toISOString()} because Meta limited it for spam risk (131048)${unknown}`,
      `Check the quality rating, slow down and message only people who opted in; utility and authentication templates still go.${unknownHint}`,
      { recipient, until },
    );
  }

  /**
   * Learns from a Meta error for a send to `recipient` (synchronous answer or status webhook, `at`
   * its time): 131026 suppresses the recipient, 131050 marks a marketing opt-out (both permanent:
   * recorded once per recipient while the record lives, see holdOnce), 131049 starts the
   * user's marketing cool-down, 131048 pauses the number's marketing. Durations default to the
   * guard's; a duration of 0 records nothing. Returns whether anything was recorded.
   */
  async recordFailure(
    phoneNumberId: string,
    recipient: string,
    graphCode: number | undefined,
    options: { at?: Date; suppressionMs?: number; marketingCoolDownMs?: number; spamPauseMs?: number; respectMarketingOptOut?: boolean } = {},
  ): Promise<boolean> {
    const at = options.at?.getTime() ?? this.now();
    switch (graphCode) {
      case QUALITY_CODES.undeliverable:
        return this.holdOnce(key('suppressed', windowKey(phoneNumberId, recipient)), at, options.suppressionMs ?? this.settings.suppressionMs);
      case QUALITY_CODES.marketingOptOut:
        if (options.respectMarketingOptOut === false) return false;
        return this.holdOnce(key('optout', windowKey(phoneNumberId, recipient)), at, this.settings.optOutMs);
      case QUALITY_CODES.perUserMarketingLimit:
        return this.hold(key('cooldown', windowKey(phoneNumberId, recipient)), at, options.marketingCoolDownMs ?? this.settings.marketingCoolDownMs);
      case QUALITY_CODES.spamRateLimit:
        return this.pauseMarketing(phoneNumberId, options.spamPauseMs ?? this.settings.spamPauseMs, new Date(at));
      default:
        return false;
    }
  }

  /** Holds sends to `recipient` for `ms` from now (default 7 days). */
  async suppress(phoneNumberId: string, recipient: string, ms = this.settings.suppressionMs): Promise<void> {
    await this.hold(key('suppressed', windowKey(phoneNumberId, recipient)), this.now(), ms);
  }

  /** Lifts a suppression (the user wrote to the business: they are reachable). */
  async unsuppress(phoneNumberId: string, recipient: string): Promise<void> {
    await this.store.delete(key('suppressed', windowKey(phoneNumberId, recipient)));
  }

  /** Marks `recipient` as having stopped marketing messages (`at`: when they did). */
  async optOut(phoneNumberId: string, recipient: string, at?: Date): Promise<void> {
    await this.hold(key('optout', windowKey(phoneNumberId, recipient)), at?.getTime() ?? this.now(), this.settings.optOutMs);
  }

  /** The user resumed marketing messages: lifts the opt-out (and any marketing cool-down). */
  async optIn(phoneNumberId: string, recipient: string): Promise<void> {
    const user = windowKey(phoneNumberId, recipient);
    await Promise.all([
      this.store.delete(key('optout', user)),
      this.store.delete(hashedOptOutKey(key('optout', user))!),
      this.store.delete(key('cooldown', user)),
    ]);
  }

  /** Pauses the number's marketing templates for `ms` from `from` (default now). */
  async pauseMarketing(phoneNumberId: string, ms = this.settings.spamPauseMs, from = new Date(this.now())): Promise<boolean> {
    const recorded = await this.hold(key('paused', phoneNumberId), from.getTime(), ms);
    if (recorded) {
      const until = new Date(from.getTime() + ms);
      this.emit({
        phoneNumberId,
        kind: 'marketing_paused',
        until,
        message: `Meta limited this number for spam risk (131048): marketing templates are paused until ${until.toISOString()}; utility and authentication templates still go.`,
      });
    }
    return recorded;
  }

  /** Ends a marketing pause early. */
  async resumeMarketing(phoneNumberId: string): Promise<void> {
    await this.store.delete(key('paused', phoneNumberId));
    this.emit({ phoneNumberId, kind: 'marketing_resumed', message: 'Marketing templates from this number are no longer paused.' });
  }

  /**
   * Records the number's rating (from a health check, a webhook, or the user). YELLOW and RED
   * lower the throughput of attached limiters; GREEN and UNKNOWN restore it. Listeners hear of a
   * change.
   */
  async setRating(phoneNumberId: string, rating: string, reason?: string): Promise<void> {
    const value = toRating(rating);
    const at = this.now();
    // One key per rating, each expiring ratingTtlMs after it was seen: the latest observation has
    // the latest expiry, so readers (other processes) pick it without a read-modify-write.
    await this.store.extend(key('rating', `${phoneNumberId}:${value}`), at + this.settings.ratingTtlMs);
    const previous = this.ratings.get(phoneNumberId)?.rating;
    // Stored before listeners hear of it, so a listener calling status() sees the new rating.
    this.ratings.set(phoneNumberId, { rating: value, readAt: at });
    this.applyRating(phoneNumberId, value, previous, reason);
  }

  /** Records the messaging limit tier (kept in this process, for the status display). */
  setTier(phoneNumberId: string, tier: string, reason?: string): void {
    const previous = this.tiers.get(phoneNumberId);
    this.tiers.set(phoneNumberId, tier);
    if (previous !== undefined && previous !== tier) {
      this.emit({ phoneNumberId, kind: 'tier', tier, message: `The messaging limit changed from ${previous} to ${tier}${reason ? ` (${reason})` : ''}.` });
    }
  }

  /** Learns a number's rating, tier and display number from a health check. */
  async recordHealth(phone: PhoneNumberInfo): Promise<void> {
    if (phone.displayPhoneNumber) this.learnDisplayNumber(phone.id, phone.displayPhoneNumber);
    if (phone.messagingLimit) this.setTier(phone.id, phone.messagingLimit, 'health check');
    if (phone.qualityRating) await this.setRating(phone.id, phone.qualityRating, 'health check');
  }

  /** Remembers which phone number ID a display number belongs to (webhook metadata, health checks). */
  learnDisplayNumber(phoneNumberId: string, displayPhoneNumber: string): void {
    const digits = displayPhoneNumber.replace(/\D/g, '');
    if (digits && phoneNumberId) this.displayNumbers.set(digits, phoneNumberId);
  }

  /**
   * The phone number ID of a display number; when it was never seen and this process serves
   * exactly one number, that number (the common single-number setup).
   */
  phoneNumberIdFor(displayPhoneNumber: string | undefined): string | undefined {
    const known = displayPhoneNumber ? this.displayNumbers.get(displayPhoneNumber.replace(/\D/g, '')) : undefined;
    if (known) return known;
    const numbers = new Set([...this.displayNumbers.values(), ...this.limiters.keys()]);
    return numbers.size === 1 ? [...numbers][0] : undefined;
  }

  /** The number's rating as this process knows it (re-read from the store every few seconds). */
  async rating(phoneNumberId: string): Promise<QualityRating> {
    const cached = this.ratings.get(phoneNumberId);
    const now = this.now();
    if (cached && now - cached.readAt < this.settings.ratingRefreshMs) return cached.rating;
    // One read at a time per number: a burst of sends (5,000 queued at once) asked the store for the
    // four rating keys once per send, 20,000 reads that told nothing new (a third of the CPU per send
    // on the Redis path, measured).
    let reading = this.ratingReads.get(phoneNumberId);
    if (!reading) {
      reading = this.readRating(phoneNumberId, cached, now).finally(() => this.ratingReads.delete(phoneNumberId));
      this.ratingReads.set(phoneNumberId, reading);
    }
    return reading;
  }

  private async readRating(phoneNumberId: string, cached: { rating: QualityRating; readAt: number } | undefined, now: number): Promise<QualityRating> {
    const expiries = await this.expiries(RATINGS.map((r) => key('rating', `${phoneNumberId}:${r}`)));
    let rating: QualityRating = 'UNKNOWN';
    let latest = -Infinity;
    expiries.forEach((expiresAt, i) => {
      if (expiresAt !== undefined && expiresAt > latest) {
        latest = expiresAt;
        rating = RATINGS[i]!;
      }
    });
    // Another process may have seen a change: pace this process's limiters the same way.
    this.ratings.set(phoneNumberId, { rating, readAt: now });
    if (cached?.rating !== rating) this.applyRating(phoneNumberId, rating, cached?.rating, cached ? 'seen by another process' : undefined);
    return rating;
  }

  /** Rating, tier, throughput share, marketing pause and plain-words notes for a status display. */
  async status(phoneNumberId: string): Promise<QualityStatus> {
    const [rating, paused] = await Promise.all([this.rating(phoneNumberId), this.store.getExpiry(key('paused', phoneNumberId))]);
    const factor = factorFor(rating, this.yellowFactor(phoneNumberId));
    const tier = this.tiers.get(phoneNumberId);
    const notes: string[] = [];
    const percent = `${Math.round(factor * 100)}%`;
    if (rating === 'YELLOW') notes.push(`Quality rating is YELLOW (medium): sending at ${percent} of the throughput until it is GREEN again; look at recent blocks and reports in WhatsApp Manager.`);
    if (rating === 'RED') notes.push(`Quality rating is RED (low): templates to people who have not written in 24 hours are stopped and replies go at ${percent} of the throughput; message only people who opted in until it recovers.`);
    if (rating === 'UNKNOWN') notes.push('Quality rating not known yet: run a health check to read it.');
    if (paused !== undefined) notes.push(`Marketing templates are paused until ${new Date(paused).toISOString()} after Meta's spam rate limit (131048).`);
    if (tier === 'TIER_50' || tier === 'TIER_250') notes.push(`Messaging limit is ${tier}: only that many people a day can get templates outside the 24-hour window; verify the business to raise it.`);
    const status: QualityStatus = { phoneNumberId, rating, throughputFactor: factor, notes };
    if (tier) status.tier = tier;
    if (paused !== undefined) status.marketingPausedUntil = new Date(paused);
    return status;
  }

  private yellowFactor(phoneNumberId: string): number {
    const attached = this.limiters.get(phoneNumberId);
    return attached && attached.size > 0 ? [...attached.values()][0]! : this.settings.yellowThroughputFactor;
  }

  private applyRating(phoneNumberId: string, rating: QualityRating, previous: QualityRating | undefined, reason?: string): void {
    for (const [limiter, yellowFactor] of this.limiters.get(phoneNumberId) ?? []) limiter.setThroughputFactor?.(factorFor(rating, yellowFactor));
    if (previous === rating) return;
    // The first rating learned is news only when it is not green.
    if (previous === undefined && (rating === 'GREEN' || rating === 'UNKNOWN')) return;
    const factor = factorFor(rating, this.yellowFactor(phoneNumberId));
    const because = reason ? ` (${reason})` : '';
    const message =
      rating === 'RED'
        ? `Quality rating is now RED${because}: templates to people outside the 24-hour window are stopped and sending is slowed to ${Math.round(factor * 100)}%.`
        : rating === 'YELLOW'
          ? `Quality rating is now YELLOW${because}: sending is slowed to ${Math.round(factor * 100)}% of the throughput.`
          : `Quality rating is now ${rating}${because}: full throughput again.`;
    this.emit({ phoneNumberId, kind: 'rating', rating, previousRating: previous ?? 'UNKNOWN', throughputFactor: factor, message });
  }

  /** The expiries of `keys` in order (undefined for an undefined key), in one store call when it can. */
  private async expiries(keys: ReadonlyArray<string | undefined>): Promise<Array<number | undefined>> {
    const wanted = keys.filter((k): k is string => k !== undefined);
    const values = this.store.getExpiries ? await this.store.getExpiries(wanted) : await Promise.all(wanted.map((k) => this.store.getExpiry(k)));
    let i = 0;
    return keys.map((k) => (k === undefined ? undefined : values[i++]));
  }

  /**
   * A permanent failure (131026 undeliverable, 131050 opt-out) is recorded once per recipient: while
   * its record lives, the same failure again (a redelivered or duplicated status, another message
   * sent before the hold, a retry) neither extends nor rewrites it. Returns whether it was recorded.
   */
  private async holdOnce(storeKey: string, from: number, ms: number): Promise<boolean> {
    if ((await this.store.getExpiry(storeKey)) !== undefined) return false;
    return this.hold(storeKey, from, ms);
  }

  /** Stores `key` until `from + ms` unless that is already past (an old redelivery) or ms is 0. */
  private async hold(storeKey: string, from: number, ms: number): Promise<boolean> {
    const until = from + ms;
    if (ms <= 0 || until <= this.now()) return false;
    await this.store.extend(storeKey, until);
    return true;
  }

  private emit(change: QualityChange): void {
    for (const listener of this.listeners) {
      try {
        listener(change);
      } catch {
        // A listener's bug must not fail a send or a webhook.
      }
    }
  }
}

function key(kind: 'suppressed' | 'optout' | 'cooldown' | 'paused' | 'rating', id: string): string {
  return `quality:${kind}:${id}`;
}

/**
 * `quality:optout:<pnid>:<user>` → `quality:optout:<pnid>:#<sha256(user), 32 hex>`; undefined for
 * any other key. Forgetting a user keeps their opt-out under this key only: the number is gone from
 * the store, yet a later marketing send to it is still refused (README "Forgetting a user").
 */
export function hashedOptOutKey(storeKey: string): string | undefined {
  const match = /^quality:optout:([^:]+):([^#].*)$/.exec(storeKey);
  if (!match) return undefined;
  return `quality:optout:${match[1]}:#${createHash('sha256').update(match[2]!).digest('hex').slice(0, 32)}`;
}

/** The later of two optional expiries. */
function latest(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  return b === undefined ? a : Math.max(a, b);
}

function toRating(value: string): QualityRating {
  const upper = value.toUpperCase();
  return (RATINGS as readonly string[]).includes(upper) ? (upper as QualityRating) : 'UNKNOWN';
}

function factorFor(rating: QualityRating, yellowFactor: number): number {
  return rating === 'YELLOW' || rating === 'RED' ? yellowFactor : FACTOR_OFF;
}
