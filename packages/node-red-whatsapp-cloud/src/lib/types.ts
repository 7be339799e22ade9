import type { DeliveryLedger, FailedMessageResender, MessagingLimit, ForgetUserResult, EventDeduplicator, MessageTemplate, QualityGuard, QualityStatus, RateLimiter, SendResult, WhatsAppClient, WhatsAppError, WindowTracker } from './core';
import type { ConfigSettings, Secrets } from './connection';
import type { Node } from './node-red';

/** A node using a config node (send, webhook, account): it gets the account-wide status. */
export type UserNode = Pick<Node, 'id' | 'status'> & {
  /** Called when the number's quality rating or tier is (re)read; nodes that show it re-render. */
  onQuality?(): void;
};

/**
 * What the send side and the webhook side of a number must agree on: the window tracker (the
 * webhook opens windows the sender checks), the deduplicator (redeliveries) and the number's
 * limiter. In this process's memory, or in Redis for several Node-RED instances.
 */
export interface SharedState {
  /** The store in use (`memory` also when the embedded file could not be opened: `problem` says why). */
  kind: 'embedded' | 'memory' | 'redis';
  /** Why the chosen store is not (or no longer) in use; shown on every node of the config. */
  problem(): WhatsAppError | undefined;
  /** Removes every trace of these users (core's forgetUser). */
  forgetUser(userIds: string[]): Promise<ForgetUserResult>;
  windowTracker: WindowTracker;
  deduplicator: EventDeduplicator;
  /** The quality guard the sends check and the webhook feeds (131026, opt-outs, rating changes). */
  qualityGuard: QualityGuard;
  /**
   * The delivery ledger in the same store, with the config node's "Ledger retention (days)": sends
   * record into it, the webhook node joins statuses to it.
   */
  ledger: DeliveryLedger;
  /** The portfolio messaging limit's 24-hour count, in the same store. */
  messagingLimit: MessagingLimit;
  limiter(phoneNumberId: string, throughput?: number): RateLimiter;
}

/** What the send and webhook nodes use of their `whatsapp-cloud-config` node. */
export interface ConfigNode extends Node<Secrets> {
  settings: ConfigSettings;
  /** Undefined when the settings cannot make a client; `configError` says why. */
  client?: WhatsAppClient;
  configError?: WhatsAppError;
  /** Undefined only when the Redis settings are unusable (then `configError` says so). */
  shared?: SharedState;
  /** Re-sends failed messages that may pass ("Re-send failed", with the ledger); the webhook nodes schedule into it. */
  resender?: FailedMessageResender;
  register(user: UserNode): void;
  deregister(user: UserNode): void;
  /** Sends through the client, tracked so that close() lets it finish. */
  sendMessage(message: unknown): Promise<SendResult>;
  /** Any other client call (upload, mark as read, download), tracked the same way. */
  track<T>(work: Promise<T>): Promise<T>;
  /** The template, looked up at most once per 5 minutes (sends check parameters against it). */
  template(name: string, language: string): Promise<MessageTemplate>;
  /** The number's quality rating and tier as last read (health check every `healthCheckMinutes`, webhooks). */
  quality?: QualityStatus;
  /** Runs the health check now (records rating and tier in the guard) and updates every user's status. */
  refreshQuality(): Promise<void>;
  /** True while an account-wide problem is shown on the user nodes (it wins over the quality label). */
  hasAccountStatus(): boolean;
  /** Account-wide failures (token, policy, rate limit) are shown on every user node. */
  report(error: unknown): void;
  /** A call went through: clears an account-wide status. */
  reportOk(): void;
}

/** `replyTo` and `bizOpaqueCallbackData`, as every core message builder takes them. */
export interface EnvelopeOptions {
  replyTo?: string;
  bizOpaqueCallbackData?: string;
}
