/**
 * Public option and record types of the sandbox. Kept in one file so `index.ts` can re-export them
 * and so every other module agrees on the shapes the tests assert on.
 */

/** A JSON value as parsed from a request body or built for a webhook. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** A JSON object. */
export type JsonObject = { [key: string]: Json };

/** One template component in Meta's template format (as returned by `GET /{WABA}/message_templates`). */
export interface TemplateComponent {
  type: 'HEADER' | 'BODY' | 'FOOTER' | 'BUTTONS' | string;
  format?: 'TEXT' | 'IMAGE' | 'VIDEO' | 'DOCUMENT' | 'LOCATION' | string;
  text?: string;
  buttons?: Array<{ type: string; text: string; url?: string; phone_number?: string; example?: Json }>;
  example?: Json;
}

/** A message template in Meta's format. `id` is generated when missing. */
export interface TemplateDefinition {
  id?: string;
  name: string;
  language: string;
  status: 'APPROVED' | 'PENDING' | 'REJECTED' | 'PAUSED' | 'DISABLED' | string;
  category: 'MARKETING' | 'UTILITY' | 'AUTHENTICATION' | string;
  components: TemplateComponent[];
  /** `positional` ({{1}}) is Meta's default; `named` uses {{first_name}}. */
  parameter_format?: 'positional' | 'named' | 'POSITIONAL' | 'NAMED';
}

/** Fault kinds that can be injected into `POST /{phone}/messages` sends. */
export type FaultKind = 'server_error' | 'reset' | 'reset_before' | 'reset_after' | 'slow';

/** Fault injection settings. */
export interface FaultOptions {
  /** Probability in [0, 1] that a valid send gets a fault. */
  rate: number;
  /** Kinds to pick from (uniformly, with the seeded generator). */
  kinds: FaultKind[];
  /** Delay of the `slow` fault (default 35 000 ms: longer than typical 30 s client timeouts). */
  slowMs?: number;
}

/** Options of {@link startSandbox}. Every field has a default. */
export interface SandboxOptions {
  /** TCP port; 0 (default) picks a free one. */
  port?: number;
  /** Bind address (default 127.0.0.1: the sandbox is a local tool). */
  host?: string;
  /**
   * Host names accepted in the `Host` header besides loopback ones and `host` (DNS rebinding
   * guard), e.g. `graph.facebook.com` behind a local TLS proxy. Default none.
   */
  allowedHosts?: string[];
  /** The only bearer token accepted (default `sandbox-token`). */
  accessToken?: string;
  /** Key of the webhook HMAC signature (default `sandbox-app-secret`). */
  appSecret?: string;
  /** The business phone number ID (default `100000000000001`). */
  phoneNumberId?: string;
  /** Digits of the business number shown in webhook metadata (default `15550001234`). */
  displayPhoneNumber?: string;
  /** Verified business name (default `Sandbox Business`). */
  verifiedName?: string;
  /** The WhatsApp Business Account ID (default `200000000000001`). */
  wabaId?: string;
  /** App ID reported by `debug_token` and `subscribed_apps` (default `300000000000001`). */
  appId?: string;
  /** The app-level callback URL where webhooks go (none by default: webhooks are then only shown on the page). */
  webhookUrl?: string;
  /** Verify token sent in GET challenges to `webhookUrl` (default `sandbox-verify-token`). */
  verifyToken?: string;
  /** Messages per second per phone number (default 80). */
  throughput?: number;
  /**
   * How "messages per second" is measured (answered with 130429 when exceeded): `bucket`, a token
   * bucket holding one second's worth (default), or `sliding`, at most `throughput` in any sliding
   * second (stricter). See buckets.ts.
   */
  throughputMode?: 'bucket' | 'sliding';
  /** Pair rate per recipient: a bucket of `burst` tokens, one token back every `intervalMs` (default 45 / 6000). */
  pairRate?: { burst: number; intervalMs: number };
  /** Milliseconds added before each Graph response (default 0). */
  latencyMs?: number;
  /** Templates known to the WABA; replaces the defaults when given. */
  templates?: TemplateDefinition[];
  /** Fault injection on sends (default none). */
  faults?: FaultOptions;
  /** Delays of the status webhooks after acceptance; `null` disables that status (default 20/40/60). */
  statusDelaysMs?: { sent?: number; delivered?: number | null; read?: number | null };
  /** Webhook redelivery when the receiver does not answer 200 (default 5 attempts, 1000 ms doubling). */
  webhookRetry?: { maxAttempts?: number; baseDelayMs?: number };
  /** Per-attempt webhook timeout (default 10 000 ms). */
  webhookTimeoutMs?: number;
  /** Recipient numbers whose sends fail asynchronously with 131026. */
  undeliverable?: string[];
  /** Seed of the generator behind fault decisions and generated IDs (default 1). */
  seed?: number;
  /** Delay before a created template is approved or rejected (default 500 ms). */
  templateReviewMs?: number;
  /** Lifetime of media download URLs (default 5 minutes, like Meta's). */
  mediaUrlTtlMs?: number;
  /** Escape non-ASCII characters as \uXXXX in webhook bodies, as Meta does (default true). */
  escapeUnicode?: boolean;
  /** Clock (ms since epoch); injectable so window expiry can be tested without waiting 24 h. */
  now?: () => number;
  /** Called with one line per notable event; never receives secrets. Default: silent. */
  log?: (line: string) => void;
}

/** A phone number's quality rating as Meta reports it (`quality_rating`). */
export type QualityRating = 'GREEN' | 'YELLOW' | 'RED';

/**
 * A failure to inject into sends (api-facts §6): Meta's quality rules the sandbox cannot derive on its
 * own (per-user marketing limit 131049, spam rate limit 131048) or that a test wants at a given moment.
 */
export interface SendFailureRule {
  /** Graph error code, e.g. 131049, 131048, 131026, 131050 (title and HTTP status from the catalog). */
  code: number;
  /** Only sends to this recipient (compared as digits). Default: any recipient. */
  to?: string;
  /** Only templates of this category (MARKETING, UTILITY, AUTHENTICATION). Default: any message. */
  category?: string;
  /**
   * `true`: answered at once as a Graph error (nothing accepted, no quota used); `false` (default):
   * accepted with a wamid, then a `failed` status webhook carries the error (as Meta mostly does).
   */
  sync?: boolean;
  /** How many sends it hits (default 1; `Infinity` until {@link Sandbox.clearSendFailures}). */
  times?: number;
  /** `error_data.details` (default: a sentence naming the rule). */
  details?: string;
}

/** A status the sandbox reported for an accepted message. */
export interface StatusRecord {
  status: 'sent' | 'delivered' | 'read' | 'failed';
  timestamp: number;
  errors?: WebhookError[];
}

/** An error object as carried in `statuses[].errors[]`. */
export interface WebhookError {
  code: number;
  title: string;
  message: string;
  error_data: { details: string };
  href: string;
}

/** A message the sandbox accepted (answered with a wamid, or accepted then reset). */
export interface MessageRecord {
  id: string;
  /** The `to` exactly as sent. */
  to: string;
  /** Normalised recipient (digits only). */
  waId: string;
  type: string;
  /** The request body. */
  body: JsonObject;
  acceptedAt: number;
  /** Statuses sent so far (in order). */
  statuses: StatusRecord[];
  /** Errors of a failed status, if any. */
  errors: WebhookError[];
  /** Fault that hit this request, if any (`reset_after` and `slow` messages are still accepted). */
  fault?: FaultKind;
  /** A template sent while the user's 24-hour window was closed: counts against the messaging limit. */
  businessInitiated?: boolean;
}

/** An inbound (user → business) message created by {@link Sandbox.inbound} or the chat page. */
export interface InboundRecord {
  id: string;
  from: string;
  name: string;
  type: string;
  message: JsonObject;
  at: number;
  /** Set when the business marked it read. */
  readAt?: number;
}

/** A Graph request received by the sandbox. */
export interface RequestRecord {
  method: string;
  /** Path without the query string (including the version prefix). */
  path: string;
  query: Record<string, string>;
  /** Parsed JSON body, multipart fields (files summarised), or undefined. */
  body: Json | undefined;
  /** HTTP status answered (0 when the socket was destroyed without a response). */
  status: number;
  /** Graph error code when the answer was an error. */
  errorCode?: number;
  /** Injected fault, if any. */
  fault?: FaultKind;
  at: number;
}

/** One webhook POST attempt. */
export interface WebhookDelivery {
  url: string;
  /** The exact body sent (the signature covers these bytes). */
  body: string;
  /** Value of `X-Hub-Signature-256`. */
  signature: string;
  /** HTTP status answered by the receiver; 0 when the connection failed or timed out. */
  status: number;
  /** 1 for the first try, 2 for the first redelivery, … */
  attempt: number;
  /** The `field` of the change (first change when batched). */
  field: string;
  at: number;
}

/** A user message for {@link Sandbox.inbound}. */
export type InboundMessage =
  | { from: string; text: string; context?: { id: string }; referral?: JsonObject }
  | {
      from: string;
      type: string;
      /** The type's object (e.g. `{ type: 'button_reply', button_reply: { id, title } }` for interactive). For media,
       * `data` (Buffer or base64) and `mime_type` create a downloadable media object; a stand-in file is used otherwise. */
      payload?: Record<string, unknown>;
      context?: { id: string };
      referral?: JsonObject;
    };
