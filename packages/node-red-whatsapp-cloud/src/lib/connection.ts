import { CREDENTIAL_FIELDS, SECRET_FIELDS, trimTrailingSlashes, type WindowPolicy } from './core';
import type { NodeDef } from './node-red';

/** The credential fields the runtime stores encrypted (password type in the one definition). */
export type SecretName = 'accessToken' | 'appSecret' | 'verifyToken' | 'flowPrivateKey' | 'flowPrivateKeyPassphrase' | 'redisPassword';
export type Secrets = Partial<Record<SecretName, string>>;

/**
 * Config node credentials for `RED.nodes.registerType`: every secret of the one definition, plus
 * the password of the shared store's Redis URL (Node-RED only: the URL itself is a property).
 */
export const CREDENTIALS_DEFINITION: Record<string, { type: 'password' }> = Object.fromEntries(
  [...SECRET_FIELDS, 'redisPassword'].map((name) => [name, { type: 'password' as const }]),
);

/** Non-secret credential fields (phone number ID, WABA ID, API version, base URL): node properties. */
export const PROPERTY_FIELDS = CREDENTIAL_FIELDS.filter((field) => field.type !== 'password');

/** What the editor shows in a password field that holds a saved value it does not know. */
export const SAVED_PASSWORD_PLACEHOLDER = '__PWRD__';

export interface ConnectionSettings {
  accessToken?: string;
  appSecret?: string;
  verifyToken?: string;
  flowPrivateKey?: string;
  flowPrivateKeyPassphrase?: string;
  phoneNumberId?: string;
  wabaId?: string;
  apiVersion?: string;
  baseUrl?: string;
}

/** Where the state lives (windows, quality records, seen events; the send budget with Redis). */
export interface SharedStoreSettings {
  /**
   * `embedded` (default): a SQLite file in the user folder; `memory`: this process only, lost on
   * restart; `redis`: shared by every instance with the same Redis and key prefix.
   */
  store: 'embedded' | 'memory' | 'redis';
  /** The full URL for core (password and TLS scheme filled in). Never logged: use `redisAddress`. */
  redisUrl?: string;
  /** `host:port` for status and log lines. */
  redisAddress?: string;
  redisKeyPrefix?: string;
  redisTls: boolean;
}

export interface ConfigSettings extends ConnectionSettings, SharedStoreSettings {
  throughput?: number;
  /** Minutes between health checks (quality rating and tier for the status); 0 = never. */
  healthCheckMinutes: number;
  /** Record sends in the delivery ledger and join statuses to them. @default true */
  deliveryLedger: boolean;
  /** Re-send failed messages whose code is retryable later (needs the ledger). @default false */
  resendFailed: boolean;
  /** Messaging limit tier override (`meta` = read it from Meta) and hold instead of refusing. */
  messagingLimitTier: string;
  messagingLimitHold: boolean;
  windowPolicy: WindowPolicy;
  fallbackTemplate?: string;
  fallbackLanguage?: string;
  /** Marketing Messages API routing: `off` (default), `on`, `fallback` (CLOUD_API_FALLBACK), `strict` (STRICT). */
  marketingMessages: 'off' | 'on' | 'fallback' | 'strict';
}

function str(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  const s = String(value).trim();
  return s === '' ? undefined : s;
}

const trimSlashes = (value: string | undefined) => (value === undefined ? undefined : trimTrailingSlashes(value));

/** Default 60; 0 (or less) = off; at least 1 otherwise. */
function healthMinutes(value: unknown): number {
  if (value === undefined || value === null || String(value).trim() === '') return 60;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) return 0;
  return Math.max(1, n);
}

const POLICIES: readonly WindowPolicy[] = ['enforce', 'fallback-template', 'off'];

/** Reads a config node's saved properties and credentials. */
export function configSettings(def: NodeDef, credentials: Secrets): ConfigSettings {
  const throughput = Number(def.throughput);
  const policy = str(def.windowPolicy) as WindowPolicy | undefined;
  return {
    accessToken: str(credentials.accessToken),
    appSecret: str(credentials.appSecret),
    verifyToken: str(credentials.verifyToken),
    phoneNumberId: str(def.phoneNumberId),
    wabaId: str(def.wabaId),
    apiVersion: str(def.apiVersion),
    baseUrl: trimSlashes(str(def.baseUrl)),
    throughput: Number.isFinite(throughput) && throughput > 0 ? throughput : undefined,
    healthCheckMinutes: healthMinutes(def.healthCheckMinutes),
    deliveryLedger: def.deliveryLedger !== false && def.deliveryLedger !== 'false',
    resendFailed: def.resendFailed === true || def.resendFailed === 'true',
    messagingLimitTier: typeof def.messagingLimitTier === 'string' && /^TIER_[A-Z0-9]+$/.test(def.messagingLimitTier) ? def.messagingLimitTier : 'meta',
    messagingLimitHold: def.messagingLimitHold === true || def.messagingLimitHold === 'true',
    windowPolicy: policy && POLICIES.includes(policy) ? policy : 'enforce',
    fallbackTemplate: str(def.fallbackTemplate),
    fallbackLanguage: str(def.fallbackLanguage),
    marketingMessages: (['on', 'fallback', 'strict'] as const).find((v) => v === def.marketingMessages) ?? 'off',
    ...sharedStoreSettings(def, credentials),
  };
}

export const DEFAULT_NODE_RED_REDIS_URL = 'redis://127.0.0.1:6379';
export const DEFAULT_NODE_RED_KEY_PREFIX = 'wa:';

/**
 * The Redis settings of a config node: URL (a property, without password), password (a
 * credential), key prefix and TLS (`rediss://`). A password typed into the URL still works (the
 * editor moves it into the credential on save; an `${ENV}` URL may carry one), but the password
 * credential wins.
 */
export function sharedStoreSettings(def: NodeDef, credentials: Secrets): SharedStoreSettings {
  const store = stateStoreChoice(def.store);
  const tls = def.redisTls === true || def.redisTls === 'true';
  if (store !== 'redis') return { store, redisTls: tls };
  const raw = str(def.redisUrl) ?? DEFAULT_NODE_RED_REDIS_URL;
  const keyPrefix = str(def.redisKeyPrefix) ?? DEFAULT_NODE_RED_KEY_PREFIX;
  const url = redisUrl(raw, str(credentials.redisPassword), tls);
  return { store, redisTls: tls, redisUrl: url, redisAddress: addressOf(url), redisKeyPrefix: keyPrefix };
}

/**
 * The "State store" choice. Flows saved before the embedded store existed say `none` ("this
 * Node-RED only"): the user chose one process, not "forget everything on restart", so they get the
 * embedded store, the same one process kept on disk (README: upgrading).
 */
export function stateStoreChoice(value: unknown): SharedStoreSettings['store'] {
  return value === 'redis' ? 'redis' : value === 'memory' ? 'memory' : 'embedded';
}

/** `redis://host:port/db` + password + TLS → the URL core connects with. */
export function redisUrl(raw: string, password: string | undefined, tls: boolean): string {
  const withScheme = /^rediss?:\/\//i.test(raw) ? raw : `redis://${raw}`;
  let parsed: URL;
  try {
    parsed = new URL(withScheme);
  } catch {
    return withScheme; // core reports it as unreachable, naming no password
  }
  if (password !== undefined) parsed.password = encodeURIComponent(password);
  if (tls && parsed.protocol === 'redis:') return 'rediss:' + parsed.href.slice('redis:'.length);
  return parsed.href;
}

/** `host:port` of a Redis URL: never the user or password. */
export function addressOf(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.hostname}:${parsed.port || '6379'}`;
  } catch {
    return 'an unparsable Redis URL';
  }
}
