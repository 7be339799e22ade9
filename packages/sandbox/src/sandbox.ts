/**
 * The public face of the emulator: {@link startSandbox} starts an HTTP server on loopback and returns a
 * {@link Sandbox} with the base URL, the records tests assert on, and the helpers that play the user.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Socket } from 'node:net';
import { Engine } from './engine';
import { createRequestListener } from './router';
import { flowsOf, type SandboxFlow } from './flows';
import { groupStateOf, type SandboxGroup } from './groups';
import type {
  InboundMessage, InboundRecord, Json, MessageRecord, QualityRating, RequestRecord, SandboxOptions, SendFailureRule, WebhookDelivery,
} from './types';

/** A running sandbox. Create it with {@link startSandbox}; always {@link Sandbox.close} it. */
export class Sandbox {
  /** Base URL, e.g. `http://127.0.0.1:40123`; Graph calls go to `${url}/v23.0/...`. */
  readonly url: string;
  private readonly engine: Engine;
  private readonly server: http.Server;
  private readonly sockets: Set<Socket>;
  private closing: Promise<void> | undefined;

  /** @internal use {@link startSandbox}. */
  constructor(engine: Engine, server: http.Server, sockets: Set<Socket>, url: string) {
    this.engine = engine;
    this.server = server;
    this.sockets = sockets;
    this.url = url;
  }

  /** The bearer token the sandbox accepts. */
  get accessToken(): string {
    return this.engine.o.accessToken;
  }
  /** The app secret that signs webhooks. */
  get appSecret(): string {
    return this.engine.o.appSecret;
  }
  /** The business phone number ID. */
  get phoneNumberId(): string {
    return this.engine.o.phoneNumberId;
  }
  /** The business number's digits (webhook `metadata.display_phone_number`). */
  get displayPhoneNumber(): string {
    return this.engine.o.displayPhoneNumber;
  }
  /** The WhatsApp Business Account ID. */
  get wabaId(): string {
    return this.engine.o.wabaId;
  }
  /** The verify token the sandbox sends in GET challenges. */
  get verifyToken(): string {
    return this.engine.o.verifyToken;
  }
  /** The app-level webhook URL (undefined when none). */
  get webhookUrl(): string | undefined {
    return this.engine.o.webhookUrl;
  }
  /** The URL webhooks go to now (after per-number / per-WABA overrides), or undefined. */
  get webhookTarget(): string | undefined {
    return this.engine.webhookTarget();
  }

  /** Messages the sandbox accepted, in order (including `reset_after` ones the client never heard about). */
  get messages(): readonly MessageRecord[] {
    return this.engine.messages;
  }
  /** Every Graph request received, in order, with the status and Graph error code answered. */
  get requests(): readonly RequestRecord[] {
    return this.engine.requests;
  }
  /** Every webhook POST attempt, in order (redeliveries included). */
  get webhookDeliveries(): readonly WebhookDelivery[] {
    return this.engine.webhooks.deliveries;
  }
  /** The WABA's Flows (`GET /{WABA}/flows`), with their current status: publishing changes it. */
  get flows(): readonly SandboxFlow[] {
    return [...flowsOf(this.engine).values()];
  }
  /** Groups created through `POST /{phone}/groups`, with their participants and the messages sent to them. */
  get groups(): readonly SandboxGroup[] {
    return [...groupStateOf(this.engine).groups.values()];
  }
  /** Makes the number an Official Business Account (default: not one, so the Groups API answers code 10). */
  setOfficialBusinessAccount(value: boolean): void {
    groupStateOf(this.engine).officialBusinessAccount = value;
  }
  /** Plays a user joining a group through its invite link. */
  joinGroup(groupId: string, waId: string): void {
    const group = groupStateOf(this.engine).groups.get(groupId);
    if (!group) throw new Error(`no group ${groupId}`);
    const id = waId.replace(/\D/g, '');
    if (!group.participants.includes(id)) group.participants.push(id);
  }
  /** User messages created by {@link inbound} or the chat page. */
  get inbounds(): readonly InboundRecord[] {
    return this.engine.inbounds;
  }

  /** Changes the app-level webhook URL (overrides still take precedence). */
  setWebhookUrl(url: string | undefined): void {
    this.engine.o.webhookUrl = url || undefined;
  }

  /**
   * A user message: builds Meta's `messages` webhook (with `contacts[].profile.name`), signs and delivers
   * it, and opens the user's 24 h window (plus 72 h of free-entry pricing when `referral` is set). Media types
   * get a real media object so `GET /{media-id}` and the download work. Resolves with the wamid once the
   * first delivery attempt finished (redeliveries continue in the background).
   */
  inbound(message: InboundMessage, options: { name?: string } = {}): Promise<string> {
    return this.engine.inbound(message, options);
  }

  /**
   * Sends any webhook change, e.g. `emit('phone_number_quality_update', {...})`. Resolves with the first
   * attempt's HTTP status (0 when the receiver did not answer; undefined when no webhook URL is set).
   */
  emit(field: string, value: Json): Promise<number | undefined> {
    return this.engine.deliverChange(field, value);
  }

  /**
   * Plays Meta re-categorising an approved template (e.g. UTILITY → MARKETING): the category
   * changes at once and the `template_category_update` webhook says so (`previous_category`,
   * `new_category`). Resolves with the first attempt's HTTP status (undefined without a webhook URL).
   */
  recategorize(name: string, language: string, newCategory: string): Promise<number | undefined> {
    const t = this.engine.templates.all().find((x) => x.name === name && x.language === language);
    if (!t) throw new Error(`no template ${name} (${language})`);
    const previous = t.category;
    t.category = newCategory.toUpperCase();
    this.engine.version++;
    return this.engine.deliverChange('template_category_update', {
      message_template_id: Number(t.id),
      message_template_name: t.name,
      message_template_language: t.language,
      previous_category: previous,
      new_category: t.category,
    });
  }

  /** Opens the 24 h window of `waId` for `ms` (default 24 h) without a webhook. */
  setWindow(waId: string, ms?: number): void {
    this.engine.window.set(windowKey(waId), ms);
  }

  /** Closes the window of `waId` (the next non-template message fails with 131047). */
  clearWindow(waId: string): void {
    this.engine.window.clear(windowKey(waId));
  }

  /**
   * Sets the number's quality rating (`GET /{phone}` `quality_rating`; RED also makes its `status`
   * FLAGGED). Like Meta, sends `phone_number_quality_update` with `event` FLAGGED when the rating
   * reaches RED and UNFLAGGED when it leaves RED; GREEN ↔ YELLOW sends no webhook. Resolves with the
   * first attempt's HTTP status, or undefined when no webhook was sent.
   */
  setQualityRating(rating: QualityRating): Promise<number | undefined> {
    return this.engine.setQualityRating(rating);
  }

  /**
   * Sets the portfolio's messaging limit tier (TIER_250 … TIER_UNLIMITED) read by the phone number's
   * fields, and sends `business_capability_update` as Meta does.
   */
  setMessagingLimitTier(tier: string): Promise<number | undefined> {
    return this.engine.setMessagingLimitTier(tier);
  }

  /** Unique recipients of business-initiated templates accepted in the last 24 hours. */
  businessInitiatedRecipients(): string[] {
    return this.engine.businessInitiatedRecipients();
  }

  /**
   * Plays the user tapping "Stop promotions" (`stop`) or resuming them (`resume`): sends the
   * `user_preferences` webhook (unless `options.webhook` is false) and, while stopped, fails
   * MARKETING templates to them with 131050 on the status webhook (utility and authentication go).
   */
  setMarketingPreference(waId: string, value: 'stop' | 'resume', options: { webhook?: boolean } = {}): Promise<number | undefined> {
    return this.engine.setMarketingPreference(waId, value, options.webhook ?? true);
  }

  /**
   * Makes matching sends fail with `rule.code`: synchronously (a Graph error, nothing accepted) or on
   * the status webhook (default). For Meta's rules the sandbox does not model by itself: the per-user
   * marketing limit (131049), the spam rate limit (131048), or a 131026 answered at once.
   * @example
   * sb.failSends({ code: 131049, to: '15551230001', category: 'MARKETING' });
   */
  failSends(rule: SendFailureRule): void {
    this.engine.addSendFailure(rule);
  }

  /** Removes every rule added by {@link failSends}. */
  clearSendFailures(): void {
    this.engine.clearSendFailures();
  }

  /**
   * Acts as Meta verifying a callback URL (default: the app webhook URL): sends
   * `GET ?hub.mode=subscribe&hub.challenge=<random>&hub.verify_token=<verifyToken>` and returns whether the
   * answer was 200 with exactly the challenge as body.
   */
  async verifyWebhook(url?: string, verifyToken?: string): Promise<boolean> {
    const target = url ?? this.engine.o.webhookUrl;
    if (!target) return false;
    return (await this.engine.verifyCallback(target, verifyToken ?? this.engine.o.verifyToken)).ok;
  }

  /** Resolves once `predicate()` is truthy (polled every 5 ms); rejects after `timeoutMs` (default 3000). */
  async waitFor<T>(predicate: () => T | undefined | null | false, timeoutMs = 3000): Promise<T> {
    const start = Date.now();
    for (;;) {
      const v = predicate();
      if (v) return v;
      if (Date.now() - start > timeoutMs) throw new Error(`waitFor: condition not met within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  /** Stops the server, every timer and every socket (in and out); safe to call twice. */
  close(): Promise<void> {
    if (!this.closing) {
      this.engine.shutdown();
      this.closing = new Promise<void>((resolve) => {
        this.server.close(() => resolve());
        for (const s of this.sockets) s.destroy();
        this.server.closeAllConnections();
      });
    }
    return this.closing;
  }
}

const LOOPBACK_NAME = /^(localhost|[^.]+\.localhost|127\.\d{1,3}\.\d{1,3}\.\d{1,3}|\[::1\])$/i;
const IP_LITERAL = /^(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}|\[[0-9a-f:.]+\])$/i;

/** The host name of a Host header (`name:port`, `[v6]:port`), lower case; undefined when absent. */
function hostName(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const match = /^(\[[^\]]*\]|[^:]*)(?::\d*)?$/.exec(header.trim());
  return match ? match[1]!.toLowerCase() : undefined;
}

/**
 * Answers only requests addressed to this machine by name: a loopback host, the `--host` the
 * sandbox was started with, one of `allowedHosts`, or (bound to every interface) an IP address. A web page that points
 * its own DNS name at 127.0.0.1 (DNS rebinding) would otherwise drive the sandbox from a browser
 * and have it post signed webhooks into a local n8n or Node-RED. Refused with 403.
 */
function hostGuard(bindHost: string | undefined, extra: readonly string[], listener: http.RequestListener): http.RequestListener {
  const names = new Set(extra.map((h) => h.toLowerCase()));
  const bind = (bindHost ?? '127.0.0.1').toLowerCase();
  const wildcard = bind === '0.0.0.0' || bind === '::' || bind === '[::]';
  const own = bind.includes(':') && !bind.startsWith('[') ? `[${bind}]` : bind;
  return (req, res) => {
    const name = hostName(req.headers.host);
    const allowed = name !== undefined && (LOOPBACK_NAME.test(name) || name === own || names.has(name) || (wildcard && IP_LITERAL.test(name)));
    if (allowed) return listener(req, res);
    res.writeHead(403, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: { message: `Host ${JSON.stringify(String(req.headers.host ?? '').slice(0, 100))} is not this sandbox (use 127.0.0.1, localhost or the --host it was started with)`, type: 'OAuthException', code: 10 } }));
  };
}

/** Starts a sandbox; see {@link SandboxOptions} for the defaults. */
export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const engine = new Engine(options);
  const server = http.createServer(hostGuard(engine.o.host, engine.o.allowedHosts, createRequestListener(engine)));
  // Track sockets so close() never waits on a keep-alive connection or a `slow` fault in progress.
  const sockets = new Set<Socket>();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(engine.o.port, engine.o.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address() as AddressInfo;
  // A wildcard bind is reachable on loopback; print that rather than an address a browser cannot open.
  const address = addr.address === '0.0.0.0' ? '127.0.0.1' : addr.address === '::' ? '::1' : addr.address;
  const host = address.includes(':') ? `[${address}]` : address;
  const url = `http://${host}:${addr.port}`;
  engine.baseUrl = url;
  return new Sandbox(engine, server, sockets, url);
}

/** A phone number's digits, or a business-scoped user ID as is (sends to a BSUID are keyed by it). */
function windowKey(user: string): string {
  return /[A-Za-z]/.test(user) ? user : user.replace(/\D/g, '');
}
