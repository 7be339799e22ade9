/**
 * The sandbox's state and behaviour behind the HTTP routes: accepted messages and their status
 * webhooks, inbound user messages, webhook routing (app URL, WABA override, phone override), account
 * state (registration, PIN, profile, blocked users), timers. Routes translate HTTP to calls on this.
 */
import { randomBytes } from 'node:crypto';
import { ERROR_CATALOG, GraphError, webhookError } from './errors';
import { FaultPlanner } from './faults';
import { IdFactory, Rng } from './ids';
import { ArrivalClock, KeyedBuckets, SlidingWindowLimit, THROUGHPUT_MODES, TokenBucket, type ThroughputLimit, type ThroughputMode } from './buckets';
import { MediaStore } from './media';
import { DEFAULT_TEMPLATES, TemplateStore } from './templates';
import type {
  InboundMessage, InboundRecord, Json, JsonObject, MessageRecord, QualityRating, RequestRecord, SandboxOptions, SendFailureRule,
  StatusRecord, WebhookError,
} from './types';
import { HttpClient, WebhookSender, redactUrl } from './webhooks';
import { WindowTracker } from './window';
import type { SendRequest } from './validate';
import { MEDIA_TYPES } from './validate';

/** Options with every default applied. */
export type ResolvedOptions = Required<
  Omit<SandboxOptions, 'webhookUrl' | 'faults' | 'templates' | 'statusDelaysMs' | 'webhookRetry' | 'pairRate'>
> & {
  webhookUrl: string | undefined;
  faults: SandboxOptions['faults'];
  templates: NonNullable<SandboxOptions['templates']>;
  statusDelaysMs: { sent: number; delivered: number | null; read: number | null };
  webhookRetry: { maxAttempts: number; baseDelayMs: number };
  pairRate: { burst: number; intervalMs: number };
};

function checkThroughputMode(mode: ThroughputMode | undefined): ThroughputMode {
  if (mode === undefined) return 'bucket';
  if (!THROUGHPUT_MODES.includes(mode)) throw new Error(`throughputMode: "${String(mode)}" is not one of ${THROUGHPUT_MODES.join(', ')}`);
  return mode;
}

/** Applies defaults (documented on {@link SandboxOptions}). */
export function resolveOptions(o: SandboxOptions): ResolvedOptions {
  return {
    port: o.port ?? 0,
    host: o.host ?? '127.0.0.1',
    allowedHosts: o.allowedHosts ?? [],
    accessToken: o.accessToken ?? 'sandbox-token',
    appSecret: o.appSecret ?? 'sandbox-app-secret',
    phoneNumberId: o.phoneNumberId ?? '100000000000001',
    displayPhoneNumber: (o.displayPhoneNumber ?? '15550001234').replace(/\D/g, ''),
    verifiedName: o.verifiedName ?? 'Sandbox Business',
    wabaId: o.wabaId ?? '200000000000001',
    appId: o.appId ?? '300000000000001',
    webhookUrl: o.webhookUrl || undefined,
    verifyToken: o.verifyToken ?? 'sandbox-verify-token',
    throughput: o.throughput ?? 80,
    throughputMode: checkThroughputMode(o.throughputMode),
    pairRate: o.pairRate ?? { burst: 45, intervalMs: 6000 },
    latencyMs: o.latencyMs ?? 0,
    templates: o.templates ?? DEFAULT_TEMPLATES,
    faults: o.faults,
    statusDelaysMs: {
      sent: o.statusDelaysMs?.sent ?? 20,
      delivered: o.statusDelaysMs?.delivered === undefined ? 40 : o.statusDelaysMs.delivered,
      read: o.statusDelaysMs?.read === undefined ? 60 : o.statusDelaysMs.read,
    },
    webhookRetry: { maxAttempts: o.webhookRetry?.maxAttempts ?? 5, baseDelayMs: o.webhookRetry?.baseDelayMs ?? 1000 },
    webhookTimeoutMs: o.webhookTimeoutMs ?? 10_000,
    undeliverable: o.undeliverable ?? [],
    seed: o.seed ?? 1,
    templateReviewMs: o.templateReviewMs ?? 500,
    mediaUrlTtlMs: o.mediaUrlTtlMs ?? 5 * 60_000,
    escapeUnicode: o.escapeUnicode ?? true,
    now: o.now ?? Date.now,
    log: o.log ?? (() => undefined),
  };
}

const DEFAULT_MEDIA: Record<string, { mime: string; data: Buffer; filename?: string }> = {
  image: { mime: 'image/jpeg', data: Buffer.from('ffd8ffe000104a46494600010100000100010000ffd9', 'hex') },
  video: { mime: 'video/mp4', data: Buffer.from('000000186674797069736f6d0000020069736f6d69736f32', 'hex') },
  audio: { mime: 'audio/ogg', data: Buffer.from('OggS\u0000sandbox-voice-note') },
  document: { mime: 'application/pdf', data: Buffer.from('%PDF-1.4\n% sandbox document\n%%EOF\n'), filename: 'document.pdf' },
  sticker: { mime: 'image/webp', data: Buffer.from('RIFF\u0000\u0000\u0000\u0000WEBPVP8 sandbox') },
};

/** Everything the chat page shows about one user. */
interface Conversation {
  name: string;
}

/** Outcome decided when a message is accepted. */
interface Outcome {
  failure?: WebhookError;
  pricing?: JsonObject;
  category: string;
  reactionOnly: boolean;
  legacyConversation: boolean;
  freeEntry: boolean;
}

/** The stateful core of one sandbox. */
export class Engine {
  readonly o: ResolvedOptions;
  readonly rng: Rng;
  readonly ids: IdFactory;
  readonly templates: TemplateStore;
  readonly media: MediaStore;
  readonly window: WindowTracker;
  readonly faults: FaultPlanner;
  readonly http = new HttpClient();
  readonly webhooks: WebhookSender;
  readonly throughput: ThroughputLimit;
  readonly pairs: KeyedBuckets;
  private arrivals: ArrivalClock | undefined;

  readonly messages: MessageRecord[] = [];
  readonly requests: RequestRecord[] = [];
  readonly inbounds: InboundRecord[] = [];
  readonly conversations = new Map<string, Conversation>();
  readonly typing = new Map<string, number>();

  /** Account state changed by the management endpoints. */
  readonly account = {
    registered: true,
    pin: undefined as string | undefined,
    registrationCalls: [] as number[],
    phoneOverride: undefined as string | undefined,
    wabaSubscribed: true,
    wabaOverride: undefined as string | undefined,
    blocked: new Set<string>(),
    /** GREEN / YELLOW / RED: `quality_rating`; RED also turns the number's status to FLAGGED. */
    qualityRating: 'GREEN' as QualityRating,
    /** Users who stopped marketing messages: MARKETING templates to them fail with 131050. */
    marketingOptOut: new Set<string>(),
    /** The portfolio's messaging limit (`whatsapp_business_manager_messaging_limit`). */
    messagingLimitTier: 'TIER_2K',
    profile: {
      about: 'Testing flows with the WhatsApp Cloud API sandbox',
      address: '1 Sandbox Way',
      description: 'A local emulator of the WhatsApp Cloud API',
      email: 'sandbox@example.com',
      profile_picture_url: '',
      websites: ['https://example.com/'],
      vertical: 'PROF_SERVICES',
    } as JsonObject,
  };

  /** Bumped on every change the chat page shows, so polling can skip unchanged states. */
  version = 0;
  baseUrl = '';
  closed = false;
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly undeliverable: Set<string>;
  private readonly messagesById = new Map<string, MessageRecord>();
  /** Injected send failures, consumed in order (see {@link SendFailureRule}). */
  private sendFailures: Array<Required<Pick<SendFailureRule, 'code' | 'sync' | 'times'>> & SendFailureRule> = [];

  constructor(options: SandboxOptions) {
    this.o = resolveOptions(options);
    this.rng = new Rng(this.o.seed);
    this.ids = new IdFactory(this.rng);
    this.templates = new TemplateStore(this.o.templates, () => this.ids.numeric('5'));
    // The download-URL key is random per process: URLs must not be forgeable from the (public) defaults.
    this.media = new MediaStore(() => this.ids.numeric('7'), this.o.now, randomBytes(16).toString('hex'), this.o.mediaUrlTtlMs);
    this.window = new WindowTracker(this.o.now);
    this.faults = new FaultPlanner(this.o.faults, this.rng);
    this.webhooks = new WebhookSender(this.http, {
      appSecret: this.o.appSecret,
      maxAttempts: this.o.webhookRetry.maxAttempts,
      baseDelayMs: this.o.webhookRetry.baseDelayMs,
      timeoutMs: this.o.webhookTimeoutMs,
      escapeUnicode: this.o.escapeUnicode,
      now: this.o.now,
      schedule: (fn, ms) => this.schedule(fn, ms),
      log: this.o.log,
    });
    if (this.o.throughputMode === 'sliding' && !options.now) this.arrivals = new ArrivalClock();
    this.throughput =
      this.o.throughputMode === 'sliding'
        ? // Real clock: arrivals at sub-ms resolution, each at its earliest plausible time (see ArrivalClock).
          this.arrivals
          ? new SlidingWindowLimit(this.o.throughput, 1000, ArrivalClock.now, this.arrivals.earliest)
          : new SlidingWindowLimit(this.o.throughput, 1000, this.o.now)
        : new TokenBucket(this.o.throughput, this.o.throughput / 1000, this.o.now);
    this.pairs = new KeyedBuckets(this.o.pairRate.burst, 1 / this.o.pairRate.intervalMs, this.o.now);
    this.undeliverable = new Set(this.o.undeliverable.map((n) => n.replace(/\D/g, '')));
  }

  // ---- timers -------------------------------------------------------------------------------------

  /** Runs `fn` after `ms` unless the sandbox closes first. */
  schedule(fn: () => void, ms: number): void {
    if (this.closed) return;
    const t = setTimeout(() => {
      this.timers.delete(t);
      if (!this.closed) fn();
    }, Math.max(0, ms));
    this.timers.add(t);
  }

  /** Resolves after `ms` (never, if the sandbox closes first — its sockets are destroyed then anyway). */
  sleep(ms: number): Promise<void> {
    if (ms <= 0) return Promise.resolve();
    return new Promise((resolve) => this.schedule(resolve, ms));
  }

  /** Clears every timer and aborts in-flight webhooks. */
  shutdown(): void {
    this.closed = true;
    this.arrivals?.stop();
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.http.close();
  }

  private changed(): void {
    this.version++;
  }

  // ---- webhooks -----------------------------------------------------------------------------------

  /** Where webhooks go now: phone-number override, else WABA override, else the app URL (Meta's precedence). */
  webhookTarget(): string | undefined {
    if (!this.account.wabaSubscribed) return undefined; // an unsubscribed WABA sends the app nothing
    return this.account.phoneOverride ?? this.account.wabaOverride ?? this.o.webhookUrl;
  }

  /** Wraps one change in Meta's envelope and delivers it; resolves with the first attempt's status. */
  deliverChange(field: string, value: Json): Promise<number | undefined> {
    const entry: JsonObject = { id: this.o.wabaId, changes: [{ value, field }] };
    // Meta puts `time` on non-message fields only (api-facts §1.4).
    if (field !== 'messages') entry.time = Math.floor(this.o.now() / 1000);
    const payload: JsonObject = { object: 'whatsapp_business_account', entry: [entry] };
    const url = this.webhookTarget();
    if (!url || this.closed) return Promise.resolve(undefined);
    return this.webhooks.deliver(url, payload, field);
  }

  /** `value.metadata` of messages webhooks. */
  metadata(): JsonObject {
    return { display_phone_number: this.o.displayPhoneNumber, phone_number_id: this.o.phoneNumberId };
  }

  // ---- outbound messages --------------------------------------------------------------------------

  /** Finds a message the business sent. */
  message(id: string): MessageRecord | undefined {
    return this.messagesById.get(id);
  }

  /**
   * Records an accepted send and schedules its status webhooks. The outcome (window, undeliverable,
   * unknown media, pricing) is decided now, at acceptance, as Meta decides it when it takes the message.
   */
  accept(send: SendRequest, version: string | undefined, fault: MessageRecord['fault']): MessageRecord {
    const rec: MessageRecord = {
      id: this.ids.wamid(),
      to: send.to,
      waId: send.waId,
      type: send.type,
      body: send.body,
      acceptedAt: this.o.now(),
      statuses: [],
      errors: [],
      fault,
      ...(send.type === 'template' && !this.window.isOpen(send.waId) ? { businessInitiated: true } : {}),
    };
    this.messages.push(rec);
    this.messagesById.set(rec.id, rec);
    this.typing.delete(send.waId); // a reply ends the typing indicator
    if (!this.conversations.has(send.waId)) this.conversations.set(send.waId, { name: '' });
    this.changed();
    const outcome = this.outcome(send, version);
    const d = this.o.statusDelaysMs;
    if (outcome.failure) {
      const failure = outcome.failure;
      this.schedule(() => this.status(rec, 'failed', outcome, [failure]), d.sent);
      return rec;
    }
    this.schedule(() => this.status(rec, 'sent', outcome), d.sent);
    // Reactions only ever produce `sent` (api-facts §2).
    if (outcome.reactionOnly) return rec;
    if (d.delivered !== null) this.schedule(() => this.status(rec, 'delivered', outcome), d.delivered);
    if (d.read !== null) this.schedule(() => this.status(rec, 'read', outcome), d.read);
    return rec;
  }

  private outcome(send: SendRequest, version: string | undefined): Outcome {
    const body = send.body;
    const waId = send.waId;
    const freeEntry = this.window.isFreeEntry(waId);
    const windowOpen = this.window.isOpen(waId);
    const major = version ? Number(version.slice(1).split('.')[0]) : 99;
    const base = { reactionOnly: send.type === 'reaction', legacyConversation: major < 24, freeEntry };
    let category = 'service';
    if (send.type === 'template') {
      const t = body.template as JsonObject;
      const lang = (t.language as JsonObject).code as string;
      const def = this.templates.all().find((x) => x.name === t.name && x.language === lang);
      category = (def?.category ?? 'UTILITY').toLowerCase();
    }
    const fail = (code: number, details: string): Outcome => ({ ...base, category, failure: webhookError(code, details) });
    if (this.undeliverable.has(waId) || this.account.blocked.has(waId)) return fail(131026, 'Message Undeliverable.');
    if (category === 'marketing' && this.account.marketingOptOut.has(waId)) {
      return fail(131050, 'This recipient has chosen to stop receiving marketing messages on WhatsApp from your business.');
    }
    const injected = this.takeSendFailure(waId, category, false);
    if (injected) return fail(injected.code, injected.details);
    if (send.type !== 'template' && !windowOpen) {
      return fail(131047, 'Message failed to send because more than 24 hours have passed since the customer last replied to this number.');
    }
    if (MEDIA_TYPES.includes(send.type)) {
      const m = body[send.type] as JsonObject;
      if (typeof m.id === 'string') {
        const obj = this.media.get(m.id);
        if (!obj) return fail(131053, `Media ID ${m.id} was not found (deleted or never uploaded).`);
      }
    }
    if (send.type === 'reaction') {
      const target = (body.reaction as JsonObject).message_id as string;
      if (!this.message(target) && !this.inbounds.some((i) => i.id === target)) {
        return fail(131009, `Reaction target message ${target} not found.`);
      }
    }
    // Per-message pricing (api-facts §1.7): templates are charged except utility inside the window;
    // everything is free inside a free-entry-point window; non-template messages are free service messages.
    let type = 'regular';
    let billable = true;
    if (freeEntry) {
      type = 'free_entry_point';
      billable = false;
    } else if (category === 'service' || (category === 'utility' && windowOpen)) {
      type = 'free_customer_service';
      billable = false;
    }
    return { ...base, category, pricing: { billable, pricing_model: 'PMP', category, type } };
  }

  private status(rec: MessageRecord, status: StatusRecord['status'], outcome: Outcome, errors?: WebhookError[]): void {
    const ts = this.o.now();
    const st: JsonObject = {
      id: rec.id,
      status,
      timestamp: String(Math.floor(ts / 1000)),
      recipient_id: rec.waId,
    };
    if (rec.to !== rec.waId && !/^[+\d\s\-()]+$/.test(rec.to)) {
      st.recipient_id = '';
      st.recipient_user_id = rec.to; // sent to a BSUID
    }
    const biz = rec.body.biz_opaque_callback_data;
    if (typeof biz === 'string') st.biz_opaque_callback_data = biz;
    // v24+ drops `conversation` except inside a free-entry-point window; older versions keep it (§1.7).
    if ((status === 'sent' || status === 'delivered') && (outcome.legacyConversation || outcome.freeEntry) && outcome.pricing) {
      const conv: JsonObject = { id: rec.id.slice(6, 38), origin: { type: outcome.freeEntry ? 'referral_conversion' : outcome.category } };
      if (status === 'sent') conv.expiration_timestamp = String(Math.floor(ts / 1000) + 24 * 3600);
      st.conversation = conv;
    }
    if ((status === 'sent' || status === 'delivered') && outcome.pricing) st.pricing = outcome.pricing;
    if (errors) st.errors = errors as unknown as Json;
    rec.statuses.push({ status, timestamp: ts, errors });
    if (errors) rec.errors.push(...errors);
    this.changed();
    void this.deliverChange('messages', { messaging_product: 'whatsapp', metadata: this.metadata(), statuses: [st] });
  }

  // ---- quality rules ------------------------------------------------------------------------------

  /** Adds a send failure rule (see {@link SendFailureRule}). */
  addSendFailure(rule: SendFailureRule): void {
    if (!Number.isInteger(rule.code) || rule.code <= 0) throw new Error('failSends: `code` must be a Graph error code');
    this.sendFailures.push({ ...rule, sync: rule.sync ?? false, times: rule.times ?? 1 });
  }

  clearSendFailures(): void {
    this.sendFailures = [];
  }

  /**
   * The first rule matching this send (recipient digits, template category, sync or not), consumed
   * once; undefined when none matches. `category` is the template category, or `service` for
   * non-template messages (which a category rule never matches).
   */
  takeSendFailure(waId: string, category: string, sync: boolean): { code: number; details: string } | undefined {
    const rule = this.sendFailures.find(
      (r) => r.sync === sync && (!r.to || r.to.replace(/\D/g, '') === waId) && (!r.category || r.category.toLowerCase() === category.toLowerCase()),
    );
    if (!rule) return undefined;
    rule.times -= 1;
    if (rule.times <= 0) this.sendFailures = this.sendFailures.filter((r) => r !== rule);
    const title = ERROR_CATALOG[rule.code]?.title ?? 'Unknown error';
    return { code: rule.code, details: rule.details ?? `${title} (injected by the sandbox).` };
  }

  /**
   * Changes the number's quality rating. Meta sends `phone_number_quality_update` only when the number
   * is flagged (quality reached RED: `FLAGGED`) or no longer is (`UNFLAGGED`); a move between GREEN and
   * YELLOW is seen only by reading `quality_rating`. Resolves with the webhook's first attempt status,
   * or undefined when no webhook was due.
   */
  setQualityRating(rating: QualityRating): Promise<number | undefined> {
    if (!['GREEN', 'YELLOW', 'RED'].includes(rating)) throw new Error(`setQualityRating: ${String(rating)} is not GREEN, YELLOW or RED`);
    const previous = this.account.qualityRating;
    this.account.qualityRating = rating;
    this.changed();
    const event = rating === 'RED' && previous !== 'RED' ? 'FLAGGED' : previous === 'RED' && rating !== 'RED' ? 'UNFLAGGED' : undefined;
    if (!event) return Promise.resolve(undefined);
    return this.deliverChange('phone_number_quality_update', {
      display_phone_number: this.o.displayPhoneNumber,
      event,
      current_limit: this.account.messagingLimitTier,
      max_daily_conversations_per_business: this.account.messagingLimitTier,
    });
  }

  /**
   * Changes the portfolio's messaging limit (TIER_250, TIER_2K, TIER_10K, TIER_100K, TIER_UNLIMITED):
   * what the phone number's `whatsapp_business_manager_messaging_limit` (and the deprecated
   * `messaging_limit_tier`) read, told with a `business_capability_update` webhook
   * (`max_daily_conversations_per_business`, -1 for unlimited) as Meta does.
   */
  setMessagingLimitTier(tier: string): Promise<number | undefined> {
    const counts: Record<string, number> = { TIER_50: 50, TIER_250: 250, TIER_1K: 1000, TIER_2K: 2000, TIER_10K: 10000, TIER_100K: 100000, TIER_UNLIMITED: -1 };
    if (!(tier in counts)) throw new Error(`setMessagingLimitTier: ${String(tier)} is not one of ${Object.keys(counts).join(', ')}`);
    this.account.messagingLimitTier = tier;
    this.changed();
    return this.deliverChange('business_capability_update', { max_daily_conversations_per_business: counts[tier]!, max_phone_numbers_per_business: 2 });
  }

  /**
   * Unique recipients of business-initiated templates (sent while their 24-hour window was closed)
   * accepted in the last 24 hours: what Meta counts against the messaging limit.
   */
  businessInitiatedRecipients(): string[] {
    const since = this.o.now() - 24 * 60 * 60 * 1000;
    const users = new Set<string>();
    for (const m of this.messages) if (m.businessInitiated && m.acceptedAt > since) users.add(m.waId);
    return [...users];
  }

  /**
   * The user stops or resumes marketing messages (the "Stop promotions" button in WhatsApp): recorded,
   * and told with a `user_preferences` webhook unless `webhook` is false (a receiver not subscribed to
   * that field). While stopped, MARKETING templates to the user fail with 131050 on the status webhook.
   */
  setMarketingPreference(waId: string, value: 'stop' | 'resume', webhook = true): Promise<number | undefined> {
    const id = waId.replace(/\D/g, '');
    if (value === 'stop') this.account.marketingOptOut.add(id);
    else if (value === 'resume') this.account.marketingOptOut.delete(id);
    else throw new Error(`setMarketingPreference: ${String(value)} is not stop or resume`);
    this.changed();
    if (!webhook) return Promise.resolve(undefined);
    return this.deliverChange('user_preferences', {
      messaging_product: 'whatsapp',
      metadata: this.metadata(),
      contacts: [{ wa_id: id }],
      user_preferences: [
        {
          wa_id: id,
          detail: `User requested to ${value} marketing messages`,
          category: 'marketing_messages',
          value,
          timestamp: Math.floor(this.o.now() / 1000),
        },
      ],
    });
  }

  // ---- inbound messages ---------------------------------------------------------------------------

  /** Builds, records and delivers a user message; resolves with its wamid after the first delivery attempt. */
  async inbound(msg: InboundMessage, opts: { name?: string } = {}): Promise<string> {
    const from = String(msg.from).replace(/[^\d]/g, '');
    if (!from) throw new Error('inbound: `from` must be a phone number');
    const type = 'text' in msg ? 'text' : msg.type;
    const payload = ('text' in msg ? { body: msg.text } : { ...(msg.payload ?? {}) }) as JsonObject;
    if (MEDIA_TYPES.includes(type) && payload.id === undefined) this.attachInboundMedia(type, payload);
    const id = this.ids.wamid();
    const message: JsonObject = { from, id, timestamp: String(Math.floor(this.o.now() / 1000)), type };
    if (msg.context) message.context = { from: this.o.displayPhoneNumber, id: msg.context.id };
    if (msg.referral) message.referral = msg.referral;
    message[type] = payload;
    const conv = this.conversations.get(from) ?? { name: '' };
    conv.name = opts.name ?? (conv.name || 'Sandbox User');
    this.conversations.set(from, conv);
    this.inbounds.push({ id, from, name: conv.name, type, message, at: this.o.now() });
    this.window.inbound(from, msg.referral !== undefined);
    this.changed();
    // A user the business blocked cannot reach it: nothing is delivered.
    if (this.account.blocked.has(from)) return id;
    await this.deliverChange('messages', {
      messaging_product: 'whatsapp',
      metadata: this.metadata(),
      contacts: [{ profile: { name: conv.name }, wa_id: from }],
      messages: [message],
    });
    return id;
  }

  /**
   * Inbound media becomes a real media object so `GET /{media-id}` and the download work. `payload.data`
   * (Buffer or base64 string) and `payload.mime_type` are used when given; a tiny stand-in file otherwise.
   */
  private attachInboundMedia(type: string, payload: JsonObject): void {
    const def = DEFAULT_MEDIA[type];
    const raw = payload.data as unknown;
    const data = Buffer.isBuffer(raw) ? raw : typeof raw === 'string' ? Buffer.from(raw, 'base64') : def.data;
    delete payload.data;
    const mime = typeof payload.mime_type === 'string' ? payload.mime_type : def.mime;
    const filename = typeof payload.filename === 'string' ? payload.filename : def.filename;
    const obj = this.media.put(data, mime, filename);
    payload.mime_type = obj.mimeType;
    // Webhooks carry sha256 as base64 (see samples/webhooks/msg-image-with-url.json); GET /{media-id} as hex.
    payload.sha256 = Buffer.from(obj.sha256Hex, 'hex').toString('base64');
    payload.id = obj.id;
    if (type === 'document' && filename) payload.filename = filename;
    payload.url = `${this.baseUrl}${this.media.downloadPath(obj.id)}`;
  }

  /** Marks an inbound message (and all earlier ones from that user) read, as Meta does. */
  markRead(messageId: string, typing: boolean): void {
    const target = this.inbounds.find((i) => i.id === messageId);
    if (!target) throw new GraphError(100, `Invalid parameter: message_id '${messageId}' is not a message received by this phone number`);
    const t = this.o.now();
    for (const i of this.inbounds) if (i.from === target.from && i.at <= target.at && !i.readAt) i.readAt = t;
    // The typing indicator disappears on the next reply or after 25 s.
    if (typing) this.typing.set(target.from, t + 25_000);
    this.changed();
  }

  /** Verifies a callback URL like Meta; logs only the URL without its query. */
  async verifyCallback(url: string, verifyToken: string): Promise<{ ok: boolean; status: number }> {
    const r = await this.webhooks.verify(url, verifyToken);
    this.o.log(`callback verification of ${redactUrl(url)}: ${r.ok ? 'ok' : `failed (HTTP ${r.status || 'no response'})`}`);
    return r;
  }
}
