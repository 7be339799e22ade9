import { GraphApiError, WindowClosedError } from './errors/error-classes';
import { WhatsAppError } from './errors/whatsapp-error';
import { GraphApi, type GraphConnection } from './http/graph-api';
import { decideRetry, type RetryOptions } from './http/retry-policy';
import { sendOutcomeOf } from './http/send-outcome';
import { CancellableSleeps } from './limiter/cancellable-sleeps';
import { LocalRateLimiter, limiterStoppedError } from './limiter/local-rate-limiter';
import { isThrottled, type PacingStatus } from './limiter/pacing';
import type { PairRate, RateLimiter } from './limiter/rate-limiter';
import { WindowTracker, type WindowStatus } from './window/window-tracker';
import { RedisConnection, type RedisOptions } from './redis/connection';
import { RedisRateLimiter } from './redis/redis-rate-limiter';
import { RedisWindowStore } from './redis/redis-window-store';
import {
  isTemplateMessage,
  markAsReadBody,
  templateMessage,
  textMessage,
  toGraphBody,
  validateOutboundMessage,
  type OutboundMessage,
} from './messages';
import { normalizeRecipient } from './recipient';
import { ValidationError } from './errors/error-classes';
import { MARKETING_MESSAGES_EDGE, MARKETING_PRODUCT_POLICIES, marketingFields, type MarketingMessagesOptions } from './marketing/marketing-messages';
import { healthSnapshot, type HealthSnapshot } from './account';
import type { DeliveryLedger } from './ledger/ledger';
import type { MessagingLimit } from './limits/messaging-limit';
import { getPhoneNumber } from './phone-numbers';
import { QualityGuard, QUALITY_CODES, resolveQualityRules, type QualityOptions, type QualityRules, type QualityStatus } from './quality/quality-guard';

/**
 * What to do with a free-form (non-template) message when the user's 24-hour window is not known
 * to be open:
 * - `enforce`: fail with {@link WindowClosedError} before any request (default);
 * - `fallback-template`: send `fallbackTemplate` instead, and say so in the result;
 * - `off`: send anyway (Meta will fail it later with 131047 on the status webhook).
 */
export type WindowPolicy = 'enforce' | 'fallback-template' | 'off';

/** A template to send instead of a free-form message when the window is closed. */
export interface FallbackTemplate {
  name: string;
  languageCode: string;
  /** Template components (parameters), in Graph shape. */
  components?: unknown[];
}

export interface WindowOptions {
  /** @default 'enforce' */
  policy?: WindowPolicy;
  /** Shared tracker, fed by the webhook side. @default a new in-memory tracker */
  tracker?: WindowTracker;
  /** Required for the `fallback-template` policy. */
  fallbackTemplate?: FallbackTemplate;
}

export interface WhatsAppClientOptions extends GraphConnection {
  /** The business phone number ID (not the number itself, not the WABA ID). */
  phoneNumberId: string;
  /** WhatsApp Business Account ID, for template and account calls. */
  wabaId?: string;
  /** Messages per second for this number. @default 80 */
  throughput?: number;
  /** Per-recipient pacing. @default { burst: 45, intervalMs: 6000 } */
  pairRate?: PairRate;
  /** @default { maxAttempts: 5, baseDelayMs: 500, maxDelayMs: 30000, retryDeliveryUnknown: false } */
  retry?: RetryOptions;
  window?: WindowOptions;
  /** A shared limiter (e.g. Redis-backed); replaces the in-process one built from throughput/pairRate. */
  limiter?: RateLimiter;
  /**
   * Keep the send budget and the 24-hour windows in Redis, shared by every process with the same
   * `keyPrefix` (n8n queue mode, several Node-RED instances). Used for the limiter unless `limiter`
   * is given, and for the window store unless `window.tracker` is given. A Redis outage fails sends
   * with `shared_store_unavailable` (nothing is sent) unless `fallbackToLocal` is set.
   * @default undefined (in-process state)
   */
  redis?: RedisOptions;
  /**
   * The quality guard that protects the number's quality rating (on by default, each rule can be
   * switched off): holds recipients Meta could not deliver to (131026), refuses marketing templates
   * to users who opted out (131050 / `user_preferences`) or hit the per-user marketing limit
   * (131049), pauses marketing after a spam-rate limit (131048), slows down while the rating is
   * YELLOW or RED and stops business-initiated templates while it is RED. Refusals are
   * `QualityGuardError`s thrown before any request.
   * @default { enabled: true } with a guard of this client's own (in Redis with `redis`)
   */
  quality?: QualityOptions;
  /**
   * Send MARKETING templates through Meta's Marketing Messages API (`/marketing_messages`), chosen
   * by each template's latest category. Off by default; needs `wabaId`.
   * @default { enabled: false }
   */
  marketingMessages?: MarketingMessagesOptions;
  /**
   * The delivery ledger to record every accepted send in (wamid, recipient, type, template, the
   * `biz_opaque_callback_data` reference, attempts, time); give the webhook side the same ledger
   * so statuses join their send. A ledger write that fails never fails the send (the message is
   * out): the result says so in `ledgerError`.
   * @default undefined (nothing recorded)
   */
  ledger?: DeliveryLedger;
  /**
   * Meta's messaging limit (unique people reached with business-initiated templates in a moving
   * 24 hours, per business portfolio): a template to a new person whose window is closed is
   * refused with `messaging_limit_reached` (naming the tier, the count and when the next slot
   * frees) or, with `hold`, waits for that slot. The tier is read from Meta
   * (`whatsapp_business_manager_messaging_limit`, else `messaging_limit_tier`) on the first such
   * send and by `health()`, updated from `business_capability_update` webhooks; `tier` overrides it.
   * @default undefined (not counted)
   */
  messagingLimit?: {
    tracker: MessagingLimit;
    /** Shared by every number of one portfolio. @default the WABA ID (else the phone number ID) */
    portfolio?: string;
    /** e.g. `TIER_250`: overrides what Meta says. */
    tier?: string;
    /** Wait for the next free slot instead of refusing. @default false */
    hold?: boolean;
  };
}

export interface SendResult {
  /** The wamid Meta assigned; statuses on the webhook carry it. */
  messageId: string;
  /** The recipient as sent (`+` and digits, or a BSUID). */
  to: string;
  /** The WhatsApp id Meta resolved (may differ from `to` in Brazil and Mexico; "" for a BSUID). */
  waId?: string;
  /** `accepted`, `held_for_quality_assessment` or `paused` when Meta says. */
  messageStatus?: string;
  /** Tries it took, the first included. */
  attempts: number;
  /** Set when the window was closed and the fallback template went out instead. */
  fallback?: { reason: 'window_closed'; template: string };
  /** `marketing_messages` when the Marketing Messages API carried it (else the normal `/messages`). */
  via?: 'marketing_messages';
  /** `biz_opaque_callback_data` as sent: status webhooks and ledger look-ups carry it. */
  reference?: string;
  /** Why the send could not be recorded in the delivery ledger (the message was sent). */
  ledgerError?: string;
}

/** Options of {@link WhatsAppClient.send}. */
export interface SendOptions {
  /** This send re-sends a failed message (set by `FailedMessageResender`): the chain's first wamid, recorded in the ledger. */
  resendOf?: string;
  /** Which re-send this is (1 = the first). @default 1 when `resendOf` is set */
  resend?: number;
}

interface SendResponse {
  contacts?: Array<{ input?: string; wa_id?: string }>;
  messages?: Array<{ id?: string; message_status?: string }>;
}

/**
 * Sends WhatsApp messages for one business phone number: validates before sending, paces to the
 * number's throughput and each recipient's pair rate, retries only what Meta certainly did not
 * accept, and guards the 24-hour window.
 *
 * @example
 * const client = new WhatsAppClient({ accessToken, phoneNumberId });
 * await client.sendTemplate('+14155551234', 'order_update', 'en', [
 *   { type: 'body', parameters: [{ type: 'text', text: 'Ada' }, { type: 'text', text: '#1042' }] },
 * ]);
 */
export class WhatsAppClient {
  readonly phoneNumberId: string;
  readonly wabaId: string | undefined;
  /** Authenticated Graph access for management calls (templates, media, phone numbers). */
  readonly graph: GraphApi;
  readonly limiter: RateLimiter;
  readonly windowTracker: WindowTracker;
  /** The quality guard this client checks and feeds (shared when `quality.guard` was given). */
  readonly qualityGuard: QualityGuard;
  /** Where accepted sends are recorded, when a ledger was given. */
  readonly ledger: DeliveryLedger | undefined;
  private readonly messagingLimit: WhatsAppClientOptions['messagingLimit'];
  private tierRead: Promise<void> | undefined;
  private readonly qualityRules: QualityRules;
  private readonly detachQuality: Array<() => void> = [];
  private readonly windowPolicy: WindowPolicy;
  private readonly marketing: MarketingMessagesOptions;
  private readonly fallbackTemplate: FallbackTemplate | undefined;
  private readonly retry: RetryOptions;
  /**
   * Retry waits, cancelled by close(). Not an AbortSignal: a listener per waiting send on one shared
   * signal trips Node's MaxListenersExceededWarning from the 11th retry on.
   */
  private readonly retryWaits = new CancellableSleeps();
  /** Only a limiter this client built is stopped by close(); a shared one keeps serving others. */
  private readonly ownsLimiter: boolean;
  /** The Redis connection this client built from `redis` (closed by close() if it created the ioredis client). */
  private readonly redis: RedisConnection | undefined;

  constructor(options: WhatsAppClientOptions) {
    if (!options.phoneNumberId || !/^\d+$/.test(options.phoneNumberId)) {
      throw new WhatsAppError(`phoneNumberId: "${options.phoneNumberId ?? ''}" is not a phone number ID (digits only)`, {
        code: 'invalid_option',
        category: 'validation',
        hint: 'Copy the Phone number ID from WhatsApp Manager → API Setup (it is not the phone number itself).',
      });
    }
    this.phoneNumberId = options.phoneNumberId;
    this.wabaId = options.wabaId || undefined;
    this.graph = new GraphApi(options);
    this.ownsLimiter = !options.limiter;
    const limits = { throughput: options.throughput, pairRate: options.pairRate };
    this.redis = options.redis && (!options.limiter || !options.window?.tracker) ? new RedisConnection(options.redis) : undefined;
    this.limiter =
      options.limiter ??
      (this.redis ? new RedisRateLimiter(this.redis, { ...limits, phoneNumberId: this.phoneNumberId }) : new LocalRateLimiter(limits));
    this.windowTracker = options.window?.tracker ?? new WindowTracker(this.redis ? new RedisWindowStore(this.redis) : undefined);
    this.windowPolicy = options.window?.policy ?? 'enforce';
    this.fallbackTemplate = options.window?.fallbackTemplate;
    this.retry = options.retry ?? {};
    this.qualityGuard =
      options.quality?.guard ?? new QualityGuard(this.redis ? { store: new RedisWindowStore(this.redis) } : {});
    this.qualityRules = resolveQualityRules(options.quality, this.qualityGuard);
    this.ledger = options.ledger;
    this.messagingLimit = options.messagingLimit;
    if (this.qualityRules.enabled) {
      this.detachQuality.push(this.qualityGuard.attachLimiter(this.phoneNumberId, this.limiter, this.qualityRules.yellowThroughputFactor));
    }
    if (options.quality?.onChange) {
      const listener = options.quality.onChange;
      const phoneNumberId = this.phoneNumberId;
      this.detachQuality.push(this.qualityGuard.onChange((change) => change.phoneNumberId === phoneNumberId && listener(change)));
    }
    this.marketing = options.marketingMessages ?? {};
    if (this.marketing.enabled && !this.wabaId) {
      throw new WhatsAppError('marketingMessages needs the WhatsApp Business Account ID', {
        code: 'invalid_option',
        category: 'validation',
        hint: 'Set the WABA ID: the Marketing Messages API carries only marketing templates, and their category is read from the account.',
      });
    }
    if (this.marketing.productPolicy !== undefined && !MARKETING_PRODUCT_POLICIES.includes(this.marketing.productPolicy)) {
      throw new WhatsAppError(`marketingMessages.productPolicy: "${String(this.marketing.productPolicy)}" is not one of ${MARKETING_PRODUCT_POLICIES.join(', ')}`, {
        code: 'invalid_option',
        category: 'validation',
        hint: 'Use CLOUD_API_FALLBACK (send through the Cloud API when not onboarded) or STRICT.',
      });
    }
    if (this.windowPolicy === 'fallback-template' && !this.fallbackTemplate?.name) {
      throw new WhatsAppError('window.fallbackTemplate is required when the window policy is fallback-template', {
        code: 'invalid_option',
        category: 'validation',
        hint: 'Choose the approved template to send when the 24-hour window is closed, or use the enforce policy.',
      });
    }
  }

  /**
   * Sends one message given in Graph shape without `messaging_product`
   * (`{ to, type, [type]: {...}, context?, biz_opaque_callback_data? }`).
   * @throws ValidationError before any request when the message breaks a limit
   * @throws WindowClosedError under the `enforce` policy
   * @throws GraphApiError / NetworkError when Meta refuses or cannot be reached (after retries)
   * @example
   * await client.send({ to: '+14155551234', type: 'text', text: { body: 'Your order shipped' } });
   */
  async send(message: unknown, options: SendOptions = {}): Promise<SendResult> {
    let outbound: OutboundMessage = validateOutboundMessage(message);
    let fallback: SendResult['fallback'];
    const recipient = normalizeRecipient(outbound.to);

    if (!isTemplateMessage(outbound) && this.windowPolicy !== 'off') {
      const window = await this.windowStatus(recipient.to);
      if (!window.open) {
        if (this.windowPolicy === 'enforce') throw new WindowClosedError(recipient.to, window.expiresAt);
        const template = this.fallbackTemplate!;
        outbound = templateMessage(outbound.to, template.name, template.languageCode, template.components as never, {
          bizOpaqueCallbackData: outbound.biz_opaque_callback_data,
        });
        fallback = { reason: 'window_closed', template: template.name };
      }
    }

    const template = isTemplateMessage(outbound) ? { name: outbound.template.name, language: outbound.template.language.code } : undefined;
    await this.qualityGuard.check(
      {
        phoneNumberId: this.phoneNumberId,
        recipient: recipient.to,
        template,
        wabaId: this.wabaId,
        graph: this.graph,
        windowOpen: async () => (await this.windowStatus(recipient.to)).open,
      },
      this.qualityRules,
    );

    // A template to someone whose window is closed starts a conversation: it counts against the
    // portfolio's messaging limit (replies inside the window and repeat recipients do not).
    const counted = isTemplateMessage(outbound) && this.messagingLimit ? !(await this.windowStatus(recipient.to)).open : false;
    if (counted) await this.admitBusinessInitiated(recipient.to);

    const body = toGraphBody(outbound);
    let edge = 'messages';
    if (template) {
      const category = await this.templateCategory(template, recipient.kind === 'bsuid');
      if (recipient.kind === 'bsuid' && category === 'AUTHENTICATION') {
        // Meta's business-scoped user ID guide: error 131062, "You can only send authentication
        // messages to recipients' phone numbers, not their business-scoped user IDs."
        throw new ValidationError(
          'to',
          `"${recipient.to}" is a business-scoped user ID; authentication template "${template.name}" can only go to a phone number (Meta refuses it with 131062)`,
          'Send the code to the user\'s phone number, or ask the user for it first.',
        );
      }
      if (this.marketing.enabled && category === 'MARKETING') {
        edge = MARKETING_MESSAGES_EDGE;
        Object.assign(body, marketingFields(this.marketing));
      }
    }
    let sent: { response: SendResponse; attempts: number };
    try {
      sent = await this.withRetries(recipient.to, (written) =>
        this.graph.request<SendResponse>('POST', `${this.phoneNumberId}/${edge}`, { json: body, onWritten: written }).catch((error: unknown) => {
          throw sendOutcomeOf(error); // a gateway's 5xx may come after Meta accepted: delivery_unknown
        }),
      );
    } catch (error) {
      await this.learnFromFailure(error, recipient.to);
      // Meta refused it outright: nobody was reached, so the slot goes back.
      if (counted && error instanceof GraphApiError) await this.messagingLimit!.tracker.release(this.portfolio, recipient.to).catch(() => undefined);
      throw error;
    }
    const { response, attempts } = sent;
    const accepted = response.messages?.[0];
    if (!accepted?.id) {
      throw new WhatsAppError('Meta accepted the request but returned no message id', {
        code: 'invalid_response',
        category: 'unknown',
        hint: 'Check that the base URL points at the Graph API; the message may or may not have been sent.',
      });
    }
    const result: SendResult = {
      messageId: accepted.id,
      to: recipient.to,
      waId: response.contacts?.[0]?.wa_id,
      messageStatus: accepted.message_status,
      attempts,
      ...(fallback ? { fallback } : {}),
      ...(edge === MARKETING_MESSAGES_EDGE ? { via: MARKETING_MESSAGES_EDGE } : {}),
      ...(outbound.biz_opaque_callback_data !== undefined ? { reference: outbound.biz_opaque_callback_data } : {}),
    };
    if (this.ledger) await this.record(result, outbound, options);
    return result;
  }

  /** The business portfolio whose messaging limit this number shares. */
  private get portfolio(): string {
    return this.messagingLimit?.portfolio || this.wabaId || this.phoneNumberId;
  }

  /**
   * Reads the messaging-limit tier from Meta now (`whatsapp_business_manager_messaging_limit`,
   * else `messaging_limit_tier`) and keeps it for this number's portfolio, so the first
   * business-initiated send already knows it: the adapters call it when a node starts. Returns the
   * tier (the configured one when `messagingLimit.tier` is set, without asking Meta), or undefined
   * when Meta reports none or the client has no messaging limit. A failed read throws.
   */
  async readMessagingLimitTier(): Promise<string | undefined> {
    const limit = this.messagingLimit;
    if (!limit) return undefined;
    if (limit.tier) return limit.tier;
    const phone = await getPhoneNumber(this.graph, this.phoneNumberId);
    if (phone.messagingLimit) limit.tracker.setTier(this.portfolio, phone.messagingLimit);
    return phone.messagingLimit;
  }

  /** Counts a business-initiated send against the messaging limit (reading the tier from Meta once when unknown). */
  private async admitBusinessInitiated(to: string): Promise<void> {
    const limit = this.messagingLimit!;
    if (!limit.tier && limit.tracker.tier(this.portfolio) === undefined) {
      this.tierRead ??= getPhoneNumber(this.graph, this.phoneNumberId)
        .then((phone) => {
          if (phone.messagingLimit && limit.tracker.tier(this.portfolio) === undefined) limit.tracker.setTier(this.portfolio, phone.messagingLimit);
        })
        .catch(() => {
          // Unknown tier: nothing is refused; the next health check or webhook may tell.
          this.tierRead = undefined;
        });
      await this.tierRead;
    }
    await limit.tracker.admit(this.portfolio, to, { ...(limit.tier ? { tier: limit.tier } : {}), hold: limit.hold === true, sleep: (ms) => this.retryWaits.sleep(ms) });
  }

  /** Records an accepted send in the ledger; a failure is reported on the result, never thrown (the message is out). */
  private async record(result: SendResult, outbound: OutboundMessage, options: SendOptions): Promise<void> {
    const template = isTemplateMessage(outbound)
      ? { name: outbound.template.name, language: outbound.template.language.code }
      : undefined;
    // The category only when the quality guard already knows it: recording costs no Graph call.
    const category = template && this.wabaId ? this.qualityGuard.categories.get(this.wabaId, template.name, template.language) : undefined;
    try {
      await this.ledger!.recordSend({
        messageId: result.messageId,
        phoneNumberId: this.phoneNumberId,
        recipient: result.to,
        ...(result.waId ? { waId: result.waId } : {}),
        type: outbound.type,
        ...(template ? { template: { ...template, ...(category ? { category } : {}) } } : {}),
        ...(result.reference !== undefined ? { reference: result.reference } : {}),
        attempts: result.attempts,
        sentAt: new Date(),
        // The message as sent, so a failure Meta reports later as retryable can be re-sent as is
        // (the ledger drops it once the message is delivered).
        request: outbound as unknown as Record<string, unknown>,
        ...(options.resendOf !== undefined ? { resendOf: options.resendOf, resend: options.resend ?? 1 } : {}),
      });
    } catch (error) {
      result.ledgerError = error instanceof Error ? error.message : String(error);
    }
  }

  /**
   * A template's latest category (cached, kept current by `template_category_update` webhooks),
   * read only when something depends on it: Marketing Messages routing, or a send to a BSUID.
   * Undefined without a WABA ID or when it cannot be read (the send then goes the normal way).
   */
  private async templateCategory(template: { name: string; language: string }, toBsuid: boolean): Promise<string | undefined> {
    if (!this.wabaId || (!this.marketing.enabled && !toBsuid)) return undefined;
    return this.qualityGuard.categories.lookup(this.graph, this.wabaId, template.name, template.language);
  }

  /**
   * Sends a text message (only inside the 24-hour window).
   * @example
   * await client.sendText('+14155551234', 'Thanks, we got it!', { replyTo: inboundMessageId });
   */
  async sendText(to: string, body: string, options?: Parameters<typeof textMessage>[2]): Promise<SendResult> {
    return this.send(textMessage(to, body, options));
  }

  /**
   * Sends an approved template (allowed at any time). `reference` goes out as
   * `biz_opaque_callback_data`: status webhooks and the delivery ledger carry it.
   * @example
   * await client.sendTemplate('+14155551234', 'hello_world', 'en_US', [], { reference: 'order-1042' });
   */
  async sendTemplate(to: string, name: string, languageCode: string, components?: unknown[], options: { reference?: string } = {}): Promise<SendResult> {
    return this.send(
      templateMessage(to, name, languageCode, components as never, options.reference !== undefined ? { bizOpaqueCallbackData: options.reference } : {}),
    );
  }

  /**
   * Marks an inbound message (and all earlier ones) as read, optionally showing a typing
   * indicator for up to 25 s. Counts toward the number's throughput, not a pair rate.
   * @example
   * await client.markAsRead(event.messageId, { typing: true });
   */
  async markAsRead(messageId: string, options: { typing?: boolean } = {}): Promise<{ success: boolean }> {
    const body = markAsReadBody(messageId, options);
    const { response } = await this.withRetries(undefined, (written) =>
      this.graph.request<{ success?: boolean }>('POST', `${this.phoneNumberId}/messages`, { json: body, onWritten: written }),
    );
    return { success: response.success === true };
  }

  /**
   * Reads the number's health (quality rating, status, messaging limit, throughput, name and code
   * verification) with plain-words advice, and records the rating and tier in the quality guard
   * (a YELLOW or RED rating slows this client's limiter).
   * @example
   * const health = await client.health(); // health.qualityRating === 'GREEN', health.advice
   */
  async health(): Promise<HealthSnapshot> {
    const snapshot = await healthSnapshot(this.graph, this.phoneNumberId, { qualityGuard: this.qualityRules.enabled ? this.qualityGuard : undefined });
    if (this.messagingLimit && snapshot.messagingLimit) this.messagingLimit.tracker.setTier(this.portfolio, snapshot.messagingLimit);
    return snapshot;
  }

  /**
   * The quality guard's view of this number: rating, tier, throughput share, marketing pause, notes.
   * @example
   * const { rating, notes } = await client.qualityStatus();
   */
  qualityStatus(): Promise<QualityStatus> {
    return this.qualityGuard.status(this.phoneNumberId);
  }

  /**
   * How the number is paced now: the configured rate, the effective one after the quality guard and
   * Meta's 130429 answers, and when Meta last throttled. Undefined for a custom limiter without it.
   * @example
   * const { effectivePerSecond, configuredPerSecond } = client.pacing() ?? {};
   */
  pacing(): PacingStatus | undefined {
    return this.limiter.pacing?.();
  }

  /** Whether the 24-hour window with `user` (phone number or BSUID) is open, and until when. */
  windowStatus(user: string): Promise<WindowStatus> {
    return this.windowTracker.status(this.phoneNumberId, user);
  }

  /**
   * Stops retry waits and closes connections; an own limiter is stopped too, so sends still
   * waiting for their turn fail with `client_closed`. An injected (shared) limiter is left running,
   * and so is an ioredis client passed in as `redis.client` (one built from `redis.url` is closed).
   */
  async close(): Promise<void> {
    this.retryWaits.cancelAll(limiterStoppedError);
    for (const detach of this.detachQuality.splice(0)) detach();
    if (this.ownsLimiter) await this.limiter.stop();
    await this.redis?.close();
    await this.graph.close();
  }

  /** A sync answer Meta gives for quality reasons (131026, 131050, 131049, 131048) feeds the guard. */
  private async learnFromFailure(error: unknown, recipient: string): Promise<void> {
    const rules = this.qualityRules;
    if (!rules.enabled || !(error instanceof GraphApiError) || error.graphCode === undefined) return;
    if (!(Object.values(QUALITY_CODES) as number[]).includes(error.graphCode)) return;
    try {
      await this.qualityGuard.recordFailure(this.phoneNumberId, recipient, error.graphCode, {
        suppressionMs: rules.suppressionMs,
        respectMarketingOptOut: rules.respectMarketingOptOut,
        marketingCoolDownMs: rules.marketingCoolDownMs,
        spamPauseMs: rules.spamPauseMs,
      });
      // Recorded before the send rejects: the embedded store commits in groups, so wait for it.
      await this.qualityGuard.store.flush?.();
    } catch {
      // Meta's own error is what the caller must see; a store outage while recording must not hide it.
    }
  }

  private async withRetries<T>(recipient: string | undefined, call: (written: () => void) => Promise<T>): Promise<{ response: T; attempts: number }> {
    for (let attempt = 1; ; attempt++) {
      try {
        return { response: await this.limiter.schedule(recipient, call), attempts: attempt };
      } catch (error) {
        if (error instanceof GraphApiError && error.graphCode === 131047 && recipient) {
          await this.windowTracker.close(this.phoneNumberId, recipient);
          await this.windowTracker.store.flush?.(); // closed in the file before the send rejects
        }
        let delay = decideRetry(error, attempt, this.retry);
        if (delay === null) throw error;
        // The limiter slowed the whole number down after this 130429: its pacing is the backoff, and
        // a wait of this send's own would only leave slots unused.
        if (isThrottled(error) && this.limiter.learnsFromThrottles) delay = 0;
        await this.retryWaits.sleep(delay);
      }
    }
  }
}
