import { CREDENTIAL_FIELDS, SECRET_FIELDS, type WindowPolicy } from './core';
import type { NodeDef } from './node-red';

/** The credential fields the runtime stores encrypted (password type in the one definition). */
export type SecretName = 'accessToken' | 'appSecret' | 'verifyToken';
export type Secrets = Partial<Record<SecretName, string>>;

/** Config node credentials for `RED.nodes.registerType`: every secret of the one definition. */
export const CREDENTIALS_DEFINITION: Record<string, { type: 'password' }> = Object.fromEntries(
  SECRET_FIELDS.map((name) => [name, { type: 'password' as const }]),
);

/** Non-secret credential fields (phone number ID, WABA ID, API version, base URL): node properties. */
export const PROPERTY_FIELDS = CREDENTIAL_FIELDS.filter((field) => field.type !== 'password');

/** What the editor shows in a password field that holds a saved value it does not know. */
export const SAVED_PASSWORD_PLACEHOLDER = '__PWRD__';

export interface ConnectionSettings {
  accessToken?: string;
  appSecret?: string;
  verifyToken?: string;
  phoneNumberId?: string;
  wabaId?: string;
  apiVersion?: string;
  baseUrl?: string;
}

export interface ConfigSettings extends ConnectionSettings {
  throughput?: number;
  windowPolicy: WindowPolicy;
  fallbackTemplate?: string;
  fallbackLanguage?: string;
}

function str(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  const s = String(value).trim();
  return s === '' ? undefined : s;
}

/** A `${NAME}` reference typed into the editor, resolved like the runtime resolves saved ones. */
function env(value: string | undefined): string | undefined {
  const match = value && /^\$\{(\w+)\}$/.exec(value);
  return match ? str(process.env[match[1]!]) : value;
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
    baseUrl: str(def.baseUrl)?.replace(/\/+$/, ''),
    throughput: Number.isFinite(throughput) && throughput > 0 ? throughput : undefined,
    windowPolicy: policy && POLICIES.includes(policy) ? policy : 'enforce',
    fallbackTemplate: str(def.fallbackTemplate),
    fallbackLanguage: str(def.fallbackLanguage),
  };
}

/**
 * Connection settings posted by the editor for a config node that may be unsaved or edited: typed
 * values win; a secret shown as the saved-password placeholder (or left empty) falls back to the
 * saved one, so a secret never has to travel back to the browser.
 */
export function editorConnection(body: Record<string, unknown>, saved: { settings?: ConnectionSettings; credentials?: Secrets }): ConnectionSettings {
  const out: ConnectionSettings = {};
  for (const name of SECRET_FIELDS as SecretName[]) {
    const typed = str(body[name]);
    out[name] = typed === undefined || typed === SAVED_PASSWORD_PLACEHOLDER ? str(saved.credentials?.[name]) : env(typed);
  }
  for (const field of PROPERTY_FIELDS) {
    const name = field.name as keyof ConnectionSettings;
    out[name] = name in body ? env(str(body[name])) : saved.settings?.[name];
  }
  if (out.baseUrl) out.baseUrl = out.baseUrl.replace(/\/+$/, '');
  return out;
}
