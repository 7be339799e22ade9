import { createHash, type KeyObject } from 'node:crypto';
import {
  DEFAULT_REDIS_KEY_PREFIX,
  FlowEndpointError,
  loadFlowPrivateKey,
  GraphApi,
  isWhatsAppError,
  sharedState,
  WhatsAppClient,
  type FallbackTemplate,
  type MarketingMessagesOptions,
  type QualityGuard,
  QualityGuardError,
  type QualityOptions,
  type QualityRefusalCode,
  type RedisOptions,
  type RetryOptions,
  type SharedState,
  type StateStoreKind,
  type WhatsAppError,
  type WindowPolicy,
} from '@wa-cloud/core';
import {
  NodeApiError,
  NodeOperationError,
  type ICredentialDataDecryptedObject,
  type IDataObject,
  type IExecuteFunctions,
  type IHookFunctions,
  type ILoadOptionsFunctions,
  type INode,
  type ITriggerFunctions,
  type IWebhookFunctions,
  type JsonObject,
} from 'n8n-workflow';
import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * The only place this package turns n8n credentials into core objects (a client, a Graph
 * connection) and core errors into n8n errors. Operations never read credentials themselves.
 */

/** Name of the credential type (from the one definition in `credentials/`). */
export const CREDENTIAL_NAME = 'whatsAppCloudApi';

export interface WhatsAppCloudCredentials {
  accessToken: string;
  phoneNumberId: string;
  wabaId?: string;
  appSecret?: string;
  verifyToken?: string;
  /** PEM private key of the Flow endpoint (WhatsApp Flows data exchange). */
  flowPrivateKey?: string;
  flowPrivateKeyPassphrase?: string;
  apiVersion?: string;
  baseUrl?: string;
}

type AnyContext = IExecuteFunctions | ILoadOptionsFunctions | IHookFunctions | IWebhookFunctions | ITriggerFunctions;

/** Trimmed credential values; empty strings become undefined so core defaults apply. */
export function normalizeCredentials(data: ICredentialDataDecryptedObject): WhatsAppCloudCredentials {
  const pick = (key: string): string | undefined => {
    const value = data[key];
    if (value === undefined || value === null) return undefined;
    const text = String(value).trim();
    return text === '' ? undefined : text;
  };
  return {
    accessToken: pick('accessToken') ?? '',
    phoneNumberId: pick('phoneNumberId') ?? '',
    wabaId: pick('wabaId'),
    appSecret: pick('appSecret'),
    verifyToken: pick('verifyToken'),
    flowPrivateKey: pick('flowPrivateKey'),
    // A passphrase is used exactly as typed (spaces may belong to it).
    flowPrivateKeyPassphrase: data.flowPrivateKeyPassphrase ? String(data.flowPrivateKeyPassphrase) : undefined,
    apiVersion: pick('apiVersion'),
    baseUrl: pick('baseUrl'),
  };
}

export async function getCredentials(ctx: AnyContext): Promise<WhatsAppCloudCredentials> {
  return normalizeCredentials(await ctx.getCredentials(CREDENTIAL_NAME));
}

/** Name of the shared store credential type (Redis, for queue mode). */
export const REDIS_CREDENTIAL_NAME = 'whatsAppCloudRedisApi';

/** Core's Redis options from the shared store credential (the password only ever goes into the URL). */
export function redisOptions(data: ICredentialDataDecryptedObject): RedisOptions {
  const text = (key: string) => (data[key] === undefined || data[key] === null ? '' : String(data[key]).trim());
  const host = text('host') || 'localhost';
  const port = Number(data.port) > 0 ? Number(data.port) : 6379;
  const database = Number(data.database) >= 0 ? Math.floor(Number(data.database)) : 0;
  const user = text('user');
  const password = data.password === undefined || data.password === null ? '' : String(data.password);
  const auth = user || password ? `${encodeURIComponent(user)}${password ? `:${encodeURIComponent(password)}` : ''}@` : '';
  const hostPart = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  return {
    url: `${data.tls === true ? 'rediss' : 'redis'}://${auth}${hostPart}:${port}/${database}`,
    keyPrefix: text('keyPrefix') || DEFAULT_REDIS_KEY_PREFIX,
  };
}

/**
 * n8n's own folder, where the embedded store's file goes (`<it>/wa-cloud/state.sqlite`): what n8n
 * itself uses, `$N8N_USER_FOLDER/.n8n`, or `~/.n8n`.
 */
export function n8nFolder(): string {
  return join(process.env.N8N_USER_FOLDER || homedir(), '.n8n');
}

/**
 * The "State Store" choice. `none` is what workflows saved before the embedded store stored ("this
 * n8n process"): the embedded store is that one process kept on disk (README: upgrading).
 */
export function stateStoreChoice(choice: unknown): StateStoreKind {
  return choice === 'redis' ? 'redis' : choice === 'memory' ? 'memory' : 'embedded';
}

/**
 * Warned once per process and file: an unusable store file is logged loudly, not per execution.
 * On `globalThis` because every node file bundles its own copy of this module.
 */
const warnedProblems: Set<string> = ((globalThis as unknown as Record<symbol, Set<string> | undefined>)[Symbol.for('@wa-cloud/n8n/warned-store-problems')] ??= new Set());

/**
 * The process's state for the node's "State Store" choice, from core's one registry: the embedded
 * file in n8n's folder (one per installation), this process's memory, or Redis (one connection per
 * Redis and prefix, reused by every execution). An unusable file falls back to memory inside core:
 * logged once as an error naming the file (and shown on the execution when `hint` can).
 */
export async function sharedStore(ctx: AnyContext, choice: unknown): Promise<SharedState> {
  const kind = stateStoreChoice(choice);
  const state =
    kind === 'redis'
      ? sharedState({ kind, redis: redisOptions(await ctx.getCredentials(REDIS_CREDENTIAL_NAME)) })
      : sharedState({ kind, folder: n8nFolder() });
  const problem = state.problem;
  if (problem && !warnedProblems.has(problem.message)) {
    warnedProblems.add(problem.message);
    ctx.logger.error(`WhatsApp Cloud: ${problem.message}. ${problem.hint}`);
  }
  return state;
}

/** The state store of an executing node (the choice is read from the first item). */
export async function executionStore(ctx: IExecuteFunctions): Promise<SharedState> {
  const state = await sharedStore(ctx, ctx.getNodeParameter('sharedStore', 0, 'embedded'));
  const problem = state.problem;
  if (problem) {
    // Shown on the execution in the editor; the sends themselves go on (state kept in memory).
    (ctx as { addExecutionHints?: (...hints: Array<{ message: string; type?: string; location?: string }>) => void }).addExecutionHints?.({
      message: `${problem.message}. ${problem.hint}`,
      type: 'warning',
      location: 'outputPane',
    });
  }
  return state;
}

/** Sending behaviour chosen on the node (Options). */
export interface SendSettings {
  /** Node option values: `enforce`, `fallbackTemplate` or `off`. */
  windowPolicy?: 'enforce' | 'fallbackTemplate' | 'off';
  fallbackTemplate?: FallbackTemplate;
  throughput?: number;
  pairRate?: { burst: number; intervalMs: number };
  retry?: RetryOptions;
  /** Quality guard rule switches (node option "Quality Guard"); the guard itself is always the shared one. */
  quality?: Omit<QualityOptions, 'guard' | 'onChange'>;
  /** Marketing Messages API routing (Send Template option). */
  marketingMessages?: MarketingMessagesOptions;
  /** Record sends in the state store's delivery ledger (option "Delivery Ledger"). @default true */
  ledger?: boolean;
  /** How long each send's record is kept (option "Ledger Retention (Days)"). @default the store ledger's (30 days) */
  ledgerRetentionMs?: number;
  /** Messaging limit: tier override (`meta` = read from Meta) and hold instead of refusing. */
  messagingLimit?: { tier?: string; hold?: boolean };
}

/**
 * The one quality guard of the process (memory) or of every process on the shared store (Redis):
 * the send node checks and feeds it, the trigger feeds it from webhooks (131026 statuses, opt-outs,
 * quality updates), the health operation records the rating and tier in it.
 */
export function qualityGuardFor(shared: SharedState): QualityGuard {
  return shared.qualityGuard;
}

const WINDOW_POLICY: Record<NonNullable<SendSettings['windowPolicy']>, WindowPolicy> = {
  enforce: 'enforce',
  fallbackTemplate: 'fallback-template',
  off: 'off',
};

/**
 * A core client for the credential's phone number. Pacing and the 24-hour window are
 * process-wide (core's registry), or in Redis when a shared store is given (queue mode: every
 * process shares the number's budget, and the webhook process that hears a user opens the window
 * for the worker that replies): every node and workflow sending from one number shares one
 * limiter, and the trigger that hears a user feeds the tracker this client asks. Close it at the
 * end of the execution; the shared limiter keeps running for the others.
 */
export function createClient(credentials: WhatsAppCloudCredentials, settings: SendSettings = {}, shared: SharedState = sharedState({ kind: 'memory' })): WhatsAppClient {
  const limiterOptions = {
    ...(settings.throughput ? { throughput: settings.throughput } : {}),
    ...(settings.pairRate ? { pairRate: settings.pairRate } : {}),
  };
  return new WhatsAppClient({
    accessToken: credentials.accessToken,
    phoneNumberId: credentials.phoneNumberId,
    wabaId: credentials.wabaId,
    apiVersion: credentials.apiVersion,
    baseUrl: credentials.baseUrl,
    retry: settings.retry,
    limiter: shared.limiter(credentials.phoneNumberId, limiterOptions),
    window: {
      policy: WINDOW_POLICY[settings.windowPolicy ?? 'enforce'],
      tracker: shared.windowTracker,
      fallbackTemplate: settings.fallbackTemplate,
    },
    quality: { ...settings.quality, guard: qualityGuardFor(shared) },
    ...(settings.marketingMessages ? { marketingMessages: settings.marketingMessages } : {}),
    ...(settings.ledger === false ? {} : { ledger: settings.ledgerRetentionMs === undefined ? shared.ledger : shared.ledger.withRetention(settings.ledgerRetentionMs) }),
    // Business-initiated templates count against the portfolio's limit, shared through the store.
    messagingLimit: {
      tracker: shared.messagingLimit,
      ...(settings.messagingLimit?.tier && settings.messagingLimit.tier !== 'meta' ? { tier: settings.messagingLimit.tier } : {}),
      hold: settings.messagingLimit?.hold === true,
    },
  });
}

/** A Graph connection for management calls that need no limiter (load options, webhook setup). */
export function createGraph(credentials: WhatsAppCloudCredentials): GraphApi {
  return new GraphApi({ accessToken: credentials.accessToken, apiVersion: credentials.apiVersion, baseUrl: credentials.baseUrl });
}

/** Runs `fn` with a Graph connection and closes it afterwards. */
export async function withGraph<T>(credentials: WhatsAppCloudCredentials, fn: (graph: GraphApi) => Promise<T>): Promise<T> {
  const graph = createGraph(credentials);
  try {
    return await fn(graph);
  } finally {
    await graph.close();
  }
}

/** The WABA ID, or an error that says where to put it. */
export function requireWabaId(node: INode, credentials: WhatsAppCloudCredentials): string {
  if (!credentials.wabaId) {
    throw new NodeOperationError(node, 'This operation needs the WhatsApp Business Account ID', {
      description: 'Fill in "WhatsApp Business Account ID" in the WhatsApp Cloud API credentials (WhatsApp Manager → API Setup).',
    });
  }
  return credentials.wabaId;
}

/** Each quality rule's switch, named as the node's "Quality Guard" option collection names it. */
const QUALITY_SWITCHES: Readonly<Record<QualityRefusalCode, string>> = {
  recipient_suppressed: 'Quality Guard → Suppress Undeliverable Recipients: off',
  marketing_opted_out: 'Quality Guard → Respect Marketing Opt-Out: off',
  marketing_cooling_down: 'Quality Guard → Marketing Cool-Down (Hours): 0',
  marketing_paused: 'Quality Guard → Spam Pause (Hours): 0',
  number_quality_red: 'Quality Guard → Allow Sends When RED: on',
};

/** Core's hint, a quality refusal's naming the switch as this node's settings do. */
const hintOf = (error: WhatsAppError) => QualityGuardError.hintOf(error, QUALITY_SWITCHES);

/** The secret-free error object put on an item's output under `continueOnFail()`. */
export function errorJson(error: unknown): IDataObject {
  if (isWhatsAppError(error)) {
    const json = error.toJSON() as IDataObject;
    return { message: error.message, code: error.code, category: error.category, retryable: error.retryable, ...json, hint: hintOf(error) };
  }
  if (error instanceof Error) return { message: error.message, code: 'unknown', category: 'unknown' };
  return { message: String(error), code: 'unknown', category: 'unknown' };
}

/**
 * Translates any error once, at the boundary: core errors become `NodeApiError` (a Graph answer)
 * or `NodeOperationError` (input, window, network), always with core's hint as the description.
 */
export function toNodeError(node: INode, error: unknown, itemIndex?: number): NodeApiError | NodeOperationError {
  if (error instanceof NodeApiError || error instanceof NodeOperationError) return error;
  if (isWhatsAppError(error)) {
    const json = errorJson(error);
    if (error.name === 'GraphApiError') {
      const status = (error as unknown as { status?: number }).status;
      return new NodeApiError(node, json as JsonObject, {
        message: error.message,
        description: hintOf(error),
        ...(status ? { httpCode: String(status) } : {}),
        ...(itemIndex !== undefined ? { itemIndex } : {}),
      });
    }
    const nodeError = new NodeOperationError(node, error.message, {
      description: hintOf(error),
      ...(itemIndex !== undefined ? { itemIndex } : {}),
    });
    // n8n swaps any message that mentions ECONNREFUSED, ENOTFOUND & co. for a generic sentence
    // ("The service refused the connection"); ours already says which service, where and why.
    nodeError.message = error.message;
    return nodeError;
  }
  const message = error instanceof Error ? error.message : String(error);
  return new NodeOperationError(node, message, itemIndex !== undefined ? { itemIndex } : {});
}

/**
 * The Flow endpoint's private key, loaded once per key and passphrase for the process (parsing an
 * encrypted PEM costs milliseconds; the trigger and the respond step both need it on every request).
 * Cached by a digest, so neither the PEM nor the passphrase is kept as a map key.
 */
const flowKeys = new Map<string, KeyObject | FlowEndpointError>();
export function flowPrivateKeyOf(credentials: WhatsAppCloudCredentials): KeyObject | FlowEndpointError {
  const id = createHash('sha256').update(credentials.flowPrivateKey ?? '').update('\0').update(credentials.flowPrivateKeyPassphrase ?? '').digest('base64');
  let key = flowKeys.get(id);
  if (!key) {
    try {
      key = loadFlowPrivateKey(credentials.flowPrivateKey ?? '', credentials.flowPrivateKeyPassphrase);
    } catch (error) {
      // loadFlowPrivateKey throws nothing else; the error is answered per request (500), not thrown here.
      key = error as FlowEndpointError;
    }
    if (flowKeys.size > 32) flowKeys.clear();
    flowKeys.set(id, key);
  }
  return key;
}
